// replay_bench: how fast the engine runs over the RocksDB store, against what RocksDB alone
// can do, how much memory millions of open obligations take, and how fast a million deadlines
// that fall due at once are fired. A plain program, not a test (conventions.md); figures and
// commands in docs/benchmarks.md.
//
//   replay_bench [--persons N] [--fire-persons N] [--runs N] [--phases ABD] [--dir DIR]
//                [--rules DIR] [--store rocksdb|memory] [--markdown FILE] [--batch N]
//
// Phase A pushes N synthetic persons' events (first contact, a meeting after three days, a
// test need assessment after ten; first contacts spread over 60 days) through Engine +
// RocksDbStore the way `replay --state-dir` does: due timers fired before each event, one
// commit per --batch events (default 10000, as `replay`), the outbox drained after each commit. Phase B is the raw baseline:
// one Get and one Put per event, same keys in the same order, the values a sample of the records
// the engine wrote (so they compress as the engine's do), one WriteBatch per --batch events, same
// options; `--phases B` alone samples them from a small phase A over MemoryStore. Phase C reports peak RSS after
// phase A and counts the open obligations then held. Phase D gives M persons the same first
// contact moment and times FireTimersUpTo over the moment their first timers fall due; its
// baseline is one raw Get and Put per fired timer, same keys, same order, sampled records.
// Each phase runs --runs times (default 3) on a fresh directory; the summary gives medians,
// ratios to the baseline of the same run, and the first run's own peak RSS per phase (VmHWM
// is reset to the current RSS before each phase through /proc/self/clear_refs; later runs
// start with the block cache the first one filled). The summary is also written as a Markdown
// section to --markdown FILE (bench/run.sh collects it). Issue 15: every rate is also given
// per CPU-second of the measuring thread (the machine is shared, so CPU time is the steadier
// figure), with the ratio of the engine's to the baseline's. With --store memory only phase A runs,
// over MemoryStore, to isolate the store's cost.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/bench_events.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "rules/regime_loader.h"
#include "state/rocksdb_options.h"
#include "state/rocksdb_store.h"
#include "state/store.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace v1 = fristvagt::v1;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::cerr << "replay_bench: " << what << ": " << status << '\n';
  std::exit(1);
}

void Check(const rocksdb::Status& status, const char* what) {
  if (status.ok()) return;
  std::cerr << "replay_bench: " << what << ": " << status.ToString() << '\n';
  std::exit(1);
}

// kB of VmHWM / VmRSS from /proc/self/status.
long ProcStatusKb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

using fristvagt::bench::Kind;
using fristvagt::bench::MakeEvent;
using fristvagt::bench::Pending;
using fristvagt::bench::PersonKey;
using fristvagt::bench::SetTime;

// Yields the cohort's events in recorded_at order without holding them all: first contacts
// are spread evenly over 60 days, follow-ups wait in a heap.
class Cohort {
 public:
  Cohort(uint64_t persons, absl::Time start)
      : persons_(persons), start_(start), spacing_(absl::Hours(24 * 60) / persons) {}

  bool Next(Pending* out) {
    const bool have_contact = next_person_ < persons_;
    const absl::Time contact_at = start_ + spacing_ * static_cast<double>(next_person_);
    if (!followups_.empty() && (!have_contact || followups_.top().at <= contact_at)) {
      *out = followups_.top();
      followups_.pop();
      return true;
    }
    if (!have_contact) return false;
    *out = {contact_at, next_person_++, Kind::kFirstContact};
    followups_.push({contact_at + absl::Hours(24 * 3), out->person, Kind::kMeeting});
    followups_.push({contact_at + absl::Hours(24 * 10), out->person, Kind::kTestNeed});
    return true;
  }

 private:
  uint64_t persons_;
  uint64_t next_person_ = 0;
  absl::Time start_;
  absl::Duration spacing_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> followups_;
};

// A uniform sample (reservoir, fixed seed) of the person records the engine wrote. The baselines
// write these as their values, so their tables compress like the engine's: a value of one
// repeated byte compresses ~1,000 times, and at the full size one 70 MB table of such values
// held 2.1 M keys and a 6.9 MB index block that no 4 MiB cache shard could keep, so every Get
// read it again (docs/benchmarks.md, "Issue 15, session 9").
class RecordSample {
 public:
  static constexpr size_t kSize = 1024;
  void Offer(const std::string& record) {
    ++seen_;
    if (records_.size() < kSize) {
      records_.push_back(record);
      return;
    }
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    if (const uint64_t at = (state_ >> 11) % seen_; at < kSize) records_[at] = record;
  }
  const std::vector<std::string>& records() const { return records_; }

