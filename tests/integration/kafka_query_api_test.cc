// The interactive query API (issue 6) in a two-instance deployment: two `fristvagt run`
// processes in one consumer group on an embedded broker with four input partitions, each with
// its own HTTP port and the same bearer token. Each answers for the persons of its own
// partitions from local state and names the other instance (HTTP 421) for the rest, which it
// knows from the instances topic (and lists with /v1/instances). What the API answers is
// checked against the compacted obligations topic, the other view of the same state: a
// person's obligations, and a caseworker's overview followed page by page on both instances.
//
// Why the comparison is stable: both instances hold their partitions and caught up before the
// events are produced, the events are from 2023, so every deadline they open passed long ago
// and every timer fires as soon as its event is applied; the test waits until the input is
// applied and the obligations topic stopped growing.

#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/alert.pb.h"
#include "tests/integration/synthetic_events.h"
#include "tests/testing/binary.h"
#include "tests/testing/kafka_test_util.h"

namespace fristvagt {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;

constexpr char kToken[] = "qa-7f3c9e21b5d84a06";
const std::map<std::string, std::string> kAuth = {{"Authorization", "Bearer qa-7f3c9e21b5d84a06"}};

// The latest record of every obligation on the obligations topic (tombstones remove it).
std::map<std::string, v1::Obligation> ObligationTopic(const std::string& bootstrap) {
  std::map<std::string, v1::Obligation> latest;
  absl::StatusOr<std::vector<testing::KafkaRecord>> records =
      testing::ConsumeToEnd(bootstrap, "fristvagt.obligations");
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return latest;
  for (const testing::KafkaRecord& record : *records) {
    if (!record.key.has_value()) continue;
    if (!record.value.has_value()) {
      latest.erase(*record.key);
      continue;
    }
    v1::Obligation obligation;
    const std::string type = record.Header("content-type").value_or("");
    const bool parsed =
        absl::StrContains(type, "json")
            ? google::protobuf::util::JsonStringToMessage(*record.value, &obligation).ok()
            : obligation.ParseFromString(*record.value);
    EXPECT_TRUE(parsed) << *record.key;
    latest[*record.key] = obligation;
  }
  return latest;
}

// What the API shows: open and breached obligations, and closed ones due in the last 90 days.
bool Shown(const v1::Obligation& obligation) {
  const std::string oldest =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24 * 91), absl::UTCTimeZone());
  return obligation.status() == v1::OPEN || obligation.status() == v1::BREACHED ||
         obligation.deadline() >= oldest;
}

template <typename Message>
Message ParseJson(const std::string& body) {
  Message message;
  const auto status = google::protobuf::util::JsonStringToMessage(body, &message);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << body;
  return message;
}

// Every obligation of `instance`'s overview for `caseworker`, following the page tokens.
std::vector<v1::Obligation> Overview(int port, const std::string& caseworker, int page_size,
                                     int* pages) {
  std::vector<v1::Obligation> all;
  std::string token;
  *pages = 0;
  do {
    std::string path =
        absl::StrCat("/v1/obligations?caseworker=", caseworker, "&page_size=", page_size);
    if (!token.empty()) absl::StrAppend(&path, "&page_token=", token);
    std::optional<testing::HttpResult> answer = testing::HttpGet(port, path, kAuth);
    if (!answer.has_value() || answer->status != 200) {
      ADD_FAILURE() << path << ": " << (answer.has_value() ? answer->body : "no answer");
      return all;
    }
    const v1::ObligationPage page = ParseJson<v1::ObligationPage>(answer->body);
    EXPECT_LE(page.obligations_size(), page_size);
    for (const v1::Obligation& obligation : page.obligations()) all.push_back(obligation);
    token = page.next_page_token();
    ++*pages;
  } while (!token.empty() && *pages < 1000);
  return all;
}

class KafkaQueryApiTest : public ::testing::Test {
 protected:
  fs::path Path(const std::string& name) const { return dir_.path() / name; }

  testing::TempDir dir_;
};

