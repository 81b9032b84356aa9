#include "cohort/person.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cohort/calendar.h"
#include "cohort/random.h"
#include "cohort/reference.h"

namespace fristvagt::cohort {

double MunicipalityProfile::Rate(std::string_view rule_id, v1::VisitationGroup group) const {
  const std::vector<Kontrolpunkt>& all = Kontrolpunkter();
  for (size_t i = 0; i < all.size() && i < rates.size(); ++i) {
    if (all[i].rule_id == rule_id) return rates[i][GroupIndex(group)];
  }
  std::fprintf(stderr, "fristvagt: no simulated rate for rule %.*s\n",
               static_cast<int>(rule_id.size()), rule_id.data());
  std::abort();
}

namespace {

using absl::CivilDay;
using absl::Time;
using std::optional;

constexpr v1::VisitationGroup kAaup = v1::AABENLYST_UDDANNELSESPARAT;
constexpr v1::VisitationGroup kUp = v1::UDDANNELSESPARAT;
constexpr v1::VisitationGroup kAp = v1::AKTIVITETSPARAT;
constexpr uint64_t kPersonStream = 0x706572736f6eull;  // "person"

// A broken invariant of the planning (the plan keeps these events inside the period).
[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "fristvagt simulate: internal error: %s\n", what);
  std::abort();
}

void SetTime(google::protobuf::Timestamp* ts, Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

struct Meeting {
  std::string id;
  CivilDay day;
  Time at;
  bool followed_up = false;
  bool topic_225 = false;
  bool topic_coordinating = false;
};

struct Offer {
  CivilDay start;
  optional<CivilDay> end;  // the day of its offer_ended, when one was emitted
  std::string ended_id;    // that offer_ended's event id: the trigger of offer_gap
};

struct Planned {
  Time at;
  v1::CaseEvent event;
};

// Builds one person's history in three steps: decide the course (dates, and for every
// kontrolpunkt whether it is met in time), emit the events that realise those decisions, and
// add the case system's noise. The events are chosen so that no two decisions interact (e.g.
// no-shows are far enough apart that one sanction decision cannot answer two), which is what
// lets each decision be written down as the ground truth of its obligation.
class PersonBuilder {
 public:
  explicit PersonBuilder(const PersonSpec& spec)
      : spec_(spec),
        rng_(Rng::For(spec.seed, {kPersonStream, static_cast<uint64_t>(spec.index)})),
        period_end_day_(DayOf(spec.period_end)),
        last_moment_(spec.period_end - absl::Hours(2)) {}

  PersonHistory Build() {
    ChoosePerson();
    EmitFirstContact();
    if (!in_scope_) {
      BuildOutOfScope();
    } else {
      PlanFirstMeeting();
      PlanCourseEnd();
      PlanVisitation();
      PlanMeetings();
      DecideMeetingContent();
      EmitPaalaeg();
      EmitTests();
      EmitCoordinatingCaseworker();
      EmitOffers();
      EmitCvAndJobseeker();
      EmitPlanUpdates();
      EmitEducation();
      EmitCourseEnd();
      EmitMentorAbsenceAndCaseworker();
      EmitMeetingsAndVisitations();
      OweContactRules();
    }
    return Finish();
  }

 private:
  // --- time helpers -------------------------------------------------------------------------

  // A uniformly chosen weekday in [lo, hi]; `lo` when the range is empty or has none.
  CivilDay PickWorkday(CivilDay lo, CivilDay hi) {
    if (hi < lo) return lo;
    int workdays = 0;
    for (CivilDay d = lo; d <= hi; ++d) workdays += IsWorkday(d) ? 1 : 0;
    if (workdays == 0) return lo;
    int pick = rng_.Between(0, workdays - 1);
    for (CivilDay d = lo; d <= hi; ++d) {
      if (IsWorkday(d) && pick-- == 0) return d;
    }
    return lo;
  }

  Time WorkTime(CivilDay day) { return At(day, rng_.Between(8, 14), 5 * rng_.Between(0, 11)); }

  // A moment on `day`, after `earlier` when that is the same day.
  Time Following(Time earlier, CivilDay day, int min_minutes = 10, int max_minutes = 120) {
    if (DayOf(earlier) == day)
      return earlier + absl::Minutes(rng_.Between(min_minutes, max_minutes));
    return WorkTime(day);
  }

  // --- events -------------------------------------------------------------------------------

  std::string NewId() { return absl::StrCat(spec_.person_key, "-", ++next_id_); }

  // A new event occurring at `at`, or nullptr when that is past the period (not generated).
  v1::CaseEvent* Add(Time at, std::string id = {}) {
    if (at >= last_moment_) return nullptr;
    planned_.push_back({at, {}});
    planned_.back().event.set_event_id(id.empty() ? NewId() : std::move(id));
    return &planned_.back().event;
  }

  // --- ground truth -------------------------------------------------------------------------

  v1::VisitationGroup GroupAt(Time t) const {
    v1::VisitationGroup group = kUp;  // "mødes som uddannelsesparate" before any visitation
    for (const auto& [at, g] : visitations_) {
      if (at <= t) group = g;
    }
    return group;
  }

  // The group that decides whether a group-restricted obligation exists: the one in force
  // when it falls due (or at the end of the period, when it is not yet due).
  v1::VisitationGroup GroupAtDue(Time due_at) const {
    return GroupAt(std::min(spec_.period_end, due_at - absl::Nanoseconds(1)));
  }

  // Records the fate of an obligation that fell due in the period. One still running at the
  // end is left out even when already met: counting only those would flatter the rates.
  void Owe(std::string_view rule, const std::string& instance, CivilDay deadline, Time due_at,
           optional<CivilDay> met, optional<CivilDay> waived) {
    if (due_at > spec_.period_end) return;
    const Outcome outcome = Classify({deadline, due_at, met, waived}, spec_.period_end);
    if (outcome != Outcome::kMetInTime && outcome != Outcome::kNotMetInTime) return;
    TruthRow row;
    row.rule_id = std::string(rule);
    row.instance = instance;
    row.deadline = deadline;
    row.met_in_time = outcome == Outcome::kMetInTime;
    truth_.push_back(std::move(row));
  }

  // A deadline: breached at the first instant after the deadline day.
  void OweBy(std::string_view rule, const std::string& instance, CivilDay deadline,
             optional<CivilDay> met, optional<CivilDay> waived) {
    Owe(rule, instance, deadline, StartOf(deadline + 1), met, waived);
  }

  // A check on the trigger's own documentation: MISSING a grace day after the trigger's day.
  void OweCheck(std::string_view rule, const std::string& instance, CivilDay trigger_day,
                bool documented) {
    Owe(rule, instance, trigger_day, StartOf(trigger_day + 2),
        documented ? optional<CivilDay>(trigger_day) : std::nullopt, course_end_);
  }

  // A pålæg given on or before `deadline` (what makes the pålæg rules apply).
  bool PaalaegBy(CivilDay deadline) const {
    return paalaeg_at_.has_value() && DayOf(*paalaeg_at_) <= deadline;
  }

  double Rate(std::string_view rule) const { return spec_.municipality->Rate(rule, final_group_); }

  // --- the person ---------------------------------------------------------------------------

  void ChoosePerson() {
    const CohortShape& shape = Shape();
    d0_ = PickWorkday(spec_.intake_from, spec_.intake_to - 1);
    fc_at_ = At(d0_, rng_.Between(8, 13), 5 * rng_.Between(0, 11));
    age_ = rng_.Between(18, 29);
    // A few who ask for help are outside the target group: recorded, no obligations.
    if (rng_.Chance(0.03)) {
      in_scope_ = false;
      if (rng_.Chance(0.3)) {
        age_ = rng_.Between(30, 34);
      } else {
        vocational_ = true;
      }
    }
    youth_education_ = !rng_.Chance(shape.no_youth_education);
    if (!youth_education_) {
      const double r = rng_.Uniform();
      if (r < shape.valid_test_given_none) {
        last_test_ = d0_ - rng_.Between(30, 600);  // valid: under 2 years old
        valid_test_ = true;
      } else if (r < shape.valid_test_given_none + 0.05) {
        last_test_ = d0_ - rng_.Between(800, 1500);  // too old to count
      }
    }
    test_target_ = !youth_education_ && !valid_test_;
    first_group_ = GroupAtIndex(rng_.Pick(shape.group_at_first_meeting));
    final_group_ = first_group_;
    if (first_group_ == kUp && !rng_.Chance(shape.up_stays_up)) final_group_ = kAp;
    if (first_group_ == kAp && !rng_.Chance(shape.ap_stays_ap)) final_group_ = kUp;
  }

  void EmitFirstContact() {
    v1::CaseEvent* e = Add(fc_at_);
    if (e == nullptr) Abort("the first contact falls after the period");
    fc_id_ = e->event_id();
    auto* fc = e->mutable_first_contact();
    fc->set_has_youth_education(youth_education_);
    fc->set_has_vocational_education(vocational_);
    fc->set_age_years(age_);
    if (last_test_.has_value()) SetTime(fc->mutable_last_valid_test_at(), At(*last_test_, 12, 0));
    fc->set_benefit(in_scope_ ? v1::UDDANNELSESHJAELP : v1::KONTANTHJAELP);
  }

  // Outside the target group: a few meetings and an offer, then a job. No obligations.
  void BuildOutOfScope() {
    CivilDay day = PickWorkday(d0_, d0_ + 7);
    const CivilDay end = PickWorkday(d0_ + rng_.Between(90, 180), d0_ + 185);
    for (int i = 0; i < 4 && day < end; ++i) {
      if (auto* e = Add(Following(fc_at_, day, 20, 90))) {
        e->mutable_meeting_held()->set_channel(v1::IN_PERSON);
        e->mutable_meeting_held()->set_job_focus(true);
      }
      day = PickWorkday(day + 35, day + 50);
    }
    if (auto* e = Add(At(end, 10, 0))) e->mutable_benefit_ended()->set_reason(v1::EMPLOYMENT);
  }

  void PlanFirstMeeting() {
    const bool in_time = rng_.Chance(Rate("first_meeting"));
    first_.day = in_time ? PickWorkday(d0_, d0_ + 7) : PickWorkday(d0_ + 8, d0_ + 20);
    first_.at = Following(fc_at_, first_.day, 30, 120);
    first_.id = NewId();
  }

  // Education, a job, or still on benefit at the end. The course never ends before all the
  // first-contact deadlines (3 months) have passed, so their fate is the meeting's decision.
  void PlanCourseEnd() {
    const int g = GroupIndex(final_group_);
    const CivilDay earliest = PlusMonths(d0_, 3) + 10;
    static constexpr std::array<double, 3> kToEducation = {0.80, 0.50, 0.08};
    static constexpr std::array<double, 3> kToJob = {0.15, 0.20, 0.06};
    static constexpr std::array<std::pair<int, int>, 3> kWeeks = {
        std::pair{8, 20}, std::pair{16, 44}, std::pair{30, 90}};
    if (rng_.Chance(kToEducation[g])) {
      const int days = 7 * rng_.Between(kWeeks[g].first, kWeeks[g].second);
      const CivilDay admit = PickWorkday(std::max(d0_ + 42, d0_ + days - 45), d0_ + days - 14);
      const CivilDay start = PickWorkday(std::max(admit + rng_.Between(14, 60), earliest),
                                         std::max(admit + 64, earliest + 4));
      if (admit < period_end_day_ - 1) {
        admitted_ = admit;
        education_start_ = start;
        if (start < period_end_day_) course_end_ = start;
      }
    } else if (rng_.Chance(kToJob[g])) {
      const CivilDay end = PickWorkday(std::max(earliest, d0_ + 7 * rng_.Between(12, 60)),
                                       std::max(earliest, d0_ + 7 * 60) + 4);
      if (end < period_end_day_) {
        course_end_ = end;
        end_reason_ = rng_.Chance(0.9) ? v1::EMPLOYMENT : v1::MOVED;
      }
    }
    contact_end_ = course_end_.value_or(period_end_day_);
  }

  // The visitation at the first meeting, and for UP/AP the final one within 3 months. When no
  // final visitation is made in the period, the person stays in the first meeting's group.
  void PlanVisitation() {
    first_visitation_id_ = NewId();
    visitations_.push_back({first_.at + absl::Minutes(25), first_group_});
    first_justified_ = first_group_ == kAp ? rng_.Chance(Rate("aktivitetsparat_at_first_meeting"))
                                           : rng_.Chance(0.5);
    if (first_group_ == kAaup) return;
    const CivilDay deadline = PlusMonths(d0_, 3);
    optional<CivilDay> day;
    if (rng_.Chance(Rate("final_visitation"))) {
      day = PickWorkday(std::min(first_.day + 14, deadline), deadline);
    } else if (rng_.Chance(0.7)) {
      day = PickWorkday(deadline + 1, deadline + 60);
    }
    if (day.has_value() && *day < contact_end_ && At(*day, 15, 0) < last_moment_) {
      final_visitation_at_ = WorkTime(*day);
      final_visitation_id_ = NewId();
      visitations_.push_back({*final_visitation_at_, final_group_});
      final_justified_ = rng_.Chance(Rate("visitation_justified"));
    } else {
      final_group_ = first_group_;
    }
  }

  // The meeting rhythm: about monthly to bimonthly, AP the sparsest. Meetings are weeks
  // apart, so no meeting's documentation can be mistaken for another's.
  void PlanMeetings() {
    meetings_.push_back(first_);
    CivilDay day = first_.day;
    // UP: a second meeting within the first 3 months, or (missed) only after them.
    const bool second_in_time = rng_.Chance(Rate("meetings_up_first_3_months"));
    for (int k = 1;; ++k) {
      const v1::VisitationGroup group = GroupAt(At(day, 23, 0));
      int lo = 42, hi = 70;
      if (group == kAaup) {
        lo = 35, hi = 56;
      } else if (group == kUp && k == 1) {
        lo = 21, hi = 56;
      } else if (group == kAp) {
        lo = 35, hi = 70;
      }
      int gap = rng_.Between(lo, hi);
      if (group == kUp && k == 1 && !second_in_time) {
        gap = static_cast<int>(PlusMonths(d0_, 3) - day) + rng_.Between(1, 30);
      }
      day = PickWorkday(day + gap, day + gap + 3);
      if (day + 2 >= contact_end_ || At(day, 15, 0) >= last_moment_) break;
      meetings_.push_back({NewId(), day, At(day, rng_.Between(8, 14), 15 * rng_.Between(0, 3))});
    }
  }

  void DecideMeetingContent() {
    // The pålæg: at the first meeting, or later (at the second meeting), or never.
    if (rng_.Chance(Rate("paalaeg_at_first_meeting"))) {
      paalaeg_at_ = first_.at + absl::Minutes(35);
    } else if (meetings_.size() > 1 && rng_.Chance(0.6)) {
      paalaeg_at_ = meetings_[1].at + absl::Minutes(35);
    }
    for (size_t k = 1; k < meetings_.size(); ++k) {
      Meeting& m = meetings_[k];
      if (paalaeg_at_.has_value() && *paalaeg_at_ < m.at) {
        m.followed_up = rng_.Chance(Rate("paalaeg_followed_up"));
        OweCheck("paalaeg_followed_up", m.id, m.day, m.followed_up);
      }
    }
    // Guidance on the 225-hour rule at a meeting within 3 months (usually the first).
    const CivilDay deadline = PlusMonths(d0_, 3);
    optional<CivilDay> guided;
    if (rng_.Chance(Rate("guidance_225_hours"))) {
      std::vector<Meeting*> in_window;
      for (Meeting& m : meetings_) {
        if (m.day <= deadline) in_window.push_back(&m);
      }
      Meeting* m = rng_.Chance(0.6)
                       ? &meetings_[0]
                       : in_window[rng_.Between(0, static_cast<int>(in_window.size()) - 1)];
      m->topic_225 = true;
      guided = m->day;
    } else if (rng_.Chance(0.4)) {
      for (Meeting& m : meetings_) {
        if (m.day > deadline) {
          m.topic_225 = true;
          break;
        }
      }
    }
    OweBy("guidance_225_hours", fc_id_, deadline, guided, course_end_);
  }

  void EmitPaalaeg() {
    if (paalaeg_at_.has_value()) {
      const CivilDay issued = DayOf(*paalaeg_at_);
      const CivilDay wishes = PickWorkday(issued + 14, issued + 35);
      optional<CivilDay> application;
      if (final_group_ != kAp) application = PickWorkday(wishes + 28, wishes + 90);
      v1::CaseEvent* e = Add(*paalaeg_at_);
      if (e == nullptr) Abort("the pålæg falls after the period");
      auto* order = e->mutable_education_order_issued();
      SetTime(order->mutable_wishes_deadline(), At(wishes, 12, 0));
      if (application) SetTime(order->mutable_application_deadline(), At(*application, 12, 0));
      const std::string order_id = e->event_id();
      EmitStep(order_id, v1::WISHES, issued, wishes);
      if (application) EmitStep(order_id, v1::APPLICATION, issued, *application);
    }
    OweCheckMet("paalaeg_at_first_meeting", first_.id, first_.day,
                paalaeg_at_ ? optional<CivilDay>(DayOf(*paalaeg_at_)) : std::nullopt);
  }

  // A check met by another event (not the trigger's own fields).
  void OweCheckMet(std::string_view rule, const std::string& instance, CivilDay trigger_day,
                   optional<CivilDay> met) {
    Owe(rule, instance, trigger_day, StartOf(trigger_day + 2), met, course_end_);
  }

  void EmitStep(const std::string& order_id, v1::EducationOrderStep step, CivilDay issued,
                CivilDay deadline) {
    optional<CivilDay> day;
    if (rng_.Chance(Rate("paalaeg_step_deadline"))) {
      day = PickWorkday(issued + 1, deadline);
    } else if (rng_.Chance(0.5)) {
      day = PickWorkday(deadline + 1, deadline + 40);
    }
    optional<CivilDay> met;
    if (day.has_value() && *day < contact_end_) {
      if (auto* e = Add(WorkTime(*day))) {
        e->mutable_education_order_step_completed()->set_step(step);
        met = day;
      }
    }
    OweBy("paalaeg_step_deadline", absl::StrCat(order_id, ":", v1::EducationOrderStep_Name(step)),
          deadline, met, course_end_);
  }

  // The need for the reading, writing and maths test, the test, and the course after it.
  void EmitTests() {
    const CivilDay deadline = PlusMonths(d0_, 1);
    v1::TestNeedOutcome outcome = v1::TEST_NEEDED;
    if (youth_education_) {
      outcome = v1::NOT_NEEDED_YOUTH_EDUCATION;
    } else if (valid_test_) {
      outcome = v1::NOT_NEEDED_VALID_TEST;
    } else if (rng_.Chance(0.10)) {
      outcome = v1::EXEMPT_VALID_REASON;
    }
    const bool assessed_in_time = rng_.Chance(Rate("test_need_assessment"));
    optional<CivilDay> assessed;
    if (assessed_in_time) {
      assessed = rng_.Chance(0.5) ? first_.day : PickWorkday(d0_, deadline);
    } else if (rng_.Chance(0.6)) {
      assessed = PickWorkday(deadline + 1, deadline + 60);
    }
    optional<CivilDay> tested;
    if (test_target_ && outcome != v1::EXEMPT_VALID_REASON) {
      if (rng_.Chance(Rate("test_completed"))) {
        tested = PickWorkday(assessed_in_time ? *assessed : d0_ + 1, deadline);
        if (!assessed_in_time) assessed.reset();  // tested without a registered assessment
      } else if (rng_.Chance(0.5)) {
        tested = PickWorkday(deadline + 1, deadline + 90);
      }
    }
    optional<Time> assessed_at;
    if (assessed.has_value() && *assessed < contact_end_) {
      assessed_at =
          *assessed == first_.day ? first_.at + absl::Minutes(40) : Following(fc_at_, *assessed);
      if (auto* e = Add(*assessed_at)) {
        e->mutable_test_need_assessed()->set_outcome(outcome);
      } else {
        assessed.reset();
        assessed_at.reset();
      }
    } else {
      assessed.reset();
    }
    OweBy("test_need_assessment", fc_id_, deadline, assessed, course_end_);

    if (tested.has_value() && *tested < contact_end_) {
      const Time at =
          assessed_at ? Following(*assessed_at, *tested, 30, 90) : Following(fc_at_, *tested);
      const bool course_needed = rng_.Chance(0.45);
      if (auto* e = Add(at)) {
        e->mutable_test_completed()->set_course_needed(course_needed);
        test_at_ = at;
        if (course_needed) EmitCourseAfterTest(e->event_id(), *tested, at);
      } else {
        tested.reset();
      }
    } else {
      tested.reset();
    }
    if (test_target_) {
      // A documented reason not to test, dated in time, waives the test.
      optional<CivilDay> waived = course_end_;
      if (assessed.has_value() && outcome != v1::TEST_NEEDED &&
          (!waived.has_value() || *assessed < *waived)) {
        waived = assessed;
      }
      OweBy("test_completed", fc_id_, deadline, tested, waived);
    }
  }

  void EmitCourseAfterTest(const std::string& test_id, CivilDay tested, Time tested_at) {
    const CivilDay deadline = tested + 14;
    optional<CivilDay> day;
    if (rng_.Chance(Rate("course_after_test"))) {
      day = PickWorkday(tested, deadline);
    } else if (rng_.Chance(0.5)) {
      day = PickWorkday(deadline + 1, deadline + 45);
    }
    optional<CivilDay> met;
    if (day.has_value() && *day < contact_end_) {
      if (auto* e = Add(Following(tested_at, *day, 30, 90))) {
        e->mutable_course_offered();
        met = day;
      }
    }
    OweBy("course_after_test", test_id, deadline, met, course_end_);
  }

  // Offered "umiddelbart" (7 days) after the first AP visitation: by a registered offer or as
  // a guidance topic at the meeting where the visitation was made.
  void EmitCoordinatingCaseworker() {
    std::string trigger_id;
    Time trigger_at;
    if (first_group_ == kAp) {
      trigger_id = first_visitation_id_;
      trigger_at = visitations_[0].first;
    } else if (final_group_ == kAp && final_visitation_at_.has_value()) {
      trigger_id = final_visitation_id_;
      trigger_at = *final_visitation_at_;
    } else {
      return;
    }
    const CivilDay trigger_day = DayOf(trigger_at);
    const CivilDay deadline = trigger_day + 7;
    optional<CivilDay> day;
    bool at_meeting = false;
    if (rng_.Chance(spec_.municipality->Rate("coordinating_caseworker", kAp))) {
      if (trigger_id == first_visitation_id_ && rng_.Chance(0.5)) {
        at_meeting = true;
        day = trigger_day;
      } else {
        day = PickWorkday(trigger_day, std::min(deadline, contact_end_ - 1));
      }
    } else if (rng_.Chance(0.3)) {
      day = PickWorkday(deadline + 1, deadline + 60);
    }
    optional<CivilDay> met;
    if (at_meeting) {
      meetings_[0].topic_coordinating = true;
      met = day;
    } else if (day.has_value() && *day < contact_end_) {
      if (auto* e = Add(Following(trigger_at, *day, 20, 60))) {
        e->mutable_coordinating_caseworker_offered()->set_accepted(rng_.Chance(0.7));
        met = day;
      }
    }
    OweBy("coordinating_caseworker", trigger_id, deadline, met, course_end_);
  }

  v1::OfferType PickOfferType(v1::VisitationGroup group) {
    static constexpr v1::OfferType kTypes[] = {
        v1::VEJLEDNING_OPKVALIFICERING, v1::VIRKSOMHEDSPRAKTIK, v1::LOENTILSKUD, v1::NYTTEINDSATS};
    const CohortShape& shape = Shape();
    return kTypes[rng_.Pick(group == kAaup ? shape.offer_mix_aaup : shape.offer_mix)];
  }

  // Offers one at a time: the first within a month (or late), then the next within 4 weeks of
  // the last one's end (or late), each with or without its documentation, some with a no-show.
  void EmitOffers() {
    const CivilDay first_deadline = PlusMonths(d0_, 1);
    CivilDay start;
    if (first_group_ == kAaup) {
      start = PickWorkday(first_.day + 7, first_.day + 35);
    } else if (rng_.Chance(Rate("first_offer"))) {
      start = PickWorkday(first_.day, first_deadline);
    } else {
      start = PickWorkday(first_deadline + 1, first_deadline + 50);
    }
    std::vector<Offer> offers;
    while (start + 7 < contact_end_) {
      const v1::VisitationGroup group = GroupAt(At(start, 9, 0));
      const v1::OfferType type = PickOfferType(group);
      const int length = type == v1::LOENTILSKUD ? rng_.Between(91, 182) : rng_.Between(28, 91);
      const CivilDay planned_end = start + length;
      v1::CaseEvent* e = Add(At(start, 9, 5 * rng_.Between(0, 11)));
      if (e == nullptr) break;
      Offer offer{start, std::nullopt, ""};
      auto* started = e->mutable_offer_started();
      started->set_offer_id(absl::StrCat("o-", offers.size() + 1));
      started->set_offer_type(type);
      SetTime(started->mutable_planned_end(), At(planned_end, 15, 0));
      const bool justified = rng_.Chance(Rate("offer_justified"));
      // 76 % assessment and 69 % purpose (cohort.md): the split when not both are there.
      const int partial = justified ? -1 : rng_.Pick(std::array<double, 3>{0.32, 0.125, 0.555});
      started->set_individual_assessment_documented(justified || partial == 0);
      started->set_purpose_documented(justified || partial == 1);
      OweCheck("offer_justified", e->event_id(), start, justified);
      const std::string offer_key = started->offer_id();

      const CivilDay end = std::min(planned_end, contact_end_ - 1);
      EmitNoShow(offer_key, start, end);
      if (auto* ended = Add(At(end, 15, 0))) {
        ended->mutable_offer_ended()->set_offer_id(offer_key);
        offer.end = end;
        offer.ended_id = ended->event_id();
      }
      offers.push_back(offer);
      if (!offer.end.has_value() || end < planned_end) break;
      start = rng_.Chance(Rate("offer_gap")) ? PickWorkday(end + 1, end + 28)
                                             : PickWorkday(end + 29, end + 70);
    }
    // The first offer (UP/AP at the deadline) and the gap after each ended offer.
    const Time first_due = StartOf(first_deadline + 1);
    if (GroupAtDue(first_due) != kAaup) {
      OweBy("first_offer", fc_id_, first_deadline,
            offers.empty() ? std::nullopt : optional<CivilDay>(offers[0].start), course_end_);
    }
    for (size_t i = 0; i < offers.size(); ++i) {
      if (!offers[i].end.has_value()) continue;
      const CivilDay deadline = *offers[i].end + 28;
      if (GroupAtDue(StartOf(deadline + 1)) == kAaup) continue;
      optional<CivilDay> next;
      if (i + 1 < offers.size()) next = offers[i + 1].start;
      OweBy("offer_gap", offers[i].ended_id, deadline, next, course_end_);
    }
  }

  // At most one no-show per offer and 60+ days apart, so that each sanction decision (at most
  // 45 days late) answers its own no-show only.
  void EmitNoShow(const std::string& offer_key, CivilDay start, CivilDay end) {
    if (rng_.Chance(0.3) && end - start >= 7) {
      const CivilDay day = PickWorkday(start + 3, end - 1);
      if (!last_no_show_.has_value() || day >= *last_no_show_ + 60) {
        last_no_show_ = day;
        EmitSanction(offer_key, day);
      }
    }
  }

  void EmitSanction(const std::string& offer_key, CivilDay day) {
    const Time no_show_at = At(day, 10, 0);
    const bool valid_reason = rng_.Chance(Shape().no_show_valid_reason);
    v1::CaseEvent* e = Add(no_show_at);
    if (e == nullptr) return;
    e->mutable_no_show()->set_offer_id(offer_key);
    e->mutable_no_show()->set_valid_reason(valid_reason);
    if (valid_reason) return;
    const std::string no_show_id = e->event_id();
    const CivilDay deadline = day + 14;
    optional<CivilDay> decided;
    if (rng_.Chance(Rate("sanction_decision"))) {
      decided = PickWorkday(day + 1, deadline);
    } else if (rng_.Chance(0.5)) {
      decided = PickWorkday(deadline + 1, deadline + 31);
    }
    optional<CivilDay> met;
    if (decided.has_value() && *decided < contact_end_) {
      const Time decided_at = WorkTime(*decided);
      const bool imposed = rng_.Chance(Shape().sanction_imposed);
      const bool must_contact = imposed && GroupAt(decided_at) == kAp;
      const bool contact =
          must_contact ? rng_.Chance(Rate("contact_before_sanction")) : rng_.Chance(0.2);
      if (contact) {
        const CivilDay contact_day = PickWorkday(day, *decided - 1);
        if (auto* c = Add(Following(no_show_at, contact_day, 60, 240))) {
          c->mutable_contact_attempted()->set_reached(rng_.Chance(0.5));
        }
      }
      if (auto* s = Add(decided_at)) {
        s->mutable_sanction_decided()->set_imposed(imposed);
        met = decided;
        if (must_contact) OweCheck("contact_before_sanction", s->event_id(), *decided, contact);
      }
    }
    OweBy("sanction_decision", no_show_id, deadline, met, course_end_);
  }

  // ÅUP: a CV visible with a job goal and registration as job seeker within 3 weeks.
  void EmitCvAndJobseeker() {
    const CivilDay deadline = d0_ + 21;
    optional<CivilDay> visible;
    if (first_group_ == kAaup) {
      if (rng_.Chance(Rate("cv_visible"))) {
        const CivilDay day = PickWorkday(d0_, deadline);
        if (EmitCv(day, rng_.Between(1, 3))) visible = day;
      } else {
        if (rng_.Chance(0.35)) EmitCv(PickWorkday(d0_, deadline), 0);
        if (rng_.Chance(0.6)) EmitCv(PickWorkday(deadline + 1, deadline + 60), rng_.Between(1, 2));
      }
      optional<CivilDay> registered;
      if (rng_.Chance(Rate("jobseeker_registered"))) {
        registered = PickWorkday(d0_, deadline);
      } else if (rng_.Chance(0.5)) {
        registered = PickWorkday(deadline + 1, deadline + 40);
      }
      if (registered.has_value() && *registered < contact_end_) {
        if (auto* e = Add(Following(fc_at_, *registered, 20, 180))) {
          e->mutable_jobseeker_registered();
        } else {
          registered.reset();
        }
      } else {
        registered.reset();
      }
      if (GroupAtDue(StartOf(deadline + 1)) == kAaup) {
        OweBy("cv_visible", fc_id_, deadline, visible, course_end_);
        OweBy("jobseeker_registered", fc_id_, deadline, registered, course_end_);
      }
    } else if (rng_.Chance(0.3)) {
      EmitCv(PickWorkday(first_.day + 1, first_.day + 60), rng_.Between(0, 2));
    }
  }

  bool EmitCv(CivilDay day, int job_goals) {
    if (day >= contact_end_) return false;
    v1::CaseEvent* e = Add(Following(fc_at_, day, 20, 180));
    if (e == nullptr) return false;
    e->mutable_cv_published()->set_job_goal_count(job_goals);
    return true;
  }

  // Min Plan, updated at some meetings; with a pålæg the education goal is in it within 3
  // months, later, or never.
  void EmitPlanUpdates() {
    std::vector<std::pair<CivilDay, Time>> updates;
    for (size_t k = 0; k < meetings_.size(); ++k) {
      if (rng_.Chance(k == 0 ? 0.7 : 0.4)) {
        updates.push_back({meetings_[k].day, meetings_[k].at + absl::Minutes(50)});
      }
    }
    optional<CivilDay> goal;
    if (paalaeg_at_.has_value()) {
      const CivilDay deadline = PlusMonths(d0_, 3);
      if (rng_.Chance(Rate("education_goal_in_plan"))) {
        goal = PickWorkday(d0_, deadline);
      } else if (rng_.Chance(0.5)) {
        goal = PickWorkday(deadline + 1, deadline + 60);
      }
      if (goal.has_value() && *goal < contact_end_) {
        updates.push_back({*goal, Following(fc_at_, *goal, 20, 200)});
      } else {
        goal.reset();
      }
    }
    const bool goal_without_paalaeg = rng_.Chance(0.4);
    optional<CivilDay> emitted_goal;
    for (const auto& [day, at] : updates) {
      v1::CaseEvent* e = Add(at);
      if (e == nullptr) continue;
      auto* plan = e->mutable_plan_updated();
      const bool has_goal =
          paalaeg_at_.has_value() ? goal.has_value() && day >= *goal : goal_without_paalaeg;
      plan->set_has_education_goal(has_goal);
      plan->set_has_job_goal(rng_.Chance(first_group_ == kAaup ? 0.7 : 0.3));
      plan->set_agreements_recorded(rng_.Chance(0.87));
      if (has_goal && (!emitted_goal.has_value() || day < *emitted_goal)) emitted_goal = day;
    }
    if (PaalaegBy(PlusMonths(d0_, 3))) {
      OweBy("education_goal_in_plan", fc_id_, PlusMonths(d0_, 3), emitted_goal, course_end_);
    }
  }

  // Admission, the duty assessment, the information to the institution, the start.
  void EmitEducation() {
    if (!admitted_.has_value()) return;
    static constexpr const char* kProgrammes[] = {"Tømrer (EUD)",
                                                  "Social- og sundhedshjælper (EUD)",
                                                  "Pædagogisk assistent (EUD)",
                                                  "Datatekniker (EUD)",
                                                  "Smed (EUD)",
                                                  "HF",
                                                  "HHX",
                                                  "EUX Business",
                                                  "Frisør (EUD)",
                                                  "Elektriker (EUD)"};
    const CivilDay admit = *admitted_;
    const CivilDay start = *education_start_;
    const Time admit_at = WorkTime(admit);
    v1::CaseEvent* e = Add(admit_at);
    if (e == nullptr) return;
    const std::string admission_id = e->event_id();
    institution_ = rng_.Chance(Rate("institution_identified"))
                       ? absl::StrFormat("%06d", rng_.Between(100000, 899999))
                       : "";
    auto* admitted = e->mutable_education_admitted();
    admitted->set_institution_id(institution_);
    admitted->set_programme(kProgrammes[rng_.Between(0, 9)]);
    SetTime(admitted->mutable_start_at(), At(start, 8, 0));
    OweCheckEducation("institution_identified", admission_id, admit, !institution_.empty());
    if (PaalaegBy(std::max(start, admit + 1))) {
      EmitDutyAndTransfer(admission_id, admit, admit_at, start);
    }
  }

  void EmitDutyAndTransfer(const std::string& admission_id, CivilDay admit, Time admit_at,
                           CivilDay start) {
    const CivilDay deadline = std::max(start, admit + 1);
    const bool assessed_in_time = rng_.Chance(Rate("duty_assessment"));
    optional<CivilDay> assessed;
    bool applies = true;
    if (assessed_in_time) {
      assessed = PickWorkday(admit, deadline);
      applies = rng_.Chance(0.9);
    } else if (rng_.Chance(0.4)) {
      assessed = PickWorkday(deadline + 1, deadline + 30);
    }
    if (assessed.has_value()) {
      if (auto* e = Add(Following(admit_at, *assessed, 30, 90))) {
        e->mutable_duty_assessed()->set_duty_applies(applies);
      } else {
        assessed.reset();
        applies = true;
      }
    }
    OweBy("duty_assessment", admission_id, deadline, assessed, std::nullopt);
    if (!applies) return;  // no duty: nothing to tell the institution (the rule is waived)
    const bool transfer_owed = PaalaegBy(start);

    const double rate = assessed_in_time ? Rate("info_transfer") : 0.01;
    optional<CivilDay> informed;
    if (!institution_.empty()) {
      if (rng_.Chance(rate)) {
        informed = PickWorkday(admit, start);
      } else if (rng_.Chance(0.2)) {
        informed = PickWorkday(start + 1, start + 30);
      }
    }
    optional<CivilDay> met;
    if (informed.has_value()) {
      const Time informed_at = Following(admit_at, *informed, 90, 180);
      if (auto* e = Add(informed_at)) {
        // Test results are part of the information only when a test was taken before it.
        const bool test_taken = test_at_.has_value() && *test_at_ <= informed_at;
        const bool complete = rng_.Chance(Rate("info_transfer_content"));
        auto* info = e->mutable_institution_informed();
        info->set_institution_id(institution_);
        // Incomplete: one required part surely missing, the others now and then.
        const int missing = complete ? -1 : rng_.Between(0, test_taken ? 3 : 2);
        info->set_included_paalaeg(missing != 0 && (complete || rng_.Chance(0.7)));
        info->set_included_activities(missing != 1 && (complete || rng_.Chance(0.7)));
        info->set_included_support_assessment(missing != 2 && (complete || rng_.Chance(0.7)));
        info->set_included_test_results(test_taken ? missing != 3 && (complete || rng_.Chance(0.7))
                                                   : rng_.Chance(0.3));
        info->set_included_contact_person(rng_.Chance(0.5));
        OweCheckEducation("info_transfer_content", e->event_id(), *informed, complete);
        met = informed;
      }
    }
    if (transfer_owed) OweBy("info_transfer", admission_id, start, met, std::nullopt);
  }

  // Education checks are not waived by the start of the education.
  void OweCheckEducation(std::string_view rule, const std::string& instance, CivilDay day,
                         bool documented) {
    Owe(rule, instance, day, StartOf(day + 2), documented ? optional<CivilDay>(day) : std::nullopt,
        std::nullopt);
  }

  void EmitCourseEnd() {
    if (education_start_.has_value() && *education_start_ < period_end_day_) {
      const CivilDay start = *education_start_;
      if (auto* e = Add(At(start, 8, 30))) {
        e->mutable_education_started()->set_institution_id(institution_);
      }
      if (auto* e = Add(At(start, 9, 0))) {
        e->mutable_benefit_ended()->set_reason(v1::EDUCATION);
      }
      if (rng_.Chance(Shape().mentor_at_education_start)) {
        if (auto* e = Add(At(start, 10, 0))) {
          SetTime(e->mutable_mentor_granted()->mutable_period_end(),
                  At(PlusMonths(start, 6), 12, 0));
        }
      }
      if (rng_.Chance(0.08)) {
        const CivilDay reported = PickWorkday(start + 20, start + 120);
        if (auto* e = Add(WorkTime(reported))) {
          e->mutable_dropout_risk_reported()->set_institution_id(institution_);
          if (rng_.Chance(0.5)) {
            if (auto* h = Add(WorkTime(PickWorkday(reported + 1, reported + 20)))) {
              h->mutable_dropout_risk_handled()->set_action("samtale med den unge");
            }
          }
          if (rng_.Chance(0.3)) {
            if (auto* d = Add(WorkTime(PickWorkday(reported + 21, reported + 60)))) {
              d->mutable_education_dropped();
            }
          }
        }
      }
    } else if (course_end_.has_value()) {
      if (auto* e = Add(At(*course_end_, 10, 0))) {
        e->mutable_benefit_ended()->set_reason(end_reason_);
      }
    }
  }

  void EmitMentorAbsenceAndCaseworker() {
    const CohortShape& shape = Shape();
    const double mentor = final_group_ == kAp   ? shape.mentor_during_course_ap
                          : final_group_ == kUp ? shape.mentor_during_course_up
                                                : 0.05;
    if (rng_.Chance(mentor)) {
      const CivilDay granted = PickWorkday(first_.day + 14, first_.day + 120);
      const CivilDay period_end = granted + rng_.Between(90, 180);
      if (granted < contact_end_) {
        if (auto* e = Add(WorkTime(granted))) {
          SetTime(e->mutable_mentor_granted()->mutable_period_end(), At(period_end, 12, 0));
          const CivilDay ended = std::min(period_end, contact_end_ - 1);
          if (auto* m = Add(At(ended, 14, 0))) m->mutable_mentor_ended();
        }
      }
    }
    if (rng_.Chance(0.12)) EmitAbsence(v1::SYGDOM, first_.day + 7, contact_end_ - 20, 3, 14);
    const CivilDay july(d0_.year(), 7, 1);
    if (rng_.Chance(0.2) && july > d0_ + 14) EmitAbsence(v1::FERIE, july, july + 14, 7, 21);
    // "One caseworker through the last year": 59 %.
    if (!rng_.Chance(Shape().one_caseworker) && contact_end_ > first_.day + 40) {
      const CivilDay day = PickWorkday(first_.day + 30, contact_end_ - 10);
      if (auto* e = Add(WorkTime(day))) {
        e->mutable_caseworker_changed();
        caseworker_change_at_ = planned_.back().at;
      }
    }
  }

  void EmitAbsence(v1::AbsenceKind kind, CivilDay lo, CivilDay hi, int min_days, int max_days) {
    if (hi < lo) return;
    const CivilDay from = PickWorkday(lo, hi);
    const CivilDay to = from + rng_.Between(min_days, max_days);
    if (to >= contact_end_) return;
    if (auto* e = Add(At(from, 8, 0))) e->mutable_absence_started()->set_kind(kind);
    if (auto* e = Add(At(to, 8, 0))) e->mutable_absence_ended()->set_kind(kind);
  }

  void EmitMeetingsAndVisitations() {
    static constexpr std::array<double, 4> kChannels = {0.70, 0.20, 0.05, 0.05};
    const CohortShape& shape = Shape();
    for (size_t k = 0; k < meetings_.size(); ++k) {
      const Meeting& m = meetings_[k];
      v1::CaseEvent* e = Add(m.at, m.id);
      if (e == nullptr) Abort("a planned meeting falls after the period");
      auto* held = e->mutable_meeting_held();
      held->set_channel(static_cast<v1::MeetingChannel>(1 + rng_.Pick(kChannels)));
      held->set_paalaeg_followed_up(m.followed_up);
      const v1::VisitationGroup group = GroupAt(m.at);
      held->set_education_focus(rng_.Chance(shape.education_focus[GroupIndex(group)]));
      held->set_job_focus(rng_.Chance(group == kAaup ? 0.6 : 0.3));
      if (k == 0 && rng_.Chance(0.8)) held->add_guidance_topics(v1::RIGHTS_AND_DUTIES);
      if (m.topic_225) held->add_guidance_topics(v1::RULE_225_HOURS);
      if (m.topic_coordinating) held->add_guidance_topics(v1::COORDINATING_CASEWORKER);
    }
    const CohortShape& s = shape;
    v1::CaseEvent* first = Add(visitations_[0].first, first_visitation_id_);
    if (first == nullptr) Abort("the first visitation falls after the period");
    auto* decided = first->mutable_visitation_decided();
    decided->set_group(first_group_);
    decided->set_is_final(first_group_ == kAaup);
    decided->set_justification_documented(first_justified_);
    decided->set_youth_perspective_documented(rng_.Chance(s.youth_perspective));
    if (final_visitation_at_.has_value()) {
      v1::CaseEvent* e = Add(*final_visitation_at_, final_visitation_id_);
      if (e == nullptr) Abort("the final visitation falls after the period");
      auto* final_decided = e->mutable_visitation_decided();
      final_decided->set_group(final_group_);
      final_decided->set_is_final(true);
      final_decided->set_justification_documented(final_justified_);
      final_decided->set_youth_perspective_documented(rng_.Chance(s.youth_perspective));
    }
  }

  // The first-contact rules and the visitation checks, once the meetings are known.
  void OweContactRules() {
    OweBy("first_meeting", fc_id_, d0_ + 7, first_.day, course_end_);
    const CivilDay three_months = PlusMonths(d0_, 3);
    optional<CivilDay> final_day;
    if (first_group_ == kAaup) final_day = first_.day;
    if (final_visitation_at_.has_value()) final_day = DayOf(*final_visitation_at_);
    OweBy("final_visitation", fc_id_, three_months, final_day, course_end_);
    if (final_visitation_at_.has_value()) {
      OweCheck("visitation_justified", final_visitation_id_, *final_day, final_justified_);
    }
    if (first_group_ == kAp) {
      OweCheck("aktivitetsparat_at_first_meeting", first_visitation_id_, first_.day,
               first_justified_);
    }
    if (GroupAtDue(StartOf(three_months + 1)) == kUp) {
      optional<CivilDay> second;
      if (meetings_.size() > 1 && meetings_[1].day <= three_months) second = meetings_[1].day;
      OweBy("meetings_up_first_3_months", fc_id_, three_months, second, course_end_);
    }
    // The AP rhythm is a chain: from the first contact, then from each meeting, the next
    // meeting is due within 2 months.
    std::vector<std::pair<std::string, CivilDay>> anchors = {{fc_id_, d0_}};
    for (const Meeting& m : meetings_) anchors.push_back({m.id, m.day});
    for (size_t k = 0; k < anchors.size(); ++k) {
      const CivilDay deadline = PlusMonths(anchors[k].second, 2);
      if (GroupAtDue(StartOf(deadline + 1)) != kAp) continue;
      optional<CivilDay> next;
      if (k + 1 < anchors.size()) next = anchors[k + 1].second;
      OweBy("meetings_ap_every_2_months", anchors[k].first, deadline, next, course_end_);
    }
  }

  // --- the case system's registration, and its noise ---------------------------------------

  Time RegistrationLag(const v1::CaseEvent& event, Time occurred) {
    absl::Duration lag;
    const double r = rng_.Uniform();
    if (event.has_first_contact()) {
      lag = r < 0.9 ? absl::Minutes(rng_.Between(5, 120)) : absl::Hours(24 * rng_.Between(1, 2));
    } else if (r < 0.80) {
      lag = absl::Minutes(rng_.Between(5, 240));
    } else if (r < 0.92) {
      lag = absl::Hours(24 * rng_.Between(1, 3)) + absl::Minutes(rng_.Between(0, 300));
    } else if (r < 0.98) {
      lag = absl::Hours(24 * rng_.Between(4, 10)) + absl::Minutes(rng_.Between(0, 300));
    } else {
      lag = absl::Hours(24 * rng_.Between(11, 30)) + absl::Minutes(rng_.Between(0, 300));
    }
    return std::min(occurred + lag, spec_.period_end - absl::Minutes(1));
  }

  void Envelope(v1::CaseEvent* event, Time occurred, Time recorded) {
    event->set_person_key(spec_.person_key);
    event->set_municipality_code(spec_.municipality->code);
    const bool changed = caseworker_change_at_.has_value() && occurred >= *caseworker_change_at_;
    event->set_caseworker_id(changed ? caseworker_after_ : caseworker_);
    event->set_source_system(spec_.municipality->source_system);
    SetTime(event->mutable_occurred_at(), occurred);
    SetTime(event->mutable_recorded_at(), recorded);
  }

  void PushLine(Time sort_time, const v1::CaseEvent& event, Malformation how) {
    history_.lines.push_back({sort_time, static_cast<int>(history_.lines.size()), event, how});
  }

  PersonHistory Finish() {
    const auto& cws = spec_.municipality->caseworkers;
    caseworker_ = cws[rng_.Between(0, static_cast<int>(cws.size()) - 1)];
    caseworker_after_ = cws[rng_.Between(0, static_cast<int>(cws.size()) - 1)];
    if (caseworker_after_ == caseworker_ && cws.size() > 1) {
      caseworker_after_ =
          cws[(std::find(cws.begin(), cws.end(), caseworker_) - cws.begin() + 1) % cws.size()];
    }
    for (Planned& p : planned_) {
      const Time recorded = RegistrationLag(p.event, p.at);
      Envelope(&p.event, p.at, recorded);
      if (rng_.Chance(0.004)) AddMalformed(p.event, recorded);
      PushLine(recorded, p.event, Malformation::kNone);
      if (rng_.Chance(0.02)) {  // re-delivered: the same event_id again, a little later
        const Time again = std::min(recorded + absl::Minutes(rng_.Between(1, 4320)),
                                    spec_.period_end - absl::Minutes(1));
        v1::CaseEvent copy = p.event;
        SetTime(copy.mutable_recorded_at(), again);
        PushLine(again, copy, Malformation::kNone);
        ++history_.redelivered;
      }
      if (IsVoidable(p.event) && rng_.Chance(0.015)) AddVoided(p.event, recorded);
    }
    const v1::VisitationGroup final_group = GroupAt(spec_.period_end);
    for (TruthRow& row : truth_) {
      row.person_key = spec_.person_key;
      row.municipality_code = spec_.municipality->code;
      row.group = final_group;
    }
    history_.truth = std::move(truth_);
    history_.in_scope = in_scope_;
    return std::move(history_);
  }

  // Registrations a caseworker might enter twice by mistake and then void.
  static bool IsVoidable(const v1::CaseEvent& event) {
    return event.has_meeting_held() || event.has_plan_updated() || event.has_cv_published() ||
           event.has_jobseeker_registered() || event.has_contact_attempted();
  }

  // A spurious second registration of `event` under a new id, voided a few days later.
  void AddVoided(const v1::CaseEvent& event, Time recorded) {
    const Time limit = spec_.period_end - absl::Minutes(1);
    const Time copy_at = recorded + absl::Minutes(rng_.Between(1, 30));
    const Time void_at = copy_at + absl::Hours(24 * rng_.Between(1, 5));
    if (void_at >= limit) return;
    v1::CaseEvent copy = event;
    copy.set_event_id(event.event_id() + "-dup");
    SetTime(copy.mutable_recorded_at(), copy_at);
    PushLine(copy_at, copy, Malformation::kNone);
    v1::CaseEvent voiding;
    voiding.set_event_id(NewId());
    Envelope(&voiding, void_at, void_at);
    voiding.mutable_registration_voided()->set_voided_event_id(copy.event_id());
    PushLine(void_at, voiding, Malformation::kNone);
    ++history_.voided;
  }

  // A broken delivery of `event` just before the good one.
  void AddMalformed(const v1::CaseEvent& event, Time recorded) {
    v1::CaseEvent bad = event;
    const auto how = static_cast<Malformation>(1 + rng_.Between(0, 4));
    if (how == Malformation::kMissingOccurred) bad.clear_occurred_at();
    if (how == Malformation::kBadMunicipality) bad.set_municipality_code("8510");
    if (how == Malformation::kClockSkew)
      SetTime(bad.mutable_occurred_at(), recorded + absl::Hours(3));
    PushLine(recorded - absl::Seconds(1), bad, how);
    ++history_.malformed;
  }

  const PersonSpec& spec_;
  Rng rng_;
  const CivilDay period_end_day_;
  const Time last_moment_;
  int next_id_ = 0;
  std::deque<Planned> planned_;
  std::vector<TruthRow> truth_;
  PersonHistory history_;

  // Who the person is.
  CivilDay d0_;
  Time fc_at_;
  std::string fc_id_;
  int age_ = 0;
  bool in_scope_ = true;
  bool vocational_ = false;
  bool youth_education_ = false;
  bool valid_test_ = false;
  bool test_target_ = false;
  optional<Time> test_at_;  // when the test was taken, if it was
  optional<CivilDay> last_test_;
  v1::VisitationGroup first_group_ = kUp;
  v1::VisitationGroup final_group_ = kUp;

  // The course as planned.
  Meeting first_;
  std::vector<Meeting> meetings_;
  std::vector<std::pair<Time, v1::VisitationGroup>> visitations_;
  std::string first_visitation_id_;
  bool first_justified_ = false;
  optional<Time> final_visitation_at_;
  std::string final_visitation_id_;
  bool final_justified_ = false;
  optional<Time> paalaeg_at_;
  optional<CivilDay> admitted_;
  optional<CivilDay> education_start_;
  std::string institution_;
  optional<CivilDay> course_end_;  // education start or benefit end: waives contact rules
  v1::BenefitEndReason end_reason_ = v1::OTHER;
  CivilDay contact_end_;  // no contact events from this day on
  optional<CivilDay> last_no_show_;
  std::string caseworker_;
  std::string caseworker_after_;
  optional<Time> caseworker_change_at_;
};

}  // namespace

PersonHistory SimulatePerson(const PersonSpec& spec) { return PersonBuilder(spec).Build(); }

}  // namespace fristvagt::cohort
