#include "rules/rules_doc.h"

#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "rules/conditions.h"

namespace fristvagt::rules {
namespace {

constexpr char kIntro[] =
    "# The rules fristvagt watches\n"
    "\n"
    "This document is generated from `rules/regimes/*.toml` by `fristvagt rules-doc`. Do not "
    "edit it by hand: change the regime file and regenerate it, so that the document and the "
    "rules the processor enforces never disagree.\n"
    "\n"
    "Each regime is the law in force for obligations whose trigger falls in its period; an "
    "obligation keeps its regime's rules and parameters until it ends. Deadlines are local dates "
    "in Europe/Copenhagen and end at the end of their day. Severity `LEGAL` is a requirement of "
    "the law, `INTENT` the law's intention as STAR's fokusrevision measured it.\n";

// Table cells must stay on one line and must not split on a pipe.
std::string Cell(std::string_view text) {
  std::string out = absl::StrReplaceAll(absl::string_view(text.data(), text.size()),
                                        {{"|", "\\|"}, {"\r", ""}, {"\n", " "}});
  return out.empty() ? "–" : out;
}

std::string Code(const std::string& text) { return absl::StrCat("`", text, "`"); }

std::string Day(absl::CivilDay day) { return absl::FormatCivilTime(day); }

std::string Plural(int n, std::string_view unit) {
  return absl::StrCat(n, " ", absl::string_view(unit.data(), unit.size()), n == 1 ? "" : "s");
}

std::string InForce(const Regime& regime) {
  if (!regime.valid_to.has_value()) return absl::StrCat("from ", Day(regime.valid_from));
  return absl::StrCat(Day(regime.valid_from), " – ", Day(*regime.valid_to));
}

std::string_view KindName(RuleKind kind) {
  switch (kind) {
    case RuleKind::kDeadline:
      return "deadline";
    case RuleKind::kCount:
      return "count";
    case RuleKind::kRecurring:
      return "recurring";
    case RuleKind::kCheck:
      return "check";
    case RuleKind::kWindow:
      return "window";
  }
  return "?";
}

std::string_view SeverityName(SeverityLevel severity) {
  return severity == SeverityLevel::kLegal ? "LEGAL" : "INTENT";
}

std::string DescribeCondition(const FieldCondition& c) {
  const std::string values = absl::StrJoin(c.values, ", ");
  switch (c.op) {
    case FieldCondition::Op::kEquals:
      return absl::StrCat(c.field, " = ", values);
    case FieldCondition::Op::kIn:
      return absl::StrCat(c.field, " one of ", values);
    case FieldCondition::Op::kNot:
      return absl::StrCat(c.field, " ≠ ", values);
    case FieldCondition::Op::kContains:
      return absl::StrCat(c.field, " contains ", values);
    case FieldCondition::Op::kAtLeast:
      return absl::StrCat(c.field, " ≥ ", values);
    case FieldCondition::Op::kEqualsInstance:
      return absl::StrCat(c.field, " = the instance");
    case FieldCondition::Op::kSameAsTrigger:
      return absl::StrCat("same ", c.field, " as trigger");
  }
  return c.field;
}

std::string_view WhenText(EventMatcher::When when) {
  switch (when) {
    case EventMatcher::When::kOnOrAfterTriggerDate:
      return "";
    case EventMatcher::When::kAnyTime:
      return "at any time";
    case EventMatcher::When::kAfterTrigger:
      return "after the trigger";
    case EventMatcher::When::kBeforeTrigger:
      return "before the trigger";
    case EventMatcher::When::kSincePreviousTrigger:
      return "after the previous event of the trigger's kind";
    case EventMatcher::When::kSinceLastNoShow:
      return "between the last no-show and the trigger";
    case EventMatcher::When::kAtOrBeforeTrigger:
      return "at or before the trigger";
    case EventMatcher::When::kOnOrBeforeDeadline:
      return "on or before the deadline";
  }
  return "";
}

// `meeting_held` (guidance_topics contains RULE_225_HOURS; at any time)
std::string DescribeMatcher(const EventMatcher& m, bool with_when) {
  std::vector<std::string> details;
  for (const FieldCondition& c : m.where) details.push_back(DescribeCondition(c));
  const std::string_view when = with_when ? WhenText(m.when) : "";
  if (!when.empty()) details.emplace_back(when);
  if (details.empty()) return Code(m.event);
  return absl::StrCat(Code(m.event), " (", absl::StrJoin(details, "; "), ")");
}

std::string DescribeMatchers(const std::vector<EventMatcher>& matchers) {
  std::vector<std::string> parts;
  for (const EventMatcher& m : matchers) parts.push_back(DescribeMatcher(m, true));
  return absl::StrJoin(parts, " or ");
}

std::string DescribeTrigger(const TriggerSpec& trigger) {
  const std::string event = DescribeMatcher(trigger.matcher, false);
  switch (trigger.select) {
    case TriggerSpec::Select::kFirst:
      return absl::StrCat("the first ", event);
    case TriggerSpec::Select::kEvery:
      return absl::StrCat("every ", event);
    case TriggerSpec::Select::kEveryButFirst:
      return absl::StrCat("every ", event, " but the first");
  }
  return event;
}

// "the admission's start_at" reads better to a lawyer than a payload name.
std::string Owner(const std::string& event) {
  static const auto* const kNouns = new std::map<std::string, std::string>{
      {"education_admitted", "admission"}, {"mentor_granted", "mentor grant"},
      {"offer_started", "offer"},          {"education_order_issued", "pålæg"},
      {"first_contact", "first contact"},  {"education_order_deadline_changed", "change"},
  };
  auto it = kNouns->find(event);
  return it == kNouns->end() ? Code(event) : it->second;
}

std::string DescribeDue(const RuleSpec& rule, const RegimeDefaults& defaults) {
  if (rule.kind == RuleKind::kCheck) {
    const int grace = rule.check_grace_days.value_or(defaults.check_grace_days);
    return absl::StrCat("the trigger's day + ", Plural(grace, "day"));
  }
  std::vector<std::string> parts;
  const DueSpec& due = rule.due;
  if (!due.field.empty()) {
    parts.push_back(absl::StrCat("the ", Owner(rule.trigger.matcher.event), "'s ", due.field));
    if (due.min_days_after > 0) {
      parts.push_back(absl::StrCat("at least ", Plural(due.min_days_after, "day"), " after it"));
    }
  } else if (due.months > 0) {
    parts.push_back(absl::StrCat("+ ", Plural(due.months, "month")));
  } else if (due.days > 0 || rule.instances.empty()) {
    parts.push_back(absl::StrCat("+ ", Plural(due.days, "day")));
  } else {
    parts.push_back("each instance's own date");
  }
  if (rule.pausable) parts.push_back("paused by BARSEL absence");
  if (rule.kind == RuleKind::kWindow) parts.push_back("window: reminds, never breaches");
  return absl::StrJoin(parts, "; ");
}

std::string DescribeAppliesTo(const RuleSpec& rule) {
  std::vector<std::string> parts;
  parts.push_back(rule.groups.empty() ? "all groups" : absl::StrJoin(rule.groups, ", "));
  for (const EventMatcher& m : rule.exists) {
    parts.push_back(absl::StrCat("exists ", DescribeMatcher(m, true)));
  }
  for (const std::string& c : rule.conditions) parts.push_back(Code(c));
  if (!rule.instances.empty()) parts.push_back(absl::StrCat("one per ", Code(rule.instances)));
  if (rule.effective_from.has_value()) {
    parts.push_back(absl::StrCat("from ", Day(*rule.effective_from)));
  }
  return absl::StrJoin(parts, "; ");
}

std::string DescribeMetBy(const RuleSpec& rule) {
  std::vector<std::string> parts;
  if (rule.kind == RuleKind::kCount) {
    parts.push_back(
        absl::StrCat("at least ", rule.min_count, " × ", DescribeMatchers(rule.met_by)));
  } else if (!rule.met_by.empty()) {
    parts.push_back(DescribeMatchers(rule.met_by));
  }
  for (const std::string& field : rule.require)
    parts.push_back(absl::StrCat(field, " on the trigger"));
  for (const auto& [field, condition] : rule.require_if) {
    parts.push_back(absl::StrCat(field, " on the trigger when ", Code(condition)));
  }
  for (const auto& [field, fact] : rule.require_if_exists) {
    parts.push_back(absl::StrCat(field, " on the trigger when ", DescribeMatcher(fact, true),
                                 " exists"));
  }
  if (parts.empty()) parts.push_back("never (stands as a flag)");
  if (!rule.resolvable) parts.push_back("cannot be made good later");
  return absl::StrJoin(parts, "; ");
}

std::string DescribeWaivedBy(const RuleSpec& rule) {
  std::vector<std::string> parts;
  if (!rule.waived_by.empty()) parts.push_back(DescribeMatchers(rule.waived_by));
  if (rule.category == Category::kContact) parts.push_back("education start");
  return absl::StrJoin(parts, "; ");
}

std::string DescribeParams(const RuleSpec& rule) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : rule.params) parts.push_back(absl::StrCat(name, " = ", value));
  if (rule.breach_grace_days.has_value()) {
    parts.push_back(absl::StrCat("breach_grace_days = ", *rule.breach_grace_days));
  }
  return absl::StrJoin(parts, ", ");
}

