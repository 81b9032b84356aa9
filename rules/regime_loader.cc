#include "rules/regime_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "proto/case_event.pb.h"
#include "rules/compiled.h"
#include "rules/conditions.h"

namespace fristvagt::rules {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// ---------------------------------------------------------------------------------------------
// Errors

int LineOf(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

// This abseil build has its own string_view, distinct from the std::string_view toml++ uses.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

template <typename Names>
std::string JoinNames(const Names& names) {
  return absl::StrJoin(names, ", ",
                       [](std::string* out, std::string_view name) { out->append(name); });
}

const char* TypeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Collects the problems of one file; counts them so callers can tell whether a part was clean.
class ErrorSink {
 public:
  ErrorSink(std::string file, std::vector<RuleFileError>* errors)
      : file_(std::move(file)), errors_(errors) {}

  void Add(int line, std::string key, std::string message) {
    errors_->push_back({file_, line, std::move(key), std::move(message)});
    ++count_;
  }
  void Add(const toml::node& node, std::string key, std::string message) {
    Add(LineOf(node), std::move(key), std::move(message));
  }
  int count() const { return count_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<RuleFileError>* errors_;
  int count_ = 0;
};

absl::Status Summarise(const std::vector<RuleFileError>& errors, size_t first_new) {
  const size_t count = errors.size() - first_new;
  return absl::InvalidArgumentError(
      absl::StrCat(count, count == 1 ? " problem" : " problems",
                   " in regime files; first: ", errors[first_new].ToString()));
}

// ---------------------------------------------------------------------------------------------
// Typed access to one TOML table, reporting missing keys, wrong types and unknown keys under a
// dotted path ("rule[first_meeting].due").

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, ErrorSink& sink)
      : table_(table), path_(std::move(path)), sink_(sink) {}

  std::string Key(std::string_view key) const {
    return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", Sv(key));
  }
  const toml::node* Find(std::string_view key) const { return table_.get(key); }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  int line() const { return LineOf(table_); }
  const std::string& path() const { return path_; }
  const toml::table& table() const { return table_; }
  ErrorSink& sink() const { return sink_; }

  void CheckKeys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
      sink_.Add(node, Key(key.str()),
                absl::StrCat("unknown key; expected one of: ", JoinNames(allowed)));
    }
  }

  // The node under `key`, or nullptr; a missing required key is reported.
  const toml::node* Get(std::string_view key, bool required) const {
    const toml::node* node = Find(key);
    if (node == nullptr && required) sink_.Add(line(), Key(key), "missing required key");
    return node;
  }
  void Require(std::string_view key) const { Get(key, /*required=*/true); }

  void WrongType(const toml::node& node, const std::string& key, std::string_view expected) const {
    sink_.Add(node, key, absl::StrCat("expected ", Sv(expected), ", got ", TypeName(node.type())));
  }

  std::optional<std::string> String(std::string_view key, bool required) const {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    if (const auto* v = node->as_string()) return v->get();
    WrongType(*node, Key(key), "a string");
    return std::nullopt;
  }

  std::optional<bool> Bool(std::string_view key) const {
    const toml::node* node = Find(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* v = node->as_boolean()) return v->get();
    WrongType(*node, Key(key), "a boolean");
    return std::nullopt;
  }

  std::optional<int> Int(std::string_view key, bool required, int min, int max) const {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    return IntValue(*node, Key(key), min, max);
  }

  std::optional<int> IntValue(const toml::node& node, const std::string& key, int min,
                              int max) const {
    const auto* v = node.as_integer();
    if (v == nullptr) {
      WrongType(node, key, "an integer");
      return std::nullopt;
    }
    if (v->get() < min || v->get() > max) {
      sink_.Add(node, key, absl::StrCat("must be between ", min, " and ", max));
      return std::nullopt;
    }
    return static_cast<int>(v->get());
  }

  std::optional<absl::CivilDay> Date(std::string_view key, bool required) const {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return std::nullopt;
    const auto* v = node->as_date();
    if (v == nullptr) {
      WrongType(*node, Key(key), "a date (YYYY-MM-DD)");
      return std::nullopt;
    }
    const toml::date& d = v->get();
    return absl::CivilDay(d.year, d.month, d.day);
  }

  const toml::table* Table(std::string_view key, bool required) const {
    const toml::node* node = Get(key, required);
    if (node == nullptr) return nullptr;
    if (const toml::table* t = node->as_table()) return t;
    WrongType(*node, Key(key), "a table");
    return nullptr;
  }

  const toml::array* Array(std::string_view key) const {
    const toml::node* node = Find(key);
    if (node == nullptr) return nullptr;
    if (const toml::array* a = node->as_array()) return a;
    WrongType(*node, Key(key), "an array");
    return nullptr;
  }

  // Each element must be a string; bad elements are reported and skipped.
  std::vector<std::pair<std::string, int>> StringArray(std::string_view key) const {
    std::vector<std::pair<std::string, int>> out;
    const toml::array* array = Array(key);
    if (array == nullptr) return out;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (const auto* v = element.as_string()) {
        out.emplace_back(v->get(), LineOf(element));
      } else {
        WrongType(element, absl::StrCat(Key(key), "[", i, "]"), "a string");
      }
    }
    return out;
  }

  std::vector<int> IntArray(std::string_view key, int min, int max) const {
    std::vector<int> out;
    const toml::array* array = Array(key);
    if (array == nullptr) return out;
    for (size_t i = 0; i < array->size(); ++i) {
      std::optional<int> v =
          IntValue(*array->get(i), absl::StrCat(Key(key), "[", i, "]"), min, max);
      if (v.has_value()) out.push_back(*v);
    }
    return out;
  }

  // A table of integers (`[params]`, a rule's `params`).
  std::map<std::string, int> IntTable(const toml::table& table, const std::string& path) const {
    std::map<std::string, int> out;
    for (const auto& [key, node] : table) {
      std::optional<int> v =
          IntValue(node, absl::StrCat(path, ".", Sv(key.str())), -100000000, 100000000);
      if (v.has_value()) out[std::string(key.str())] = *v;
    }
    return out;
  }

 private:
  const toml::table& table_;
  std::string path_;
  ErrorSink& sink_;
};

