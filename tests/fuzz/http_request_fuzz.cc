// Fuzz target for the HTTP server's request handling (processor/serve/http_server.h): the
// bytes any client on the network may send to the HTTP port, through cpp-httplib's parser and
// our bounds and routing (HttpServer::AnswerBytes, the same code as a connection, without a
// socket). The properties: it never crashes; every answer is a status line or nothing; header
// names reach a handler lower-cased; and a path made by percent-encoding any bytes (the input
// itself) reaches the handler as exactly those bytes, so a person key with any characters
// reaches the query API intact ('+' included).

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "processor/serve/http_server.h"

namespace {

using fristvagt::processor::HttpHandler;
using fristvagt::processor::HttpRequest;
using fristvagt::processor::HttpResponse;
using fristvagt::processor::HttpServer;

std::string last_path;

void Fail(const std::string& why) {
  std::cerr << "http: " << why << "\n";
  std::abort();
}

HttpServer& Server() {
  static std::unique_ptr<HttpServer> server = [] {
    std::map<std::string, HttpHandler> handlers;
    handlers["/"] = [](const HttpRequest& request) {
      for (const auto& [name, value] : request.headers) {
        for (char c : name) {
          if (std::isupper(static_cast<unsigned char>(c))) {
            Fail("a header name that is not lower-cased: " + name);
          }
        }
      }
      last_path = request.path;
      return HttpResponse{200, "text/plain", "ok\n"};
    };
    return HttpServer::Unbound(std::move(handlers));
  }();
  return *server;
}

void CheckAnswer(const std::string& answer) {
  if (answer.empty()) return;  // nothing that looked like a request
  if (answer.size() < 12 || answer.rfind("HTTP/1.1 ", 0) != 0 ||
      !std::isdigit(static_cast<unsigned char>(answer[9]))) {
    Fail("an answer that does not start with a status line: " + answer.substr(0, 40));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckAnswer(Server().AnswerBytes(bytes));
  // Well inside httplib's 8 KiB bound on the request line.
  const std::string_view key = bytes.substr(0, 2000);
  std::string target = "/p/";
  for (unsigned char c : key) absl::StrAppendFormat(&target, "%%%02X", c);
  last_path.clear();
  const std::string answer = Server().AnswerBytes("GET " + target + " HTTP/1.1\r\n\r\n");
  CheckAnswer(answer);
  if (answer.rfind("HTTP/1.1 200 ", 0) != 0 || last_path != "/p/" + std::string(key)) {
    Fail("percent-encoded bytes do not reach the handler as they were");
  }
  return 0;
}

const std::vector<std::string>& FristvagtFuzzDictionary() {
  static const std::vector<std::string> kTokens = {
      "GET ", "POST ", "HEAD ", " HTTP/1.1\r\n", " HTTP/1.0\r\n", "\r\n", "\r\n\r\n",
      "Authorization: Bearer ", "Content-Length: ", "Transfer-Encoding: chunked\r\n",
      "Expect: 100-continue\r\n", "Range: bytes=0-1\r\n", "Accept-Encoding: gzip, br\r\n",
      "Host: ", "/v1/persons/", "/obligations", "/v1/obligations?", "municipality=", "&", "=",
      "%", "%2F", "%00", "%ZZ", "%u0041", "+", "?", "#", ":", " "};
  return kTokens;
}
