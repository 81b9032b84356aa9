#include "rules/regime_loader.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rules/rules_doc.h"

namespace fristvagt::rules {

// Readable failures: gtest would otherwise print the struct's bytes.
void PrintTo(const RuleFileError& error, std::ostream* os) { *os << error.ToString(); }

namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Op = FieldCondition::Op;

// A small but complete regime: one rule of each kind and every condition form.
constexpr char kValid[] = R"(# lab2020 for tests
[regime]
id = "lab2020"
title = "Forenklet beskæftigelsesindsats"
law = "lov nr. 548 af 07/05/2019"
valid_from = 2020-01-01
valid_to = 2021-12-31
repeals = []

[defaults]
reminder_leads_days = [3, 1]
reminder_hour = 8
check_grace_days = 2
breach_grace_days = 1

[params]
valid_test_max_age_months = 24

[[rule]]
id = "first_meeting"
kind = "deadline"
category = "contact"
severity = "LEGAL"
legal_ref = "LAB § 31"
effective_from = 2020-02-01
trigger = { event = "first_contact", select = "first" }
due = { weeks = 1 }
met_by = [ { event = "meeting_held", guidance_topics = { contains = "RULE_225_HOURS" }, when = "any_time" },
           { event = "cv_published", job_goal_count = { min = 1 } } ]
waived_by = [ { event = "test_need_assessed", outcome = { not = "TEST_NEEDED" } } ]
groups = ["UDDANNELSESPARAT", "AKTIVITETSPARAT"]
conditions = ["in_scope"]
pausable = true
reminder_leads_days = [14]
params = { months_after_start = 6 }
reminder_if = "within_months_of_education_start"
text_da = "Første jobsamtale skal holdes senest {deadline}"
text_en = "The first job meeting must be held by {deadline}"
breach_da = "Første jobsamtale er ikke holdt senest {deadline}"
breach_en = "The first job meeting was not held by {deadline}"

[[rule]]
id = "visitation_justified"
kind = "check"
category = "contact"
severity = "INTENT"
legal_ref = "VEJ nr. 10060 af 25/11/2019"
trigger = { event = "visitation_decided", is_final = true, group = ["UDDANNELSESPARAT", "AKTIVITETSPARAT"] }
require = ["justification_documented"]
require_if = { youth_perspective_documented = "paalaeg_active" }
resolvable = false
text_da = "Visitationen skal begrundes"
text_en = "The visitation must be justified"
breach_da = "Visitationen er ikke begrundet"
breach_en = "The visitation is not justified"

[[rule]]
id = "info_transfer"
kind = "deadline"
category = "education"
severity = "LEGAL"
legal_ref = "LAB § 30 stk. 7"
trigger = { event = "education_admitted" }
due = { field = "start_at", min_days_after = 1 }
met_by = [ { event = "institution_informed", same = ["institution_id"] } ]
text_da = "Oplysninger skal overdrages senest {deadline}"
text_en = "Information must reach the institution by {deadline}"
breach_da = "Manglende overdragelse af oplysninger til uddannelsesinstitutionen"
breach_en = "Missing information transfer to the education institution"

[[rule]]
id = "paalaeg_step_deadline"
kind = "deadline"
category = "contact"
severity = "LEGAL"
legal_ref = "LAB § 30 stk. 3-4"
trigger = { event = "education_order_issued" }
instances = "paalaeg_steps"
met_by = [ { event = "education_order_step_completed", step = "$instance" } ]
text_da = "Trinnet skal være gennemført senest {deadline}"
text_en = "The step must be completed by {deadline}"
breach_da = "Trinnet er ikke gennemført senest {deadline}"
breach_en = "The step was not completed by {deadline}"

[[rule]]
id = "meetings_first_6_months"
kind = "count"
category = "contact"
severity = "LEGAL"
legal_ref = "LAB § 31 stk. 3"
trigger = { event = "first_contact", select = "first" }
due = { months = 6 }
min_count = 4
met_by = [ { event = "meeting_held" } ]
text_da = "Mindst 4 samtaler senest {deadline}"
text_en = "At least 4 meetings by {deadline}"
breach_da = "Færre end 4 samtaler senest {deadline}"
breach_en = "Fewer than 4 meetings by {deadline}"

[[rule]]
id = "mentor_period_end"
kind = "window"
category = "education"
severity = "LEGAL"
legal_ref = "LAB kap. 26"
trigger = { event = "mentor_granted" }
due = { field = "period_end" }
met_by = [ { event = "mentor_granted", is_extension = true, when = "after_trigger" }, { event = "mentor_ended" } ]
reminder_at_start = true
text_da = "Mentorforløbet slutter {deadline}"
text_en = "The mentor period ends {deadline}"
)";

// 1-based line of the first occurrence of `needle` in `text`.
int LineOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

