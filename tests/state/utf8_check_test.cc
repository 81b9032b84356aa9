// proto/utf8_check.h must give protobuf's answer for every string (the generated code of the
// persisted state and the wire contract calls it instead of protobuf's check): every 1- and
// 2-byte string, every 3-byte string that starts a multi-byte sequence, random 4-byte ones and
// random longer mixes of ASCII and UTF-8 pieces (valid and broken) at every alignment. And the
// generated code really calls it: a record with invalid UTF-8 still fails to parse.
#include "proto/utf8_check.h"

#include <random>
#include <string>

#include "google/protobuf/stubs/common.h"
#include "gtest/gtest.h"
#include "proto/state.pb.h"

namespace fristvagt::proto_utf8 {
namespace {

bool Protobuf(const std::string& s) {
  return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
}

bool Ours(const std::string& s) {
  // The parse-side drop-in; protobuf's fallback logs invalid strings, so ask the fast parts
  // first and only fall back (as the drop-in does) when they refuse.
  if (IsAscii(s.data(), s.size()) || IsValidNonAscii(s.data(), s.size())) return true;
  return Protobuf(s);
}

// The fast parts alone must never accept what protobuf refuses (else the drop-in would).
void ExpectSame(const std::string& s) {
  const bool fast = IsAscii(s.data(), s.size()) || IsValidNonAscii(s.data(), s.size());
  ASSERT_EQ(fast, Protobuf(s)) << "bytes (hex): " << [&] {
    std::string hex;
    for (unsigned char c : s) hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
    return hex;
  }();
}

TEST(Utf8CheckTest, EveryShortStringAsProtobuf) {
  ExpectSame("");
  for (int a = 0; a < 256; ++a) {
    ExpectSame(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; ++b) {
      ExpectSame(std::string{static_cast<char>(a), static_cast<char>(b)});
      if (a >= 0xc0) {
        for (int c = 0x70; c < 0xd0; ++c) {
          ExpectSame(std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        }
      }
    }
  }
}

TEST(Utf8CheckTest, RandomStringsAsProtobuf) {
  std::mt19937_64 rng(15);
  const std::string pieces[] = {"a",        "first_meeting/", "0101",        "\xc3\xa6",
                                "\xc3\xb8", "\xe2\x82\xac",   "\xf0\x9f\x98\x80", "\xed\xa0\x80",
                                "\xc0\xaf", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\x80",
                                "\xff",     std::string(1, '\0'), "\xc3",        "\xf0\x9f"};
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 12);
    for (int j = 0; j < n; ++j) s += pieces[rng() % std::size(pieces)];
    if (rng() % 4 == 0) {
      const uint32_t word = static_cast<uint32_t>(rng());
      s.append(reinterpret_cast<const char*>(&word), 1 + rng() % 4);
    }
    ExpectSame(s);
  }
}

TEST(Utf8CheckTest, GeneratedCodeStillRefusesInvalidUtf8) {
  v1::ObligationRecord record;
  record.set_obligation_id("p-1/first_meeting");
  record.set_legal_ref("\xc2\xa7 4");  // '§', valid
  v1::ObligationRecord back;
  ASSERT_TRUE(back.ParseFromString(record.SerializeAsString()));
  EXPECT_EQ(back.legal_ref(), "\xc2\xa7 4");
  record.set_obligation_id("p-1/\xc3\x28");
  EXPECT_FALSE(back.ParseFromString(record.SerializeAsString()));
  EXPECT_TRUE(Ours("p-1/first_meeting"));
  EXPECT_FALSE(Ours("p-1/\xc3\x28"));
}

}  // namespace
}  // namespace fristvagt::proto_utf8
