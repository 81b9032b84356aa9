#include "access/token_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fristvagt::access {
namespace {

void Digest(std::string_view text, uint8_t out[32]) {
  unsigned int len = 32;
  EVP_Digest(text.data(), text.size(), out, &len, EVP_sha256(), nullptr);
}

// Token files are small (one entry per client system); anything larger is a mistake.
constexpr size_t kMaxTokenFileBytes = size_t{1} << 20;

class Errors {
 public:
  Errors(const std::string& file, std::vector<std::string>* out) : file_(file), out_(out) {}
  void Add(const toml::node& node, const std::string& key, const std::string& problem) {
    Add(static_cast<int>(node.source().begin.line), key, problem);
  }
  void Add(int line, const std::string& key, const std::string& problem) {
    out_->push_back(key.empty() ? absl::StrCat(file_, ":", line, ": ", problem)
                                : absl::StrCat(file_, ":", line, ": ", key, ": ", problem));
    ++count_;
  }
  int count() const { return count_; }

 private:
  const std::string& file_;
  std::vector<std::string>* out_;
  int count_ = 0;
};

void ParseEntry(const toml::table& table, size_t index, Errors& errors, TokenSet* set) {
  TokenSet::Entry entry{};
  const std::string at = absl::StrCat("token[#", index + 1, "]");
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    if (k != "name" && k != "sha256" && k != "municipalities" && k != "may") {
      errors.Add(node, absl::StrCat(at, ".", k), "unknown key");
    }
  }
  // Problems point at the key's line when it is there, else at the [[token]] line.
  auto where = [&](const char* key) -> const toml::node& {
    const toml::node* node = table.get(key);
    return node != nullptr ? *node : static_cast<const toml::node&>(table);
  };
  const std::optional<std::string> name = table["name"].value_exact<std::string>();
  if (!name.has_value() || name->empty()) {
    errors.Add(where("name"), absl::StrCat(at, ".name"), "must be a non-empty string");
  } else {
    entry.scope.name = *name;
  }
  const std::optional<std::string> hex = table["sha256"].value_exact<std::string>();
  const bool is_hex = hex.has_value() && hex->size() == 64 &&
                      std::all_of(hex->begin(), hex->end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                               (c >= 'A' && c <= 'F');
                      });
  if (!is_hex) {
    errors.Add(where("sha256"), absl::StrCat(at, ".sha256"),
               "must be the 64 hex digits of the token's SHA-256 (fristvagt hash-token)");
  } else {
    const std::string bytes = absl::HexStringToBytes(*hex);
    std::copy(bytes.begin(), bytes.end(), entry.digest);
  }
  const toml::array* municipalities = table["municipalities"].as_array();
  if (municipalities == nullptr) {
    errors.Add(where("municipalities"), absl::StrCat(at, ".municipalities"),
               "must be a list of municipality codes, or [\"*\"] for all");
  } else {
    for (const toml::node& code : *municipalities) {
      std::optional<std::string> s = code.value_exact<std::string>();
      if (!s.has_value() || s->empty()) {
        errors.Add(code, absl::StrCat(at, ".municipalities"), "must hold strings");
      } else if (*s == "*") {
        entry.scope.all_municipalities = true;
      } else {
        entry.scope.municipalities.insert(*s);
      }
    }
  }
  if (const toml::node* may_node = table.get("may")) {
    const toml::array* may = may_node->as_array();
    if (may == nullptr) {
      errors.Add(*may_node, absl::StrCat(at, ".may"), "must be a list of \"query\", \"report\"");
    } else {
      for (const toml::node& what : *may) {
        std::optional<std::string> s = what.value_exact<std::string>();
        if (s == "query") {
          entry.scope.query = true;
        } else if (s == "report") {
          entry.scope.report = true;
        } else {
          errors.Add(what, absl::StrCat(at, ".may"), "must hold only \"query\" or \"report\"");
        }
      }
    }
  }
  for (const TokenSet::Entry& other : set->entries) {
    if (other.scope.name == entry.scope.name && !entry.scope.name.empty()) {
      errors.Add(where("name"), absl::StrCat(at, ".name"), "a second token with this name");
    }
  }
  set->entries.push_back(std::move(entry));
}

}  // namespace

