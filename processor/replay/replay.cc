#include "processor/replay/replay.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "absl/time/clock.h"
#include "processor/base/clock.h"
#include "processor/base/logging.h"
#include "processor/engine/clock_driver.h"
#include "processor/engine/engine.h"
#include "processor/input/event_decoder.h"
#include "rules/course.h"
#include "rules/regime_loader.h"
#include "state/crash_point.h"
#include "state/rocksdb_store.h"
#include "state/store.h"

namespace fristvagt::processor {

namespace {

constexpr char kClockProgress[] = "replay.clock_micros";
constexpr char kInputProgress[] = "replay.input";

// The engine wrote these bytes a moment ago; a parse failure means a broken store or engine,
// and printing a guess would hide it.
template <typename Message>
absl::StatusOr<std::string> ProtoJson(const std::string& bytes) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("unreadable ", Message::descriptor()->name(),
                                            " in the outbox"));
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(message, &json, options); !s.ok()) {
    return absl::InternalError(s.ToString());
  }
  return json;
}

std::string JsonString(const std::string& s) {
  google::protobuf::Value value;
  value.set_string_value(s);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(value, &json);
  return json;
}

// Where replay output goes: alerts to --out (or stdout), dead letters to --rejects (or a
// summary on stderr at the end).
class ReplaySink {
 public:
  absl::Status Open(const ReplayOptions& options) {
    if (!options.state_dir.empty()) {
      // A run killed mid-write may have left half a line; that entry is still in the outbox
      // and is written again whole.
      for (const std::string& path :
           {options.out_path, options.rejects_path, options.obligations_path}) {
        if (absl::Status s = CutTornLine(path); !s.ok()) return s;
      }
    }
    if (!options.out_path.empty()) {
      out_file_.open(options.out_path, std::ios::app);
      if (!out_file_) return absl::NotFoundError("cannot open --out " + options.out_path);
    }
    if (!options.rejects_path.empty()) {
      rejects_file_.open(options.rejects_path, std::ios::app);
      if (!rejects_file_) {
        return absl::NotFoundError("cannot open --rejects " + options.rejects_path);
      }
    }
    if (!options.obligations_path.empty()) {
      obligations_file_.open(options.obligations_path, std::ios::app);
      if (!obligations_file_) {
        return absl::NotFoundError("cannot open --obligations " + options.obligations_path);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Write(const v1::OutboxEntry& entry) {
    if (entry.topic() == kAlertsTopic) {
      absl::StatusOr<std::string> json = ProtoJson<v1::Alert>(entry.value());
      if (!json.ok()) return json.status();
      out() << *json << '\n';
      ++alerts_;
    } else if (entry.topic() == kObligationsTopic) {
      if (!obligations_file_.is_open()) return absl::OkStatus();
      if (entry.value().empty()) {
        obligations_file_ << "{\"obligation_id\":" << JsonString(entry.key())
                          << ",\"tombstone\":true}\n";
        return absl::OkStatus();
      }
      absl::StatusOr<std::string> json = ProtoJson<v1::Obligation>(entry.value());
      if (!json.ok()) return json.status();
      obligations_file_ << *json << '\n';
    } else if (entry.topic() == kDeadLetterTopic) {
      const auto& h = entry.headers();
      const std::string line =
          h.count("fristvagt.source.position") ? h.at("fristvagt.source.position") : "0";
      const std::string reject =
          absl::StrCat("{\"line\":", line, ",\"code\":", JsonString(h.at("fristvagt.error.code")),
                       ",\"message\":", JsonString(h.at("fristvagt.error.message")),
                       ",\"input\":", JsonString(entry.value()), "}");
      if (rejects_file_.is_open()) {
        rejects_file_ << reject << '\n';
      } else if (summary_.size() < 20) {
        summary_.push_back(absl::StrCat("  line ", line, ": ", h.at("fristvagt.error.code"), ": ",
                                        h.at("fristvagt.error.message")));
      }
      ++rejected_;
    }
    return absl::OkStatus();
  }

  // Everything written so far reaches the OS (survives a kill of this process).
  absl::Status Flush() {
    out().flush();
    if (rejects_file_.is_open()) rejects_file_.flush();
    if (obligations_file_.is_open()) obligations_file_.flush();
    if (!out() || (rejects_file_.is_open() && !rejects_file_) ||
        (obligations_file_.is_open() && !obligations_file_)) {
      return absl::UnavailableError("cannot write the replay output");
    }
    return absl::OkStatus();
  }

  void Finish() {
    if (rejected_ > 0 && !rejects_file_.is_open()) {
      std::cerr << "fristvagt replay: " << rejected_ << " line(s) rejected";
      std::cerr << " (use --rejects FILE to keep them):\n";
      for (const std::string& s : summary_) std::cerr << s << '\n';
    }
  }

 private:
  static absl::Status CutTornLine(const std::string& path) {
    std::error_code error;
    if (path.empty() || !std::filesystem::exists(path, error)) return absl::OkStatus();
    std::ifstream in(path, std::ios::binary);
    in.seekg(0, std::ios::end);
    std::streamoff size = in.tellg();
    std::streamoff keep = size;
    for (char c = '\n'; keep > 0; --keep) {
      in.seekg(keep - 1);
      if (!in.get(c)) return absl::UnavailableError("cannot read " + path);
      if (c == '\n') break;
    }
    if (keep == size) return absl::OkStatus();
    std::filesystem::resize_file(path, static_cast<uintmax_t>(keep), error);
    if (error) return absl::UnavailableError("cannot repair " + path + ": " + error.message());
    return absl::OkStatus();
  }

  std::ostream& out() { return out_file_.is_open() ? out_file_ : std::cout; }
  std::ofstream out_file_;
  std::ofstream rejects_file_;
  std::ofstream obligations_file_;
  std::vector<std::string> summary_;
  size_t rejected_ = 0;

 public:
  size_t alerts_ = 0;
  size_t rejected() const { return rejected_; }
};

// A progress line on a terminal (events, events/s, share of the file read, ETA), redrawn at
// most twice a second; nothing when stderr is not a terminal (a log collector).
class Progress {
 public:
  explicit Progress(const std::string& path) : enabled_(isatty(STDERR_FILENO) != 0) {
    std::error_code error;
    total_bytes_ = std::filesystem::file_size(path, error);
    if (error) total_bytes_ = 0;
  }

  void Update(size_t events, uint64_t bytes_read) {
    if (!enabled_) return;
    const absl::Time now = WallClock::Get().Now();
    if (now - last_ < absl::Milliseconds(500)) return;
    last_ = now;
    const double seconds = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    const double rate = static_cast<double>(events) / seconds;
    std::string line = absl::StrCat("\rreplay: ", events, " events, ",
                                    static_cast<int64_t>(rate), " events/s");
    if (total_bytes_ > 0 && bytes_read > 0) {
      const double share = std::min(1.0, static_cast<double>(bytes_read) / total_bytes_);
      const double eta = seconds * (1 - share) / std::max(share, 1e-9);
      absl::StrAppend(&line, ", ", static_cast<int>(share * 100), " %, ETA ",
                      static_cast<int64_t>(eta), " s   ");
    }
    std::cerr << line << std::flush;
    drawn_ = true;
  }

  void Clear() {
    if (drawn_) std::cerr << "\r\033[K" << std::flush;
  }

  double Seconds() const { return absl::ToDoubleSeconds(WallClock::Get().Now() - start_); }

 private:
  bool enabled_;
  uint64_t total_bytes_ = 0;
  absl::Time start_ = WallClock::Get().Now();
  absl::Time last_ = absl::InfinitePast();
  bool drawn_ = false;
};

// Sends the committed outbox to the sink and removes what was sent once the sink has flushed
// it, so a kill in between sends those entries again, with the same alert_id.
absl::Status DrainOutbox(state::StateStore* store, ReplaySink* sink) {
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
  while (true) {
    if (absl::Status s = store->ScanOutbox(4096, &entries); !s.ok()) return s;
    if (entries.empty()) return absl::OkStatus();
    state::Batch done;
    for (const auto& [seq, entry] : entries) {
      if (absl::Status s = sink->Write(entry); !s.ok()) return s;
      done.outbox_removed.push_back(seq);
    }
    if (absl::Status s = sink->Flush(); !s.ok()) return s;
    FRISTVAGT_CRASH_POINT("replay.after_output");
    if (absl::Status s = store->Commit(done); !s.ok()) return s;
  }
}

// FNV-1a 64 of a line, with its length: "<16 hex digits>/<bytes>".
std::string LineFingerprint(const std::string& line) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : line) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrCat(absl::Hex(hash, absl::kZeroPad16), "/", line.size());
}

// How far a --state-dir run got in its events file, stored as progress "replay.input" in the
// batch that applied the line: "<fingerprint of line 1> <last applied line> <its fingerprint>".
// Line 1 names the file whatever its path (a moved file resumes; a second part, whose first
// line differs, starts at line 1); line N's fingerprint checks that the lines to skip are the
// ones that were applied (a rewritten file is read again from line 1). Skipping only saves
// time: the engine recognises applied events by event_id.
struct InputPosition {
  std::string first;
  size_t line = 0;
  std::string at;

