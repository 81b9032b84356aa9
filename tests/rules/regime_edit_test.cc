// A law change the regime format can say is an edit of a regime file and nothing else: these
// tests copy the shipped regimes, edit one line of one rule the way a lawyer would (a deadline
// length, the facts a rule needs), load the copy and see the obligations change, with no code
// touched. The same person is evaluated against the shipped files as the control.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rules/civil_time.h"
#include "rules/evaluator.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt::rules {
namespace {

namespace fs = std::filesystem;

class RegimeEditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& entry : fs::directory_iterator(testing::SourceDir() / "rules/regimes")) {
      fs::copy_file(entry.path(), dir_.path() / entry.path().filename());
    }
  }

  // Replaces the first `from` after the line `id = "<rule>"` in `file`; fails if it is not in
  // that rule (before the next [[rule]]).
  void EditRule(const std::string& file, const std::string& rule, const std::string& from,
                const std::string& to) {
    const fs::path path = dir_.path() / file;
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    std::string s = text.str();
    const size_t start = s.find("id = \"" + rule + "\"\n");
    ASSERT_NE(start, std::string::npos) << rule;
    const size_t end = s.find("[[rule]]", start);
    const size_t at = s.find(from, start);
    ASSERT_TRUE(at != std::string::npos && at < end) << from << " not in rule " << rule;
    s.replace(at, from.size(), to);
    std::ofstream(path, std::ios::trunc) << s;
  }

  Catalog Load(const fs::path& dir) {
    std::vector<RuleFileError> errors;
    absl::StatusOr<Catalog> catalog = LoadCatalog(dir.string(), &errors, {});
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    for (const RuleFileError& e : errors) ADD_FAILURE() << e.file << ":" << e.line << ": " << e.message;
    return catalog.ok() ? *std::move(catalog) : Catalog{};
  }
  Catalog Shipped() { return Load(testing::SourceDir() / "rules/regimes"); }
  Catalog Edited() { return Load(dir_.path()); }

  testing::TempDir dir_;
};

absl::Time At(int y, int m, int d) { return LocalMoment(absl::CivilDay(y, m, d), 10); }

void Stamp(google::protobuf::Timestamp* ts, absl::Time t) { ts->set_seconds(absl::ToUnixSeconds(t)); }

v1::CaseEvent Event(const std::string& id, absl::Time at) {
  v1::CaseEvent e;
  e.set_event_id(id);
  Stamp(e.mutable_occurred_at(), at);
  Stamp(e.mutable_recorded_at(), at);
  return e;
}

// The obligations of `rule` for `events` at `now`, as "deadline status" lines.
std::vector<std::string> Obligations(const Catalog& catalog, const std::vector<v1::CaseEvent>& events,
                                     const std::string& rule, absl::Time now) {
  std::vector<const v1::CaseEvent*> facts;
  for (const auto& e : events) facts.push_back(&e);
  std::vector<std::string> out;
  for (const ObligationView& v : Evaluate("p-1", facts, catalog, now)) {
    if (v.rule_id != rule) continue;
    std::ostringstream line;
    line << v.deadline << " " << v1::ObligationStatus_Name(v.status);
    out.push_back(line.str());
  }
  return out;
}

// lab2026 (from 2026-07-01): the first job meeting within 7 days of the first contact.
TEST_F(RegimeEditTest, ADeadlineLengthIsOneValueInTheRegimeFile) {
  std::vector<v1::CaseEvent> events = {Event("fc-1", At(2026, 8, 3))};
  events[0].mutable_first_contact()->set_age_years(22);
  const absl::Time now = At(2026, 8, 4);
  EXPECT_EQ(Obligations(Shipped(), events, "first_meeting", now),
            std::vector<std::string>{"2026-08-10 OPEN"});

  EditRule("lab2026.toml", "first_meeting", "due = { days = 7 }", "due = { days = 14 }");
  EXPECT_EQ(Obligations(Edited(), events, "first_meeting", now),
            std::vector<std::string>{"2026-08-17 OPEN"});
  // A day the shipped law breaches is still open under the edited one.
  EXPECT_EQ(Obligations(Shipped(), events, "first_meeting", At(2026, 8, 12)),
            std::vector<std::string>{"2026-08-10 BREACHED"});
  EXPECT_EQ(Obligations(Edited(), events, "first_meeting", At(2026, 8, 12)),
            std::vector<std::string>{"2026-08-17 OPEN"});
}

// info_transfer needs a pålæg given on or before the education start (the deadline); that was
// the C++ predicate paalaeg_by_deadline and is now the rule's `exists`. A pålæg given after
// the admission but before the start counts; edited to "at or before the trigger" it no longer
// does.
TEST_F(RegimeEditTest, TheFactsARuleNeedsAreRegimeData) {
  std::vector<v1::CaseEvent> events = {Event("fc-1", At(2026, 8, 3)),
                                       Event("adm-1", At(2026, 8, 10)),
                                       Event("ord-1", At(2026, 8, 20))};
  events[0].mutable_first_contact()->set_age_years(22);
  auto* admitted = events[1].mutable_education_admitted();
  admitted->set_institution_id("inst-1");
  Stamp(admitted->mutable_start_at(), At(2026, 9, 1));
  Stamp(events[2].mutable_education_order_issued()->mutable_wishes_deadline(), At(2026, 10, 1));
  const absl::Time now = At(2026, 8, 21);
  EXPECT_EQ(Obligations(Shipped(), events, "info_transfer", now),
            std::vector<std::string>{"2026-09-01 OPEN"});

  EditRule("lab2026.toml", "info_transfer", "when = \"on_or_before_deadline\"",
           "when = \"at_or_before_trigger\"");
  EXPECT_TRUE(Obligations(Edited(), events, "info_transfer", now).empty());

  // And the control: without any pålæg the shipped rule opens nothing either.
  events.pop_back();
  EXPECT_TRUE(Obligations(Shipped(), events, "info_transfer", now).empty());
}

// The loader keeps the new timings to `exists`: in met_by they would be a misunderstanding.
TEST_F(RegimeEditTest, ExistsOnlyTimingsAreRefusedElsewhere) {
  EditRule("lab2026.toml", "first_meeting", "met_by = [{ event = \"meeting_held\" }]",
           "met_by = [{ event = \"meeting_held\", when = \"on_or_before_deadline\" }]");
  std::vector<RuleFileError> errors;
  absl::StatusOr<Catalog> catalog = LoadCatalog(dir_.path().string(), &errors, {});
  EXPECT_FALSE(catalog.ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("only a rule's `exists`"), std::string::npos) << errors[0].message;
  EXPECT_NE(errors[0].file.find("lab2026.toml"), std::string::npos);
  EXPECT_GT(errors[0].line, 0);
}

}  // namespace
}  // namespace fristvagt::rules