std::string DescribeReminders(const RuleSpec& rule, const RegimeDefaults& defaults) {
  if (rule.kind == RuleKind::kCheck) return "";
  const std::vector<int>& leads =
      rule.reminder_leads_days.empty() ? defaults.reminder_leads_days : rule.reminder_leads_days;
  const int hour = rule.reminder_hour.value_or(defaults.reminder_hour);
  std::vector<std::string> parts;
  if (rule.reminder_at_start) parts.push_back("at the start");
  if (!leads.empty()) {
    parts.push_back(absl::StrCat(absl::StrJoin(leads, ", "), " days before, at ",
                                 absl::Dec(hour, absl::kZeroPad2), ":00"));
  }
  return absl::StrJoin(parts, "; ");
}

void RenderRegimeTable(const Catalog& catalog, std::string& out) {
  absl::StrAppend(&out,
                  "\n## Regimes\n\n| regime | in force | law | repeals |\n|---|---|---|---|\n");
  for (const Regime& r : catalog.regimes) {
    std::vector<std::string> repeals;
    for (const std::string& id : r.repeals) repeals.push_back(Code(id));
    absl::StrAppend(&out, "| ", Code(r.id), " | ", InForce(r), " | ", Cell(r.law), " | ",
                    Cell(absl::StrJoin(repeals, ", ")), " |\n");
  }
}