 private:
  std::vector<std::string> records_;
  uint64_t seen_ = 0;
  uint64_t state_ = 42;
};

uint64_t MeanBytes(const std::vector<std::string>& values) {
  uint64_t total = 0;
  for (const std::string& v : values) total += v.size();
  return values.empty() ? 0 : total / values.size();
}

// Forwards to the real store, notes the size of every person record written and keeps a sample
// of them (the baselines' values), and the time spent inside the store.
class MeasuringStore : public fristvagt::state::StateStore {
 public:
  explicit MeasuringStore(fristvagt::state::StateStore* inner) : inner_(inner) {}
  absl::StatusOr<std::optional<v1::PersonState>> GetPerson(std::string_view key) override {
    Timed timed(&get_seconds_);
    ++gets_;
    return inner_->GetPerson(key);
  }
  absl::StatusOr<bool> ReadPerson(std::string_view key, v1::PersonState* into) override {
    Timed timed(&get_seconds_);
    ++gets_;
    return inner_->ReadPerson(key, into);
  }
  absl::Status ScanTimers(int64_t up_to, size_t limit,
                          std::vector<fristvagt::state::TimerKey>* out) override {
    Timed timed(&scan_seconds_);
    return inner_->ScanTimers(up_to, limit, out);
  }
  absl::Status ScanTimersAfter(const fristvagt::state::TimerKey* after, int64_t up_to, size_t limit,
                               std::vector<fristvagt::state::TimerKey>* out,
                               std::optional<fristvagt::state::TimerKey>* later) override {
    Timed timed(&scan_seconds_);
    return inner_->ScanTimersAfter(after, up_to, limit, out, later);
  }
  absl::StatusOr<std::optional<fristvagt::state::TimerKey>> FirstTimer() override {
    Timed timed(&scan_seconds_);
    return inner_->FirstTimer();
  }
  absl::Status ScanOutbox(size_t limit,
                          std::vector<std::pair<uint64_t, v1::OutboxEntry>>* out) override {
    Timed timed(&scan_seconds_);
    return inner_->ScanOutbox(limit, out);
  }
  absl::StatusOr<std::optional<std::string>> GetProgress(std::string_view name) override {
    return inner_->GetProgress(name);
  }
  absl::Status ScanPersons(std::string_view after, size_t limit,
                           std::vector<v1::PersonState>* out) override {
    return inner_->ScanPersons(after, limit, out);
  }
  absl::Status Commit(const fristvagt::state::Batch& batch) override {
    Count(batch);
    Timed timed(&commit_seconds_);
    ++commits_;
    return inner_->Commit(batch);
  }
  absl::Status CommitConsuming(fristvagt::state::Batch* batch) override {
    Count(*batch);
    Timed timed(&commit_seconds_);
    ++commits_;
    return inner_->CommitConsuming(batch);
  }
  uint64_t MeanPersonBytes() const { return person_writes_ ? person_bytes_ / person_writes_ : 0; }
  // Records the engine wrote, for the baselines' values.
  const std::vector<std::string>& SampleRecords() const { return sample_.records(); }
  std::string Report() const {
    return absl::StrCat("store: ", commits_, " commits ", commit_seconds_, " s, ", gets_, " gets ",
                        get_seconds_, " s, scans ", scan_seconds_, " s, ", person_writes_,
                        " person writes");
  }

 private:
  void Count(const fristvagt::state::Batch& batch) {
    for (const auto& [key, person] : batch.persons) {
      if (!person.has_value()) continue;
      ++person_writes_;
      person_bytes_ += person->size();
      sample_.Offer(*person);
    }
  }
  struct Timed {
    explicit Timed(double* total) : total(total), began(Clock::now()) {}
    ~Timed() { *total += Seconds(began); }
    double* total;
    Clock::time_point began;
  };

  fristvagt::state::StateStore* inner_;
  RecordSample sample_;
  uint64_t person_bytes_ = 0;
  uint64_t person_writes_ = 0;
  uint64_t commits_ = 0;
  uint64_t gets_ = 0;
  double commit_seconds_ = 0;
  double get_seconds_ = 0;
  double scan_seconds_ = 0;
};