// Maps a TOML string to an enum, reporting the allowed names when it is none of them.
template <typename E>
std::optional<E> Lookup(const TableReader& reader, std::string_view key,
                        std::initializer_list<std::pair<std::string_view, E>> names,
                        bool required) {
  std::optional<std::string> text = reader.String(key, required);
  if (!text.has_value()) return std::nullopt;
  for (const auto& [name, value] : names) {
    if (name == *text) return value;
  }
  std::vector<std::string_view> allowed;
  for (const auto& [name, value] : names) allowed.push_back(name);
  reader.sink().Add(
      *reader.Find(key), reader.Key(key),
      absl::StrCat("unknown value \"", *text, "\"; expected one of: ", JoinNames(allowed)));
  return std::nullopt;
}

// Ids become alert fields and file-independent references (`repeals`), so keep them plain.
bool IsPlainId(std::string_view id) {
  if (id.empty() || !(id[0] >= 'a' && id[0] <= 'z')) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// ---------------------------------------------------------------------------------------------
// The event contract, through protobuf reflection, so the files can only name what exists.

const Descriptor* PayloadType(std::string_view event) {
  const google::protobuf::OneofDescriptor* payload =
      fristvagt::v1::CaseEvent::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < payload->field_count(); ++i) {
    if (payload->field(i)->name() == event) return payload->field(i)->message_type();
  }
  return nullptr;
}

bool IsTimestamp(const FieldDescriptor& field) {
  return field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         field.message_type()->full_name() == "google.protobuf.Timestamp";
}

bool IsInteger(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64:
      return true;
    default:
      return false;
  }
}

std::string EnumNames(const google::protobuf::EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
  return absl::StrJoin(names, ", ");
}

std::string FieldNames(const Descriptor& payload) {
  std::vector<std::string> names;
  for (int i = 0; i < payload.field_count(); ++i) names.push_back(payload.field(i)->name());
  return names.empty() ? "(none)" : absl::StrJoin(names, ", ");
}

// ---------------------------------------------------------------------------------------------
// One regime file.

// A parsed file plus the lines that only the set-level checks (LoadCatalog) need.
struct ParsedRegime {
  Regime regime;
  int regime_line = 1;
  int id_line = 1;
  int valid_from_line = 1;
  std::vector<int> repeal_lines;  // parallel to regime.repeals
};

class RegimeParser {
 public:
  explicit RegimeParser(ErrorSink& sink) : sink_(sink) {}

  ParsedRegime Parse(const toml::table& root) {
    ParsedRegime parsed;
    parsed.regime.source_file = sink_.file();
    TableReader top(root, "", sink_);
    top.CheckKeys({"regime", "defaults", "params", "rule"});
    if (const toml::table* t = top.Table("regime", /*required=*/true)) ParseHeader(*t, parsed);
    if (const toml::table* t = top.Table("defaults", false)) ParseDefaults(*t, parsed.regime);
    if (const toml::table* t = top.Table("params", false)) {
      parsed.regime.params = top.IntTable(*t, "params");
      for (const auto& [key, node] : *t) {
        if (AllParamNames().contains(key.str())) continue;
        sink_.Add(node, absl::StrCat("params.", Sv(key.str())),
                  absl::StrCat("no condition reads this parameter; known: ",
                               JoinNames(AllParamNames())));
      }
    }
    ParseRules(top, parsed.regime);
    CheckRepealsNotDefined(parsed);
    return parsed;
  }

 private:
  void ParseHeader(const toml::table& table, ParsedRegime& parsed) {
    Regime& regime = parsed.regime;
    TableReader r(table, "regime", sink_);
    r.CheckKeys({"id", "title", "law", "valid_from", "valid_to", "repeals", "status", "sources"});
    parsed.regime_line = r.line();
    if (std::optional<std::string> id = r.String("id", true)) {
      regime.id = *id;
      parsed.id_line = LineOf(*r.Find("id"));
      if (!IsPlainId(*id)) sink_.Add(*r.Find("id"), "regime.id", "must match [a-z][a-z0-9_]*");
    }
    regime.title = r.String("title", false).value_or("");
    regime.law = r.String("law", false).value_or("");
    if (std::optional<absl::CivilDay> from = r.Date("valid_from", true)) {
      regime.valid_from = *from;
      parsed.valid_from_line = LineOf(*r.Find("valid_from"));
    }
    regime.valid_to = r.Date("valid_to", false);
    if (regime.valid_to.has_value() && *regime.valid_to < regime.valid_from) {
      sink_.Add(*r.Find("valid_to"), "regime.valid_to", "is before valid_from");
    }
    for (auto& [rule_id, line] : r.StringArray("repeals")) {
      regime.repeals.push_back(rule_id);
      parsed.repeal_lines.push_back(line);
    }
    regime.draft =
        Lookup<bool>(r, "status", {{"law", false}, {"draft", true}}, false).value_or(false);
    for (auto& [source, line] : r.StringArray("sources")) regime.sources.push_back(source);
    if (regime.draft && regime.sources.empty()) {
      sink_.Add(parsed.regime_line, "regime.sources",
                "a draft must name its sources (the announcement it is read from)");
    }
  }

  void ParseDefaults(const toml::table& table, Regime& regime) {
    TableReader r(table, "defaults", sink_);
    r.CheckKeys({"reminder_leads_days", "reminder_hour", "check_grace_days", "breach_grace_days"});
    RegimeDefaults& d = regime.defaults;
    if (r.Has("reminder_leads_days"))
      d.reminder_leads_days = r.IntArray("reminder_leads_days", 0, 366);
    d.reminder_hour = r.Int("reminder_hour", false, 0, 23).value_or(d.reminder_hour);
    d.check_grace_days = r.Int("check_grace_days", false, 0, 366).value_or(d.check_grace_days);
    d.breach_grace_days = r.Int("breach_grace_days", false, 0, 366).value_or(d.breach_grace_days);
  }

