#include "processor/serve/query_api.h"

#include <algorithm>
#include <variant>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "processor/serve/access_gate.h"
#include "proto/alert.pb.h"
#include "rules/civil_time.h"

// GCC 12 reports a false -Wrestrict in std::string's inlined copies here once the access
// checks are inlined too (GCC bug 105329); -Werror would make it an error.
#pragma GCC diagnostic ignored "-Wrestrict"

namespace fristvagt::processor {

namespace {

HttpResponse Json(int status, const google::protobuf::Message& message) {
  std::string body;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &body, options);
  return HttpResponse{status, "application/json", body + "\n"};
}

HttpResponse Error(int status, const std::string& message, const std::string& owner = "") {
  google::protobuf::Struct body;
  (*body.mutable_fields())["error"].set_string_value(message);
  if (!owner.empty()) (*body.mutable_fields())["owner"].set_string_value(owner);
  return Json(status, body);
}

const rules::RuleSpec* FindRule(const rules::Catalog* catalog, const std::string& regime,
                                const std::string& rule_id) {
  return catalog == nullptr ? nullptr : catalog->FindRule(regime, rule_id);
}

// Open obligations, and closed ones whose deadline is recent enough to still matter.
bool Shown(const v1::ObligationRecord& record, const std::string& oldest_closed) {
  if (record.status() == v1::OPEN || record.status() == v1::BREACHED) return true;
  return record.deadline() >= oldest_closed;
}

struct Filter {
  std::string municipality, caseworker, rule, status, due_before;
  const access::TokenScope* scope;  // only persons of its municipalities

  bool Matches(const v1::PersonState& person, const v1::ObligationRecord& record) const {
    return scope->MayRead(person.municipality_code()) &&
           (municipality.empty() || person.municipality_code() == municipality) &&
           (caseworker.empty() || person.caseworker_id() == caseworker) &&
           (rule.empty() || record.rule_id() == rule) &&
           (status.empty() || v1::ObligationStatus_Name(record.status()) == status) &&
           (due_before.empty() || record.deadline() <= due_before);
  }
};

class QueryApi {
 public:
  QueryApi(QueryApiOptions options, const LocalState* state, absl::Time (*now)())
      : options_(std::move(options)),
        gate_(AccessGateOptions{options_.token, options_.allow_unauthenticated, options_.tokens,
                                options_.audit, options_.allow_plaintext, now}),
        state_(state),
        now_(now) {}

  HttpResponse Person(const HttpRequest& request) const {
    auto admitted = gate_.Admit(request, AccessGate::Need::kQuery);
    if (auto* denied = std::get_if<HttpResponse>(&admitted)) return *denied;
    const access::TokenScope& scope = std::get<access::TokenScope>(admitted);
    // /v1/persons/{person_key}/obligations
    const std::string rest = request.path.substr(std::string("/v1/persons/").size());
    const size_t slash = rest.rfind('/');
    if (slash == std::string::npos || rest.substr(slash) != "/obligations" || slash == 0) {
      return Error(404, "use /v1/persons/{person_key}/obligations");
    }
    const std::string key = rest.substr(0, slash);
    const std::string misrouting = state_->MisroutingHint();
    std::optional<v1::PersonState> person;
    if (!misrouting.empty()) {
      // The configured partitioner is not the producers': look everywhere here, and where the
      // person is not found, say why the answer cannot be trusted instead of "none".
      person = state_->PersonInAnyPartition(key);
      if (!person.has_value()) {
        if (access::DecidePerson(scope, nullptr) == access::PersonAccess::kForbidden) {
          return ForbiddenPerson();
        }
        return Error(503, "cannot tell which instance holds this person: " + misrouting);
      }
    } else {
      const LocalState::Owner owner = state_->OwnerOf(key);
      if (!owner.local && owner.address.empty()) {
        // Partitions are moving (or the directory is still being read): ask again shortly.
        HttpResponse response =
            Error(503, "the instance holding this person is not known yet (rebalancing); retry");
        response.headers["Retry-After"] = "1";
        return response;
      }
      if (!owner.local) {
        return Error(421, "owned by another instance: " + owner.address, owner.address);
      }
      person = state_->Person(key);
    }
    if (access::DecidePerson(scope, person ? &person->municipality_code() : nullptr) ==
        access::PersonAccess::kForbidden) {
      return ForbiddenPerson();  // the same for another municipality's person and for nobody
    }
    const v1::PersonObligations out = Obligations(key, person.value_or(v1::PersonState()));
    if (!gate_.Audit(scope, "person", key, {}, out.obligations_size())) return AuditDown();
    return Json(200, out);
  }

  v1::PersonObligations Obligations(const std::string& key, const v1::PersonState& person) const {
    v1::PersonObligations out;
    out.set_person_key(key);
    out.set_municipality_code(person.municipality_code());
    out.set_caseworker_id(person.caseworker_id());
    const std::string oldest = OldestClosedDeadline();
    for (const v1::ObligationRecord& record : person.obligations()) {
      if (Shown(record, oldest)) *out.add_obligations() = Describe(person, record);
    }
    return out;
  }

