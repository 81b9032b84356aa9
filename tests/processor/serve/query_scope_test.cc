// Scoped access and the audit log through the query API (issue 18): each endpoint with each
// kind of token, a token of municipality A asking for a person of B (and for nobody), person
// data refused over plain text from outside loopback, and the audit log read back.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "access/audit_log.h"
#include "access/token_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/serve/query_api.h"
#include "processor/serve/report_api.h"

namespace fristvagt::processor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time FixedNow() { return absl::FromUnixSeconds(1700000000); }  // 2023-11-14

// p-a1 and p-a2 of municipality 851, p-b1 of 101; all owned here.
class TwoMunicipalities : public LocalState {
 public:
  TwoMunicipalities() {
    for (const auto& [key, code] : std::map<std::string, std::string>{
             {"p-a1", "851"}, {"p-a2", "851"}, {"p-b1", "101"}}) {
      v1::PersonState& p = persons_[key];
      p.set_person_key(key);
      p.set_municipality_code(code);
      p.set_caseworker_id("cw-1");
      v1::ObligationRecord* r = p.add_obligations();
      r->set_obligation_id(key + "-ob");
      r->set_rule_id("first_meeting");
      r->set_status(v1::OPEN);
      r->set_deadline("2023-12-01");
    }
  }
  Owner OwnerOf(std::string_view) const override { return {true, ""}; }
  std::optional<v1::PersonState> Person(std::string_view key) const override {
    auto it = persons_.find(std::string(key));
    if (it == persons_.end()) return std::nullopt;
    return it->second;
  }
  void Scan(std::string_view from,
            const std::function<bool(const v1::PersonState&)>& visit) const override {
    for (auto it = persons_.lower_bound(std::string(from)); it != persons_.end(); ++it) {
      if (!visit(it->second)) return;
    }
  }

 private:
  std::map<std::string, v1::PersonState> persons_;
};

std::string Entry(const std::string& name, const std::string& token, const std::string& codes,
                  const std::string& may) {
  return absl::StrCat("[[token]]\nname = \"", name, "\"\nsha256 = \"", access::Sha256Hex(token),
                      "\"\nmunicipalities = ", codes, "\nmay = ", may, "\n");
}

class QueryScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/query-scope-" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/tokens.toml")
        << Entry("aarhus", "tok-a", "[\"851\"]", "[\"query\"]")
        << Entry("kbh", "tok-b", "[\"101\"]", "[\"query\"]")
        << Entry("ops", "tok-ops", "[\"*\"]", "[]")
        << Entry("ministry", "tok-all", "[\"*\"]", "[\"query\", \"report\"]")
        << Entry("aarhus-report", "tok-ar", "[\"851\"]", "[\"report\"]");
    std::vector<std::string> errors;
    tokens_ = *access::TokenStore::Open(dir_ + "/tokens.toml", &errors);
    audit_ = *access::AuditLog::Open(dir_ + "/audit.jsonl");
    QueryApiOptions options;
    options.tokens = tokens_.get();
    options.audit = audit_.get();
    ASSERT_TRUE(AddQueryHandlers(options, &state_, &FixedNow, &handlers_));
    AccessGateOptions report;
    report.tokens = tokens_.get();
    report.audit = audit_.get();
    AddReportHandlers(report, &state_, &FixedNow, &handlers_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpResponse Get(const std::string& token, const std::string& path,
                   std::map<std::string, std::string> query = {}, bool loopback = true,
                   bool secure = false) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    request.loopback_peer = loopback;
    request.secure = secure;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    const std::string route = path.rfind("/v1/persons/", 0) == 0 ? "/v1/persons/" : path;
    return handlers_.at(route)(request);
  }
  std::vector<std::string> AuditLines() {
    std::ifstream in(dir_ + "/audit.jsonl");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::string dir_;
  TwoMunicipalities state_;
  std::unique_ptr<access::TokenStore> tokens_;
  std::unique_ptr<access::AuditLog> audit_;
  std::map<std::string, HttpHandler> handlers_;
};

TEST_F(QueryScopeTest, TokenOfAAskingForBGetsTheSame403AsForNobody) {
  const HttpResponse own = Get("tok-a", "/v1/persons/p-a1/obligations");
  EXPECT_EQ(own.status, 200);
  EXPECT_THAT(own.body, HasSubstr("p-a1-ob"));
  const HttpResponse other = Get("tok-a", "/v1/persons/p-b1/obligations");
  const HttpResponse nobody = Get("tok-a", "/v1/persons/p-zz/obligations");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(nobody.status, 403);
  EXPECT_EQ(other.body, nobody.body);  // nothing tells them apart
  EXPECT_THAT(other.body, Not(HasSubstr("101")));
  EXPECT_EQ(Get("tok-b", "/v1/persons/p-b1/obligations").status, 200);
  EXPECT_EQ(Get("tok-b", "/v1/persons/p-a1/obligations").status, 403);
}

TEST_F(QueryScopeTest, EveryMunicipalityTokenSeesAllAndLearnsNobodyIsThere) {
  EXPECT_EQ(Get("tok-all", "/v1/persons/p-b1/obligations").status, 200);
  const HttpResponse nobody = Get("tok-all", "/v1/persons/p-zz/obligations");
  EXPECT_EQ(nobody.status, 200);
  EXPECT_THAT(nobody.body, Not(HasSubstr("obligations\":[")));
}