// kValid with its first `from` replaced, so each test changes exactly one thing.
std::string With(const std::string& from, const std::string& to) {
  std::string text = kValid;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<RuleFileError> ErrorsOf(const std::string& text) {
  std::vector<RuleFileError> errors;
  absl::StatusOr<Regime> regime = ParseRegime(text, "test.toml", &errors);
  EXPECT_EQ(regime.ok(), errors.empty());
  return errors;
}

::testing::Matcher<RuleFileError> Error(int line, const std::string& key,
                                        const std::string& message) {
  return AllOf(Field(&RuleFileError::file, "test.toml"), Field(&RuleFileError::line, line),
               Field(&RuleFileError::key, key), Field(&RuleFileError::message, HasSubstr(message)));
}

// The one error a single edit must cause, at the edited line.
void ExpectOnlyError(const std::string& text, const std::string& at, const std::string& key,
                     const std::string& message) {
  EXPECT_THAT(ErrorsOf(text), ElementsAre(Error(LineOf(text, at), key, message)));
}

Regime ParseValid() {
  std::vector<RuleFileError> errors;
  absl::StatusOr<Regime> regime = ParseRegime(kValid, "lab2020.toml", &errors);
  EXPECT_TRUE(regime.ok()) << regime.status();
  for (const RuleFileError& e : errors) ADD_FAILURE() << e.ToString();
  return regime.ok() ? *std::move(regime) : Regime{};
}

// Bounds (issue 18): a regime with thousands of rules, or a file of megabytes, is refused with
// one clear error instead of making every evaluation slow.
TEST(ParseRegimeTest, ThousandsOfRulesAreRefused) {
  std::string text = "[regime]\nid = \"big\"\ntitle = \"t\"\nlaw = \"l\"\n"
                     "valid_from = 2020-01-01\n";
  for (int i = 0; i < 5000; ++i) absl::StrAppend(&text, "[[rule]]\nid = \"r", i, "\"\n");
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(ParseRegime(text, "big.toml", &errors).ok());
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].key, "rule");
  EXPECT_THAT(errors[0].message, HasSubstr("5000 rules; a regime may hold at most 500"));
  EXPECT_EQ(errors[0].line, 6);  // the first [[rule]]
}

TEST(ParseRegimeTest, OversizeFileIsRefusedBeforeParsing) {
  const std::string text = absl::StrCat(kValid, "\n#", std::string(kMaxRegimeFileBytes, 'x'));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(ParseRegime(text, "huge.toml", &errors).ok());
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0].ToString(), HasSubstr("huge.toml:0: the file is"));
  EXPECT_THAT(errors[0].message, HasSubstr("at most 1048576"));
}

TEST(ParseRegimeTest, HeaderDefaultsAndParams) {
  const Regime regime = ParseValid();
  EXPECT_EQ(regime.id, "lab2020");
  EXPECT_EQ(regime.title, "Forenklet beskæftigelsesindsats");
  EXPECT_EQ(regime.law, "lov nr. 548 af 07/05/2019");
  EXPECT_EQ(regime.valid_from, absl::CivilDay(2020, 1, 1));
  EXPECT_EQ(regime.valid_to, absl::CivilDay(2021, 12, 31));
  EXPECT_THAT(regime.repeals, IsEmpty());
  EXPECT_EQ(regime.source_file, "lab2020.toml");
  EXPECT_THAT(regime.defaults.reminder_leads_days, ElementsAre(3, 1));
  EXPECT_EQ(regime.defaults.reminder_hour, 8);
  EXPECT_EQ(regime.defaults.check_grace_days, 2);
  EXPECT_EQ(regime.defaults.breach_grace_days, 1);
  EXPECT_THAT(regime.params,
              ElementsAre(std::pair<const std::string, int>("valid_test_max_age_months", 24)));
  ASSERT_THAT(regime.rules, SizeIs(6));
}

TEST(ParseRegimeTest, DefaultsWhenOmitted) {
  const std::string text = With(R"([defaults]
reminder_leads_days = [3, 1]
reminder_hour = 8
check_grace_days = 2
breach_grace_days = 1
)",
                                "");
  std::vector<RuleFileError> errors;
  absl::StatusOr<Regime> regime = ParseRegime(text, "test.toml", &errors);
  ASSERT_TRUE(regime.ok()) << regime.status();
  EXPECT_THAT(regime->defaults.reminder_leads_days, ElementsAre(2));
  EXPECT_EQ(regime->defaults.reminder_hour, 7);
  EXPECT_EQ(regime->defaults.check_grace_days, 1);
  EXPECT_EQ(regime->defaults.breach_grace_days, 0);
}

TEST(ParseRegimeTest, DeadlineRule) {
  const Regime regime = ParseValid();
  ASSERT_THAT(regime.rules, SizeIs(6));
  const RuleSpec& rule = regime.rules[0];
  EXPECT_EQ(rule.id, "first_meeting");
  EXPECT_EQ(rule.kind, RuleKind::kDeadline);
  EXPECT_EQ(rule.category, Category::kContact);
  EXPECT_EQ(rule.severity, SeverityLevel::kLegal);
  EXPECT_EQ(rule.legal_ref, "LAB § 31");
  EXPECT_EQ(rule.effective_from, absl::CivilDay(2020, 2, 1));
  EXPECT_EQ(rule.trigger.matcher.event, "first_contact");
  EXPECT_EQ(rule.trigger.select, TriggerSpec::Select::kFirst);
  EXPECT_EQ(rule.due.days, 7);  // weeks = 1
  EXPECT_EQ(rule.due.months, 0);
  EXPECT_THAT(rule.groups, ElementsAre("UDDANNELSESPARAT", "AKTIVITETSPARAT"));
  EXPECT_THAT(rule.conditions, ElementsAre("in_scope"));
  EXPECT_TRUE(rule.pausable);
  EXPECT_TRUE(rule.resolvable);
  EXPECT_THAT(rule.reminder_leads_days, ElementsAre(14));
  EXPECT_EQ(rule.params.at("months_after_start"), 6);
  EXPECT_EQ(rule.text_da, "Første jobsamtale skal holdes senest {deadline}");
  EXPECT_EQ(rule.breach_en, "The first job meeting was not held by {deadline}");
  EXPECT_EQ(rule.source_file, "lab2020.toml");
  EXPECT_EQ(rule.line, LineOf(kValid, "[[rule]]"));
}

