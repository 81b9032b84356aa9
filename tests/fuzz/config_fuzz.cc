// Fuzz target for the processor's configuration file (processor/base/config.h, the keys in
// docs/configuration.md). The property: any bytes give a Config, or errors that each begin
// with the file's name ("fuzz.toml:LINE: key: problem") — never a crash, never a failure
// without a message, never a Config with values outside the documented ranges.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "processor/base/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> errors;
  absl::StatusOr<fristvagt::processor::Config> config =
      fristvagt::processor::ParseConfig(text, "fuzz.toml", &errors);
  if (config.ok() != errors.empty()) {
    std::cerr << "config: ok=" << config.ok() << " with " << errors.size() << " errors\n";
    std::abort();
  }
  for (const std::string& error : errors) {
    if (error.rfind("fuzz.toml:", 0) != 0) {
      std::cerr << "config: an error that does not name the file: " << error << "\n";
      std::abort();
    }
  }
  if (config.ok() && (config->batch_size <= 0 || config->partitions <= 0 ||
                      config->http_port < 0 || config->http_port > 65535)) {
    std::cerr << "config: accepted an out-of-range value\n";
    std::abort();
  }
  return 0;
}

// Sections and keys of docs/configuration.md, so mutations reach past the TOML syntax.
const std::vector<std::string>& FristvagtFuzzDictionary() {
  static const std::vector<std::string> kTokens = {
      "[kafka]\n", "[topics]\n", "[processing]\n", "[input]\n", "[alerts]\n", "[state]\n",
      "[http]\n", "\"bootstrap.servers\" = ", "partitions = ", "batch_size = ", "port = ",
      "bind = ", "token = ", "token_file = ", "allow_unauthenticated = true", "format = ",
      "\"json\"", "processing_guarantee = ", "\"exactly_once\"", "cached_persons = ",
      "max_event_bytes = ", "digest_hour = ", "-1", "0", "2147483648", "-9223372036854775808",
      "1e308", "nan", "\"\"", "[[", "]]", "{}", "[]", "\n", " = ", "."};
  return kTokens;
}