void RenderRegimeHeader(const Regime& r, std::string& out) {
  const std::string file = std::filesystem::path(r.source_file).filename().string();
  absl::StrAppend(&out, "\n## ", Code(r.id), r.title.empty() ? "" : ": ", r.title, "\n\n");
  absl::StrAppend(&out, "In force ", InForce(r), ". Law: ", r.law.empty() ? "–" : r.law,
                  ". File: ", Code(absl::StrCat("rules/regimes/", file)), ".\n\n");
  const RegimeDefaults& d = r.defaults;
  absl::StrAppend(&out, "Defaults: reminders ", absl::StrJoin(d.reminder_leads_days, ", "),
                  " days before a deadline at ", absl::Dec(d.reminder_hour, absl::kZeroPad2),
                  ":00; checks are due ", Plural(d.check_grace_days, "day"),
                  " after the trigger's day; a breach falls at the end of the deadline day + ",
                  Plural(d.breach_grace_days, "day"), ".");
  if (!r.params.empty()) {
    std::vector<std::string> params;
    for (const auto& [name, value] : r.params) params.push_back(absl::StrCat(name, " = ", value));
    absl::StrAppend(&out, " Parameters: ", absl::StrJoin(params, ", "), ".");
  }
  absl::StrAppend(&out, "\n");
}