TEST(ParseRegimeTest, MatchersAndConditionOps) {
  const Regime regime = ParseValid();
  ASSERT_THAT(regime.rules, SizeIs(6));
  const RuleSpec& rule = regime.rules[0];
  ASSERT_THAT(rule.met_by, SizeIs(2));
  const EventMatcher& meeting = rule.met_by[0];
  EXPECT_EQ(meeting.event, "meeting_held");
  EXPECT_EQ(meeting.when, EventMatcher::When::kAnyTime);
  EXPECT_EQ(meeting.line, LineOf(kValid, "met_by = [ { event = \"meeting_held\""));
  ASSERT_THAT(meeting.where, SizeIs(1));
  EXPECT_EQ(meeting.where[0].field, "guidance_topics");
  EXPECT_EQ(meeting.where[0].op, Op::kContains);
  EXPECT_THAT(meeting.where[0].values, ElementsAre("RULE_225_HOURS"));
  EXPECT_EQ(meeting.where[0].line, meeting.line);

  const EventMatcher& cv = rule.met_by[1];
  EXPECT_EQ(cv.when, EventMatcher::When::kOnOrAfterTriggerDate);
  EXPECT_EQ(cv.line, LineOf(kValid, "{ event = \"cv_published\""));
  ASSERT_THAT(cv.where, SizeIs(1));
  EXPECT_EQ(cv.where[0].op, Op::kAtLeast);
  EXPECT_THAT(cv.where[0].values, ElementsAre("1"));

  ASSERT_THAT(rule.waived_by, SizeIs(1));
  ASSERT_THAT(rule.waived_by[0].where, SizeIs(1));
  EXPECT_EQ(rule.waived_by[0].where[0].op, Op::kNot);
  EXPECT_THAT(rule.waived_by[0].where[0].values, ElementsAre("TEST_NEEDED"));
}

TEST(ParseRegimeTest, CheckRuleWithEqualsInRequire) {
  const Regime regime = ParseValid();
  ASSERT_THAT(regime.rules, SizeIs(6));
  const RuleSpec& rule = regime.rules[1];
  EXPECT_EQ(rule.kind, RuleKind::kCheck);
  EXPECT_EQ(rule.severity, SeverityLevel::kIntent);
  EXPECT_EQ(rule.trigger.select, TriggerSpec::Select::kEvery);
  const std::vector<FieldCondition>& where = rule.trigger.matcher.where;
  ASSERT_THAT(where, SizeIs(2));  // toml++ keeps keys sorted: group before is_final
  EXPECT_EQ(where[0].field, "group");
  EXPECT_EQ(where[0].op, Op::kIn);
  EXPECT_THAT(where[0].values, ElementsAre("UDDANNELSESPARAT", "AKTIVITETSPARAT"));
  EXPECT_EQ(where[1].field, "is_final");
  EXPECT_EQ(where[1].op, Op::kEquals);
  EXPECT_THAT(where[1].values, ElementsAre("true"));
  EXPECT_THAT(rule.require, ElementsAre("justification_documented"));
  EXPECT_EQ(rule.require_if.at("youth_perspective_documented"), "paalaeg_active");
  EXPECT_FALSE(rule.resolvable);
}

TEST(ParseRegimeTest, DueFieldSameAndInstances) {
  const Regime regime = ParseValid();
  ASSERT_THAT(regime.rules, SizeIs(6));
  const RuleSpec& transfer = regime.rules[2];
  EXPECT_EQ(transfer.category, Category::kEducation);
  EXPECT_EQ(transfer.due.field, "start_at");
  EXPECT_EQ(transfer.due.min_days_after, 1);
  ASSERT_THAT(transfer.met_by, SizeIs(1));
  ASSERT_THAT(transfer.met_by[0].where, SizeIs(1));
  EXPECT_EQ(transfer.met_by[0].where[0].field, "institution_id");
  EXPECT_EQ(transfer.met_by[0].where[0].op, Op::kSameAsTrigger);

  const RuleSpec& step = regime.rules[3];
  EXPECT_EQ(step.instances, "paalaeg_steps");
  ASSERT_THAT(step.met_by, SizeIs(1));
  ASSERT_THAT(step.met_by[0].where, SizeIs(1));
  EXPECT_EQ(step.met_by[0].where[0].field, "step");
  EXPECT_EQ(step.met_by[0].where[0].op, Op::kEqualsInstance);
}

