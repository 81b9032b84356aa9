#pragma once
// The engine's parsed persons. Those the open batch touched are dirty: Flush serializes them
// into the batch once. Clean ones stay parsed after their commit, up to a capacity, in
// least-recently-used order, so a person whose event is followed by its timers (or the next
// event) is neither read from the store nor parsed again (issue 8: reading and parsing were
// 15 % of replay, destroying the batch's copies another 7 %). A clean entry always equals
// what the store holds; after a failed commit the caller clears the cache.
//
// Evicted entries are recycled, not freed (issue 15: with more persons than the cache holds,
// allocating, parsing into and destroying a person's ~60 strings and messages was ~40 % of
// firing a timer). An evicted entry's map node, with its key and its cleared message, waits in
// a pool of at most kSpareEntries; the next person read from the store is parsed into it,
// which reuses its repeated elements and string buffers.

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/state.pb.h"

namespace fristvagt::processor {

class PersonCache {
 public:
  // Recycled entries kept (each holds a cleared message with the capacity of the person it
  // held last, ~2-5 KiB).
  static constexpr size_t kSpareEntries = 4096;

  explicit PersonCache(size_t clean_capacity) : clean_capacity_(clean_capacity) {}

  // The cached person, marked dirty and most recently used; nullptr when not cached.
  v1::PersonState* FindForUpdate(const std::string& key);
  // Caches `person` as dirty (the caller read it from the store or created it).
  v1::PersonState* InsertDirty(const std::string& key, v1::PersonState person);
  // Caches a person as dirty that `fill(v1::PersonState*)` writes into an empty (possibly
  // recycled) message; when fill fails nothing is cached and its status is returned.
  template <typename Fill>
  absl::StatusOr<v1::PersonState*> InsertDirtyFilled(const std::string& key, Fill&& fill) {
    Erase(key);
    auto it = Place(key);
    if (absl::Status s = fill(&it->second.person); !s.ok()) {
      Recycle(entries_.extract(it));
      return s;
    }
    return MarkInserted(it);
  }
  void Erase(const std::string& key);
  void Clear();

  // Calls `write(key, person)` for every dirty person, marks them clean, then evicts the least
  // recently used clean ones beyond the capacity.
  // Walks the dirty keys only, not the whole cache (issue 15: walking 20,000 cached persons per
  // commit was 3 % of replay).
  template <typename Write>
  void FlushDirty(Write&& write) {
    for (const std::string& key : dirty_keys_) {
      auto it = entries_.find(key);
      if (it == entries_.end() || !it->second.dirty) continue;  // erased, or listed twice
      write(it->first, it->second.person);
      it->second.dirty = false;
    }
    dirty_keys_.clear();
    dirty_ = 0;
    EvictBeyondCapacity();
  }

  size_t dirty() const { return dirty_; }
  size_t size() const { return entries_.size(); }
  size_t spare() const { return spare_.size(); }

 private:
  struct Entry {
    v1::PersonState person;
    bool dirty = false;
    std::list<std::string>::iterator recency;  // position in recency_
  };
  using Map = std::unordered_map<std::string, Entry>;
  using Node = Map::node_type;

  // An entry for `key` (not cached) with an empty person, in a recycled node when there is one.
  Map::iterator Place(const std::string& key);
  void Recycle(Node node);
  // Makes a placed entry dirty and most recently used.
  v1::PersonState* MarkInserted(Map::iterator it);
  void EvictBeyondCapacity();

  size_t clean_capacity_;
  size_t dirty_ = 0;
  Map entries_;
  std::list<std::string> recency_;  // most recently used first
  std::vector<std::string> dirty_keys_;  // every key made dirty since the last flush (a superset)
  std::vector<Node> spare_;  // evicted entries, their messages cleared
};

}  // namespace fristvagt::processor
