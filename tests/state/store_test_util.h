#pragma once
// Helpers shared by the state tests: small records to commit, and a raw reader that opens a
// state dir with plain RocksDB calls (every column family it has, whatever its name), so tests
// can check what is on disk without trusting the store's own read path.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proto/state.pb.h"
#include "state/store.h"

namespace fristvagt::state::testing {

inline v1::PersonState Person(const std::string& key, const std::string& municipality = "101") {
  v1::PersonState person;
  person.set_person_key(key);
  person.set_municipality_code(municipality);
  return person;
}

inline v1::OutboxEntry Entry(const std::string& value, const std::string& person_key = "") {
  v1::OutboxEntry entry;
  entry.set_topic(v1::OUTBOX_ALERTS);
  entry.set_value(value);
  entry.set_person_key(person_key);
  (*entry.mutable_headers())["fristvagt.kind"] = "REMINDER";
  return entry;
}

struct RawRecord {
  std::string family;
  std::string key;
  std::string value;
};

// Every record of every column family of the RocksDB database in `dir`, read-only. Fails the
// current test (and returns what it has) when the database cannot be read.
std::vector<RawRecord> ReadAllRaw(const std::string& dir);

}  // namespace fristvagt::state::testing