TEST_F(QueryScopeTest, OverviewShowsOnlyTheTokensMunicipalities) {
  HttpResponse r = Get("tok-a", "/v1/obligations");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("p-a1-ob"));
  EXPECT_THAT(r.body, HasSubstr("p-a2-ob"));
  EXPECT_THAT(r.body, Not(HasSubstr("p-b1")));
  EXPECT_EQ(Get("tok-a", "/v1/obligations", {{"municipality", "101"}}).status, 403);
  r = Get("tok-all", "/v1/obligations", {{"municipality", "101"}});
  EXPECT_THAT(r.body, HasSubstr("p-b1-ob"));
}

TEST_F(QueryScopeTest, HealthOnlyTokenGetsNoPersonData) {
  for (const std::string path : {"/v1/persons/p-a1/obligations", "/v1/obligations",
                                 "/v1/instances"}) {
    const HttpResponse r = Get("tok-ops", path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_THAT(r.body, HasSubstr("may not use the query API")) << path;
  }
}

TEST_F(QueryScopeTest, UnknownOrMissingTokenIs401) {
  EXPECT_EQ(Get("tok-x", "/v1/persons/p-a1/obligations").status, 401);
  EXPECT_EQ(Get("", "/v1/obligations").status, 401);
  EXPECT_EQ(Get(access::Sha256Hex("tok-a"), "/v1/obligations").status, 401);
}

TEST_F(QueryScopeTest, RevokedTokenStopsWorkingWithoutARestart) {
  EXPECT_EQ(Get("tok-a", "/v1/obligations").status, 200);
  std::ofstream(dir_ + "/tokens.toml") << Entry("kbh", "tok-b", "[\"101\"]", "[\"query\"]");
  EXPECT_EQ(Get("tok-a", "/v1/obligations").status, 401);
  EXPECT_EQ(Get("tok-b", "/v1/obligations").status, 200);
}

TEST_F(QueryScopeTest, PersonDataOnlyOverTlsOutsideLoopback) {
  const HttpResponse plain = Get("tok-a", "/v1/persons/p-a1/obligations", {}, false, false);
  EXPECT_EQ(plain.status, 403);
  EXPECT_THAT(plain.body, HasSubstr("TLS"));
  EXPECT_EQ(Get("tok-a", "/v1/persons/p-a1/obligations", {}, false, true).status, 200);
  EXPECT_EQ(Get("tok-a", "/v1/obligations", {}, false, false).status, 403);
}

TEST_F(QueryScopeTest, AuditLogRecordsEveryAnswerWithPersonData) {
  Get("tok-a", "/v1/persons/p-a1/obligations");
  Get("tok-a", "/v1/persons/p-b1/obligations");  // refused: nothing shown, nothing recorded
  Get("tok-ops", "/v1/obligations");              // refused
  Get("tok-a", "/v1/obligations", {{"caseworker", "cw-1"}});
  const std::vector<std::string> lines = AuditLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"token\":\"aarhus\",\"endpoint\":\"person\","
                                  "\"person\":\"p-a1\",\"filter\":{},\"records\":1}"));
  EXPECT_THAT(lines[1], HasSubstr("\"token\":\"aarhus\",\"endpoint\":\"overview\",\"person\":"
                                  "\"\",\"filter\":{\"caseworker\":\"cw-1\"},\"records\":2}"));
  EXPECT_THAT(lines[0], Not(HasSubstr("tok-a")));  // the name, never the secret
}

TEST_F(QueryScopeTest, ReportNeedsTheReportScopeAndCountsOnlyItsMunicipalities) {
  EXPECT_EQ(Get("tok-a", "/v1/report").status, 403);  // query only
  EXPECT_EQ(Get("tok-ar", "/v1/persons/p-a1/obligations").status, 403);  // report only
  EXPECT_EQ(Get("tok-x", "/v1/report").status, 401);
  const HttpResponse own = Get("tok-ar", "/v1/report");
  EXPECT_EQ(own.status, 200);
  EXPECT_THAT(own.body, Not(HasSubstr("p-b1")));
  EXPECT_EQ(Get("tok-all", "/report").status, 200);
  EXPECT_EQ(Get("tok-ar", "/v1/report", {}, false, false).status, 403);  // plain text, remote
  const std::vector<std::string> lines = AuditLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("\"token\":\"aarhus-report\",\"endpoint\":\"report\""));
  EXPECT_THAT(lines[0], HasSubstr("\"records\":2}"));  // p-a1 and p-a2
  EXPECT_THAT(lines[1], HasSubstr("\"token\":\"ministry\",\"endpoint\":\"report_page\""));
  EXPECT_THAT(lines[1], HasSubstr("\"records\":3}"));
}

TEST(QueryAuditTest, NoAnswerWhenTheAuditLogCannotBeWritten) {
  TwoMunicipalities state;
  std::unique_ptr<access::AuditLog> full = *access::AuditLog::Open("/dev/full");
  QueryApiOptions options;
  options.allow_unauthenticated = true;
  options.audit = full.get();
  std::map<std::string, HttpHandler> handlers;
  ASSERT_TRUE(AddQueryHandlers(options, &state, &FixedNow, &handlers));
  HttpRequest request;
  request.path = "/v1/persons/p-a1/obligations";
  request.loopback_peer = true;
  const HttpResponse r = handlers.at("/v1/persons/")(request);
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, Not(HasSubstr("p-a1-ob")));
}

}  // namespace
}  // namespace fristvagt::processor