  std::string Encode() const { return absl::StrCat(first, " ", line, " ", at); }
  static std::optional<InputPosition> Decode(const std::string& value) {
    std::vector<std::string> parts = absl::StrSplit(value, ' ');
    InputPosition position;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &position.line)) return std::nullopt;
    position.first = parts[0];
    position.at = parts[2];
    return position;
  }
};

// The number of leading lines of `path` that the store has applied already.
absl::StatusOr<size_t> LinesApplied(state::StateStore* store, const std::string& path) {
  absl::StatusOr<std::optional<std::string>> stored = store->GetProgress(kInputProgress);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return 0;
  const std::optional<InputPosition> position = InputPosition::Decode(**stored);
  if (!position.has_value()) return absl::DataLossError("unreadable progress replay.input");
  std::ifstream input(path);
  std::string line;
  for (size_t n = 1; n <= position->line && std::getline(input, line); ++n) {
    if (n == 1 && LineFingerprint(line) != position->first) return 0;
    if (n == position->line && LineFingerprint(line) == position->at) return n;
  }
  if (input.bad()) return absl::UnavailableError("error reading " + path);
  std::cerr << "fristvagt replay: " << path << " differs from the file the state dir was "
            << "filled from up to line " << position->line << "; reading it from line 1\n";
  return 0;
}

