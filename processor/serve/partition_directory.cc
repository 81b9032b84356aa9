#include "processor/serve/partition_directory.h"

#include <mutex>

#include "processor/base/logging.h"

namespace fristvagt::processor {

namespace {

constexpr size_t kScanChunk = 64;  // persons read from one store at a time while merging

}  // namespace

void PartitionDirectory::Register(int32_t partition, state::StateStore* store) {
  std::unique_lock lock(mu_);
  stores_[partition] = store;
  ++local_version_;
}

void PartitionDirectory::Unregister(int32_t partition) {
  std::unique_lock lock(mu_);  // waits for the queries reading under the shared lock
  if (stores_.erase(partition) > 0) ++local_version_;
}

void PartitionDirectory::UnregisterAll() {
  std::unique_lock lock(mu_);
  if (!stores_.empty()) ++local_version_;
  stores_.clear();
}

std::set<int32_t> PartitionDirectory::LocalPartitions() const {
  std::shared_lock lock(mu_);
  std::set<int32_t> out;
  for (const auto& [partition, store] : stores_) out.insert(partition);
  return out;
}

uint64_t PartitionDirectory::LocalVersion() const {
  std::shared_lock lock(mu_);
  return local_version_;
}

void PartitionDirectory::SetPartitionCount(int32_t count) {
  std::unique_lock lock(mu_);
  partition_count_ = count;
}

void PartitionDirectory::SetAnnouncement(const std::string& instance_id,
                                         InstanceAnnouncement announcement) {
  std::unique_lock lock(mu_);
  announcements_[instance_id] = std::move(announcement);
}

void PartitionDirectory::SetSelfAddress(std::string address) {
  std::unique_lock lock(mu_);
  self_address_ = std::move(address);
}

std::vector<LocalState::Instance> PartitionDirectory::Instances() const {
  std::shared_lock lock(mu_);
  std::vector<Instance> out;
  Instance& self = out.emplace_back();
  self.address = self_address_;
  self.self = true;
  for (const auto& [partition, store] : stores_) self.partitions.push_back(partition);
  for (const auto& [id, announcement] : announcements_) {
    if (announcement.address == self_address_) continue;
    out.push_back(
        {announcement.address,
         std::vector<int32_t>(announcement.partitions.begin(), announcement.partitions.end()),
         false});
  }
  return out;
}

void PartitionDirectory::RemoveAnnouncement(const std::string& instance_id) {
  std::unique_lock lock(mu_);
  announcements_.erase(instance_id);
}

int32_t PartitionDirectory::PartitionOf(std::string_view person_key) const {
  std::shared_lock lock(mu_);
  if (partition_count_ <= 0) return -1;
  return PartitionForKey(partitioner_, person_key, partition_count_);
}

LocalState::Owner PartitionDirectory::OwnerOf(std::string_view person_key) const {
  std::shared_lock lock(mu_);
  if (partition_count_ <= 0) return {false, ""};
  const int32_t partition = PartitionForKey(partitioner_, person_key, partition_count_);
  if (stores_.count(partition) > 0) return {true, ""};
  // While partitions move, a stale claim may remain next to the new owner's: the newest wins.
  const InstanceAnnouncement* owner = nullptr;
  for (const auto& [id, announcement] : announcements_) {
    if (announcement.partitions.count(partition) == 0) continue;
    if (owner == nullptr || announcement.announced_micros > owner->announced_micros) {
      owner = &announcement;
    }
  }
  return {false, owner != nullptr ? owner->address : ""};
}

std::optional<v1::PersonState> PartitionDirectory::Person(std::string_view person_key) const {
  std::shared_lock lock(mu_);
  if (partition_count_ <= 0) return std::nullopt;
  auto it = stores_.find(PartitionForKey(partitioner_, person_key, partition_count_));
  if (it == stores_.end()) return std::nullopt;
  // RocksDbStore::GetPerson is one RocksDB Get: safe next to the processing thread's writes.
  absl::StatusOr<std::optional<v1::PersonState>> person = it->second->GetPerson(person_key);
  if (!person.ok()) {
    Logger("query")->warn("partition {}: {}", it->first, std::string(person.status().message()));
    return std::nullopt;
  }
  return *std::move(person);
}

std::string PartitionDirectory::MisroutingHint() const {
  std::shared_lock lock(mu_);
  return misrouting_;
}

void PartitionDirectory::OnMisrouted(const std::string& hint) {
  std::unique_lock lock(mu_);
  misrouting_ = hint;
}

std::optional<v1::PersonState> PartitionDirectory::PersonInAnyPartition(
    std::string_view person_key) const {
  std::shared_lock lock(mu_);
  for (const auto& [partition, store] : stores_) {
    absl::StatusOr<std::optional<v1::PersonState>> person = store->GetPerson(person_key);
    if (person.ok() && person->has_value()) return *std::move(person);
  }
  return std::nullopt;
}

// A k-way merge of the owned stores' person scans (each in key order), read in chunks.
void PartitionDirectory::Scan(std::string_view from,
                              const std::function<bool(const v1::PersonState&)>& visit) const {
  std::shared_lock lock(mu_);
  struct Cursor {
    int32_t partition = 0;
    state::StateStore* store = nullptr;
    std::vector<v1::PersonState> chunk;
    size_t next = 0;
    bool exhausted = false;  // the store has nothing after `chunk`
  };
  std::vector<Cursor> cursors;
  for (const auto& [partition, store] : stores_)
    cursors.push_back({partition, store, {}, 0, false});
  auto refill = [](Cursor* cursor, std::string_view after) {
    cursor->next = 0;
    if (absl::Status s = cursor->store->ScanPersons(after, kScanChunk, &cursor->chunk); !s.ok()) {
      Logger("query")->warn("partition {}: {}", cursor->partition, std::string(s.message()));
      cursor->chunk.clear();
    }
    cursor->exhausted = cursor->chunk.size() < kScanChunk;
  };
  // `from` itself is included; ScanPersons starts after its argument.
  if (!from.empty()) {
    for (Cursor& cursor : cursors) {
      absl::StatusOr<std::optional<v1::PersonState>> person = cursor.store->GetPerson(from);
      if (person.ok() && person->has_value() && !visit(**person)) return;
    }
  }
  for (Cursor& cursor : cursors) refill(&cursor, from);
  while (true) {
    Cursor* smallest = nullptr;
    for (Cursor& cursor : cursors) {
      if (cursor.next >= cursor.chunk.size()) continue;
      if (smallest == nullptr ||
          cursor.chunk[cursor.next].person_key() < smallest->chunk[smallest->next].person_key()) {
        smallest = &cursor;
      }
    }
    if (smallest == nullptr) return;
    const v1::PersonState& person = smallest->chunk[smallest->next++];
    if (!visit(person)) return;
    if (smallest->next == smallest->chunk.size() && !smallest->exhausted) {
      const std::string last = person.person_key();
      refill(smallest, last);
    }
  }
}

}  // namespace fristvagt::processor
