// rules_bench: the pure evaluator (rules::Evaluate) on a simulated cohort, in µs and heap
// allocations per evaluation, against the evaluator before compile-at-load
// (rules::reference::Evaluate, kept callable for exactly this and as a test oracle) in the
// same run. Every evaluation is also compared field by field between the two; a difference
// makes the program fail. A plain program, not a test; figures in docs/benchmarks.md.
//
//   rules_bench [--persons N] [--start YYYY-MM-DD] [--months N] [--rounds N] [--rules DIR]
//               [--profile 1]   (only the compiled evaluator, for perf record)
//
// Cases: the cohort's persons (cohort::SimulatePerson, malformed lines, redeliveries and
// voided registrations removed the way the engine removes them), each evaluated after every
// one of its events at that event's recorded_at, with the facts known by then — what the
// engine does per event. "Realistic" is the subset with 10-30 facts (the figure).
// Both implementations run the same cases alternately, --rounds times; the best round of each
// is reported, in thread CPU time.

#include <algorithm>
#include <atomic>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "cohort/calendar.h"
#include "cohort/person.h"
#include "cohort/simulator.h"
#include "rules/civil_time.h"
#include "rules/course.h"
#include "rules/evaluator.h"
#include "rules/reference/evaluator.h"
#include "rules/regime_loader.h"

// Counts every heap allocation of the process; the bench reads it around each evaluation.
namespace {
std::atomic<uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace v1 = fristvagt::v1;
namespace rules = fristvagt::rules;
namespace cohort = fristvagt::cohort;
// Thread CPU time, not wall time: the machine the figures come from is shared, and time spent
// descheduled is not the evaluator's.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Case {
  const std::string* person_key;
  std::vector<const v1::CaseEvent*> facts;
  absl::Time now;
};

struct Person {
  std::string key;
  std::vector<v1::CaseEvent> events;  // the good lines in recorded order
};

// The engine's notion of active facts: one per event id, voided registrations removed.
std::vector<const v1::CaseEvent*> ActiveFacts(const std::vector<v1::CaseEvent>& events,
                                              size_t upto) {
  std::set<std::string> seen;
  std::set<std::string> voided;
  for (size_t i = 0; i < upto; ++i) {
    if (events[i].has_registration_voided()) {
      voided.insert(events[i].registration_voided().voided_event_id());
    }
  }
  std::vector<const v1::CaseEvent*> out;
  for (size_t i = 0; i < upto; ++i) {
    const v1::CaseEvent& e = events[i];
    if (e.has_registration_voided() || e.has_caseworker_changed() || e.has_person_erased()) {
      continue;
    }
    if (voided.count(e.event_id()) > 0 || !seen.insert(e.event_id()).second) continue;
    out.push_back(&e);
  }
  return out;
}

struct Totals {
  double seconds = 0;
  uint64_t allocations = 0;
  size_t evaluations = 0;
  size_t obligations = 0;
};

template <typename Fn>
Totals Run(const std::vector<Case>& cases, Fn evaluate) {
  Totals t;
  const uint64_t a0 = g_allocations.load();
  const double start = CpuSeconds();
  for (const Case& c : cases) {
    t.obligations += evaluate(c).size();
    ++t.evaluations;
  }
  t.seconds = CpuSeconds() - start;
  t.allocations = g_allocations.load() - a0;
  return t;
}

std::string Describe(const rules::ObligationView& v) {
  std::string s = v.obligation_id.str() + " " + std::string(v.rule_id) + " " + v.instance.str() + " " + v.regime->id + " " +
                  rules::FormatIsoDate(v.deadline) + " " + std::to_string(absl::ToUnixMicros(v.opened_at)) +
                  " " + std::to_string(absl::ToUnixMicros(v.due_at)) + " " +
                  std::to_string(static_cast<int>(v.status)) + " " + v.missing + " " +
                  (v.reports_missing ? "m" : "-");
  for (absl::Time r : v.reminders) s += " r" + std::to_string(absl::ToUnixMicros(r));
  for (const std::string* id : v.cause_event_ids) s += " c" + *id;
  return s;
}