TEST(ParseRegimeTest, CountAndWindowRules) {
  const Regime regime = ParseValid();
  ASSERT_THAT(regime.rules, SizeIs(6));
  const RuleSpec& count = regime.rules[4];
  EXPECT_EQ(count.kind, RuleKind::kCount);
  EXPECT_EQ(count.due.months, 6);
  EXPECT_EQ(count.min_count, 4);

  const RuleSpec& window = regime.rules[5];
  EXPECT_EQ(window.kind, RuleKind::kWindow);
  EXPECT_EQ(window.due.field, "period_end");
  EXPECT_TRUE(window.reminder_at_start);
  EXPECT_TRUE(window.breach_da.empty());
  ASSERT_THAT(window.met_by, SizeIs(2));
  EXPECT_EQ(window.met_by[0].when, EventMatcher::When::kAfterTrigger);
}

// --- Errors, one edit of kValid each -------------------------------------------------------

TEST(ParseRegimeErrorTest, SyntaxErrorFixture) {
  const std::string path =
      (std::filesystem::path(FRISTVAGT_TEST_SOURCE_DIR) / "tests/rules/testdata/syntax_error.toml")
          .string();
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadRegimeFile(path, &errors).ok());
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].file, path);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_EQ(errors[0].key, "");
  EXPECT_EQ(errors[0].ToString().rfind(absl::StrCat(path, ":5: "), 0), 0u);
}

TEST(ParseRegimeErrorTest, ReportsEveryErrorNotJustTheFirst) {
  const std::string path =
      (std::filesystem::path(FRISTVAGT_TEST_SOURCE_DIR) / "tests/rules/testdata/many_errors.toml")
          .string();
  std::vector<RuleFileError> errors;
  absl::StatusOr<Regime> regime = LoadRegimeFile(path, &errors);
  EXPECT_EQ(regime.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(regime.status().message()), HasSubstr("6 problems"));
  std::vector<std::string> where;
  for (const RuleFileError& e : errors) where.push_back(absl::StrCat(e.line, " ", e.key));
  EXPECT_THAT(where,
              ElementsAre("5 regime.titel", "8 defaults.reminder_hour",
                          "12 rule[first_meeting].kind", "16 rule[first_meeting].trigger.event",
                          "30 rule[first_meeting].trigger.is_finall", "24 rule[first_meeting].id"));
}

TEST(ParseRegimeErrorTest, ErrorToString) {
  EXPECT_EQ((RuleFileError{"a.toml", 3, "regime.id", "missing required key"}).ToString(),
            "a.toml:3: regime.id: missing required key");
}

TEST(ParseRegimeErrorTest, UnknownKeys) {
  ExpectOnlyError(With("law = ", "lov = "), "lov = ", "regime.lov", "unknown key");
  ExpectOnlyError(With("reminder_hour = 8", "reminder_time = 8"), "reminder_time",
                  "defaults.reminder_time", "unknown key");
  ExpectOnlyError(With("pausable = true", "pauseable = true"), "pauseable",
                  "rule[first_meeting].pauseable", "unknown key");
  ExpectOnlyError(With("due = { weeks = 1 }", "due = { weeks = 1, workdays = 2 }"), "workdays",
                  "rule[first_meeting].due.workdays", "unknown key");
  ExpectOnlyError(With("[params]", "[parameters]"), "[parameters]", "parameters", "unknown key");
}

TEST(ParseRegimeErrorTest, WrongTypes) {
  ExpectOnlyError(With("id = \"lab2020\"", "id = 2020"), "id = 2020", "regime.id",
                  "expected a string, got an integer");
  ExpectOnlyError(With("valid_to = 2021-12-31", "valid_to = \"2021-12-31\""), "valid_to",
                  "regime.valid_to", "expected a date");
  ExpectOnlyError(With("pausable = true", "pausable = \"yes\""), "pausable",
                  "rule[first_meeting].pausable", "expected a boolean, got a string");
  ExpectOnlyError(With("min_count = 4", "min_count = \"4\""), "min_count",
                  "rule[meetings_first_6_months].min_count", "expected an integer");
  ExpectOnlyError(With("conditions = [\"in_scope\"]", "conditions = \"in_scope\""), "conditions",
                  "rule[first_meeting].conditions", "expected an array");
  ExpectOnlyError(With("valid_test_max_age_months = 24", "valid_test_max_age_months = true"),
                  "valid_test_max_age_months", "params.valid_test_max_age_months",
                  "expected an integer");
  ExpectOnlyError(With("reminder_leads_days = [3, 1]", "reminder_leads_days = [3, \"1\"]"),
                  "reminder_leads_days", "defaults.reminder_leads_days[1]", "expected an integer");
}