  void ParseRules(const TableReader& top, Regime& regime) {
    const toml::node* node = top.Find("rule");
    if (node == nullptr) return;
    const toml::array* rules = node->as_array();
    if (rules == nullptr) return top.WrongType(*node, "rule", "an array of tables ([[rule]])");
    if (rules->size() > kMaxRulesPerRegime) {
      return sink_.Add(static_cast<int>(node->source().begin.line), "rule",
                       absl::StrCat(rules->size(), " rules; a regime may hold at most ",
                                    kMaxRulesPerRegime));
    }
    std::map<std::string, int> first_line_of_id;
    for (size_t i = 0; i < rules->size(); ++i) {
      const toml::table* table = rules->get(i)->as_table();
      if (table == nullptr) {
        top.WrongType(*rules->get(i), absl::StrCat("rule[#", i + 1, "]"), "a table");
        continue;
      }
      RuleSpec rule = ParseRule(*table, static_cast<int>(i) + 1, regime);
      if (rule.id.empty()) continue;
      auto [it, inserted] = first_line_of_id.emplace(rule.id, rule.line);
      if (!inserted) {
        sink_.Add(rule.line, absl::StrCat("rule[", rule.id, "].id"),
                  absl::StrCat("duplicate rule id; first defined on line ", it->second));
      }
      regime.rules.push_back(std::move(rule));
    }
  }

  // A rule that is repealed from this regime's start cannot also be in force in it.
  void CheckRepealsNotDefined(const ParsedRegime& parsed) {
    for (size_t i = 0; i < parsed.regime.repeals.size(); ++i) {
      const std::string& id = parsed.regime.repeals[i];
      if (Catalog::FindRule(parsed.regime, id) != nullptr) {
        sink_.Add(parsed.repeal_lines[i], "regime.repeals",
                  absl::StrCat("rule \"", id, "\" is repealed here but also defined in this file"));
      }
    }
  }

  static std::string RulePath(const toml::table& table, int index) {
    const toml::node* id = table.get("id");
    if (id != nullptr && id->is_string() && IsPlainId(id->as_string()->get())) {
      return absl::StrCat("rule[", id->as_string()->get(), "]");
    }
    return absl::StrCat("rule[#", index, "]");
  }

  RuleSpec ParseRule(const toml::table& table, int index, const Regime& regime) {
    TableReader r(table, RulePath(table, index), sink_);
    r.CheckKeys({"id",
                 "kind",
                 "category",
                 "severity",
                 "legal_ref",
                 "effective_from",
                 "trigger",
                 "due",
                 "met_by",
                 "waived_by",
                 "groups",
                 "exists",
                 "conditions",
                 "require",
                 "require_if",
                 "instances",
                 "min_count",
                 "pausable",
                 "resolvable",
                 "reminder_at_start",
                 "reminder_if",
                 "reminder_leads_days",
                 "reminder_hour",
                 "check_grace_days",
                 "breach_grace_days",
                 "params",
                 "text_da",
                 "text_en",
                 "breach_da",
                 "breach_en"});
    RuleSpec rule;
    rule.source_file = sink_.file();
    rule.line = r.line();
    const bool kind_known = ParseIdentity(r, rule);
    ParseEffectiveFrom(r, regime, rule);
    const Descriptor* trigger_payload = ParseTrigger(r, rule);
    if (const toml::table* due = r.Table("due", false)) {
      rule.due = ParseDue(TableReader(*due, r.Key("due"), sink_), trigger_payload);
    }
    rule.met_by = ParseMatchers(r, "met_by", trigger_payload);
    rule.waived_by = ParseMatchers(r, "waived_by", trigger_payload);
    rule.exists = ParseMatchers(r, "exists", trigger_payload);
    ParseApplicability(r, rule);
    ParseRequire(r, trigger_payload, rule);
    ParseTuning(r, rule);
    // An unknown kind is reported once, not again as every key that depends on the kind.
    ParseTexts(r, rule, kind_known);
    if (kind_known) CheckKindKeys(r, rule);
    if (kind_known) CheckParamsRead(r, rule);
    return rule;
  }

  // Returns whether the kind is known, since several checks depend on it.
  bool ParseIdentity(const TableReader& r, RuleSpec& rule) {
    if (std::optional<std::string> id = r.String("id", true)) {
      if (IsPlainId(*id)) {
        rule.id = *id;
      } else {
        sink_.Add(*r.Find("id"), r.Key("id"), "must match [a-z][a-z0-9_]*");
      }
    }
    const std::optional<RuleKind> kind = Lookup<RuleKind>(r, "kind",
                                                          {{"deadline", RuleKind::kDeadline},
                                                           {"count", RuleKind::kCount},
                                                           {"recurring", RuleKind::kRecurring},
                                                           {"check", RuleKind::kCheck},
                                                           {"window", RuleKind::kWindow}},
                                                          true);
    rule.kind = kind.value_or(RuleKind::kDeadline);
    // Required although the struct has a default: a silent "contact" would let an education
    // start waive an education clock (rules.md §3).
    rule.category = Lookup<Category>(r, "category",
                                     {{"contact", Category::kContact},
                                      {"case", Category::kCase},
                                      {"education", Category::kEducation}},
                                     /*required=*/true)
                        .value_or(Category::kContact);
    rule.severity =
        Lookup<SeverityLevel>(
            r, "severity", {{"LEGAL", SeverityLevel::kLegal}, {"INTENT", SeverityLevel::kIntent}},
            true)
            .value_or(SeverityLevel::kLegal);
    rule.legal_ref = r.String("legal_ref", true).value_or("");
    return kind.has_value();
  }

  void ParseEffectiveFrom(const TableReader& r, const Regime& regime, RuleSpec& rule) {
    rule.effective_from = r.Date("effective_from", false);
    if (!rule.effective_from.has_value()) return;
    const bool before = *rule.effective_from < regime.valid_from;
    const bool after = regime.valid_to.has_value() && *rule.effective_from > *regime.valid_to;
    if (before || after) {
      sink_.Add(*r.Find("effective_from"), r.Key("effective_from"),
                "lies outside the regime's valid_from..valid_to");
    }
  }