std::string Sha256Hex(std::string_view text) {
  uint8_t digest[32];
  Digest(text, digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

const TokenScope* TokenSet::Find(std::string_view presented) const {
  uint8_t digest[32];
  Digest(presented, digest);
  const TokenScope* found = nullptr;
  for (const Entry& entry : entries) {
    if (CRYPTO_memcmp(digest, entry.digest, sizeof(digest)) == 0) found = &entry.scope;
  }
  return found;
}

absl::StatusOr<TokenSet> ParseTokenFile(std::string_view text, const std::string& file_name,
                                        std::vector<std::string>* errors) {
  std::vector<std::string> local;
  if (errors == nullptr) errors = &local;
  Errors sink(file_name, errors);
  if (text.size() > kMaxTokenFileBytes) {
    sink.Add(0, "", absl::StrCat("the file is ", text.size(), " bytes; at most ",
                                 kMaxTokenFileBytes));
    return absl::InvalidArgumentError(errors->back());
  }
  toml::table root;
#if TOML_EXCEPTIONS
  try {
    root = toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    sink.Add(static_cast<int>(e.source().begin.line), "", std::string(e.description()));
    return absl::InvalidArgumentError(errors->back());
  }
#else
  toml::parse_result parsed = toml::parse(text, file_name);
  if (!parsed) {
    sink.Add(static_cast<int>(parsed.error().source().begin.line), "",
             std::string(parsed.error().description()));
    return absl::InvalidArgumentError(errors->back());
  }
  root = std::move(parsed).table();
#endif
  TokenSet set;
  for (const auto& [key, node] : root) {
    if (key.str() != "token") sink.Add(node, std::string(key.str()), "unknown key");
  }
  if (const toml::node* tokens = root.get("token")) {
    const toml::array* list = tokens->as_array();
    if (list == nullptr) {
      sink.Add(*tokens, "token", "must be an array of tables ([[token]])");
    } else {
      for (size_t i = 0; i < list->size(); ++i) {
        if (const toml::table* table = list->get(i)->as_table()) {
          ParseEntry(*table, i, sink, &set);
        } else {
          sink.Add(*list->get(i), absl::StrCat("token[#", i + 1, "]"), "must be a table");
        }
      }
    }
  }
  if (sink.count() > 0) return absl::InvalidArgumentError(errors->back());
  return set;
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Open(const std::string& path,
                                                             std::vector<std::string>* errors) {
  std::unique_ptr<TokenStore> store(new TokenStore(path));
  if (absl::Status s = store->ReloadIfChanged(); !s.ok()) {
    if (errors != nullptr && errors->empty()) errors->push_back(std::string(s.message()));
    return s;
  }
  return store;
}

absl::Status TokenStore::ReloadIfChanged() {
  struct stat st{};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(path_, ":0: cannot read the token file"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ != nullptr && st.st_mtim.tv_sec == mtime_.tv_sec &&
        st.st_mtim.tv_nsec == mtime_.tv_nsec && st.st_size == size_) {
      return absl::OkStatus();
    }
  }
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat(path_, ":0: cannot read the token file"));
  std::vector<std::string> errors;
  absl::StatusOr<TokenSet> set = ParseTokenFile(text.str(), path_, &errors);
  std::lock_guard<std::mutex> lock(mu_);
  mtime_ = st.st_mtim;  // a bad file is reported once, not on every request
  size_ = st.st_size;
  if (!set.ok()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  current_ = std::make_shared<const TokenSet>(*std::move(set));
  return absl::OkStatus();
}

std::shared_ptr<const TokenSet> TokenStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

}  // namespace fristvagt::access
