#include "processor/serve/query_api.h"

#include <map>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "processor/serve/http_server.h"
#include "proto/alert.pb.h"

namespace fristvagt::processor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HttpRequest Request(const std::string& path, const std::map<std::string, std::string>& query) {
  HttpRequest request;
  request.method = "GET";
  request.path = path;
  request.query = query;
  request.loopback_peer = true;
  return request;
}

absl::Time FixedNow() { return absl::FromUnixSeconds(1700000000); }  // 2023-11-14

// Two persons owned here; keys starting with "x" belong to another instance, those starting
// with "u" to none known.
class FakeState : public LocalState {
 public:
  FakeState() {
    for (const char* key : {"p-1", "p-2"}) {
      v1::PersonState& p = persons_[key];
      p.set_person_key(key);
      p.set_municipality_code(std::string(key) == "p-1" ? "851" : "101");
      p.set_caseworker_id("cw-1");
      for (int i = 0; i < 3; ++i) {
        v1::ObligationRecord* r = p.add_obligations();
        r->set_obligation_id(absl::StrCat(key, "-ob", i));
        r->set_rule_id(i == 0 ? "first_meeting" : "info_transfer");
        r->set_status(i == 2 ? v1::MET : v1::OPEN);
        r->set_deadline(i == 2 ? "2020-01-01" : "2023-12-0" + std::to_string(i + 1));
      }
    }
  }
  void Add(const std::string& key, const std::string& obligation_id) {
    v1::PersonState& p = persons_[key];
    p.set_person_key(key);
    p.set_municipality_code("851");
    v1::ObligationRecord* r = p.add_obligations();
    r->set_obligation_id(obligation_id);
    r->set_rule_id("first_meeting");
    r->set_status(v1::OPEN);
    r->set_deadline("2023-12-01");
  }
  Owner OwnerOf(std::string_view key) const override {
    if (!key.empty() && key[0] == 'x') return {false, "10.0.0.2:8080"};
    if (!key.empty() && key[0] == 'u') return {false, ""};  // partitions moving
    return {true, ""};
  }
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

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QueryApiOptions options;
    options.token = "s3cret";
    ASSERT_TRUE(AddQueryHandlers(options, &state_, &FixedNow, &handlers_));
  }
  HttpResponse Get(const std::string& path, std::map<std::string, std::string> query = {},
                   bool with_token = true) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = std::move(query);
    request.loopback_peer = true;
    if (with_token) request.headers["authorization"] = "Bearer s3cret";
    const std::string route = path.rfind("/v1/persons/", 0) == 0 ? "/v1/persons/" : path;
    return handlers_.at(route)(request);
  }
  FakeState state_;
  std::map<std::string, HttpHandler> handlers_;
};

TEST_F(QueryApiTest, PersonObligationsListOpenAndRecentOnly) {
  const HttpResponse r = Get("/v1/persons/p-1/obligations");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"p-1-ob0\""));
  EXPECT_THAT(r.body, HasSubstr("\"p-1-ob1\""));
  EXPECT_THAT(r.body, Not(HasSubstr("p-1-ob2")));  // closed years ago
}

// Issue 16: through the HTTP server's parser, '+' in a person key is that person's '+', not a
// space (the hand-written server answered /v1/persons/p+1 for "p 1", another person).
TEST_F(QueryApiTest, APlusInAPersonKeyIsNotASpace) {
  state_.Add("q+1", "plus-ob");
  state_.Add("q 1", "space-ob");
  std::unique_ptr<HttpServer> server = HttpServer::Unbound(handlers_);
  const std::string head = " HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n\r\n";
  const std::string plus = server->AnswerBytes("GET /v1/persons/q+1/obligations" + head);
  EXPECT_THAT(plus, HasSubstr("plus-ob"));
  EXPECT_THAT(plus, Not(HasSubstr("space-ob")));
  const std::string space = server->AnswerBytes("GET /v1/persons/q%201/obligations" + head);
  EXPECT_THAT(space, HasSubstr("space-ob"));
  EXPECT_THAT(space, Not(HasSubstr("plus-ob")));
}

TEST_F(QueryApiTest, WithoutOrWithAWrongTokenIs401) {
  EXPECT_EQ(Get("/v1/persons/p-1/obligations", {}, false).status, 401);
  HttpRequest wrong = Request("/v1/obligations", {});
  wrong.headers["authorization"] = "Bearer s3creT";
  EXPECT_EQ(handlers_.at("/v1/obligations")(wrong).status, 401);
}

TEST_F(QueryApiTest, ForeignKeyIs421WithTheOwner) {
  const HttpResponse r = Get("/v1/persons/x-9/obligations");
  EXPECT_EQ(r.status, 421);
  EXPECT_THAT(r.body, HasSubstr("\"owner\":\"10.0.0.2:8080\""));
}

