#pragma once
// The inputs of the engine's comparison tests (partial evaluation, store paths): every
// scenario's events and a simulated cohort, as JSON lines in the order replay reads them.

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cohort/simulator.h"
#include "gtest/gtest.h"
#include "processor/input/event_decoder.h"
#include "tests/testing/binary.h"

namespace fristvagt::testing {

// (path, lines) of every tests/scenarios/**/*.events.jsonl.
inline std::vector<std::pair<std::string, std::vector<std::string>>> ScenarioEventFiles() {
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(SourceDir() / "tests/scenarios")) {
    const std::string path = entry.path().string();
    if (!path.ends_with(".events.jsonl")) continue;
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    files.emplace_back(path, std::move(lines));
  }
  EXPECT_GT(files.size(), 100u);  // the scenario suite is there
  return files;
}

// A simulated cohort's case events (cohort/simulator.h).
inline std::vector<std::string> SimulatedCohortLines(int persons, int municipalities, int seed) {
  cohort::SimulateOptions options;
  options.persons = persons;
  options.municipalities = municipalities;
  options.seed = seed;
  std::vector<std::string> lines;
  cohort::SimulateSinks sinks;
  sinks.format = [](const v1::CaseEvent& event) { return processor::EventToJson(event); };
  sinks.events = [&](std::string_view line) {
    lines.emplace_back(line);
    return absl::OkStatus();
  };
  EXPECT_TRUE(cohort::Simulate(options, sinks).ok());
  return lines;
}

}  // namespace fristvagt::testing
