#include "processor/engine/person_cache.h"

#include <utility>

namespace fristvagt::processor {

v1::PersonState* PersonCache::FindForUpdate(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& entry = it->second;
  recency_.splice(recency_.begin(), recency_, entry.recency);
  if (!entry.dirty) {
    entry.dirty = true;
    ++dirty_;
    dirty_keys_.push_back(key);
  }
  return &entry.person;
}

v1::PersonState* PersonCache::InsertDirty(const std::string& key, v1::PersonState person) {
  Erase(key);
  recency_.push_front(key);
  Entry& entry = entries_[key];
  entry.person = std::move(person);
  entry.dirty = true;
  entry.recency = recency_.begin();
  ++dirty_;
  dirty_keys_.push_back(key);
  return &entry.person;
}

void PersonCache::Erase(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (it->second.dirty) --dirty_;
  recency_.erase(it->second.recency);
  entries_.erase(it);
}

void PersonCache::Clear() {
  entries_.clear();
  recency_.clear();
  dirty_keys_.clear();
  dirty_ = 0;
}

// Only called with no dirty entries, so everything at the back is clean.
void PersonCache::EvictBeyondCapacity() {
  while (entries_.size() > clean_capacity_) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
}

}  // namespace fristvagt::processor