int Usage() {
  std::fprintf(stderr,
               "usage: rules_bench [--persons N] [--start YYYY-MM-DD] [--months N] [--rounds N] "
               "[--rules DIR] [--profile 1]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  cohort::SimulateOptions options;
  options.persons = 300;
  int rounds = 5;
  bool profile = false;  // --profile 1: only the compiled evaluator, for perf record
  std::string rules_dir = FRISTVAGT_BENCH_RULES_DIR;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--persons" && absl::SimpleAtoi(value, &options.persons)) continue;
    if (flag == "--months" && absl::SimpleAtoi(value, &options.months)) continue;
    if (flag == "--rounds" && absl::SimpleAtoi(value, &rounds)) continue;
    if (flag == "--profile" && absl::SimpleAtob(value, &profile)) continue;
    if (flag == "--rules") {
      rules_dir = value;
      continue;
    }
    if (flag == "--start" && absl::ParseCivilTime(value, &options.start)) continue;
    return Usage();
  }
  if (argc % 2 == 0) return Usage();
  std::vector<rules::RuleFileError> errors;
  absl::StatusOr<rules::Catalog> catalog = rules::LoadCatalog(rules_dir, &errors);
  if (!catalog.ok()) {
    std::fprintf(stderr, "%s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }

  // The cohort, as cohort::Simulate builds it, one person at a time.
  std::vector<cohort::MunicipalityProfile> municipalities = cohort::BuildMunicipalities(options);
  std::vector<Person> persons;
  for (int i = 0; i < options.persons; ++i) {
    cohort::PersonSpec spec;
    spec.seed = options.seed;
    spec.index = i;
    spec.person_key = cohort::PersonKey(options.seed, i);
    spec.municipality = &municipalities[i % municipalities.size()];
    spec.intake_from = options.start;
    // As cohort::Simulate: 3 months left for the first-contact deadlines to fall due.
    spec.intake_to =
        std::max(options.start + 28, cohort::PlusMonths(options.start, options.months - 3));
    spec.period_end = cohort::PeriodEnd(options);
    cohort::PersonHistory history = cohort::SimulatePerson(spec);
    std::stable_sort(history.lines.begin(), history.lines.end(),
                     [](const cohort::SimLine& a, const cohort::SimLine& b) {
                       return std::tie(a.sort_time, a.seq) < std::tie(b.sort_time, b.seq);
                     });
    Person p;
    p.key = spec.person_key;
    for (cohort::SimLine& line : history.lines) {
      if (line.malformation == cohort::Malformation::kNone) p.events.push_back(line.event);
    }
    persons.push_back(std::move(p));
  }
  std::vector<Case> all;
  for (const Person& p : persons) {
    for (size_t n = 1; n <= p.events.size(); ++n) {
      all.push_back({&p.key, ActiveFacts(p.events, n),
                     rules::ToAbslTime(p.events[n - 1].recorded_at())});
    }
  }
  std::vector<Case> realistic;
  for (const Case& c : all) {
    if (c.facts.size() >= 10 && c.facts.size() <= 30) realistic.push_back(c);
  }

  if (profile) {
    for (int r = 0; r < rounds; ++r) {
      Run(realistic, [&](const Case& c) {
        return rules::Evaluate(*c.person_key, c.facts, *catalog, c.now);
      });
    }
    return 0;
  }

  // Same answers, or no figures.
  size_t differences = 0;
  for (const Case& c : all) {
    const auto now_views = rules::Evaluate(*c.person_key, c.facts, *catalog, c.now);
    const auto ref_views = rules::reference::Evaluate(*c.person_key, c.facts, *catalog, c.now);
    bool same = now_views.size() == ref_views.size();
    for (size_t i = 0; same && i < now_views.size(); ++i) {
      same = Describe(now_views[i]) == Describe(ref_views[i]);
    }
    if (!same && ++differences <= 3) {
      std::fprintf(stderr, "difference for %s at %s\n", c.person_key->c_str(),
                   absl::FormatTime(c.now).c_str());
      for (const auto& v : ref_views) std::fprintf(stderr, "  ref %s\n", Describe(v).c_str());
      for (const auto& v : now_views) std::fprintf(stderr, "  now %s\n", Describe(v).c_str());
    }
  }

  for (const auto* set : {&realistic, &all}) {
    Totals best_ref, best_now;
    for (int r = 0; r < rounds; ++r) {
      Totals ref = Run(*set, [&](const Case& c) {
        return rules::reference::Evaluate(*c.person_key, c.facts, *catalog, c.now);
      });
      Totals now = Run(*set, [&](const Case& c) {
        return rules::Evaluate(*c.person_key, c.facts, *catalog, c.now);
      });
      if (r == 0 || ref.seconds < best_ref.seconds) best_ref = ref;
      if (r == 0 || now.seconds < best_now.seconds) best_now = now;
    }
    size_t facts = 0;
    for (const Case& c : *set) facts += c.facts.size();
    const double n = static_cast<double>(best_now.evaluations);
    const double us_ref = best_ref.seconds * 1e6 / n;
    const double us_now = best_now.seconds * 1e6 / n;
    std::printf(
        "%-10s %7zu evaluations, %5.1f facts and %5.1f obligations each: reference %7.2f µs %7.1f "
        "allocs | compiled %7.2f µs %7.1f allocs | ratio %.2fx time, %.2fx allocs\n",
        set == &realistic ? "10-30 facts" : "all", best_now.evaluations, facts / n,
        best_now.obligations / n, us_ref, best_ref.allocations / n, us_now,
        best_now.allocations / n, us_ref / us_now,
        static_cast<double>(best_ref.allocations) / std::max<double>(1, best_now.allocations));
  }
  std::printf("differences between compiled and reference: %zu of %zu evaluations\n", differences,
              all.size());
  return differences == 0 ? 0 : 1;
}