  // Returns the trigger's payload type, which met_by/require/due fields are checked against.
  const Descriptor* ParseTrigger(const TableReader& r, RuleSpec& rule) {
    const toml::table* table = r.Table("trigger", true);
    if (table == nullptr) return nullptr;
    TableReader t(*table, r.Key("trigger"), sink_);
    rule.trigger.select =
        Lookup<TriggerSpec::Select>(t, "select",
                                    {{"first", TriggerSpec::Select::kFirst},
                                     {"every", TriggerSpec::Select::kEvery},
                                     {"every_but_first", TriggerSpec::Select::kEveryButFirst}},
                                    false)
            .value_or(TriggerSpec::Select::kEvery);
    std::optional<EventMatcher> matcher = ParseMatcher(t, /*is_trigger=*/true, nullptr);
    if (!matcher.has_value()) return nullptr;
    rule.trigger.matcher = std::move(*matcher);
    return PayloadType(rule.trigger.matcher.event);
  }

  std::vector<EventMatcher> ParseMatchers(const TableReader& r, std::string_view key,
                                          const Descriptor* trigger_payload) {
    std::vector<EventMatcher> out;
    const toml::array* array = r.Array(key);
    if (array == nullptr) return out;
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string path = absl::StrCat(r.Key(key), "[", i, "]");
      const toml::table* table = array->get(i)->as_table();
      if (table == nullptr) {
        r.WrongType(*array->get(i), path, "an inline table { event = ... }");
        continue;
      }
      const TableReader t(*table, path, sink_);
      std::optional<EventMatcher> matcher = ParseMatcher(t, /*is_trigger=*/false, trigger_payload);
      if (!matcher.has_value()) continue;
      // The timings that look at the deadline or include the trigger moment belong to the
      // facts a rule needs (`exists`), not to what meets or waives it.
      using When = EventMatcher::When;
      const bool exists_only =
          matcher->when == When::kAtOrBeforeTrigger || matcher->when == When::kOnOrBeforeDeadline;
      if (exists_only && key != "exists") {
        sink_.Add(*t.Find("when"), t.Key("when"), "only a rule's `exists` may use this timing");
      }
      out.push_back(std::move(*matcher));
    }
    return out;
  }

  // `event`, `when`, `same` and (triggers only) `select` are reserved; every other key is a
  // condition on a field of the named payload.
  std::optional<EventMatcher> ParseMatcher(const TableReader& t, bool is_trigger,
                                           const Descriptor* trigger_payload) {
    EventMatcher matcher;
    matcher.line = t.line();
    std::optional<std::string> event = t.String("event", true);
    if (!event.has_value()) return std::nullopt;
    const Descriptor* payload = PayloadType(*event);
    if (payload == nullptr) {
      sink_.Add(*t.Find("event"), t.Key("event"),
                absl::StrCat("unknown event \"", *event, "\"; not a payload of CaseEvent"));
      return std::nullopt;
    }
    matcher.event = *event;
    if (is_trigger) {
      for (std::string_view reserved : {"when", "same"}) {
        if (t.Has(reserved)) sink_.Add(*t.Find(reserved), t.Key(reserved), "not used in a trigger");
      }
    } else {
      if (t.Has("select")) sink_.Add(*t.Find("select"), t.Key("select"), "only a trigger selects");
      matcher.when = ParseWhen(t);
      ParseSame(t, *payload, trigger_payload, matcher);
    }
    for (const auto& [key, node] : t.table()) {
      const std::string_view name = key.str();
      if (name == "event" || name == "when" || name == "same" || name == "select") continue;
      std::optional<FieldCondition> c = ParseCondition(name, node, *payload, t.Key(name));
      if (c.has_value()) matcher.where.push_back(std::move(*c));
    }
    return matcher;
  }

  EventMatcher::When ParseWhen(const TableReader& t) {
    using When = EventMatcher::When;
    return Lookup<When>(t, "when",
                        {{"on_or_after_trigger_date", When::kOnOrAfterTriggerDate},
                         {"any_time", When::kAnyTime},
                         {"after_trigger", When::kAfterTrigger},
                         {"before_trigger", When::kBeforeTrigger},
                         {"since_last_no_show", When::kSinceLastNoShow},
                         {"since_previous_trigger", When::kSincePreviousTrigger},
                         {"at_or_before_trigger", When::kAtOrBeforeTrigger},
                         {"on_or_before_deadline", When::kOnOrBeforeDeadline}},
                        false)
        .value_or(When::kOnOrAfterTriggerDate);
  }

  // `same` compares a field of this event with the trigger's, so it must exist in both.
  void ParseSame(const TableReader& t, const Descriptor& payload, const Descriptor* trigger_payload,
                 EventMatcher& matcher) {
    for (auto& [name, line] : t.StringArray("same")) {
      const std::string key = t.Key("same");
      const FieldDescriptor* field = payload.FindFieldByName(name);
      if (field == nullptr) {
        sink_.Add(line, key, UnknownField(name, payload));
        continue;
      }
      if (trigger_payload != nullptr) {
        const FieldDescriptor* other = trigger_payload->FindFieldByName(name);
        if (other == nullptr || other->cpp_type() != field->cpp_type() ||
            other->is_repeated() != field->is_repeated()) {
          sink_.Add(line, key,
                    absl::StrCat("the trigger's payload ", trigger_payload->name(),
                                 " has no field \"", name, "\" of the same type"));
          continue;
        }
      }
      FieldCondition condition;
      condition.field = name;
      condition.op = FieldCondition::Op::kSameAsTrigger;
      condition.line = line;
      matcher.where.push_back(std::move(condition));
    }
  }

  static std::string UnknownField(std::string_view name, const Descriptor& payload) {
    return absl::StrCat("unknown field \"", Sv(name), "\" of ", payload.name(),
                        "; its fields: ", FieldNames(payload));
  }

  std::optional<FieldCondition> ParseCondition(std::string_view name, const toml::node& node,
                                               const Descriptor& payload, const std::string& key) {
    const FieldDescriptor* field = payload.FindFieldByName(std::string(name));
    if (field == nullptr) {
      sink_.Add(node, key, UnknownField(name, payload));
      return std::nullopt;
    }
    FieldCondition condition;
    condition.field = std::string(name);
    condition.line = LineOf(node);
    bool ok = false;
    if (const toml::table* op = node.as_table()) {
      ok = ParseOperator(*op, *field, key, condition);
    } else if (field->is_repeated()) {
      sink_.Add(node, key, "a repeated field takes { contains = value }");
    } else if (const toml::array* values = node.as_array()) {
      ok = ParseInList(*values, *field, key, condition);
    } else if (node.is_string() && node.as_string()->get() == "$instance") {
      condition.op = FieldCondition::Op::kEqualsInstance;
      ok = CheckInstanceField(node, *field, key);
    } else {
      condition.op = FieldCondition::Op::kEquals;
      ok = AddValue(node, *field, key, condition);
    }
    if (!ok) return std::nullopt;
    return condition;
  }

  bool ParseInList(const toml::array& values, const FieldDescriptor& field, const std::string& key,
                   FieldCondition& condition) {
    condition.op = FieldCondition::Op::kIn;
    if (values.empty()) {
      sink_.Add(values, key, "an empty list matches nothing");
      return false;
    }
    bool ok = true;
    for (size_t i = 0; i < values.size(); ++i) {
      ok &= AddValue(*values.get(i), field, absl::StrCat(key, "[", i, "]"), condition);
    }
    return ok;
  }

  // { not = v } | { contains = v } | { min = n }: exactly one operator.
  bool ParseOperator(const toml::table& op, const FieldDescriptor& field, const std::string& key,
                     FieldCondition& condition) {
    if (op.size() != 1) {
      sink_.Add(op, key, "expected exactly one of { not = v }, { contains = v }, { min = n }");
      return false;
    }
    const auto only = op.begin();  // keep the iterator alive: it owns the key/value proxy
    const toml::key& name = only->first;
    const toml::node& value = only->second;
    const std::string op_key = absl::StrCat(key, ".", Sv(name.str()));
    std::string_view problem;
    if (name.str() == "not") {
      condition.op = FieldCondition::Op::kNot;
      if (field.is_repeated()) problem = "not on a repeated field; use contains";
    } else if (name.str() == "contains") {
      condition.op = FieldCondition::Op::kContains;
      if (!field.is_repeated()) problem = "contains needs a repeated field";
    } else if (name.str() == "min") {
      condition.op = FieldCondition::Op::kAtLeast;
      if (field.is_repeated() || !IsInteger(field)) problem = "min needs an integer field";
    } else {
      problem = "unknown operator; expected one of: not, contains, min";
    }
    if (!problem.empty()) {
      sink_.Add(value, op_key, std::string(problem));
      return false;
    }
    return AddValue(value, field, op_key, condition);
  }

  bool CheckInstanceField(const toml::node& node, const FieldDescriptor& field,
                          const std::string& key) {
    const auto type = field.cpp_type();
    if (type == FieldDescriptor::CPPTYPE_ENUM || type == FieldDescriptor::CPPTYPE_STRING ||
        IsInteger(field)) {
      return true;
    }
    sink_.Add(node, key, "\"$instance\" needs an enum, string or integer field");
    return false;
  }

  // Appends the text form of a TOML scalar after checking it fits the payload field's type.
  bool AddValue(const toml::node& node, const FieldDescriptor& field, const std::string& key,
                FieldCondition& condition) {
    std::optional<std::string> text = ValueText(node, field, key);
    if (!text.has_value()) return false;
    condition.values.push_back(std::move(*text));
    return true;
  }

  std::optional<std::string> ValueText(const toml::node& node, const FieldDescriptor& field,
                                       const std::string& key) {
    std::string_view expected;
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
        expected = "a boolean";
        break;
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        if (const auto* v = node.as_integer()) return absl::StrCat(v->get());
        expected = "an integer";
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        if (const auto* v = node.as_string()) return v->get();
        expected = "a string";
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (const auto* v = node.as_string()) return EnumValue(node, v->get(), field, key);
        expected = "an enum value name";
        break;
      default:
        sink_.Add(node, key,
                  absl::StrCat("conditions on ", field.type_name(), " fields are not supported"));
        return std::nullopt;
    }
    sink_.Add(node, key,
              absl::StrCat("field ", field.name(), " needs ", Sv(expected), ", got ",
                           TypeName(node.type())));
    return std::nullopt;
  }

  std::optional<std::string> EnumValue(const toml::node& node, const std::string& name,
                                       const FieldDescriptor& field, const std::string& key) {
    if (field.enum_type()->FindValueByName(name) != nullptr) return name;
    sink_.Add(node, key,
              absl::StrCat("\"", name, "\" is not a value of ", field.enum_type()->name(),
                           "; expected one of: ", EnumNames(*field.enum_type())));
    return std::nullopt;
  }

  // `weeks` is stored as days; `field` names a timestamp of the trigger's payload.
  DueSpec ParseDue(const TableReader& d, const Descriptor* trigger_payload) {
    d.CheckKeys({"days", "weeks", "months", "field", "min_days_after"});
    DueSpec due;
    int forms = 0;
    for (std::string_view form : {"days", "weeks", "months", "field"}) forms += d.Has(form);
    if (forms != 1)
      sink_.Add(d.line(), d.path(), "needs exactly one of days, weeks, months, field");
    due.days = d.Int("days", false, 0, 3660).value_or(0);
    if (std::optional<int> weeks = d.Int("weeks", false, 0, 520)) due.days = 7 * *weeks;
    due.months = d.Int("months", false, 0, 120).value_or(0);
    if (std::optional<std::string> field = d.String("field", false)) {
      due.field = *field;
      CheckDueField(d, *field, trigger_payload);
    }
    if (d.Has("min_days_after") && !d.Has("field")) {
      sink_.Add(*d.Find("min_days_after"), d.Key("min_days_after"), "only with field");
    }
    due.min_days_after = d.Int("min_days_after", false, 0, 366).value_or(0);
    return due;
  }

  void CheckDueField(const TableReader& d, const std::string& name,
                     const Descriptor* trigger_payload) {
    if (trigger_payload == nullptr) return;  // the trigger's own error says why
    const FieldDescriptor* field = trigger_payload->FindFieldByName(name);
    if (field == nullptr) {
      sink_.Add(*d.Find("field"), d.Key("field"), UnknownField(name, *trigger_payload));
    } else if (!IsTimestamp(*field) || field->is_repeated()) {
      sink_.Add(*d.Find("field"), d.Key("field"),
                absl::StrCat("\"", name, "\" is not a timestamp field"));
    }
  }

  void ParseApplicability(const TableReader& r, RuleSpec& rule) {
    const google::protobuf::EnumDescriptor* groups = fristvagt::v1::VisitationGroup_descriptor();
    for (auto& [group, line] : r.StringArray("groups")) {
      if (groups->FindValueByName(group) == nullptr || group == "VISITATION_GROUP_UNSPECIFIED") {
        sink_.Add(line, r.Key("groups"), absl::StrCat("unknown visitation group \"", group, "\""));
      }
      rule.groups.push_back(group);
    }
    for (auto& [name, line] : r.StringArray("conditions")) {
      if (!KnownConditionNames().contains(name)) {
        sink_.Add(line, r.Key("conditions"), UnknownName("condition", name, KnownConditionNames()));
      }
      rule.conditions.push_back(name);
    }
    if (std::optional<std::string> name = r.String("instances", false)) {
      if (!KnownInstanceExpanders().contains(*name)) {
        sink_.Add(*r.Find("instances"), r.Key("instances"),
                  UnknownName("instance expander", *name, KnownInstanceExpanders()));
      }
      rule.instances = *name;
    }
  }

  static std::string UnknownName(std::string_view what, std::string_view name,
                                 const std::set<std::string>& known) {
    return absl::StrCat("unknown ", Sv(what), " \"", Sv(name),
                        "\"; known: ", absl::StrJoin(known, ", "));
  }

  // require / require_if name fields of the trigger's payload that a check inspects.
  void ParseRequire(const TableReader& r, const Descriptor* trigger_payload, RuleSpec& rule) {
    for (auto& [name, line] : r.StringArray("require")) {
      CheckRequiredField(line, r.Key("require"), name, trigger_payload);
      rule.require.push_back(name);
    }
    const toml::table* table = r.Table("require_if", false);
    if (table == nullptr) return;
    for (const auto& [key, node] : *table) {
      const std::string path = absl::StrCat(r.Key("require_if"), ".", Sv(key.str()));
      const std::string field(key.str());
      CheckRequiredField(LineOf(node), path, field, trigger_payload);
      if (const toml::table* fact = node.as_table(); fact != nullptr) {
        // { event = "test_completed", when = "at_or_before_trigger" }: a fact, as in `exists`.
        std::optional<EventMatcher> matcher =
            ParseMatcher(TableReader(*fact, path, sink_), /*is_trigger=*/false, trigger_payload);
        if (matcher.has_value()) rule.require_if_exists[field] = std::move(*matcher);
        continue;
      }
      const auto* condition = node.as_string();
      if (condition == nullptr) {
        r.WrongType(node, path, "a condition name or an event matcher { event = ... }");
        continue;
      }
      if (!KnownConditionNames().contains(condition->get())) {
        sink_.Add(node, path, UnknownName("condition", condition->get(), KnownConditionNames()));
      }
      rule.require_if[field] = condition->get();
    }
  }

  // A required field is "present" when true (bool), non-empty (string) or set (message).
  void CheckRequiredField(int line, const std::string& key, const std::string& name,
                          const Descriptor* trigger_payload) {
    if (trigger_payload == nullptr) return;
    const FieldDescriptor* field = trigger_payload->FindFieldByName(name);
    if (field == nullptr) return sink_.Add(line, key, UnknownField(name, *trigger_payload));
    const auto type = field->cpp_type();
    if (field->is_repeated() ||
        (type != FieldDescriptor::CPPTYPE_BOOL && type != FieldDescriptor::CPPTYPE_STRING &&
         type != FieldDescriptor::CPPTYPE_MESSAGE)) {
      sink_.Add(line, key,
                absl::StrCat("\"", name, "\" must be a bool, string or timestamp field"));
    }
  }

  void ParseTuning(const TableReader& r, RuleSpec& rule) {
    rule.min_count = r.Int("min_count", false, 1, 1000).value_or(0);
    rule.pausable = r.Bool("pausable").value_or(false);
    rule.resolvable = r.Bool("resolvable").value_or(true);
    rule.reminder_at_start = r.Bool("reminder_at_start").value_or(false);
    if (std::optional<std::string> name = r.String("reminder_if", false)) {
      if (!KnownConditionNames().contains(*name)) {
        sink_.Add(*r.Find("reminder_if"), r.Key("reminder_if"),
                  UnknownName("condition", *name, KnownConditionNames()));
      }
      rule.reminder_if = *name;
    }
    rule.reminder_leads_days = r.IntArray("reminder_leads_days", 0, 366);
    rule.reminder_hour = r.Int("reminder_hour", false, 0, 23);
    rule.check_grace_days = r.Int("check_grace_days", false, 0, 366);
    rule.breach_grace_days = r.Int("breach_grace_days", false, 0, 366);
    if (const toml::table* params = r.Table("params", false)) {
      rule.params = r.IntTable(*params, r.Key("params"));
    }
  }

  void ParseTexts(const TableReader& r, RuleSpec& rule, bool kind_known) {
    // A window never breaches, so it has nothing to say after its end.
    const bool breach_required = kind_known && rule.kind != RuleKind::kWindow;
    rule.text_da = r.String("text_da", true).value_or("");
    rule.text_en = r.String("text_en", true).value_or("");
    rule.breach_da = r.String("breach_da", breach_required).value_or("");
    rule.breach_en = r.String("breach_en", breach_required).value_or("");
    for (std::string_view key : {"text_da", "text_en", "breach_da", "breach_en"}) {
      if (const toml::node* node = r.Find(key); node != nullptr && node->is_string()) {
        CheckPlaceholders(*node, r.Key(key), node->as_string()->get());
      }
    }
  }

  // The alert text fills only {deadline} (alerts/alert_factory.cc); any other {name} would
  // reach a caseworker verbatim.
  void CheckPlaceholders(const toml::node& node, const std::string& key, std::string_view text) {
    for (size_t open = text.find('{'); open != std::string_view::npos;
         open = text.find('{', open + 1)) {
      const size_t close = text.find('}', open);
      const std::string_view name =
          text.substr(open + 1, close == std::string_view::npos ? 0 : close - open - 1);
      if (close != std::string_view::npos && name == "deadline") continue;
      sink_.Add(node, key,
                absl::StrCat("unknown placeholder \"",
                             Sv(text.substr(open, close == std::string_view::npos
                                                      ? std::string_view::npos
                                                      : close - open + 1)),
                             "\"; known: {deadline}"));
    }
  }

  // A rule parameter must be read by one of the rule's own predicates or by its kind, so a
  // misspelt `limit_months_after_education_start` cannot silently remove the cap.
  void CheckParamsRead(const TableReader& r, const RuleSpec& rule) {
    const toml::node* node = r.Find("params");
    const toml::table* params = node == nullptr ? nullptr : node->as_table();
    if (params == nullptr) return;
    std::set<std::string_view> read;
    auto add = [&](std::string_view predicate) {
      for (std::string_view p : ParamsReadBy(predicate)) read.insert(p);
    };
    for (const std::string& c : rule.conditions) add(c);
    for (const auto& [field, c] : rule.require_if) add(c);
    if (!rule.reminder_if.empty()) add(rule.reminder_if);
    for (std::string_view p : ParamsReadByKind(rule.kind)) read.insert(p);
    for (const auto& [key, value] : *params) {
      if (read.contains(key.str())) continue;
      sink_.Add(value, absl::StrCat(r.Key("params"), ".", Sv(key.str())),
                absl::StrCat("no condition of this rule reads this parameter; read here: ",
                             read.empty() ? std::string("(none)") : JoinNames(read)));
    }
  }

  // Keys that only make sense for some kinds; a misplaced one is a misunderstanding of the law.
  void CheckKindKeys(const TableReader& r, const RuleSpec& rule) {
    const RuleKind kind = rule.kind;
    const bool clocked = kind != RuleKind::kCheck;
    // An instance expander supplies each instance's own deadline (a pålæg step's date).
    if (clocked && rule.instances.empty()) r.Require("due");
    if (!clocked) OnlyFor(r, "due", "deadline, count, recurring and window");
    const bool needs_met_by =
        kind == RuleKind::kDeadline || kind == RuleKind::kCount || kind == RuleKind::kRecurring;
    if (needs_met_by) r.Require("met_by");
    if (kind == RuleKind::kCount) r.Require("min_count");
    if (kind != RuleKind::kCount) OnlyFor(r, "min_count", "count");
    if (kind != RuleKind::kCheck) {
      OnlyFor(r, "require", "check");
      OnlyFor(r, "require_if", "check");
    }
    if (kind != RuleKind::kWindow) OnlyFor(r, "reminder_at_start", "window");
  }

  void OnlyFor(const TableReader& r, std::string_view key, std::string_view kinds) {
    if (r.Has(key))
      sink_.Add(*r.Find(key), r.Key(key), absl::StrCat("only for ", Sv(kinds), " rules"));
  }

  ErrorSink& sink_;
};

