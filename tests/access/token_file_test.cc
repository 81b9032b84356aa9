// The token file: digests, scopes, errors with file:line: key, reload on change (issue 18).
#include "access/token_file.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fristvagt::access {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Entry(const std::string& name, const std::string& token, const std::string& codes,
                  const std::string& may) {
  return absl::StrCat("[[token]]\nname = \"", name, "\"\nsha256 = \"", Sha256Hex(token),
                      "\"\nmunicipalities = ", codes, "\nmay = ", may, "\n");
}

TEST(TokenFileTest, Sha256IsTheStandardDigest) {
  EXPECT_EQ(Sha256Hex("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST(TokenFileTest, FindsTheScopeOfAPresentedToken) {
  const std::string text = Entry("aarhus", "secret-a", "[\"0751\"]", "[\"query\"]") +
                           Entry("ops", "secret-o", "[]", "[]") +
                           Entry("ministry", "secret-m", "[\"*\"]", "[\"query\", \"report\"]");
  std::vector<std::string> errors;
  absl::StatusOr<TokenSet> set = ParseTokenFile(text, "tokens.toml", &errors);
  ASSERT_TRUE(set.ok()) << set.status();
  const TokenScope* aarhus = set->Find("secret-a");
  ASSERT_NE(aarhus, nullptr);
  EXPECT_EQ(aarhus->name, "aarhus");
  EXPECT_TRUE(aarhus->query);
  EXPECT_FALSE(aarhus->report);
  EXPECT_TRUE(aarhus->MayRead("0751"));
  EXPECT_FALSE(aarhus->MayRead("0101"));
  const TokenScope* ops = set->Find("secret-o");
  ASSERT_NE(ops, nullptr);
  EXPECT_FALSE(ops->query || ops->report || ops->MayRead("0751"));
  const TokenScope* ministry = set->Find("secret-m");
  ASSERT_NE(ministry, nullptr);
  EXPECT_TRUE(ministry->report && ministry->MayRead("0101"));
  EXPECT_EQ(set->Find("secret-x"), nullptr);
  EXPECT_EQ(set->Find(""), nullptr);
  EXPECT_EQ(set->Find(Sha256Hex("secret-a")), nullptr);  // the digest is not a token
}

// A token of municipality A asking for a person of B, or for nobody: the same answer.
TEST(TokenFileTest, ScopedTokenCannotTellOtherMunicipalityFromNobody) {
  TokenScope a;
  a.query = true;
  a.municipalities = {"0751"};
  const std::string own = "0751", other = "0101";
  EXPECT_EQ(DecidePerson(a, &own), PersonAccess::kAllow);
  EXPECT_EQ(DecidePerson(a, &other), PersonAccess::kForbidden);
  EXPECT_EQ(DecidePerson(a, nullptr), PersonAccess::kForbidden);
  TokenScope all;
  all.query = all.all_municipalities = true;
  EXPECT_EQ(DecidePerson(all, &other), PersonAccess::kAllow);
  EXPECT_EQ(DecidePerson(all, nullptr), PersonAccess::kNotFound);
}

TEST(TokenFileTest, ErrorsNameFileLineAndKey) {
  const std::string text =
      "[[token]]\nname = \"a\"\nsha256 = \"abc\"\nmunicipalities = [\"0751\"]\nmay = [\"all\"]\n"
      "colour = 1\n[[token]]\nname = \"a\"\nsha256 = \"" + Sha256Hex("x") + "\"\n";
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseTokenFile(text, "tokens.toml", &errors).ok());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("tokens.toml:6: token[#1].colour: unknown key"),
                                  HasSubstr("tokens.toml:3: token[#1].sha256: must be the 64 hex"),
                                  HasSubstr("tokens.toml:5: token[#1].may: must hold only"),
                                  HasSubstr("tokens.toml:7: token[#2].municipalities: must be"),
                                  HasSubstr("tokens.toml:8: token[#2].name: a second token")));
  errors.clear();
  EXPECT_FALSE(ParseTokenFile("[[token]\n", "t.toml", &errors).ok());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("t.toml:1: ")));
}

TEST(TokenFileTest, StoreReloadsWhenTheFileChangesAndKeepsTokensOnABadEdit) {
  const std::string path = ::testing::TempDir() + "/tokens-reload.toml";
  std::ofstream(path) << Entry("first", "t1", "[\"*\"]", "[\"query\"]");
  std::vector<std::string> errors;
  absl::StatusOr<std::unique_ptr<TokenStore>> store = TokenStore::Open(path, &errors);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_NE((*store)->Current()->Find("t1"), nullptr);

  std::ofstream(path) << Entry("second", "t2", "[\"*\"]", "[\"query\"]") << "# longer\n";
  ASSERT_TRUE((*store)->ReloadIfChanged().ok());
  EXPECT_EQ((*store)->Current()->Find("t1"), nullptr);  // revoked without a restart
  EXPECT_NE((*store)->Current()->Find("t2"), nullptr);

  std::ofstream(path) << "[[token]]\nname = 3\n# a bad edit of another size\n";
  absl::Status bad = (*store)->ReloadIfChanged();
  EXPECT_THAT(bad.message(), HasSubstr("tokens-reload.toml:2: token[#1].name"));
  EXPECT_NE((*store)->Current()->Find("t2"), nullptr);  // the last good tokens stay
  std::filesystem::remove(path);
}

TEST(TokenFileTest, MissingFileIsAStartupError) {
  std::vector<std::string> errors;
  EXPECT_FALSE(TokenStore::Open("/nonexistent/tokens.toml", &errors).ok());
  EXPECT_THAT(errors, ElementsAre(HasSubstr("/nonexistent/tokens.toml:0: cannot read")));
}

}  // namespace
}  // namespace fristvagt::access