size_t kEventsPerBatch = 10000;  // as `replay`; --batch

void Drain(fristvagt::state::StateStore* store, uint64_t* sent) {
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
  while (true) {
    Check(store->ScanOutbox(4096, &entries), "scanning the outbox");
    if (entries.empty()) return;
    fristvagt::state::Batch done;
    for (const auto& [seq, entry] : entries) done.outbox_removed.push_back(seq);
    *sent += entries.size();
    Check(store->Commit(done), "removing sent entries");
  }
}

struct PhaseA {
  uint64_t events = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t timers_fired = 0;
  uint64_t mean_person_bytes = 0;
  std::vector<std::string> sample_records;  // for the baseline's values
  absl::Time clock;
};

// CPU seconds of the calling thread: the processing thread's own work, whatever else runs.
double ThreadCpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Starts a phase's own peak RSS: writing 5 to clear_refs resets VmHWM to the current RSS.
void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

long PeakRssMiB() { return ProcStatusKb("VmHWM") / 1024; }

PhaseA RunEngine(const fristvagt::rules::Catalog& catalog, fristvagt::state::StateStore* inner,
                 const std::string& label, uint64_t persons, absl::Time start) {
  MeasuringStore store(inner);
  fristvagt::processor::Engine engine(catalog, &store, {});
  Cohort cohort(persons, start);
  PhaseA result;
  uint64_t sent = 0;
  fristvagt::processor::ClockDriver driver(&engine);
  const Clock::time_point began = Clock::now();
  const double cpu_began = ThreadCpuSeconds();
  Pending next;
  size_t in_batch = 0;
  while (cohort.Next(&next)) {
    const v1::CaseEvent event = MakeEvent(next);
    Check(driver.Apply(event, "bench"), "applying an event");
    ++result.events;
    if (++in_batch >= kEventsPerBatch) {
      in_batch = 0;
      Check(engine.Flush(), "committing");
      Drain(&store, &sent);
    }
    if (result.events % 1000000 == 0) {
      std::cerr << "  " << result.events << " events, " << Seconds(began) << " s, RSS "
                << ProcStatusKb("VmRSS") / 1024 << " MiB\n";
    }
  }
  Check(engine.Flush(), "committing");
  Drain(&store, &sent);
  result.seconds = Seconds(began);
  result.cpu_seconds = ThreadCpuSeconds() - cpu_began;
  result.mean_person_bytes = store.MeanPersonBytes();
  result.sample_records = store.SampleRecords();
  result.clock = driver.clock();
  const auto& c = engine.counters();
  result.timers_fired = c.timers_fired;
  std::cout << "A engine+" << label << ": " << result.events << " events in " << result.seconds
            << " s = " << static_cast<uint64_t>(result.events / result.seconds)
            << " events/s; processing thread CPU " << result.cpu_seconds
            << " s = " << static_cast<uint64_t>(result.events / result.cpu_seconds)
            << " events per CPU-second\n  (timers fired " << c.timers_fired << ", alerts "
            << c.alerts_raised << ", outbox entries sent " << sent << ", mean person record "
            << result.mean_person_bytes << " B)\n  " << store.Report() << '\n';
  return result;
}

struct RawDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  ~RawDb() {
    for (auto* handle : handles) Check(db->DestroyColumnFamilyHandle(handle), "closing");
  }
};

// A fresh database with the store's options and its persons family, for the baselines.
void OpenRaw(const std::string& dir, RawDb* raw_db) {
  const auto& shared = fristvagt::state::GetSharedResources();
  rocksdb::DBOptions db_options = fristvagt::state::MakeDbOptions(shared);
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {fristvagt::state::kPersonsFamily, fristvagt::state::PersonsFamilyOptions(shared)}};
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::Open(db_options, dir, families, &raw_db->handles, &raw),
        "opening the baseline");
  raw_db->db.reset(raw);
}