std::optional<toml::table> ParseToml(std::string_view text, ErrorSink& sink) {
#if TOML_EXCEPTIONS
  try {
    return toml::parse(text, sink.file());
  } catch (const toml::parse_error& e) {
    sink.Add(static_cast<int>(e.source().begin.line), "", std::string(e.description()));
    return std::nullopt;
  }
#else
  toml::parse_result result = toml::parse(text, sink.file());
  if (!result) {
    sink.Add(static_cast<int>(result.error().source().begin.line), "",
             std::string(result.error().description()));
    return std::nullopt;
  }
  return std::move(result).table();
#endif
}

std::optional<ParsedRegime> ParseFile(std::string_view text, const std::string& file_name,
                                      std::vector<RuleFileError>* errors) {
  ErrorSink sink(file_name, errors);
  if (text.size() > kMaxRegimeFileBytes) {
    sink.Add(0, "", absl::StrCat("the file is ", text.size(), " bytes; a regime file may hold at most ",
                                 kMaxRegimeFileBytes));
    return std::nullopt;
  }
  std::optional<toml::table> root = ParseToml(text, sink);
  if (!root.has_value()) return std::nullopt;
  ParsedRegime parsed = RegimeParser(sink).Parse(*root);
  if (sink.count() > 0) return std::nullopt;
  return parsed;
}