TEST(ParseRegimeErrorTest, MissingRequiredKeys) {
  ExpectOnlyError(With("id = \"lab2020\"\n", ""), "[regime]", "regime.id", "missing required");
  ExpectOnlyError(With("valid_from = 2020-01-01\n", ""), "[regime]", "regime.valid_from",
                  "missing required");
  ExpectOnlyError(With("legal_ref = \"LAB § 31\"\n", ""), "[[rule]]",
                  "rule[first_meeting].legal_ref", "missing required");
  ExpectOnlyError(With("kind = \"deadline\"\ncategory", "category"), "[[rule]]",
                  "rule[first_meeting].kind", "missing required");
  ExpectOnlyError(With("category = \"contact\"\n", ""), "[[rule]]", "rule[first_meeting].category",
                  "missing required");
  ExpectOnlyError(
      With("severity = \"LEGAL\"\nlegal_ref = \"LAB § 31\"\n", "legal_ref = \"LAB § 31\"\n"),
      "[[rule]]", "rule[first_meeting].severity", "missing required");
  ExpectOnlyError(With("trigger = { event = \"first_contact\", select = \"first\" }\ndue", "due"),
                  "[[rule]]", "rule[first_meeting].trigger", "missing required");
  ExpectOnlyError(With("due = { weeks = 1 }\n", ""), "[[rule]]", "rule[first_meeting].due",
                  "missing required");
  ExpectOnlyError(With("breach_en = \"The first job meeting was not held by {deadline}\"\n", ""),
                  "[[rule]]", "rule[first_meeting].breach_en", "missing required");
  ExpectOnlyError(With("text_da = \"Mentorforløbet slutter {deadline}\"\n", ""),
                  "[[rule]]\nid = \"mentor_period_end\"", "rule[mentor_period_end].text_da",
                  "missing required");
}

TEST(ParseRegimeErrorTest, MissingRuleIdUsesItsPosition) {
  const std::string text = With("id = \"first_meeting\"\n", "");
  EXPECT_THAT(ErrorsOf(text),
              ElementsAre(Error(LineOf(text, "[[rule]]"), "rule[#1].id", "missing required")));
}

TEST(ParseRegimeErrorTest, UnknownEnumeratedValues) {
  ExpectOnlyError(With("kind = \"count\"", "kind = \"tally\""), "kind = \"tally\"",
                  "rule[meetings_first_6_months].kind", "unknown value \"tally\"");
  ExpectOnlyError(With("category = \"contact\"", "category = \"kontakt\""), "kontakt",
                  "rule[first_meeting].category", "expected one of: contact, case, education");
  ExpectOnlyError(With("severity = \"INTENT\"", "severity = \"SHOULD\""), "SHOULD",
                  "rule[visitation_justified].severity", "unknown value");
  ExpectOnlyError(With("select = \"first\" }\ndue = { weeks", "select = \"last\" }\ndue = { weeks"),
                  "\"last\"", "rule[first_meeting].trigger.select", "unknown value");
  ExpectOnlyError(With("when = \"any_time\"", "when = \"whenever\""), "whenever",
                  "rule[first_meeting].met_by[0].when", "unknown value");
}

TEST(ParseRegimeErrorTest, DuplicateRuleId) {
  const std::string text = With("id = \"visitation_justified\"", "id = \"first_meeting\"");
  const int second = LineOf(text, "[[rule]]\nid = \"first_meeting\"\nkind = \"check\"");
  const std::string first = absl::StrCat("first defined on line ", LineOf(text, "[[rule]]"));
  EXPECT_THAT(ErrorsOf(text), ElementsAre(Error(second, "rule[first_meeting].id", first)));
}

TEST(ParseRegimeErrorTest, UnknownEventsAndFields) {
  ExpectOnlyError(With("event = \"mentor_ended\"", "event = \"mentor_stopped\""), "mentor_stopped",
                  "rule[mentor_period_end].met_by[1].event", "unknown event");
  ExpectOnlyError(With("is_final = true", "is_finall = true"), "is_finall",
                  "rule[visitation_justified].trigger.is_finall", "unknown field \"is_finall\"");
  ExpectOnlyError(With("require = [\"justification_documented\"]", "require = [\"justified\"]"),
                  "justified\"]", "rule[visitation_justified].require", "unknown field");
  ExpectOnlyError(With("youth_perspective_documented = \"paalaeg_active\"",
                       "included_test_results = \"paalaeg_active\""),
                  "included_test_results",
                  "rule[visitation_justified].require_if.included_test_results", "unknown field");
  ExpectOnlyError(With("same = [\"institution_id\"]", "same = [\"institution\"]"),
                  "same = ", "rule[info_transfer].met_by[0].same", "unknown field");
}

TEST(ParseRegimeErrorTest, SameNeedsTheFieldOnTheTrigger) {
  const std::string text =
      With("{ event = \"institution_informed\", same = [\"institution_id\"] }",
           "{ event = \"institution_informed\", same = [\"included_paalaeg\"] }");
  EXPECT_THAT(
      ErrorsOf(text),
      ElementsAre(Error(LineOf(text, "included_paalaeg"), "rule[info_transfer].met_by[0].same",
                        "the trigger's payload EducationAdmitted has no field")));
}