TEST_F(KafkaQueryApiTest, EachInstanceAnswersForItsPartitionsAndNamesTheOwnerOfTheOthers) {
  absl::StatusOr<testing::EmbeddedBrokerProcess> broker = testing::StartBroker(dir_.path(), 4);
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> names = {"a", "b"};
  std::map<std::string, int> ports;
  std::map<std::string, std::unique_ptr<ChildProcess>> runs;
  for (const std::string& name : names) {
    testing::RunSettings settings;
    settings.http_port = ports[name] = testing::FreeTcpPort();
    settings.http_token = kToken;
    settings.partitioner = "consistent_random";  // what testing::Produce (librdkafka) uses
    runs[name] = testing::StartProcessor(dir_.path(), name, broker->bootstrap, settings);
  }
  auto logs = [&] { return runs["a"]->ReadLog() + runs["b"]->ReadLog(); };
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        const std::map<int, bool> a = testing::LivePartitions(runs["a"]->ReadLog());
        const std::map<int, bool> b = testing::LivePartitions(runs["b"]->ReadLog());
        return a.size() + b.size() == 4 && !a.empty() && !b.empty() && testing::AllLive(a) &&
               testing::AllLive(b);
      },
      absl::Seconds(45)))
      << logs();

  const std::vector<std::string> lines = testing::SyntheticEventLines({.persons = 120, .seed = 6});
  const std::set<std::string> erased = testing::ErasedPersons(lines);
  ASSERT_TRUE(
      testing::Produce(broker->bootstrap, "case-events", testing::CaseEventMessages(lines)).ok());
  ASSERT_TRUE(testing::WaitUntil([&] { return testing::InputApplied(broker->bootstrap); },
                                 absl::Seconds(45), absl::Milliseconds(250)))
      << logs();
  // The obligations topic stops growing once every timer the events armed has fired.
  std::map<int32_t, int64_t> ends;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        absl::StatusOr<std::map<int32_t, int64_t>> now =
            testing::EndOffsets(broker->bootstrap, "fristvagt.obligations");
        const bool same = now.ok() && *now == ends;
        if (now.ok()) ends = *now;
        return same;
      },
      absl::Seconds(30), absl::Seconds(1)));
  const std::map<std::string, v1::Obligation> topic = ObligationTopic(broker->bootstrap);
  ASSERT_GT(topic.size(), 100u);

  // The input partition of each person, as the broker holds them, and its shown obligations.
  absl::StatusOr<std::vector<testing::KafkaRecord>> input =
      testing::ConsumeToEnd(broker->bootstrap, "case-events");
  ASSERT_TRUE(input.ok()) << input.status();
  std::map<std::string, int32_t> partition_of;
  for (const testing::KafkaRecord& record : *input) {
    if (record.key.has_value()) partition_of[*record.key] = record.partition;
  }
  std::map<std::string, std::map<std::string, v1::Obligation>> shown_by_person;
  for (const auto& [id, obligation] : topic) {
    if (Shown(obligation)) shown_by_person[obligation.person_key()][id] = obligation;
  }
  // One person with shown obligations on each partition.
  std::map<int32_t, std::string> person_on;
  for (const auto& [person, obligations] : shown_by_person) {
    if (erased.count(person) == 0 && partition_of.count(person) > 0) {
      person_on.emplace(partition_of[person], person);
    }
  }
  ASSERT_EQ(person_on.size(), 4u);

  // Without the token, or with a wrong one: 401 on both, whoever owns the person.
  for (const std::string& name : names) {
    const std::string path = absl::StrCat("/v1/persons/", person_on[0], "/obligations");
    std::optional<testing::HttpResult> none = testing::HttpGet(ports[name], path);
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->status, 401) << none->body;
    EXPECT_EQ(none->headers["www-authenticate"], "Bearer");
    std::optional<testing::HttpResult> wrong = testing::HttpGet(
        ports[name], path, {{"Authorization", absl::StrCat("Bearer ", kToken, "x")}});
    ASSERT_TRUE(wrong.has_value());
    EXPECT_EQ(wrong->status, 401) << wrong->body;
    wrong = testing::HttpGet(ports[name], "/v1/obligations", {{"Authorization", "Bearer"}});
    ASSERT_TRUE(wrong.has_value());
    EXPECT_EQ(wrong->status, 401) << wrong->body;
  }

  // For each partition's person: the holder answers 200, the other 421 naming the holder. The
  // directory is eventually consistent (announcements travel through the broker): wait for it.
  std::map<int32_t, std::string> holder;  // partition -> instance name
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        holder.clear();
        for (const auto& [partition, person] : person_on) {
          const std::string path = absl::StrCat("/v1/persons/", person, "/obligations");
          std::optional<testing::HttpResult> a = testing::HttpGet(ports["a"], path, kAuth);
          std::optional<testing::HttpResult> b = testing::HttpGet(ports["b"], path, kAuth);
          if (!a.has_value() || !b.has_value()) return false;
          if (a->status == 200 && b->status == 421) holder[partition] = "a";
          if (a->status == 421 && b->status == 200) holder[partition] = "b";
        }
        return holder.size() == 4;
      },
      absl::Seconds(20)))
      << logs();
  const std::map<int, bool> held_by_a = testing::LivePartitions(runs["a"]->ReadLog());
  // Each instance lists itself first, then the other, with the partitions each holds.
  for (const std::string& name : names) {
    std::optional<testing::HttpResult> answer =
        testing::HttpGet(ports[name], "/v1/instances", kAuth);
    ASSERT_TRUE(answer.has_value());
    ASSERT_EQ(answer->status, 200) << answer->body;
    const google::protobuf::Struct listed = ParseJson<google::protobuf::Struct>(answer->body);
    ASSERT_EQ(listed.fields().count("instances"), 1u) << answer->body;
    const google::protobuf::ListValue& instances = listed.fields().at("instances").list_value();
    ASSERT_EQ(instances.values_size(), 2) << answer->body;
    std::map<std::string, std::set<int32_t>> partitions_of;  // address -> partitions
    for (int i = 0; i < instances.values_size(); ++i) {
      const auto& fields = instances.values(i).struct_value().fields();
      const std::string address = fields.at("address").string_value();
      EXPECT_EQ(fields.at("self").bool_value(), i == 0) << answer->body;
      for (const google::protobuf::Value& p : fields.at("partitions").list_value().values()) {
        partitions_of[address].insert(static_cast<int32_t>(p.number_value()));
      }
      if (i == 0) {
        EXPECT_EQ(address, absl::StrCat("127.0.0.1:", ports[name])) << answer->body;
      }
    }
    for (const auto& [partition, owner] : holder) {
      for (const std::string& instance : names) {
        EXPECT_EQ(partitions_of[absl::StrCat("127.0.0.1:", ports[instance])].count(partition),
                  instance == owner ? 1u : 0u)
            << name << " lists partition " << partition << ": " << answer->body;
      }
    }
  }
  for (const auto& [partition, person] : person_on) {
    SCOPED_TRACE(absl::StrCat("partition ", partition));
    // The instance that answers is the one that holds the partition (its log says so).
    EXPECT_EQ(holder[partition], held_by_a.count(partition) > 0 ? "a" : "b");
    const std::string owner = holder[partition];
    const std::string other = owner == "a" ? "b" : "a";
    const std::string path = absl::StrCat("/v1/persons/", person, "/obligations");
    std::optional<testing::HttpResult> misdirected = testing::HttpGet(ports[other], path, kAuth);
    ASSERT_TRUE(misdirected.has_value());
    EXPECT_EQ(misdirected->status, 421);
    EXPECT_TRUE(absl::StrContains(misdirected->body,
                                  absl::StrCat("\"owner\":\"127.0.0.1:", ports[owner], "\"")))
        << misdirected->body;
    EXPECT_FALSE(absl::StrContains(misdirected->body, "obligation_id")) << misdirected->body;

    std::optional<testing::HttpResult> answer = testing::HttpGet(ports[owner], path, kAuth);
    ASSERT_TRUE(answer.has_value());
    ASSERT_EQ(answer->status, 200) << answer->body;
    const v1::PersonObligations got = ParseJson<v1::PersonObligations>(answer->body);
    EXPECT_EQ(got.person_key(), person);
    const std::map<std::string, v1::Obligation>& expected = shown_by_person[person];
    ASSERT_EQ(got.obligations_size(), static_cast<int>(expected.size())) << answer->body;
    for (const v1::Obligation& obligation : got.obligations()) {
      SCOPED_TRACE(obligation.obligation_id());
      ASSERT_EQ(expected.count(obligation.obligation_id()), 1u);
      const v1::Obligation& want = expected.at(obligation.obligation_id());
      EXPECT_EQ(obligation.person_key(), person);
      EXPECT_EQ(obligation.deadline(), want.deadline());
      EXPECT_EQ(obligation.status(), want.status());
      EXPECT_EQ(obligation.rule_id(), want.rule_id());
      EXPECT_EQ(obligation.legal_ref(), want.legal_ref());
      EXPECT_EQ(obligation.caseworker_id(), want.caseworker_id());
      EXPECT_EQ(obligation.message(), want.message());
      EXPECT_FALSE(obligation.deadline().empty());
      EXPECT_FALSE(obligation.rule_id().empty());
      EXPECT_FALSE(obligation.legal_ref().empty());
      // The Danish text (the default language), with the deadline in it.
      bool danish = false;
      for (const char* word : {"senest", "skal", "slutter", "unge", "flyttet"}) {
        danish = danish || absl::StrContains(obligation.message(), word);
      }
      EXPECT_TRUE(danish) << obligation.message();
    }
  }

  // A caseworker's overview, on each instance its own partitions, page by page: together the
  // pages are every shown obligation of that caseworker, each once.
  std::map<std::string, int> shown_by_caseworker;
  for (const auto& [id, obligation] : topic) {
    if (Shown(obligation)) ++shown_by_caseworker[obligation.caseworker_id()];
  }
  ASSERT_FALSE(shown_by_caseworker.empty());
  std::string caseworker = shown_by_caseworker.begin()->first;
  for (const auto& [id, count] : shown_by_caseworker) {
    if (count > shown_by_caseworker[caseworker]) caseworker = id;
  }
  std::set<std::string> expected;
  for (const auto& [id, obligation] : topic) {
    if (obligation.caseworker_id() == caseworker && Shown(obligation)) expected.insert(id);
  }
  ASSERT_GT(expected.size(), 10u);
  std::set<std::string> seen;
  size_t returned = 0;
  for (const std::string& name : names) {
    int pages = 0;
    const std::vector<v1::Obligation> paged = Overview(ports[name], caseworker, 4, &pages);
    int one_page_count = 0;
    const std::vector<v1::Obligation> whole =
        Overview(ports[name], caseworker, 500, &one_page_count);
    EXPECT_EQ(one_page_count, 1);
    ASSERT_EQ(paged.size(), whole.size()) << name;
    EXPECT_EQ(pages, static_cast<int>((whole.size() + 3) / 4)) << name;
    for (size_t i = 0; i < paged.size(); ++i) {
      EXPECT_EQ(paged[i].obligation_id(), whole[i].obligation_id()) << name << " #" << i;
      EXPECT_EQ(paged[i].caseworker_id(), caseworker);
      const int32_t partition = partition_of[paged[i].person_key()];
      EXPECT_EQ(holder.count(partition) > 0 ? holder[partition] : name, name)
          << "an instance's overview shows only its own partitions";
      seen.insert(paged[i].obligation_id());
    }
    returned += paged.size();
  }
  EXPECT_EQ(returned, seen.size()) << "an obligation was listed twice";
  EXPECT_EQ(seen, expected);

  for (const std::string& name : names) runs[name]->Signal(SIGTERM);
  for (const std::string& name : names) {
    EXPECT_EQ(runs[name]->Wait(absl::Seconds(15)), 0) << runs[name]->ReadLog();
  }
}

