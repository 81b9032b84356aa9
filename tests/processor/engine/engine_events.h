#pragma once
// Case events for tests that drive processor::Engine directly (no binary, no broker): built
// from JSON through the real decoder, so they are exactly what the processor would apply.

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "processor/input/event_decoder.h"
#include "proto/case_event.pb.h"
#include "rules/regime_loader.h"
#include "tests/testing/binary.h"

namespace fristvagt::testing {

inline v1::CaseEvent Event(const std::string& id, const std::string& person, const std::string& at,
                           const std::string& payload) {
  const std::string json =
      absl::StrCat(R"({"event_id":")", id, R"(","person_key":")", person,
                   R"(","municipality_code":"851","caseworker_id":"cw-1","occurred_at":")", at,
                   R"(","recorded_at":")", at, R"(",)", payload, "}");
  processor::DecodeResult decoded = processor::EventDecoder().FromJson(json);
  if (const auto* rejection = std::get_if<processor::Rejection>(&decoded)) {
    ADD_FAILURE() << json << ": " << rejection->message;
    return {};
  }
  return std::get<v1::CaseEvent>(decoded);
}

inline v1::CaseEvent FirstContact(const std::string& id, const std::string& person,
                                  const std::string& at) {
  return Event(id, person, at,
               R"("first_contact":{"has_youth_education":false,"benefit":"UDDANNELSESHJAELP",)"
               R"("age_years":22})");
}

inline v1::CaseEvent Meeting(const std::string& id, const std::string& person,
                             const std::string& at) {
  return Event(id, person, at, R"("meeting_held":{"channel":"IN_PERSON"})");
}

inline absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

// The catalog of rules/regimes; false (with a test failure) when it does not load.
inline bool LoadShippedCatalog(rules::Catalog* catalog) {
  std::vector<rules::RuleFileError> errors;
  absl::StatusOr<rules::Catalog> loaded =
      rules::LoadCatalog((SourceDir() / "rules/regimes").string(), &errors);
  EXPECT_TRUE(loaded.ok()) << loaded.status();
  if (!loaded.ok()) return false;
  *catalog = *std::move(loaded);
  return true;
}

}  // namespace fristvagt::testing
