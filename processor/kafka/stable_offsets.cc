#include "processor/kafka/stable_offsets.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/numbers.h"

namespace fristvagt::processor {
namespace {

const google::protobuf::Struct* Child(const google::protobuf::Struct& parent,
                                      const std::string& name) {
  auto it = parent.fields().find(name);
  return it != parent.fields().end() && it->second.has_struct_value()
             ? &it->second.struct_value()
             : nullptr;
}

int64_t Number(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  if (it == s.fields().end() || !it->second.has_number_value()) return -1;
  return static_cast<int64_t>(it->second.number_value());
}

}  // namespace

std::map<int32_t, FetchEnds> FetchEndsOf(std::string_view statistics_json,
                                         const std::string& topic) {
  std::map<int32_t, FetchEnds> ends;
  google::protobuf::Struct stats;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(statistics_json.data(), statistics_json.size()), &stats,
           options)
           .ok()) {
    return ends;
  }
  const google::protobuf::Struct* topics = Child(stats, "topics");
  const google::protobuf::Struct* t = topics != nullptr ? Child(*topics, topic) : nullptr;
  const google::protobuf::Struct* partitions = t != nullptr ? Child(*t, "partitions") : nullptr;
  if (partitions == nullptr) return ends;
  for (const auto& [name, value] : partitions->fields()) {
    int32_t id = -1;
    if (!absl::SimpleAtoi(name, &id) || id < 0 || !value.has_struct_value()) continue;  // "-1": UA
    FetchEnds e{Number(value.struct_value(), "hi_offset"), Number(value.struct_value(), "ls_offset")};
    if (e.high >= 0 && e.stable >= 0) ends[id] = e;
  }
  return ends;
}

int64_t ReachableEnd(int64_t live_high, const std::optional<FetchEnds>& seen) {
  if (!seen.has_value() || seen->stable >= seen->high) return live_high;
  return std::min(live_high, seen->stable);
}

}  // namespace fristvagt::processor