TEST_F(QueryApiTest, UnknownOwnerIs503WithRetryAfter) {
  const HttpResponse r = Get("/v1/persons/u-1/obligations");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.at("Retry-After"), "1");
  EXPECT_THAT(r.body, Not(HasSubstr("owner")));
}

TEST_F(QueryApiTest, UnauthorizedAsksForABearerToken) {
  const HttpResponse r = Get("/v1/obligations", {}, false);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.at("WWW-Authenticate"), "Bearer");
  // The owner of a key is no business of a caller without the token.
  EXPECT_EQ(Get("/v1/persons/x-9/obligations", {}, false).status, 401);
}

TEST_F(QueryApiTest, InstancesNeedTheTokenToo) {
  EXPECT_EQ(Get("/v1/instances", {}, false).status, 401);
  const HttpResponse r = Get("/v1/instances");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"instances\""));
}

TEST_F(QueryApiTest, OverviewFiltersAndPaginates) {
  HttpResponse r = Get("/v1/obligations", {{"municipality", "851"}});
  EXPECT_THAT(r.body, HasSubstr("p-1-ob0"));
  EXPECT_THAT(r.body, Not(HasSubstr("p-2-ob0")));
  r = Get("/v1/obligations", {{"rule", "info_transfer"}, {"due_before", "2023-12-02"}});
  EXPECT_THAT(r.body, HasSubstr("p-1-ob1"));
  EXPECT_THAT(r.body, HasSubstr("p-2-ob1"));
  EXPECT_THAT(r.body, Not(HasSubstr("ob0")));
  // Four shown obligations in pages of three, then one.
  r = Get("/v1/obligations", {{"page_size", "3"}});
  const size_t at = r.body.find("\"next_page_token\":\"");
  ASSERT_NE(at, std::string::npos) << r.body;
  const std::string token = r.body.substr(at + 19, r.body.find('"', at + 19) - at - 19);
  EXPECT_THAT(r.body, HasSubstr("p-2-ob0"));
  r = Get("/v1/obligations", {{"page_size", "3"}, {"page_token", token}});
  EXPECT_THAT(r.body, HasSubstr("p-2-ob1"));
  EXPECT_THAT(r.body, Not(HasSubstr("p-2-ob0")));
  EXPECT_THAT(r.body, Not(HasSubstr("next_page_token")));
}

// A person's records are stored in the order they were opened, not by id; a page that ends
// inside a person must still resume with exactly the records not yet returned.
TEST(QueryApiPagingTest, PagesEndingInsideAPersonWithRecordsOutOfIdOrder) {
  class OnePerson : public FakeState {
   public:
    OnePerson() {
      person_.set_person_key("p-1");
      for (const char* id : {"c", "a", "d", "b", "e"}) {
        v1::ObligationRecord* r = person_.add_obligations();
        r->set_obligation_id(id);
        r->set_status(v1::OPEN);
        r->set_deadline("2023-12-01");
      }
    }
    std::optional<v1::PersonState> Person(std::string_view) const override { return person_; }
    void Scan(std::string_view from,
              const std::function<bool(const v1::PersonState&)>& visit) const override {
      if (from <= "p-1") visit(person_);
    }

   private:
    v1::PersonState person_;
  };
  OnePerson state;
  std::map<std::string, HttpHandler> handlers;
  QueryApiOptions options;
  options.allow_unauthenticated = true;
  ASSERT_TRUE(AddQueryHandlers(options, &state, &FixedNow, &handlers));
  std::string token;
  std::string ids;
  for (int page = 0; page < 5; ++page) {
    std::map<std::string, std::string> query = {{"page_size", "2"}};
    if (!token.empty()) query["page_token"] = token;
    const HttpResponse r =
        handlers.at("/v1/obligations")(Request("/v1/obligations", query));
    ASSERT_EQ(r.status, 200);
    v1::ObligationPage parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &parsed).ok()) << r.body;
    for (const v1::Obligation& o : parsed.obligations()) ids += o.obligation_id();
    token = parsed.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(ids, "abcde");
  EXPECT_TRUE(token.empty());
}

TEST(QueryApiSetupTest, RefusesToServeWithoutATokenUnlessAllowedExplicitly) {
  FakeState state;
  std::map<std::string, HttpHandler> handlers;
  QueryApiOptions options;
  EXPECT_FALSE(AddQueryHandlers(options, &state, &FixedNow, &handlers));
  EXPECT_TRUE(handlers.empty());
  options.allow_unauthenticated = true;
  EXPECT_TRUE(AddQueryHandlers(options, &state, &FixedNow, &handlers));
}

TEST(BearerTokenTest, ExactMatchOnly) {
  EXPECT_TRUE(BearerTokenMatches("Bearer abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(BearerTokenMatches("Bearer ab", "abc"));
  EXPECT_FALSE(BearerTokenMatches("bearer abc", "abc"));
  EXPECT_FALSE(BearerTokenMatches("", "abc"));
}

}  // namespace
}  // namespace fristvagt::processor
