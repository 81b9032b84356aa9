#include "rules/compiled.h"

#include <cstdlib>

#include "rules/conditions.h"

namespace fristvagt::rules {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const FieldDescriptor* PayloadField(std::string_view event) {
  const FieldDescriptor* field = v1::CaseEvent::descriptor()->FindFieldByName(std::string(event));
  return field != nullptr && field->containing_oneof() != nullptr ? field : nullptr;
}

// The text value of the regime file as the field's typed value (the loader checked the fit).
void AddTypedValue(const FieldDescriptor& field, const std::string& text, CompiledCondition& c) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      c.ints.push_back(text == "true" ? 1 : 0);
      break;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = field.enum_type()->FindValueByName(text);
      c.ints.push_back(value == nullptr ? -1 : value->number());
      break;
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
      c.ints.push_back(std::strtoll(text.c_str(), nullptr, 10));
      break;
    default:
      c.texts.push_back(text);
      break;
  }
}

CompiledMatcher CompileMatcher(const EventMatcher& m) {
  CompiledMatcher out;
  out.when = m.when;
  const FieldDescriptor* payload_field = PayloadField(m.event);
  if (payload_field == nullptr) return out;  // payload_case 0 matches nothing
  out.payload_case = payload_field->number();
  const Descriptor* payload = payload_field->message_type();
  for (const FieldCondition& cond : m.where) {
    CompiledCondition c;
    c.op = cond.op;
    const FieldDescriptor* field = payload->FindFieldByName(cond.field);
    c.field = FindFieldAccessor(out.payload_case, cond.field);
    if (field == nullptr || c.field == nullptr) {
      out.payload_case = 0;  // the loader prevents it; never match rather than guess
      continue;
    }
    for (const std::string& v : cond.values) AddTypedValue(*field, v, c);
    if (cond.op == FieldCondition::Op::kEqualsInstance && field->enum_type() != nullptr) {
      for (int i = 0; i < field->enum_type()->value_count(); ++i) {
        const auto* value = field->enum_type()->value(i);
        c.enum_names.emplace_back(value->number(), value->name());
      }
    }
    if (cond.op == FieldCondition::Op::kSameAsTrigger) {
      const auto* oneof = v1::CaseEvent::descriptor()->FindOneofByName("payload");
      for (int i = 0; i < oneof->field_count(); ++i) {
        const int index = oneof->field(i)->number() - kFirstPayloadCase;
        if (index < 0 || index >= 64) continue;
        const FieldDescriptor* g = oneof->field(i)->message_type()->FindFieldByName(cond.field);
        if (g == nullptr || g->is_repeated() || g->cpp_type() != field->cpp_type()) continue;
        c.same_field[index] = FindFieldAccessor(oneof->field(i)->number(), cond.field);
      }
    }
    out.where.push_back(std::move(c));
  }
  return out;
}

CompiledRule CompileRule(const Regime& regime, const RuleSpec& rule, const Catalog* catalog) {
  CompiledRule c;
  c.trigger = CompileMatcher(rule.trigger.matcher);
  c.select = rule.trigger.select;
  for (const EventMatcher& m : rule.met_by) {
    c.met_by.push_back(CompileMatcher(m));
    c.met_by_payloads |= PayloadBit(c.met_by.back().payload_case);
  }
  for (const EventMatcher& m : rule.waived_by) c.waived_by.push_back(CompileMatcher(m));
  for (const EventMatcher& m : rule.exists) {
    c.exists.push_back(CompileMatcher(m));
    c.exists_payloads |= PayloadBit(c.exists.back().payload_case);
  }
  for (const std::string& name : rule.conditions) c.conditions.push_back(FindPredicate(name));
  const FieldDescriptor* trigger_field = PayloadField(rule.trigger.matcher.event);
  const Descriptor* trigger_payload =
      trigger_field == nullptr ? nullptr : trigger_field->message_type();
  if (trigger_payload != nullptr) {
    const int kind = trigger_field->number();
    for (const std::string& name : rule.require) {
      c.require.push_back(FindFieldAccessor(kind, name));
    }
    for (const auto& [field, predicate] : rule.require_if) {
      c.require_if.emplace_back(FindFieldAccessor(kind, field), FindPredicate(predicate));
    }
    for (const auto& [field, fact] : rule.require_if_exists) {
      c.require_if_exists.emplace_back(FindFieldAccessor(kind, field), CompileMatcher(fact));
    }
    for (int i = 0; i < trigger_payload->field_count(); ++i) {
      const std::string& name = trigger_payload->field(i)->name();
      // Repeated ids are skipped: the text form compared "no value" with "no value".
      if (name.size() >= 3 && name.compare(name.size() - 3, 3, "_id") == 0 &&
          !trigger_payload->field(i)->is_repeated()) {
        c.identity_fields.push_back(FindFieldAccessor(kind, name));
      }
    }
    if (!rule.due.field.empty()) {
      const FieldAccessor* due = FindFieldAccessor(kind, rule.due.field);
      if (due != nullptr && due->type == FieldType::kTimestamp) c.due_field = due;
    }
  }
  if (!rule.reminder_if.empty()) c.reminder_if = FindPredicate(rule.reminder_if);
  c.paalaeg_steps = rule.instances == "paalaeg_steps";
  for (const std::string& group : rule.groups) {
    v1::VisitationGroup value;
    if (v1::VisitationGroup_Parse(group, &value)) c.groups |= 1u << value;
  }
  if (rule.effective_from.has_value()) c.effective_from = ToDayNumber(*rule.effective_from);
  if (catalog != nullptr) {
    // A later regime that repeals this rule waives its open obligations on its first day.
    for (const Regime& later : catalog->regimes) {
      if (later.valid_from <= regime.valid_from) continue;
      if (std::find(later.repeals.begin(), later.repeals.end(), rule.id) != later.repeals.end()) {
        c.repealed_on = ToDayNumber(later.valid_from);
        break;
      }
    }
  }
  c.check_grace = rule.check_grace_days.value_or(regime.defaults.check_grace_days);
  c.breach_grace = rule.breach_grace_days.value_or(regime.defaults.breach_grace_days);
  c.reminder_hour = rule.reminder_hour.value_or(regime.defaults.reminder_hour);
  c.reminder_leads =
      rule.reminder_leads_days.empty() ? regime.defaults.reminder_leads_days : rule.reminder_leads_days;
  c.params = ResolveParams(regime, rule);
  return c;
}

}  // namespace

std::shared_ptr<const CompiledRegime> CompileRegime(const Regime& regime, const Catalog* catalog) {
  auto compiled = std::make_shared<CompiledRegime>();
  compiled->valid_from = ToDayNumber(regime.valid_from);
  if (regime.valid_to.has_value()) compiled->valid_to = ToDayNumber(*regime.valid_to);
  for (const RuleSpec& rule : regime.rules) {
    compiled->rules.push_back(CompileRule(regime, rule, catalog));
  }
  return compiled;
}

void CompileCatalog(Catalog& catalog) {
  for (Regime& regime : catalog.regimes) regime.compiled = CompileRegime(regime, &catalog);
}

}  // namespace fristvagt::rules