void RenderRuleTable(const Regime& r, std::string& out) {
  if (r.rules.empty()) {
    absl::StrAppend(&out, "\nNo rules.\n");
    return;
  }
  absl::StrAppend(&out,
                  "\n| rule | kind | severity | legal reference | applies to | trigger | deadline "
                  "| met by | waived by | parameters | reminders | requirement (da) |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const RuleSpec& rule : r.rules) {
    const std::vector<std::string> cells = {
        Code(rule.id),
        std::string(KindName(rule.kind)),
        std::string(SeverityName(rule.severity)),
        Cell(rule.legal_ref),
        Cell(DescribeAppliesTo(rule)),
        Cell(DescribeTrigger(rule.trigger)),
        Cell(DescribeDue(rule, r.defaults)),
        Cell(DescribeMetBy(rule)),
        Cell(DescribeWaivedBy(rule)),
        Cell(DescribeParams(rule)),
        Cell(DescribeReminders(rule, r.defaults)),
        Cell(rule.text_da),
    };
    absl::StrAppend(&out, "| ", absl::StrJoin(cells, " | "), " |\n");
  }
}

}  // namespace

namespace {

// This abseil build has its own string_view, distinct from std::string_view.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// What the data format cannot say and C++ decides, each with the parameters it reads, so a
// reviewer knows where the law is not in the regime files.
void RenderCppPart(std::string& out) {
  out += "\n## What stays in C++\n\n";
  out +=
      "The regime files name these; their logic is in `rules/conditions.cc` and "
      "`rules/evaluator.cc`. A parameter is looked up in the rule's `params`, then the regime's "
      "`[params]`; the loader rejects a parameter nothing reads.\n\n";
  out += "| name | where | what it decides | parameters read |\n|---|---|---|---|\n";
  for (const PredicateDoc& p : PredicateDocs()) {
    std::string params;
    for (std::string_view name : p.params) {
      absl::StrAppend(&params, params.empty() ? "" : ", ", "`", Sv(name), "`");
    }
    absl::StrAppend(&out, "| `", Sv(p.name), "` | condition | ", Sv(p.doc), " | ",
                    params.empty() ? "–" : params, " |\n");
  }
  out +=
      "| `paalaeg_steps` | instance expander | one obligation per pålæg step deadline; a move "
      "recorded before the breach moves it, one recorded after opens a new obligation | – |\n"
      "| window cap | kind `window` | a grant reaching past the cap after the education start "
      "is a MISSING | `limit_months_after_education_start` |\n"
      "| recurring chain | kind `recurring` | each meeting that meets a link anchors the next "
      "| – |\n"
      "| course end | every rule | `benefit_ended` waives every open obligation (an EDUCATION end "
      "not the education ones), `education_started` the contact ones | – |\n"
      "| BARSEL pause | `pausable = true` | the deadline moves by the absence days in the open "
      "window; no reminders while an absence is open | – |\n"
      "| repeal | `repeals` | open obligations of a repealed rule are waived on the repealing "
      "regime's first day | – |\n";
}

}  // namespace

std::string RenderRulesMarkdown(const Catalog& catalog) {
  std::string out = kIntro;
  RenderRegimeTable(catalog, out);
  for (const Regime& regime : catalog.regimes) {
    RenderRegimeHeader(regime, out);
    RenderRuleTable(regime, out);
  }
  if (!catalog.drafts.empty()) {
    out +=
        "\n# Drafts: not in force\n\nAnnounced acts not yet published, kept as regime files "
        "with `status = \"draft\"` and every value unverified. A deployment switches one on "
        "with `[rules] drafts = [\"id\"]`; until then nothing below is evaluated.\n";
    for (const Regime& draft : catalog.drafts) {
      RenderRegimeHeader(draft, out);
      out += "\nSources:\n\n";
      for (const std::string& source : draft.sources) absl::StrAppend(&out, "- ", source, "\n");
      if (!draft.repeals.empty()) {
        std::vector<std::string> repeals;
        for (const std::string& id : draft.repeals) repeals.push_back(Code(id));
        absl::StrAppend(&out, "\nWhen switched on, waives on its first day the open obligations of: ",
                        absl::StrJoin(repeals, ", "), ".\n");
      }
      RenderRuleTable(draft, out);
    }
  }
  RenderCppPart(out);
  return out;
}

}  // namespace fristvagt::rules
