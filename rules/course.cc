#include "rules/course.h"

#include <algorithm>

#include "rules/civil_time.h"

namespace fristvagt::rules {

namespace {
const google::protobuf::OneofDescriptor* PayloadOneof() {
  static const auto* oneof = v1::CaseEvent::descriptor()->FindOneofByName("payload");
  return oneof;
}
}  // namespace

absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

const google::protobuf::Message* PayloadOf(const v1::CaseEvent& event) {
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, PayloadOneof());
  if (field == nullptr) return nullptr;
  return &event.GetReflection()->GetMessage(event, field);
}

std::string_view PayloadName(const v1::CaseEvent& event) {
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, PayloadOneof());
  return field == nullptr ? std::string_view() : std::string_view(field->name());
}

std::vector<Fact> MakeFacts(const std::vector<const v1::CaseEvent*>& events) {
  std::vector<Fact> facts;
  facts.reserve(events.size());
  for (const v1::CaseEvent* event : events) {
    Fact fact;
    fact.event = event;
    fact.payload = PayloadName(*event);
    fact.occurred = ToAbslTime(event->occurred_at());
    fact.recorded = ToAbslTime(event->recorded_at());
    fact.date = LocalDate(fact.occurred);
    facts.push_back(fact);
  }
  std::stable_sort(facts.begin(), facts.end(), [](const Fact& a, const Fact& b) {
    if (a.occurred != b.occurred) return a.occurred < b.occurred;
    if (a.recorded != b.recorded) return a.recorded < b.recorded;
    return a.id() < b.id();
  });
  return facts;
}

std::vector<Course> SplitCourses(const std::vector<Fact>& facts) {
  std::vector<Course> courses;
  std::vector<Fact> before_first;  // dated before any first_contact
  bool ended = false;
  for (const Fact& fact : facts) {
    const bool starts = fact.payload == "first_contact" && (courses.empty() || ended);
    if (starts) {
      courses.emplace_back();
      Course& course = courses.back();
      course.facts_ = std::move(before_first);
      before_first.clear();
      course.start_index_ = course.facts_.size();
      course.facts_.push_back(fact);
      ended = false;
      continue;
    }
    if (courses.empty()) {
      before_first.push_back(fact);
      continue;
    }
    courses.back().facts_.push_back(fact);
    if (fact.payload == "benefit_ended") ended = true;
  }
  return courses;
}

bool Course::InScope() const {
  const v1::FirstContact& contact = first_contact();
  if (contact.has_vocational_education()) return false;
  return contact.age_years() == 0 || contact.age_years() < 30;
}

v1::VisitationGroup Course::GroupAt(absl::Time t) const {
  v1::VisitationGroup group = v1::UDDANNELSESPARAT;
  for (const Fact& fact : facts_) {
    if (fact.occurred > t) break;
    if (fact.payload == "visitation_decided") group = fact.event->visitation_decided().group();
  }
  return group;
}

const Fact* Course::BenefitEnd() const {
  for (const Fact& fact : facts_) {
    if (fact.payload == "benefit_ended" && fact.occurred >= start().occurred) return &fact;
  }
  return nullptr;
}

const Fact* Course::EducationStartAt(absl::Time t) const {
  const Fact* latest = nullptr;
  for (const Fact& fact : facts_) {
    if (fact.occurred > t) break;
    if (fact.payload == "education_started") latest = &fact;
  }
  return latest;
}

const Fact* Course::FirstMeeting() const {
  for (const Fact& fact : facts_) {
    if (fact.payload == "meeting_held" && fact.date >= start().date) return &fact;
  }
  return nullptr;
}

bool Course::HasEvent(std::string_view payload) const {
  return std::any_of(facts_.begin(), facts_.end(),
                     [&](const Fact& fact) { return fact.payload == payload; });
}

bool Course::InJobDirectedEffort(absl::Time t) const {
  bool active = false;
  for (const Fact& fact : facts_) {
    if (fact.occurred > t) break;
    if (fact.payload == "job_directed_effort_started") active = true;
    if (fact.payload == "job_directed_effort_ended") active = false;
  }
  return active;
}

std::vector<DayPeriod> Course::BarselPeriods() const {
  std::vector<DayPeriod> periods;
  for (const Fact& fact : facts_) {
    if (fact.payload == "absence_started" && fact.event->absence_started().kind() == v1::BARSEL) {
      if (periods.empty() || periods.back().to.has_value()) periods.push_back({fact.date, {}});
    } else if (fact.payload == "absence_ended" &&
               fact.event->absence_ended().kind() == v1::BARSEL && !periods.empty() &&
               !periods.back().to.has_value()) {
      periods.back().to = fact.date;
    }
  }
  return periods;
}

}  // namespace fristvagt::rules