  HttpResponse Instances(const HttpRequest& request) const {
    auto admitted = gate_.Admit(request, AccessGate::Need::kQuery);
    if (auto* denied = std::get_if<HttpResponse>(&admitted)) return *denied;
    google::protobuf::Struct body;
    google::protobuf::ListValue* list = (*body.mutable_fields())["instances"].mutable_list_value();
    for (const LocalState::Instance& instance : state_->Instances()) {
      google::protobuf::Struct* entry = list->add_values()->mutable_struct_value();
      (*entry->mutable_fields())["address"].set_string_value(instance.address);
      (*entry->mutable_fields())["self"].set_bool_value(instance.self);
      google::protobuf::ListValue* partitions =
          (*entry->mutable_fields())["partitions"].mutable_list_value();
      for (int32_t p : instance.partitions) partitions->add_values()->set_number_value(p);
    }
    return Json(200, body);
  }

  HttpResponse Overview(const HttpRequest& request) const {
    auto admitted = gate_.Admit(request, AccessGate::Need::kQuery);
    if (auto* denied = std::get_if<HttpResponse>(&admitted)) return *denied;
    const access::TokenScope& scope = std::get<access::TokenScope>(admitted);
    auto param = [&](const char* name) {
      auto it = request.query.find(name);
      return it == request.query.end() ? std::string() : it->second;
    };
    Filter filter{param("municipality"), param("caseworker"), param("rule"), param("status"),
                  param("due_before"), &scope};
    if (!filter.municipality.empty() && !scope.MayRead(filter.municipality)) {
      return Error(403, "this token may not read this municipality");
    }
    int page_size = 100;
    if (!param("page_size").empty()) page_size = std::atoi(param("page_size").c_str());
    if (page_size <= 0 || page_size > options_.max_page_size) {
      return Error(400, absl::StrCat("page_size must be 1-", options_.max_page_size));
    }
    // The page token is the last (person key, obligation id) returned, hex-encoded.
    std::string after_person, after_obligation;
    if (!param("page_token").empty()) {
      const std::string token = absl::HexStringToBytes(param("page_token"));
      std::vector<std::string> parts = absl::StrSplit(token, absl::MaxSplits('\x1f', 1));
      if (parts.size() != 2) return Error(400, "invalid page_token");
      after_person = parts[0];
      after_obligation = parts[1];
    }
    v1::ObligationPage page;
    std::string last_person, last_obligation;
    bool more = false;
    const std::string oldest = OldestClosedDeadline();
    // Resume inside the person the previous page ended in.
    state_->Scan(after_person, [&](const v1::PersonState& person) {
      // A person's records are in the order they were opened; the page token needs id order.
      std::vector<const v1::ObligationRecord*> records;
      for (const v1::ObligationRecord& record : person.obligations()) records.push_back(&record);
      std::sort(records.begin(), records.end(), [](const auto* a, const auto* b) {
        return a->obligation_id() < b->obligation_id();
      });
      for (const v1::ObligationRecord* entry : records) {
        const v1::ObligationRecord& record = *entry;
        if (person.person_key() == after_person && record.obligation_id() <= after_obligation) {
          continue;
        }
        if (!Shown(record, oldest) || !filter.Matches(person, record)) continue;
        if (page.obligations_size() == page_size) {
          more = true;
          return false;
        }
        *page.add_obligations() = Describe(person, record);
        last_person = person.person_key();
        last_obligation = record.obligation_id();
      }
      return true;
    });
    if (more) {
      page.set_next_page_token(absl::BytesToHexString(last_person + '\x1f' + last_obligation));
    }
    if (!gate_.Audit(scope, "overview", "", request.query, page.obligations_size())) {
      return AuditDown();
    }
    return Json(200, page);
  }

 private:
  std::string OldestClosedDeadline() const {
    return rules::FormatIsoDate(rules::LocalDate(now_()) - options_.recently_closed_days);
  }

  v1::Obligation Describe(const v1::PersonState& person, const v1::ObligationRecord& record) const {
    return alerts::BuildObligation(record, person,
                                   FindRule(options_.catalog, record.regime(), record.rule_id()),
                                   options_.language);
  }

  static HttpResponse AuditDown() {
    return Error(503, "the audit log cannot be written; no person data is served");
  }

  QueryApiOptions options_;
  AccessGate gate_;
  const LocalState* state_;
  absl::Time (*now_)();
};

}  // namespace

bool BearerTokenMatches(const std::string& authorization, const std::string& token) {
  const std::string expected = "Bearer " + token;
  // Length differences are not secret-dependent in a useful way, but compare every byte anyway.
  unsigned char diff = authorization.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char a = i < authorization.size() ? authorization[i] : 0;
    diff |= static_cast<unsigned char>(a ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

bool AddQueryHandlers(const QueryApiOptions& options, const LocalState* state, absl::Time (*now)(),
                      std::map<std::string, HttpHandler>* handlers) {
  if (options.token.empty() && !options.allow_unauthenticated && options.tokens == nullptr) {
    return false;
  }
  auto api = std::make_shared<QueryApi>(options, state, now);
  (*handlers)["/v1/persons/"] = [api](const HttpRequest& r) { return api->Person(r); };
  (*handlers)["/v1/obligations"] = [api](const HttpRequest& r) { return api->Overview(r); };
  (*handlers)["/v1/instances"] = [api](const HttpRequest& r) { return api->Instances(r); };
  return true;
}

}  // namespace fristvagt::processor