std::optional<std::string> ReadFile(const std::string& path, std::vector<RuleFileError>* errors) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    errors->push_back({path, 0, "", "cannot read the file"});
    return std::nullopt;
  }
  return text.str();
}

// ---------------------------------------------------------------------------------------------
// The set of regimes.

void AddError(std::vector<RuleFileError>* errors, const ParsedRegime& at, int line, std::string key,
              std::string message) {
  errors->push_back({at.regime.source_file, line, std::move(key), std::move(message)});
}

void CheckUniqueIds(const std::vector<ParsedRegime>& regimes, std::vector<RuleFileError>* errors) {
  std::map<std::string, const ParsedRegime*> seen;
  for (const ParsedRegime& parsed : regimes) {
    auto [it, inserted] = seen.emplace(parsed.regime.id, &parsed);
    if (inserted) continue;
    AddError(errors, parsed, parsed.id_line, "regime.id",
             absl::StrCat("duplicate regime id \"", parsed.regime.id, "\"; also in ",
                          it->second->regime.source_file));
  }
}

// `regimes` sorted by valid_from: each must start the day after the previous one ends.
void CheckContiguous(const std::vector<ParsedRegime>& regimes, std::vector<RuleFileError>* errors) {
  for (size_t i = 1; i < regimes.size(); ++i) {
    const Regime& prev = regimes[i - 1].regime;
    const ParsedRegime& next = regimes[i];
    const std::string from = absl::FormatCivilTime(next.regime.valid_from);
    if (!prev.valid_to.has_value()) {
      AddError(errors, regimes[i - 1], regimes[i - 1].regime_line, "regime.valid_to",
               absl::StrCat("missing, but regime \"", next.regime.id, "\" starts ", from,
                            "; only the last regime may be open-ended"));
    } else if (next.regime.valid_from <= *prev.valid_to) {
      AddError(errors, next, next.valid_from_line, "regime.valid_from",
               absl::StrCat("overlaps regime \"", prev.id, "\" (", prev.source_file,
                            ") which runs until ", absl::FormatCivilTime(*prev.valid_to)));
    } else if (next.regime.valid_from != *prev.valid_to + 1) {
      AddError(errors, next, next.valid_from_line, "regime.valid_from",
               absl::StrCat("gap after regime \"", prev.id, "\" which ends ",
                            absl::FormatCivilTime(*prev.valid_to), "; expected ",
                            absl::FormatCivilTime(*prev.valid_to + 1), ", got ", from));
    }
  }
}

