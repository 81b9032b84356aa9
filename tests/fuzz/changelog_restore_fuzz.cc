// Fuzz target for the changelog records read at restore (processor/kafka/changelog_restore.h):
// whatever the state-changelog topic holds is read back into an empty store when a partition
// is assigned. The input is a sequence of records (see Records below): person records,
// tombstones and progress records with arbitrary keys and bytes.
//
// The properties: PartitionRestorer::Apply accepts exactly the person records the full
// protobuf parser accepts (the store's own read) and refuses the others with DataLoss (once it
// stored records with invalid UTF-8 the parser refuses, see tests/fuzz/README.md), never
// crashes, and never hands the store a record it cannot read (MemoryStore::Commit parses every
// record and would refuse the batch); the field-skipping ArmedTimersOfRecord gives exactly
// Engine::ArmedTimers of every record the full protobuf parser accepts; the timer keys
// round-trip through their on-disk encoding (state/key_codec.h).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processor/kafka/changelog_restore.h"
#include "processor/engine/engine.h"
#include "state/key_codec.h"

namespace {

using fristvagt::processor::ArmedTimersOfRecord;
using fristvagt::processor::Engine;

struct Record {
  int tag = 0;  // 0 person record, 1 tombstone, 2 progress
  std::string key;
  std::string value;
};

// [tag byte][key length byte][key][value length, 2 bytes LE][value]...; a short tail ends it.
std::vector<Record> Records(std::string_view in) {
  std::vector<Record> out;
  while (in.size() >= 4) {
    Record r;
    r.tag = static_cast<uint8_t>(in[0]) % 3;
    const size_t key_len = static_cast<uint8_t>(in[1]);
    in.remove_prefix(2);
    if (in.size() < key_len + 2) break;
    r.key = std::string(in.substr(0, key_len));
    in.remove_prefix(key_len);
    const size_t value_len = static_cast<uint8_t>(in[0]) | static_cast<uint8_t>(in[1]) << 8;
    in.remove_prefix(2);
    r.value = std::string(in.substr(0, std::min(value_len, in.size())));
    in.remove_prefix(r.value.size());
    if (r.tag == 2) r.key.insert(0, 1, fristvagt::processor::kChangelogProgressPrefix);
    out.push_back(std::move(r));
  }
  return out;
}

std::string Encode(const std::vector<Record>& records) {
  std::string out;
  for (const Record& r : records) {
    out.push_back(static_cast<char>(r.tag));
    out.push_back(static_cast<char>(r.key.size()));
    out += r.key;
    out.push_back(static_cast<char>(r.value.size() & 0xff));
    out.push_back(static_cast<char>(r.value.size() >> 8));
    out += r.value;
  }
  return out;
}

// Whether the full parser accepts the record; if so, its timers are checked.
bool CheckTimers(const Record& r) {
  std::vector<fristvagt::state::TimerKey> fast;
  const bool fast_ok = ArmedTimersOfRecord(r.value.data(), r.value.size(), &fast);
  fristvagt::v1::PersonState person;
  if (!person.ParseFromString(r.value)) return false;  // the field-skipping read may accept
  if (!fast_ok || fast != Engine::ArmedTimers(person)) {
    std::cerr << "restore: ArmedTimersOfRecord differs from Engine::ArmedTimers\n";
    std::abort();
  }
  for (const auto& timer : fast) {
    absl::StatusOr<fristvagt::state::TimerKey> back =
        fristvagt::state::keys::DecodeTimer(fristvagt::state::keys::EncodeTimer(timer));
    // Person keys are printable (events.md); a key with '\0' cannot round-trip by design.
    if (timer.person_key.find('\0') != std::string::npos) continue;
    if (!back.ok() || *back != timer) {
      std::cerr << "restore: a timer key does not round-trip\n";
      std::abort();
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Any bytes as an on-disk timer or sequence key: decoded or refused.
  fristvagt::state::keys::DecodeTimer(bytes).IgnoreError();
  fristvagt::state::keys::DecodeSeq(bytes).IgnoreError();

  std::unique_ptr<fristvagt::state::StateStore> store = fristvagt::state::NewMemoryStore();
  fristvagt::processor::PartitionRestorer restorer(store.get(), /*batch_persons=*/2);
  for (const Record& r : Records(bytes)) {
    const bool person = r.tag == 0 && !r.key.empty() &&
                        r.key[0] != fristvagt::processor::kChangelogProgressPrefix;
    const bool parses = r.tag == 0 && CheckTimers(r);
    absl::Status s = restorer.Apply(r.key, r.tag == 1 ? nullptr : r.value.data(),
                                    r.tag == 1 ? 0 : r.value.size());
    if (person && !parses) {
      if (!absl::IsDataLoss(s)) {
        std::cerr << "restore: a record the full parser refuses gave " << s << "\n";
        std::abort();
      }
      return 0;
    }
    if (!s.ok()) {
      std::cerr << "restore: Apply failed with " << s << "\n";
      std::abort();
    }
  }
  if (absl::Status s = restorer.Finish(42); !s.ok()) {
    std::cerr << "restore: Finish failed with " << s << "\n";
    std::abort();
  }
  return 0;
}

// Person records as the engine writes them: obligations with and without a timer, a parked
// event, repeated keys and a tombstone, so mutations start from the real layout.
void FristvagtFuzzSeeds(std::vector<std::string>* seeds) {
  fristvagt::v1::PersonState person;
  person.set_person_key("p-1");
  person.set_municipality_code("0101");
  person.set_caseworker_id("cw-7");
  person.add_seen_event_ids("e-1");
  auto* fact = person.add_facts();
  fact->set_event_id("e-1");
  auto* armed = person.add_obligations();
  armed->set_obligation_id("p-1/first_meeting");
  armed->set_rule_id("first_meeting");
  armed->set_next_timer_micros(1767225600000000);
  armed->add_reminders_sent_micros(1767000000000000);
  auto* idle = person.add_obligations();
  idle->set_obligation_id("p-1/cv");
  auto* parked = person.add_parked();
  parked->mutable_event()->set_event_id("e-9");
  parked->set_expires_micros(-5);
  std::vector<Record> records = {{0, "p-1", person.SerializeAsString()},
                                 {2, "input_offset", "17"}};
  person.set_person_key("p-2");
  armed->set_next_timer_micros(1);
  records.push_back({0, "p-2", person.SerializeAsString()});
  person.clear_parked();
  records.push_back({0, "p-1", person.SerializeAsString()});
  records.push_back({1, "p-2", ""});
  records.push_back({0, "p-2", person.SerializeAsString()});
  seeds->push_back(Encode(records));
  seeds->push_back(Encode({records[0]}));
}
