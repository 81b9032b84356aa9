#include "bench/bench_events.h"

#include "absl/strings/str_cat.h"

namespace fristvagt::bench {

std::string PersonKey(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return absl::StrCat("p-", absl::Hex(z ^ (z >> 31), absl::kZeroPad16));
}

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t micros = absl::ToUnixMicros(t);
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

v1::CaseEvent MakeEvent(const Pending& p) {
  v1::CaseEvent event;
  event.set_person_key(PersonKey(p.person));
  event.set_event_id(absl::StrCat("e-", p.person, "-", static_cast<int>(p.kind)));
  event.set_municipality_code("851");
  event.set_caseworker_id(absl::StrCat("cw-", p.person % 97));
  event.set_source_system("bench");
  SetTime(p.at, event.mutable_occurred_at());
  SetTime(p.at, event.mutable_recorded_at());
  switch (p.kind) {
    case Kind::kFirstContact: {
      v1::FirstContact* fc = event.mutable_first_contact();
      fc->set_age_years(18 + static_cast<int>(p.person % 11));
      fc->set_benefit(v1::UDDANNELSESHJAELP);
      break;
    }
    case Kind::kMeeting:
      event.mutable_meeting_held()->set_channel(v1::IN_PERSON);
      break;
    case Kind::kTestNeed:
      event.mutable_test_need_assessed()->set_outcome(v1::NOT_NEEDED_YOUTH_EDUCATION);
      break;
  }
  return event;
}

}  // namespace fristvagt::bench