int Fail(const std::string& message) {
  std::cerr << "fristvagt replay: " << message << '\n';
  return 1;
}

}  // namespace

int RunReplay(const ReplayOptions& options) {
  std::vector<rules::RuleFileError> rule_errors;
  absl::StatusOr<rules::Catalog> catalog = rules::LoadCatalog(options.rules_dir, &rule_errors, options.drafts);
  if (!catalog.ok()) {
    for (const auto& e : rule_errors) std::cerr << e.ToString() << '\n';
    return Fail("invalid rules in " + options.rules_dir);
  }
  std::ifstream input(options.events_path);
  if (!input) return Fail("cannot read --events " + options.events_path);
  std::unique_ptr<state::StateStore> store;
  size_t lines_applied = 0;
  if (options.state_dir.empty()) {
    store = state::NewMemoryStore();
  } else {
    // One identity for every file, so a file replayed in parts into one dir finds its state.
    absl::StatusOr<std::unique_ptr<state::StateStore>> opened =
        state::OpenRocksDbStore(options.state_dir, {"replay", 0});
    if (!opened.ok()) return Fail(std::string(opened.status().message()));
    store = *std::move(opened);
    absl::StatusOr<size_t> applied = LinesApplied(store.get(), options.events_path);
    if (!applied.ok()) return Fail(std::string(applied.status().message()));
    lines_applied = *applied;
  }
  ReplaySink sink;
  if (absl::Status s = sink.Open(options); !s.ok()) return Fail(std::string(s.message()));
  // What a killed run committed but did not get out goes first.
  if (absl::Status s = DrainOutbox(store.get(), &sink); !s.ok()) {
    return Fail(std::string(s.message()));
  }

  EngineOptions engine_options;
  engine_options.language = options.language;
  engine_options.emit_obligation_records = !options.obligations_path.empty();
  Engine engine(*catalog, store.get(), engine_options);
  EventDecoder decoder;
  // Where a --state-dir run's clock stood. A failed or unreadable read stops the run: starting
  // the clock again from the past would fire timers and raise alerts that were already raised.
  absl::Time clock = absl::InfinitePast();
  absl::StatusOr<std::optional<std::string>> stored_clock = store->GetProgress(kClockProgress);
  if (!stored_clock.ok()) return Fail(std::string(stored_clock.status().message()));
  if (stored_clock->has_value()) {
    int64_t micros = 0;
    if (!absl::SimpleAtoi(**stored_clock, &micros)) {
      return Fail(absl::StrCat("unreadable progress ", kClockProgress, " in the state dir"));
    }
    clock = absl::FromUnixMicros(micros);
  }

  ClockDriver driver(&engine, clock);
  std::string line;
  std::string first_fingerprint;
  size_t line_number = 0;
  size_t in_batch = 0;
  uint64_t bytes_read = 0;
  size_t lines_read = 0;
  Progress progress(options.events_path);
  while (std::getline(input, line)) {
    ++line_number;
    bytes_read += line.size() + 1;
    if (line_number == 1) first_fingerprint = LineFingerprint(line);
    if (line_number <= lines_applied) continue;
    ++lines_read;
    progress.Update(lines_read, bytes_read);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    DecodeResult decoded = decoder.FromJson(line);
    const std::string position = std::to_string(line_number);
    if (auto* rejection = std::get_if<Rejection>(&decoded)) {
      engine.DeadLetter(line, std::string(RejectCodeName(rejection->code)), rejection->message,
                        position);
    } else {
      if (absl::Status s = driver.Apply(std::get<v1::CaseEvent>(decoded), position); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
    engine.SetProgress(kClockProgress, std::to_string(absl::ToUnixMicros(driver.clock())));
    if (!options.state_dir.empty()) {
      engine.SetProgress(
          kInputProgress,
          InputPosition{first_fingerprint, line_number, LineFingerprint(line)}.Encode());
    }
    if (++in_batch >= options.events_per_batch) {
      in_batch = 0;
      if (absl::Status s = engine.Flush(); !s.ok()) return Fail(std::string(s.message()));
      if (absl::Status s = DrainOutbox(store.get(), &sink); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
  }
  if (input.bad()) return Fail("error reading " + options.events_path);
  if (options.until.has_value() && *options.until > driver.clock()) {
    if (absl::Status s = driver.AdvanceTo(*options.until); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    engine.SetProgress(kClockProgress, std::to_string(absl::ToUnixMicros(driver.clock())));
  }
  if (absl::Status s = engine.Flush(); !s.ok()) return Fail(std::string(s.message()));
  if (absl::Status s = DrainOutbox(store.get(), &sink); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  progress.Clear();
  sink.Finish();
  // The summary says what happened, so 0 alerts from a state dir that has seen the input
  // already is never a silent surprise.
  const EngineCounters& counters = engine.counters();
  const double seconds = progress.Seconds();
  Logger("replay")->info(
      "{}: {} lines in {:.1f} s ({:.0f} lines/s): {} events applied, {} re-deliveries ignored, "
      "{} rejected, {} alerts",
      options.events_path, lines_read, seconds, static_cast<double>(lines_read) / std::max(seconds, 1e-3),
      counters.events_applied, counters.events_redelivered, sink.rejected(), sink.alerts_);
  if (lines_applied > 0) {
    Logger("replay")->info(
        "the state dir {} had already applied lines 1-{} of {}; they were skipped{}",
        options.state_dir, lines_applied, options.events_path,
        lines_read == 0 ? ": nothing new to replay (use an empty --state-dir to start over)" : "");
  } else if (lines_read > 0 && counters.events_applied == 0 && counters.events_redelivered > 0) {
    Logger("replay")->warn(
        "every event of {} was already in the state dir {} (re-deliveries): no alerts. Use an "
        "empty --state-dir to replay from scratch.",
        options.events_path, options.state_dir);
  }
  return 0;
}

}  // namespace fristvagt::processor