TEST(ParseRegimeErrorTest, ConditionValuesMustFitTheField) {
  ExpectOnlyError(With("is_final = true", "is_final = \"true\""), "is_final",
                  "rule[visitation_justified].trigger.is_final", "needs a boolean, got a string");
  ExpectOnlyError(With("[\"UDDANNELSESPARAT\", \"AKTIVITETSPARAT\"] }",
                       "[\"UDANNELSESPARAT\", \"AKTIVITETSPARAT\"] }"),
                  "UDANNELSESPARAT", "rule[visitation_justified].trigger.group[0]",
                  "\"UDANNELSESPARAT\" is not a value of VisitationGroup");
  ExpectOnlyError(With("outcome = { not = \"TEST_NEEDED\" }", "outcome = { not = \"NEEDED\" }"),
                  "NEEDED\" }", "rule[first_meeting].waived_by[0].outcome.not",
                  "not a value of TestNeedOutcome");
  ExpectOnlyError(With("job_goal_count = { min = 1 }", "job_goal_count = { min = \"1\" }"),
                  "job_goal_count", "rule[first_meeting].met_by[1].job_goal_count.min",
                  "needs an integer");
  ExpectOnlyError(With("guidance_topics = { contains = \"RULE_225_HOURS\" }",
                       "guidance_topics = \"RULE_225_HOURS\""),
                  "guidance_topics", "rule[first_meeting].met_by[0].guidance_topics",
                  "repeated field");
  ExpectOnlyError(With("job_goal_count = { min = 1 }", "job_goal_count = { max = 1 }"),
                  "job_goal_count", "rule[first_meeting].met_by[1].job_goal_count.max",
                  "unknown operator");
}

TEST(ParseRegimeErrorTest, DueField) {
  ExpectOnlyError(With("field = \"start_at\"", "field = \"institution_id\""), "institution_id\",",
                  "rule[info_transfer].due.field", "not a timestamp field");
  ExpectOnlyError(With("field = \"start_at\"", "field = \"starts_at\""), "starts_at",
                  "rule[info_transfer].due.field", "unknown field");
  ExpectOnlyError(With("due = { weeks = 1 }", "due = { weeks = 1, days = 2 }"), "due = {",
                  "rule[first_meeting].due", "exactly one of");
}

TEST(ParseRegimeErrorTest, UnknownNamedConditionsAndExpanders) {
  ExpectOnlyError(With("conditions = [\"in_scope\"]", "conditions = [\"in_skope\"]"), "in_skope",
                  "rule[first_meeting].conditions", "unknown condition \"in_skope\"");
  ExpectOnlyError(With("= \"paalaeg_active\"", "= \"test_done\""), "test_done",
                  "rule[visitation_justified].require_if.youth_perspective_documented",
                  "unknown condition");
  ExpectOnlyError(With("instances = \"paalaeg_steps\"", "instances = \"steps\""), "instances",
                  "rule[paalaeg_step_deadline].instances", "unknown instance expander");
  ExpectOnlyError(With("groups = [\"UDDANNELSESPARAT\"", "groups = [\"UP\""), "groups",
                  "rule[first_meeting].groups", "unknown visitation group");
}

// Issue 14: a misspelt parameter used to fall back to the predicate's default in silence, and
// a misspelt placeholder reached caseworkers verbatim.
TEST(ParseRegimeErrorTest, ParametersNothingReads) {
  ExpectOnlyError(With("months_after_start = 6", "months_after_strat = 6"), "months_after_strat",
                  "rule[first_meeting].params.months_after_strat",
                  "no condition of this rule reads this parameter; read here: months_after_start");
  ExpectOnlyError(With("valid_test_max_age_months = 24", "valid_test_max_age = 24"),
                  "valid_test_max_age = 24", "params.valid_test_max_age",
                  "no condition reads this parameter");
  ExpectOnlyError(With("reminder_at_start = true",
                       "reminder_at_start = true\nparams = { limit_months_after_educaton_start = 12 }"),
                  "limit_months_after_educaton_start",
                  "rule[mentor_period_end].params.limit_months_after_educaton_start",
                  "read here: limit_months_after_education_start");
}

TEST(ParseRegimeErrorTest, UnknownPlaceholders) {
  ExpectOnlyError(With("holdes senest {deadline}", "holdes senest {dedline}"), "{dedline}",
                  "rule[first_meeting].text_da", "unknown placeholder \"{dedline}\"");
  ExpectOnlyError(With("was not held by {deadline}", "was not held by {deadline"),
                  "was not held by {deadline\"", "rule[first_meeting].breach_en",
                  "unknown placeholder");
}

TEST(ParseRegimeErrorTest, KeysThatDoNotFitTheKind) {
  ExpectOnlyError(With("min_count = 4\n", ""), "[[rule]]\nid = \"meetings_first_6_months\"",
                  "rule[meetings_first_6_months].min_count", "missing required");
  ExpectOnlyError(With("resolvable = false", "resolvable = false\nmin_count = 2"), "min_count = 2",
                  "rule[visitation_justified].min_count", "only for count rules");
  ExpectOnlyError(With("pausable = true", "require = [\"has_youth_education\"]"),
                  "require = [\"has", "rule[first_meeting].require", "only for check rules");
}

TEST(ParseRegimeErrorTest, RepealedRuleStillDefined) {
  ExpectOnlyError(With("repeals = []", "repeals = [\"first_meeting\"]"), "repeals",
                  "regime.repeals", "also defined in this file");
}

// --- The set of regime files --------------------------------------------------------------