// One Get and one Put per key, the Puts in one WriteBatch per --batch keys, the values taken
// in turn from `values`; returns keys/s, and keys per CPU-second of this thread in `*per_cpu`.
template <typename NextKey>
double RawGetPut(RawDb* raw, const std::vector<std::string>& values, NextKey next_key,
                 uint64_t* count, double* per_cpu = nullptr) {
  if (values.empty()) Check(absl::InternalError("no values"), "baseline");
  std::string read;
  rocksdb::WriteBatch batch;
  std::string key;
  *count = 0;
  const Clock::time_point began = Clock::now();
  const double cpu_began = ThreadCpuSeconds();
  while (next_key(&key)) {
    const rocksdb::Status got = raw->db->Get(rocksdb::ReadOptions(), raw->handles[1], key, &read);
    if (!got.ok() && !got.IsNotFound()) Check(got, "baseline get");
    Check(batch.Put(raw->handles[1], key, values[*count % values.size()]), "baseline put");
    if (++*count % kEventsPerBatch == 0) {
      Check(raw->db->Write(rocksdb::WriteOptions(), &batch), "baseline write");
      batch.Clear();
    }
    if (*count % 1000000 == 0) {  // the format bench/replay_sampled.sh reads
      std::cerr << "  " << *count << " events (baseline), " << Seconds(began) << " s, RSS "
                << ProcStatusKb("VmRSS") / 1024 << " MiB\n";
    }
  }
  Check(raw->db->Write(rocksdb::WriteOptions(), &batch), "baseline write");
  if (per_cpu != nullptr) *per_cpu = *count / (ThreadCpuSeconds() - cpu_began);
  return *count / Seconds(began);
}

double RunBaseline(const std::string& dir, uint64_t persons, absl::Time start,
                   const std::vector<std::string>& values, double* per_cpu) {
  RawDb raw;
  OpenRaw(dir, &raw);
  Cohort cohort(persons, start);
  uint64_t events = 0;
  const double rate = RawGetPut(
      &raw, values,
      [&cohort](std::string* key) {
        Pending next;
        if (!cohort.Next(&next)) return false;
        *key = PersonKey(next.person);
        return true;
      },
      &events, per_cpu);
  std::cout << "B raw RocksDB Get+Put: " << events << " events at " << static_cast<uint64_t>(rate)
            << " events/s, " << static_cast<uint64_t>(*per_cpu) << " per CPU-second ("
            << MeanBytes(values) << " B values on average, " << values.size()
            << " records the engine wrote)\n";
  return rate;
}

void PrintMemory(const std::string& when) {
  std::cout << "C memory " << when << ": peak RSS (VmHWM) " << PeakRssMiB() << " MiB, RSS (VmRSS) "
            << ProcStatusKb("VmRSS") / 1024 << " MiB\n";
}

// Streams the closed store's persons and timers with plain RocksDB reads.
void CountOpen(const std::string& dir) {
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  std::vector<std::string> names;
  Check(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), dir, &names), "listing");
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  Check(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, families, &handles, &raw),
        "opening for the count");
  std::unique_ptr<rocksdb::DB> db(raw);
  uint64_t persons = 0, open = 0, timers = 0;
  for (auto* handle : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (handle->GetName() == fristvagt::state::kTimersFamily) ++timers;
      if (handle->GetName() != fristvagt::state::kPersonsFamily) continue;
      v1::PersonState person;
      person.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()));
      ++persons;
      for (const auto& ob : person.obligations()) open += ob.status() == v1::OPEN;
    }
  }
  std::cout << "C state in " << dir << ": " << persons << " persons, " << open
            << " open obligations, " << timers << " armed timers\n";
  for (auto* handle : handles) Check(db->DestroyColumnFamilyHandle(handle), "closing");
}

// Open obligations held by the store, read through the StateStore interface.
uint64_t OpenObligations(fristvagt::state::StateStore* store) {
  uint64_t open = 0;
  std::vector<v1::PersonState> page;
  std::string after;
  do {
    Check(store->ScanPersons(after, 4096, &page), "scanning persons");
    for (const v1::PersonState& person : page) {
      for (const auto& ob : person.obligations()) open += ob.status() == v1::OPEN;
    }
    if (!page.empty()) after = page.back().person_key();
  } while (!page.empty());
  return open;
}

struct PhaseD {
  uint64_t open = 0;  // open obligations before firing
  uint64_t fired = 0;
  double rate = 0;
  double baseline = 0;
  double per_cpu = 0;           // timers per CPU-second of the firing thread
  double baseline_per_cpu = 0;  // raw Get+Put per CPU-second
  long peak_open_mib = 0;  // peak RSS while the obligations were opened
  long peak_fire_mib = 0;  // peak RSS of the firing itself
};

