// Fuzz target for the HTTP request head (processor/serve/http_request.h): the bytes any client
// on the network may send to the HTTP port. The properties: parsing never crashes; header
// names come out lower-cased; and percent-encoding any bytes (the input itself) decodes back to
// exactly those bytes, so a person key with any characters reaches the query API intact.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "processor/serve/http_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fristvagt::processor::HttpRequest request;
  if (fristvagt::processor::ParseHttpRequestHead(bytes, &request)) {
    for (const auto& [name, value] : request.headers) {
      for (char c : name) {
        if (std::isupper(static_cast<unsigned char>(c))) {
          std::cerr << "http: a header name that is not lower-cased: " << name << "\n";
          std::abort();
        }
      }
    }
  }
  std::string encoded;
  for (unsigned char c : bytes) absl::StrAppendFormat(&encoded, "%%%02X", c);
  if (fristvagt::processor::PercentDecode(encoded) != bytes) {
    std::cerr << "http: percent-encoded bytes do not decode back\n";
    std::abort();
  }
  return 0;
}

const std::vector<std::string>& FristvagtFuzzDictionary() {
  static const std::vector<std::string> kTokens = {
      "GET ", "POST ", " HTTP/1.1\r\n", "\r\n", "\r\n\r\n", "Authorization: Bearer ",
      "Content-Length: ", "Host: ", "/v1/persons/", "/obligations", "/v1/obligations?",
      "municipality=", "&", "=", "%", "%2F", "%00", "%ZZ", "+", "?", ":", " "};
  return kTokens;
}