TEST_F(KafkaQueryApiTest, RunRefusesAnHttpPortWithoutATokenUnlessUnauthenticatedIsAllowed) {
  const int port = testing::FreeTcpPort();
  const std::string base = absl::StrCat(
      "[kafka]\n\"bootstrap.servers\" = \"127.0.0.1:", testing::FreeTcpPort(),
      "\"\n[state]\ndir = \"", Path("state").string(), "\"\n[http]\nport = ", port, "\n");
  testing::WriteFile(Path("no-token.toml"), base);
  std::unique_ptr<ChildProcess> refused = ChildProcess::Start(
      {"run", "--config", Path("no-token.toml").string()}, {}, Path("no-token.log"));
  EXPECT_EQ(refused->Wait(absl::Seconds(20)), 2) << refused->ReadLog();
  EXPECT_TRUE(
      absl::StrContains(refused->ReadLog(), Path("no-token.toml").string() + ":5: http.token: "))
      << refused->ReadLog();
  EXPECT_TRUE(absl::StrContains(refused->ReadLog(), "allow_unauthenticated")) << refused->ReadLog();
  EXPECT_FALSE(testing::HttpGet(port, "/healthz").has_value()) << "nothing may listen";

  // Explicitly allowed: the query API answers without a token (no broker here, so no person's
  // partition is known: 503 with Retry-After).
  testing::WriteFile(Path("open.toml"), base + "allow_unauthenticated = true\n");
  std::unique_ptr<ChildProcess> open =
      ChildProcess::Start({"run", "--config", Path("open.toml").string()}, {}, Path("open.log"));
  std::optional<testing::HttpResult> overview;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        overview = testing::HttpGet(port, "/v1/obligations");
        return overview.has_value() || !open->Running();
      },
      absl::Seconds(20)))
      << open->ReadLog();
  ASSERT_TRUE(overview.has_value()) << open->ReadLog();
  EXPECT_EQ(overview->status, 200) << overview->body;
  std::optional<testing::HttpResult> person = testing::HttpGet(port, "/v1/persons/p-1/obligations");
  ASSERT_TRUE(person.has_value());
  EXPECT_EQ(person->status, 503) << person->body;
  EXPECT_EQ(person->headers["retry-after"], "1");
  open->Signal(SIGTERM);
  EXPECT_TRUE(open->Wait(absl::Seconds(15)).has_value()) << open->ReadLog();
}

}  // namespace
}  // namespace fristvagt