PhaseD RunFiring(const fristvagt::rules::Catalog& catalog, const std::string& dir, uint64_t persons,
                 absl::Time at, bool count_open) {
  PhaseD result;
  std::vector<std::string> values;  // records the engine wrote
  std::vector<std::string> keys;
  {
    ResetPeakRss();
    auto opened = fristvagt::state::OpenRocksDbStore(dir + "/firing", {"bench", 1});
    Check(opened.status(), "opening the firing store");
    MeasuringStore store(opened->get());
    fristvagt::processor::Engine engine(catalog, &store, {});
    for (uint64_t i = 0; i < persons; ++i) {
      Check(engine.ApplyEvent(MakeEvent({at, i, Kind::kFirstContact}), at, "bench"), "apply");
      if ((i + 1) % kEventsPerBatch == 0) {
        Check(engine.Flush(), "committing");
        uint64_t sent = 0;
        Drain(&store, &sent);
      }
    }
    Check(engine.Flush(), "committing");
    uint64_t sent = 0;
    Drain(&store, &sent);
    if (count_open) result.open = OpenObligations(&store);
    result.peak_open_mib = PeakRssMiB();
    PrintMemory(absl::StrCat("with ", persons, " persons' obligations open"));
    auto first = store.FirstTimer();
    Check(first.status(), "first timer");
    const absl::Time due = absl::FromUnixMicros((*first)->due_micros);
    ResetPeakRss();
    const uint64_t before = engine.counters().timers_fired;
    const Clock::time_point began = Clock::now();
    const double cpu_began = ThreadCpuSeconds();
    Check(engine.FireTimersUpTo(due), "firing");
    Check(engine.Flush(), "committing");
    Drain(&store, &sent);
    const double seconds = Seconds(began);
    result.fired = engine.counters().timers_fired - before;
    result.rate = result.fired / seconds;
    result.per_cpu = result.fired / (ThreadCpuSeconds() - cpu_began);
    result.peak_fire_mib = PeakRssMiB();
    values = store.SampleRecords();
    std::cout << "D firing: " << result.fired << " timers due at " << absl::FormatTime(due)
              << " fired in " << seconds << " s = " << static_cast<uint64_t>(result.rate)
              << " timers/s (" << result.open << " open obligations before)\n  " << store.Report()
              << '\n';
    PrintMemory("after firing");
  }
  // Baseline: the same persons' records, then one Get and Put per fired timer in timer order
  // (all due at one moment, so person key order).
  for (uint64_t i = 0; i < persons; ++i) keys.push_back(PersonKey(i));
  std::sort(keys.begin(), keys.end());
  if (keys.size() > result.fired) keys.resize(result.fired);
  RawDb raw;
  OpenRaw(dir + "/firing-baseline", &raw);
  size_t loaded = 0;
  uint64_t count = 0;
  RawGetPut(
      &raw, values,
      [&](std::string* key) {
        if (loaded == keys.size()) return false;
        *key = keys[loaded++];
        return true;
      },
      &count);
  size_t next = 0;
  result.baseline = RawGetPut(
      &raw, values,
      [&](std::string* key) {
        if (next == keys.size()) return false;
        *key = keys[next++];
        return true;
      },
      &count, &result.baseline_per_cpu);
  std::cout << "D baseline raw RocksDB Get+Put per fired timer: " << count << " at "
            << static_cast<uint64_t>(result.baseline) << " /s (" << MeanBytes(values)
            << " B values on average); ratio " << result.rate / result.baseline << "; per CPU-second "
            << static_cast<uint64_t>(result.per_cpu) << " vs "
            << static_cast<uint64_t>(result.baseline_per_cpu) << ", ratio "
            << result.per_cpu / result.baseline_per_cpu << '\n';
  return result;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string Runs(const std::vector<double>& values, int precision = 0) {
  std::string out;
  for (double v : values) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", absl::StrFormat("%.*f", precision, v));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t persons = 1000000;
  uint64_t fire_persons = 1000000;
  int runs = 3;
  bool memory_store = false;
  std::string phases = "ABD";
  std::string dir = (fs::temp_directory_path() / "fristvagt-bench").string();
  std::string rules_dir = FRISTVAGT_BENCH_RULES_DIR;
  std::string markdown_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--persons" && absl::SimpleAtoi(value, &persons)) continue;
    if (flag == "--fire-persons" && absl::SimpleAtoi(value, &fire_persons)) continue;
    if (flag == "--runs" && absl::SimpleAtoi(value, &runs) && runs > 0) continue;
    if (flag == "--batch" && absl::SimpleAtoi(value, &kEventsPerBatch) && kEventsPerBatch > 0) {
      continue;
    }
    if (flag == "--dir") {
      dir = value;
      continue;
    }
    if (flag == "--rules") {
      rules_dir = value;
      continue;
    }
    if (flag == "--phases") {
      phases = value;
      continue;
    }
    if (flag == "--markdown") {
      markdown_path = value;
      continue;
    }
    if (flag == "--store" && (value == "memory" || value == "rocksdb")) {
      memory_store = value == "memory";
      continue;
    }
    std::cerr << "usage: replay_bench [--persons N] [--fire-persons N] [--runs N] "
                 "[--phases ABD] [--dir DIR] [--rules DIR] [--store rocksdb|memory] "
                 "[--markdown FILE] [--batch N]\n";
    return 2;
  }
  if (argc % 2 == 0) {
    std::cerr << "replay_bench: " << argv[argc - 1] << " needs a value\n";
    return 2;
  }
  std::vector<fristvagt::rules::RuleFileError> errors;
  auto catalog = fristvagt::rules::LoadCatalog(rules_dir, &errors);
  Check(catalog.status(), "loading rules");
  absl::Time start;
  std::string error;
  absl::ParseTime(absl::RFC3339_full, "2024-01-01T08:00:00+01:00", &start, &error);

  if (memory_store) {  // phase A only, for the cost of the store itself
    std::unique_ptr<fristvagt::state::StateStore> store = fristvagt::state::NewMemoryStore();
    RunEngine(*catalog, store.get(), "MemoryStore", persons, start);
    return 0;
  }
  const bool run_a = phases.find('A') != std::string::npos;
  if (!run_a && phases.find('B') != std::string::npos) {
    // Phase B alone (the full size's baseline, run apart from its phase A): its values are
    // records the engine writes for the same cohort, sampled from a phase A of at most 20,000
    // persons over MemoryStore (a person's record does not depend on the cohort's size).
    std::unique_ptr<fristvagt::state::StateStore> sampling = fristvagt::state::NewMemoryStore();
    const PhaseA sampled = RunEngine(*catalog, sampling.get(), "MemoryStore (the baseline's values)",
                                     std::min<uint64_t>(persons, 20000), start);
    fs::remove_all(dir);
    fs::create_directories(dir);
    ResetPeakRss();
    double b_cpu = 0;
    RunBaseline(dir + "/baseline", persons, start, sampled.sample_records, &b_cpu);
    PrintMemory("after B");
    return 0;
  }
  const bool run_d = phases.find('D') != std::string::npos && fire_persons > 0;
  std::string markdown = absl::StrCat(
      "### replay_bench: ",
      run_a ? absl::StrCat(persons, " persons (", 3 * persons, " events) replayed, ") : "",
      run_d ? absl::StrCat(fire_persons, " persons firing, ") : "", runs, " runs\n\n",
      "Commit every ", kEventsPerBatch, " events.\n\n",
      "| figure | median | runs | baseline (median) | ratio (median) | peak RSS |\n"
      "|---|---|---|---|---|---|\n");
  if (run_a) {
    std::vector<double> rate, per_cpu, baseline, ratio, timers, base_cpu, cpu_ratio;
    std::vector<long> peak;
    for (int run = 0; run < runs; ++run) {
      fs::remove_all(dir);
      fs::create_directories(dir);
      ResetPeakRss();
      PhaseA a;
      {
        auto store = fristvagt::state::OpenRocksDbStore(dir + "/engine", {"bench", 0});
        Check(store.status(), "opening the store");
        a = RunEngine(*catalog, store->get(), "RocksDB", persons, start);
      }
      peak.push_back(PeakRssMiB());
      rate.push_back(a.events / a.seconds);
      per_cpu.push_back(a.events / a.cpu_seconds);
      timers.push_back(a.timers_fired);
      PrintMemory("after A");
      if (run == 0) CountOpen(dir + "/engine");
      if (phases.find('B') != std::string::npos) {
        double b_cpu = 0;
        baseline.push_back(
            RunBaseline(dir + "/baseline", persons, start, a.sample_records, &b_cpu));
        ratio.push_back(rate.back() / baseline.back());
        base_cpu.push_back(b_cpu);
        cpu_ratio.push_back(per_cpu.back() / b_cpu);
        std::cout << "ratio engine/baseline: " << ratio.back() << " wall, " << cpu_ratio.back()
                  << " per CPU-second\n";
      }
    }
    const bool b = !baseline.empty();
    absl::StrAppend(
        &markdown, "| A: replay, engine + RocksDB, events/s (wall) | **",
        static_cast<uint64_t>(Median(rate)), "** | ", Runs(rate), " | ",
        b ? absl::StrCat(static_cast<uint64_t>(Median(baseline)), " (raw Get+Put; runs ",
                         Runs(baseline), ")")
          : "-",
        " | ", b ? absl::StrFormat("%.3f (runs %s)", Median(ratio), Runs(ratio, 3)) : "-", " | ",
        static_cast<long>(peak.front()), " MiB (run 1) |\n", "| A: events per CPU-second of the ",
        "processing thread (µs of CPU per event: ",
        absl::StrFormat("%.1f", 1e6 / Median(per_cpu)), ") | **",
        static_cast<uint64_t>(Median(per_cpu)), "** | ", Runs(per_cpu), " | ",
        b ? absl::StrCat(static_cast<uint64_t>(Median(base_cpu)), " (raw Get+Put per CPU-second; runs ",
                         Runs(base_cpu), ")")
          : "-",
        " | ", b ? absl::StrFormat("**%.3f** (runs %s)", Median(cpu_ratio), Runs(cpu_ratio, 3)) : "-",
        " | |\n", "| A: timers fired on the way | ", static_cast<uint64_t>(Median(timers)),
        " | | | | |\n");
  }
  if (run_d) {
    std::vector<double> rate, baseline, ratio, per_cpu, base_cpu, cpu_ratio;
    std::vector<long> peak_open, peak_fire;
    uint64_t open = 0, fired = 0;
    for (int run = 0; run < runs; ++run) {
      fs::remove_all(dir);
      fs::create_directories(dir);
      const PhaseD d = RunFiring(*catalog, dir, fire_persons, start, run == 0);
      if (run == 0) open = d.open, fired = d.fired;
      rate.push_back(d.rate);
      baseline.push_back(d.baseline);
      ratio.push_back(d.rate / d.baseline);
      per_cpu.push_back(d.per_cpu);
      base_cpu.push_back(d.baseline_per_cpu);
      cpu_ratio.push_back(d.per_cpu / d.baseline_per_cpu);
      peak_open.push_back(d.peak_open_mib);
      peak_fire.push_back(d.peak_fire_mib);
    }
    absl::StrAppend(&markdown, "| D: timers fired/s, ", fired, " due at once, ", open,
                    " open obligations | **", static_cast<uint64_t>(Median(rate)), "** | ",
                    Runs(rate), " | ", static_cast<uint64_t>(Median(baseline)),
                    " (raw Get+Put per timer; runs ", Runs(baseline), ") | ",
                    absl::StrFormat("%.3f (runs %s)", Median(ratio), Runs(ratio, 3)),
                    " | run 1: ", peak_open.front(), " MiB opening them, ", peak_fire.front(),
                    " MiB firing |\n", "| D: timers fired per CPU-second of the firing thread | **",
                    static_cast<uint64_t>(Median(per_cpu)), "** | ", Runs(per_cpu), " | ",
                    static_cast<uint64_t>(Median(base_cpu)), " (raw Get+Put per CPU-second; runs ",
                    Runs(base_cpu), ") | ",
                    absl::StrFormat("**%.3f** (runs %s)", Median(cpu_ratio), Runs(cpu_ratio, 3)),
                    " | |\n");
  }
  fs::remove_all(dir);
  std::cout << '\n' << markdown;
  if (!markdown_path.empty()) {
    std::ofstream out(markdown_path);
    out << markdown;
    if (!out) {
      std::cerr << "replay_bench: cannot write " << markdown_path << '\n';
      return 1;
    }
  }
  return 0;
}
