#pragma once
// `fristvagt replay`: the engine over a JSON-lines file with the event-driven clock of
// rules.md §1 (the clock moves to each event's recorded_at, never backwards, firing due timers
// first; at the end it moves to --until). Alerts are written as JSON lines.

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "alerts/alert_factory.h"

namespace fristvagt::processor {

struct ReplayOptions {
  std::string events_path;
  std::optional<absl::Time> until;
  std::string out_path;      // empty: stdout
  std::string rejects_path;  // empty: a summary on stderr
  // Empty: not written. Otherwise every record the obligations topic would receive, as JSON
  // lines in output order (an obligation's later line supersedes its earlier ones; a line
  // {"obligation_id":…,"tombstone":true} removes it), so the last line per obligation_id is
  // its final status.
  std::string obligations_path;
  std::string state_dir;     // empty: in-memory state
  std::string rules_dir;
  std::vector<std::string> drafts;  // draft regimes to put in force (rules/regime_loader.h)
  alerts::Language language = alerts::Language::kDanish;
  // Events per commit (and per output flush). 10,000, not 1,000: a larger batch meets more of
  // a person's events and timers in one write; at 20,000 persons 1.56 instead of 1.81 person
  // writes per event and 8-13 % less CPU per event (docs/benchmarks.md, issue 15 session 12).
  // A batch still commits early once it touches EngineOptions::max_batch_persons persons,
  // which is why it changes nothing at 1,000,000 persons.
  size_t events_per_batch = 10000;
};

// Returns the process exit code: 0 when the input was processed (rejected lines included),
// 1 when the run itself failed (unreadable file, invalid rules, state error), with a message
// on stderr saying what.
int RunReplay(const ReplayOptions& options);

}  // namespace fristvagt::processor
