#pragma once
// What `fristvagt demo` feeds the embedded broker and how it shows the result: the simulator's
// cohort over the last four months (so deadlines fall due while you watch), produced through a
// normal Kafka producer, and alerts printed as they arrive.

#include <atomic>
#include <map>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "processor/base/clock.h"
#include "processor/base/metrics.h"
#include "proto/alert.pb.h"

namespace fristvagt::processor {

struct DemoFeedOptions {
  int persons = 100;
  int seed = 1;
  const Clock* clock = &ProcessClock();  // the cohort is dated over the months before now
};

// Produces the cohort's events to `topic`, waits until the processor has consumed them and the
// alerts have settled, then sets `stop` so the demo ends by itself.
absl::Status ProduceDemoEvents(const std::string& bootstrap, const std::string& topic,
                               const DemoFeedOptions& options, Metrics* metrics,
                               std::atomic<bool>* stop);

// Prints one line per alert and a summary per rule at the end. Called from the processing
// thread only.
class DemoPrinter {
 public:
  explicit DemoPrinter(std::ostream& out) : out_(out) {}
  void Print(const v1::Alert& alert);
  void Summary();

 private:
  std::ostream& out_;
  std::map<std::string, std::map<std::string, int>> by_rule_;  // rule -> kind -> count
};

}  // namespace fristvagt::processor