// A minimal regime file; `extra` goes into [regime].
std::string RegimeFile(const std::string& id, const std::string& from, const std::string& to,
                       const std::string& rule_id, const std::string& extra = "") {
  return absl::StrCat("[regime]\nid = \"", id, "\"\nvalid_from = ", from, "\n",
                      to.empty() ? "" : absl::StrCat("valid_to = ", to, "\n"), extra,
                      "\n[[rule]]\nid = \"", rule_id,
                      "\"\nkind = \"check\"\ncategory = \"contact\"\nseverity = "
                      "\"LEGAL\"\nlegal_ref = \"LAB § 22\"\n"
                      "trigger = { event = \"offer_started\" }\n"
                      "require = [\"purpose_documented\"]\n"
                      "text_da = \"a\"\ntext_en = \"a\"\nbreach_da = \"b\"\nbreach_en = \"b\"\n");
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        absl::StrCat("regimes_", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(CatalogTest, LoadsAndSortsByValidFrom) {
  Write("a_later.toml", RegimeFile("lab2020", "2020-01-01", "", "offer_justified"));
  Write("b_earlier.toml", RegimeFile("lab2016", "2000-01-01", "2019-12-31", "offer_justified"));
  Write("notes.txt", "not a regime");
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog = LoadCatalog(dir_.string(), &errors);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_THAT(errors, IsEmpty());
  ASSERT_THAT(catalog->regimes, SizeIs(2));
  EXPECT_EQ(catalog->regimes[0].id, "lab2016");
  EXPECT_EQ(catalog->regimes[1].id, "lab2020");
  EXPECT_EQ(catalog->regimes[1].source_file, (dir_ / "a_later.toml").string());
}

TEST_F(CatalogTest, Overlap) {
  Write("a.toml", RegimeFile("lab2016", "2000-01-01", "2020-01-31", "offer_justified"));
  const std::string later =
      Write("b.toml", RegimeFile("lab2020", "2020-01-01", "", "offer_justified"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors,
              ElementsAre(AllOf(Field(&RuleFileError::file, later), Field(&RuleFileError::line, 3),
                                Field(&RuleFileError::key, "regime.valid_from"),
                                Field(&RuleFileError::message, HasSubstr("overlaps")))));
}

TEST_F(CatalogTest, Gap) {
  Write("a.toml", RegimeFile("lab2016", "2000-01-01", "2019-12-30", "offer_justified"));
  const std::string later =
      Write("b.toml", RegimeFile("lab2020", "2020-01-01", "", "offer_justified"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors,
              ElementsAre(AllOf(Field(&RuleFileError::file, later), Field(&RuleFileError::line, 3),
                                Field(&RuleFileError::message,
                                      HasSubstr("expected 2019-12-31, got 2020-01-01")))));
}

TEST_F(CatalogTest, OnlyTheLastMayBeOpenEnded) {
  const std::string first =
      Write("a.toml", RegimeFile("lab2016", "2000-01-01", "", "offer_justified"));
  Write("b.toml", RegimeFile("lab2020", "2020-01-01", "", "offer_justified"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors, ElementsAre(AllOf(Field(&RuleFileError::file, first),
                                        Field(&RuleFileError::key, "regime.valid_to"),
                                        Field(&RuleFileError::message, HasSubstr("open-ended")))));
}

TEST_F(CatalogTest, DuplicateRegimeId) {
  Write("a.toml", RegimeFile("lab2016", "2000-01-01", "2019-12-31", "offer_justified"));
  const std::string second =
      Write("b.toml", RegimeFile("lab2016", "2020-01-01", "", "offer_justified"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors,
              ElementsAre(AllOf(Field(&RuleFileError::file, second), Field(&RuleFileError::line, 2),
                                Field(&RuleFileError::key, "regime.id"))));
}

TEST_F(CatalogTest, RepealsMustNameAnEarlierRule) {
  Write("a.toml", RegimeFile("lab2022", "2022-01-01", "2025-06-30", "guidance_225_hours"));
  const std::string later =
      Write("b.toml", RegimeFile("lab2025", "2025-07-01", "", "offer_justified",
                                 "repeals = [\"guidance_225_hours\", \"guidance_226_hours\"]\n"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors, ElementsAre(AllOf(
                          Field(&RuleFileError::file, later), Field(&RuleFileError::line, 4),
                          Field(&RuleFileError::key, "regime.repeals"),
                          Field(&RuleFileError::message, HasSubstr("\"guidance_226_hours\"")))));
}

// Issue 14: an announced act as a draft regime, in force only where it is switched on.
constexpr char kDraftHeader[] =
    "status = \"draft\"\nsources = [\"announcement\"]\nrepeals = [\"guidance_225_hours\"]\n";

TEST_F(CatalogTest, DraftIsCheckedButOffUntilNamed) {
  Write("a.toml", RegimeFile("lab2026", "2026-07-01", "", "guidance_225_hours"));
  Write("b.toml", RegimeFile("lab2027", "2027-01-01", "", "offer_justified", kDraftHeader));
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> off = LoadCatalog(dir_.string(), &errors);
  ASSERT_TRUE(off.ok()) << off.status();
  ASSERT_THAT(off->regimes, SizeIs(1));
  EXPECT_FALSE(off->regimes[0].valid_to.has_value());
  ASSERT_THAT(off->drafts, SizeIs(1));
  EXPECT_TRUE(off->drafts[0].draft);

  absl::StatusOr<Catalog> on = LoadCatalog(dir_.string(), &errors, {"lab2027"});
  ASSERT_TRUE(on.ok()) << on.status();
  ASSERT_THAT(on->regimes, SizeIs(2));
  EXPECT_EQ(on->regimes[0].valid_to, absl::CivilDay(2026, 12, 31));  // the draft replaces it
  EXPECT_EQ(on->regimes[1].id, "lab2027");
  EXPECT_THAT(on->drafts, IsEmpty());
  EXPECT_THAT(errors, IsEmpty());
}

TEST_F(CatalogTest, DraftErrors) {
  Write("a.toml", RegimeFile("lab2026", "2026-07-01", "", "guidance_225_hours"));
  const std::string draft = Write(
      "b.toml", RegimeFile("lab2027", "2027-01-01", "", "offer_justified",
                           "status = \"draft\"\nrepeals = [\"guidance_226_hours\"]\n"));
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors, {"lab2028"}).ok());
  EXPECT_THAT(errors, ElementsAre(Field(&RuleFileError::key, "regime.sources"),
                                  Field(&RuleFileError::message, HasSubstr("\"lab2028\" is no draft"))));
  Write("b.toml", RegimeFile("lab2027", "2027-01-01", "", "offer_justified",
                             "status = \"draft\"\nsources = [\"x\"]\n"
                             "repeals = [\"guidance_226_hours\"]\n"));
  errors.clear();
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());  // checked although off
  EXPECT_THAT(errors, ElementsAre(AllOf(Field(&RuleFileError::file, draft),
                                        Field(&RuleFileError::key, "regime.repeals"))));
}

TEST_F(CatalogTest, ErrorsFromEveryFile) {
  Write("a.toml", "[regime]\nid = \"lab2016\"\n");
  Write("b.toml", "[regime\n");
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog = LoadCatalog(dir_.string(), &errors);
  EXPECT_EQ(catalog.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(errors, ElementsAre(Field(&RuleFileError::key, "regime.valid_from"),
                                  Field(&RuleFileError::file, (dir_ / "b.toml").string())));
}

TEST_F(CatalogTest, EmptyDirectoryIsAnError) {
  std::vector<RuleFileError> errors;
  EXPECT_FALSE(LoadCatalog(dir_.string(), &errors).ok());
  EXPECT_THAT(errors, SizeIs(1));
}

// --- The shipped regime files -------------------------------------------------------------

std::filesystem::path SourceDir() {
  const char* env = std::getenv("FRISTVAGT_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return FRISTVAGT_TEST_SOURCE_DIR;
}

TEST(ShippedRegimesTest, LoadWithoutErrors) {
  const std::filesystem::path dir = SourceDir() / "rules" / "regimes";
  bool any = false;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    any |= entry.path().extension() == ".toml";
  }
  if (!any) GTEST_SKIP() << "no regime files yet in " << dir;
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog = LoadCatalog(dir.string(), &errors);
  for (const RuleFileError& e : errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_FALSE(catalog->regimes.empty());
  // The document renders every regime; a lawyer reads it instead of the TOML.
  const std::string doc = RenderRulesMarkdown(*catalog);
  for (const Regime& regime : catalog->regimes) EXPECT_THAT(doc, HasSubstr(regime.id));
}

// --- rules-doc ------------------------------------------------------------------------------

TEST(RulesDocTest, RendersRegimesAndRules) {
  Catalog catalog;
  catalog.regimes.push_back(ParseValid());
  const std::string doc = RenderRulesMarkdown(catalog);
  EXPECT_THAT(doc, HasSubstr("generated from `rules/regimes/*.toml` by `fristvagt rules-doc`"));
  EXPECT_THAT(doc,
              HasSubstr("| `lab2020` | 2020-01-01 – 2021-12-31 | lov nr. 548 af 07/05/2019 |"));
  EXPECT_THAT(doc, HasSubstr("| `first_meeting` | deadline | LEGAL | LAB § 31 |"));
  EXPECT_THAT(doc, HasSubstr("+ 7 days"));
  EXPECT_THAT(doc, HasSubstr("+ 6 months"));
  EXPECT_THAT(doc, HasSubstr("the admission's start_at"));
  EXPECT_THAT(doc,
              HasSubstr("`meeting_held` (guidance_topics contains RULE_225_HOURS; at any time)"));
  EXPECT_THAT(doc, HasSubstr("Første jobsamtale skal holdes senest {deadline}"));
  EXPECT_EQ(doc, RenderRulesMarkdown(catalog));  // deterministic
}

TEST(RulesDocTest, EscapesPipesInCells) {
  Catalog catalog;
  catalog.regimes.push_back(ParseValid());
  catalog.regimes[0].rules[0].text_da = "a | b\nc";
  EXPECT_THAT(RenderRulesMarkdown(catalog), HasSubstr("a \\| b c"));
}

}  // namespace
}  // namespace fristvagt::rules