void CheckRepeals(const std::vector<ParsedRegime>& regimes, std::vector<RuleFileError>* errors) {
  for (size_t i = 0; i < regimes.size(); ++i) {
    const Regime& regime = regimes[i].regime;
    for (size_t k = 0; k < regime.repeals.size(); ++k) {
      const std::string& rule_id = regime.repeals[k];
      const bool earlier = std::any_of(
          regimes.begin(), regimes.begin() + i,
          [&](const ParsedRegime& p) { return Catalog::FindRule(p.regime, rule_id) != nullptr; });
      if (earlier) continue;
      AddError(errors, regimes[i], regimes[i].repeal_lines[k], "regime.repeals",
               absl::StrCat("rule \"", rule_id, "\" is not defined in any earlier regime"));
    }
  }
}

std::vector<std::string> TomlFilesIn(const std::string& dir, std::vector<RuleFileError>* errors) {
  std::vector<std::string> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    errors->push_back({dir, 0, "", absl::StrCat("cannot list the directory: ", ec.message())});
    return files;
  }
  for (const auto& entry : it) {
    if (entry.path().extension() == ".toml" && !entry.is_directory()) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) errors->push_back({dir, 0, "", "no *.toml regime files"});
  return files;
}

}  // namespace

std::string RuleFileError::ToString() const {
  if (key.empty()) return absl::StrCat(file, ":", line, ": ", message);
  return absl::StrCat(file, ":", line, ": ", key, ": ", message);
}

