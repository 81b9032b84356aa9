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
  auto it = Place(key);
  it->second.person = std::move(person);
  return MarkInserted(it);
}

PersonCache::Map::iterator PersonCache::Place(const std::string& key) {
  if (spare_.empty()) return entries_.try_emplace(key).first;
  Node node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = key;
  return entries_.insert(std::move(node)).position;
}

void PersonCache::Recycle(Node node) {
  if (spare_.size() >= kSpareEntries) return;  // the node is freed here
  node.mapped().person.Clear();  // keeps the allocations for the next parse
  node.mapped().dirty = false;
  spare_.push_back(std::move(node));
}

v1::PersonState* PersonCache::MarkInserted(Map::iterator it) {
  recency_.push_front(it->first);
  dirty_keys_.push_back(it->first);
  Entry& entry = it->second;
  entry.dirty = true;
  entry.recency = recency_.begin();
  ++dirty_;
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
    Recycle(entries_.extract(recency_.back()));
    recency_.pop_back();
  }
}

}  // namespace fristvagt::processor
