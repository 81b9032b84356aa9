#include "processor/replay.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "processor/engine.h"
#include "processor/event_decoder.h"
#include "rules/course.h"
#include "rules/regime_loader.h"
#include "state/store.h"

namespace fristvagt::processor {

namespace {

constexpr char kClockProgress[] = "replay.clock_micros";
constexpr size_t kEventsPerBatch = 1000;

std::string AlertJson(const std::string& bytes) {
  v1::Alert alert;
  alert.ParseFromString(bytes);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(alert, &json, options);
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
    return absl::OkStatus();
  }

  void Write(const v1::OutboxEntry& entry) {
    if (entry.topic() == kAlertsTopic) {
      out() << AlertJson(entry.value()) << '\n';
    } else if (entry.topic() == kDeadLetterTopic) {
      const auto& h = entry.headers();
      const std::string line = h.count("fristvagt.source.position")
                                   ? h.at("fristvagt.source.position")
                                   : "0";
      const std::string reject = absl::StrCat(
          "{\"line\":", line, ",\"code\":", JsonString(h.at("fristvagt.error.code")),
          ",\"message\":", JsonString(h.at("fristvagt.error.message")),
          ",\"input\":", JsonString(entry.value()), "}");
      if (rejects_file_.is_open()) {
        rejects_file_ << reject << '\n';
      } else if (summary_.size() < 20) {
        summary_.push_back(absl::StrCat("  line ", line, ": ", h.at("fristvagt.error.code"),
                                        ": ", h.at("fristvagt.error.message")));
      }
      ++rejected_;
    }
  }

  void Finish() {
    out().flush();
    rejects_file_.flush();
    if (rejected_ > 0 && !rejects_file_.is_open()) {
      std::cerr << "fristvagt replay: " << rejected_ << " line(s) rejected";
      std::cerr << " (use --rejects FILE to keep them):\n";
      for (const std::string& s : summary_) std::cerr << s << '\n';
    }
  }

 private:
  std::ostream& out() { return out_file_.is_open() ? out_file_ : std::cout; }
  std::ofstream out_file_;
  std::ofstream rejects_file_;
  std::vector<std::string> summary_;
  size_t rejected_ = 0;
};

// Sends the outbox to the sink and removes what was sent, in one commit.
absl::Status DrainOutbox(state::StateStore* store, ReplaySink* sink) {
  std::vector<std::pair<uint64_t, v1::OutboxEntry>> entries;
  while (true) {
    if (absl::Status s = store->ScanOutbox(4096, &entries); !s.ok()) return s;
    if (entries.empty()) return absl::OkStatus();
    state::Batch done;
    for (const auto& [seq, entry] : entries) {
      sink->Write(entry);
      done.outbox_removed.push_back(seq);
    }
    if (absl::Status s = store->Commit(done); !s.ok()) return s;
  }
}

int Fail(const std::string& message) {
  std::cerr << "fristvagt replay: " << message << '\n';
  return 1;
}

}  // namespace

int RunReplay(const ReplayOptions& options) {
  std::vector<rules::RuleFileError> rule_errors;
  absl::StatusOr<rules::Catalog> catalog = rules::LoadCatalog(options.rules_dir, &rule_errors);
  if (!catalog.ok()) {
    for (const auto& e : rule_errors) std::cerr << e.ToString() << '\n';
    return Fail("invalid rules in " + options.rules_dir);
  }
  std::ifstream input(options.events_path);
  if (!input) return Fail("cannot read --events " + options.events_path);
  if (!options.state_dir.empty()) {
    return Fail("--state-dir needs the RocksDB store, which this build does not have yet");
  }
  std::unique_ptr<state::StateStore> store = state::NewMemoryStore();
  ReplaySink sink;
  if (absl::Status s = sink.Open(options); !s.ok()) return Fail(std::string(s.message()));

  EngineOptions engine_options;
  engine_options.language = options.language;
  Engine engine(*catalog, store.get(), engine_options);
  EventDecoder decoder;
  absl::Time clock = absl::InfinitePast();
  if (auto stored = store->GetProgress(kClockProgress); stored.ok() && stored->has_value()) {
    int64_t micros = 0;
    if (absl::SimpleAtoi(**stored, &micros)) clock = absl::FromUnixMicros(micros);
  }

  std::string line;
  size_t line_number = 0;
  size_t in_batch = 0;
  while (std::getline(input, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    DecodeResult decoded = decoder.FromJson(line);
    const std::string position = std::to_string(line_number);
    if (auto* rejection = std::get_if<Rejection>(&decoded)) {
      engine.DeadLetter(line, std::string(RejectCodeName(rejection->code)), rejection->message,
                        position);
    } else {
      const v1::CaseEvent& event = std::get<v1::CaseEvent>(decoded);
      const absl::Time recorded = rules::ToAbslTime(event.recorded_at());
      if (recorded > clock) {
        if (absl::Status s = engine.FireTimersUpTo(recorded); !s.ok()) {
          return Fail(std::string(s.message()));
        }
        clock = recorded;
      }
      if (absl::Status s = engine.ApplyEvent(event, clock, position); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
    engine.SetProgress(kClockProgress, std::to_string(absl::ToUnixMicros(clock)));
    if (++in_batch >= kEventsPerBatch) {
      in_batch = 0;
      if (absl::Status s = engine.Flush(); !s.ok()) return Fail(std::string(s.message()));
      if (absl::Status s = DrainOutbox(store.get(), &sink); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
  }
  if (input.bad()) return Fail("error reading " + options.events_path);
  if (options.until.has_value() && *options.until > clock) {
    if (absl::Status s = engine.FireTimersUpTo(*options.until); !s.ok()) {
      return Fail(std::string(s.message()));
    }
    clock = *options.until;
    engine.SetProgress(kClockProgress, std::to_string(absl::ToUnixMicros(clock)));
  }
  if (absl::Status s = engine.Flush(); !s.ok()) return Fail(std::string(s.message()));
  if (absl::Status s = DrainOutbox(store.get(), &sink); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  sink.Finish();
  return 0;
}

}  // namespace fristvagt::processor
