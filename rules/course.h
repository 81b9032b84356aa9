#pragma once
// A person's facts split into courses (forløb, rules.md §3), with the questions rules ask of a
// course: the visitation group in force, whether a pålæg exists, BARSEL periods, and so on.
// Built fresh for every evaluation from the stored facts; owns nothing but views.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "proto/case_event.pb.h"

namespace fristvagt::rules {

// One event with its times decoded once.
struct Fact {
  const v1::CaseEvent* event = nullptr;
  std::string_view payload;  // "meeting_held", ...
  absl::Time occurred;
  absl::Time recorded;
  absl::CivilDay date;  // local date of `occurred`
  const std::string& id() const { return event->event_id(); }
};

// A half-open period of local days [from, to); `to` is nullopt while it lasts.
struct DayPeriod {
  absl::CivilDay from;
  std::optional<absl::CivilDay> to;
};

class Course {
 public:
  const Fact& start() const { return facts_[start_index_]; }
  const std::string& id() const { return start().id(); }
  const std::vector<Fact>& facts() const { return facts_; }
  const v1::FirstContact& first_contact() const { return start().event->first_contact(); }

  // Under 30 and without vocational education (LAB § 6 nr. 4-5); age 0 means not given.
  bool InScope() const;
  // The latest visitation_decided occurred at or before `t`; UDDANNELSESPARAT before any.
  v1::VisitationGroup GroupAt(absl::Time t) const;
  // The benefit_ended that ends the course, if any.
  const Fact* BenefitEnd() const;
  // The latest education_started at or before `t`, if any (a course may restart education
  // after a dropout).
  const Fact* EducationStartAt(absl::Time t) const;
  // The first meeting_held on or after the course start.
  const Fact* FirstMeeting() const;
  bool HasEvent(std::string_view payload) const;
  bool InJobDirectedEffort(absl::Time t) const;
  std::vector<DayPeriod> BarselPeriods() const;

 private:
  friend std::vector<Course> SplitCourses(const std::vector<Fact>& facts);
  std::vector<Fact> facts_;  // sorted by occurred, then recorded, then event id
  size_t start_index_ = 0;
};

// Decodes times and payload names; the result is sorted for deterministic evaluation.
std::vector<Fact> MakeFacts(const std::vector<const v1::CaseEvent*>& events);

// A course starts at a first_contact and runs until the next first_contact that follows a
// benefit_ended. Events dated before the first course belong to it.
std::vector<Course> SplitCourses(const std::vector<Fact>& facts);

// The payload message of an event (the set member of the `payload` oneof), and its name.
const google::protobuf::Message* PayloadOf(const v1::CaseEvent& event);
std::string_view PayloadName(const v1::CaseEvent& event);

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts);

}  // namespace fristvagt::rules