// The evaluator's registry is the single source of the names (rules/conditions.cc).
const std::set<std::string>& KnownConditionNames() { return ConditionNames(); }

const std::set<std::string>& KnownInstanceExpanders() {
  static const auto* const kNames = new std::set<std::string>{"paalaeg_steps"};
  return *kNames;
}

absl::StatusOr<Regime> ParseRegime(std::string_view toml_text, const std::string& file_name,
                                   std::vector<RuleFileError>* errors) {
  std::vector<RuleFileError> local;
  if (errors == nullptr) errors = &local;
  const size_t first_new = errors->size();
  std::optional<ParsedRegime> parsed = ParseFile(toml_text, file_name, errors);
  if (!parsed.has_value()) return Summarise(*errors, first_new);
  return std::move(parsed->regime);
}

absl::StatusOr<Regime> LoadRegimeFile(const std::string& path, std::vector<RuleFileError>* errors) {
  std::vector<RuleFileError> local;
  if (errors == nullptr) errors = &local;
  const size_t first_new = errors->size();
  std::optional<std::string> text = ReadFile(path, errors);
  if (!text.has_value()) return Summarise(*errors, first_new);
  return ParseRegime(*text, path, errors);
}

absl::StatusOr<Catalog> LoadCatalog(const std::string& dir, std::vector<RuleFileError>* errors,
                                    const std::vector<std::string>& drafts) {
  std::vector<RuleFileError> local;
  if (errors == nullptr) errors = &local;
  const size_t first_new = errors->size();
  std::vector<ParsedRegime> parsed;
  std::vector<ParsedRegime> drafts_off;
  std::set<std::string> drafts_found;
  for (const std::string& path : TomlFilesIn(dir, errors)) {
    std::optional<std::string> text = ReadFile(path, errors);
    if (!text.has_value()) continue;
    std::optional<ParsedRegime> one = ParseFile(*text, path, errors);
    if (!one.has_value()) continue;
    if (one->regime.draft) {
      drafts_found.insert(one->regime.id);
      if (std::find(drafts.begin(), drafts.end(), one->regime.id) == drafts.end()) {
        drafts_off.push_back(std::move(*one));
        continue;
      }
    }
    parsed.push_back(std::move(*one));
  }
  for (const std::string& name : drafts) {
    if (drafts_found.contains(name)) continue;
    errors->push_back({dir, 0, "rules.drafts",
                       absl::StrCat("\"", name, "\" is no draft regime in this directory")});
  }
  // Files are already in name order, so a stable sort keeps equal starts reproducible.
  std::stable_sort(parsed.begin(), parsed.end(), [](const ParsedRegime& a, const ParsedRegime& b) {
    return a.regime.valid_from < b.regime.valid_from;
  });
  // A draft switched on ends the open-ended regime before it (the act replaces it).
  for (size_t i = 1; i < parsed.size(); ++i) {
    Regime& previous = parsed[i - 1].regime;
    if (parsed[i].regime.draft && !previous.valid_to.has_value() &&
        previous.valid_from < parsed[i].regime.valid_from) {
      previous.valid_to = parsed[i].regime.valid_from - 1;
    }
  }
  CheckUniqueIds(parsed, errors);
  CheckContiguous(parsed, errors);
  CheckRepeals(parsed, errors);
  // A draft that is off is checked as if it were on: it must fit after the law in force.
  for (const ParsedRegime& draft : drafts_off) {
    if (errors->size() > first_new) break;  // the law's own problems first
    std::vector<ParsedRegime> with;
    for (const ParsedRegime& p : parsed) with.push_back(p);
    if (!with.empty() && !with.back().regime.valid_to.has_value() &&
        with.back().regime.valid_from < draft.regime.valid_from) {
      with.back().regime.valid_to = draft.regime.valid_from - 1;
    }
    with.push_back(draft);
    std::stable_sort(with.begin(), with.end(), [](const ParsedRegime& a, const ParsedRegime& b) {
      return a.regime.valid_from < b.regime.valid_from;
    });
    CheckUniqueIds(with, errors);
    CheckContiguous(with, errors);
    CheckRepeals(with, errors);
  }
  if (errors->size() > first_new) return Summarise(*errors, first_new);
  Catalog catalog;
  for (ParsedRegime& p : parsed) catalog.regimes.push_back(std::move(p.regime));
  for (ParsedRegime& p : drafts_off) catalog.drafts.push_back(std::move(p.regime));
  CompileCatalog(catalog);
  return catalog;
}

}  // namespace fristvagt::rules
