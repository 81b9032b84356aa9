#pragma once
// Parsing an HTTP/1.1 request head into HttpRequest (the part of the HTTP server that reads
// bytes from the network, kept apart so tests/fuzz/http_request_fuzz.cc can drive it), and the
// server's bounds: a head larger than kMaxHttpHeadBytes is answered 431, a declared body
// larger than kMaxHttpBodyBytes 413 (no endpoint takes a body; it is never read).

#include <cstddef>
#include <string_view>

#include "processor/serve/http_server.h"

namespace fristvagt::processor {

inline constexpr size_t kMaxHttpHeadBytes = 64 * 1024;
inline constexpr size_t kMaxHttpBodyBytes = 1024 * 1024;

// "%41" -> "A", "+" -> " "; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view in);

// Parses "METHOD TARGET HTTP/x" and the header lines of `head` (up to the blank line);
// false when the request line is not of that form.
bool ParseHttpRequestHead(std::string_view head, HttpRequest* request);

}  // namespace fristvagt::processor
