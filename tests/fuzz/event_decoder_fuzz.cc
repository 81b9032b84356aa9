// Fuzz target for event decoding (conventions.md: "a fuzz target covers event decoding").
// LLVMFuzzerTestOneInput is libFuzzer's entry point, so `clang++ -fsanitize=fuzzer` can drive
// it; fuzz_driver.cc drives it without clang: deterministic mutations of a seed corpus (JSON
// lines, --lines), run in the normal build and, under ASan+UBSan, by `./dev sanitize`.
//
// The property: any bytes, as a Kafka value (with or without a key) or as a JSON line, give a
// CaseEvent or a Rejection with a known code and a message — never a crash, a hang, or an
// event the decoder's own validation would reject. And the JSON fast path (simdjson, issue 15)
// must give exactly what the generic protobuf JSON path gives: the same event bytes, or the
// same rejection code and message.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "processor/input/event_decoder.h"

namespace {

void Check(const fristvagt::processor::EventDecoder& decoder,
           const fristvagt::processor::DecodeResult& result, std::string_view what) {
  if (const auto* rejection = std::get_if<fristvagt::processor::Rejection>(&result)) {
    if (rejection->message.empty()) {
      std::cerr << what << ": a rejection without a message\n";
      std::abort();
    }
    return;
  }
  const auto& event = std::get<fristvagt::v1::CaseEvent>(result);
  if (decoder.Validate(event).has_value()) {
    std::cerr << what << ": accepted an event that Validate rejects\n";
    std::abort();
  }
}

std::string Describe(const fristvagt::processor::DecodeResult& result) {
  if (const auto* event = std::get_if<fristvagt::v1::CaseEvent>(&result)) {
    return "event " + event->SerializeAsString();
  }
  const auto& rejection = std::get<fristvagt::processor::Rejection>(result);
  return "rejection " + std::string(fristvagt::processor::RejectCodeName(rejection.code)) + " " +
         rejection.message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fristvagt::processor::EventDecoder decoder;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const fristvagt::processor::DecodeResult json = decoder.FromJson(bytes);
  Check(decoder, json, "json");
  if (Describe(json) != Describe(decoder.FromJsonGeneric(bytes))) {
    // The driver saves the input; the two results say how they differ.
    std::cerr << "json: the fast path and the generic path differ\n  fast:    " << Describe(json)
              << "\n  generic: " << Describe(decoder.FromJsonGeneric(bytes)) << '\n';
    std::abort();
  }
  Check(decoder, decoder.FromProtobuf(bytes, std::nullopt), "protobuf");
  const size_t split = size == 0 ? 0 : data[0] % (size + 1);
  Check(decoder, decoder.FromProtobuf(bytes.substr(split), bytes.substr(0, split)),
        "protobuf with key");
  return 0;
}

// Each JSON seed also as its protobuf encoding, plus a few degenerate inputs.
void FristvagtFuzzSeeds(std::vector<std::string>* seeds) {
  static const fristvagt::processor::EventDecoder decoder;
  const size_t n = seeds->size();
  for (size_t i = 0; i < n; ++i) {
    auto decoded = decoder.FromJson((*seeds)[i]);
    if (auto* event = std::get_if<fristvagt::v1::CaseEvent>(&decoded)) {
      seeds->push_back(event->SerializeAsString());
    }
  }
  for (const char* s : {"{}", "null", "{\"event_id\":1}"}) seeds->push_back(s);
  seeds->push_back(std::string("\x0a\x00", 2));
}
