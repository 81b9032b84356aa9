#include "processor/kafka/group_watch.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "processor/base/logging.h"

namespace fristvagt::processor {

std::string GroupJoinWatch::JoinStateOf(std::string_view statistics_json) {
  google::protobuf::Struct stats;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(
           google::protobuf::StringPiece(statistics_json.data(), statistics_json.size()), &stats,
           options)
           .ok()) {
    return "";
  }
  auto cgrp = stats.fields().find("cgrp");
  if (cgrp == stats.fields().end() || !cgrp->second.has_struct_value()) return "";
  const auto& fields = cgrp->second.struct_value().fields();
  auto state = fields.find("join_state");
  return state == fields.end() ? "" : state->second.string_value();
}

void GroupJoinWatch::OnStatistics(std::string_view json) {
  std::string state = JoinStateOf(json);
  if (!state.empty()) join_state_ = std::move(state);
}

bool GroupJoinWatch::LooksStuck(rd_kafka_t* consumer, bool has_partitions, absl::Time now) {
  if (has_partitions) {
    since_ = now;
    return false;
  }
  if (now - since_ < patience_) return false;
  since_ = now;  // one look per patience period
  char* raw_member_id = rd_kafka_memberid(consumer);
  const bool has_member_id = raw_member_id != nullptr && raw_member_id[0] != '\0';
  if (raw_member_id != nullptr) rd_kafka_mem_free(consumer, raw_member_id);
  const bool steady = join_state_ == "steady";
  Logger("processor")
      ->log(steady ? spdlog::level::info : spdlog::level::warn,
            "no partitions assigned for {} s in group {}: join state {}, {}; {}",
            absl::ToInt64Seconds(patience_), group_,
            join_state_.empty() ? "not reported yet" : join_state_,
            has_member_id ? "member id assigned" : "no member id yet",
            steady ? "idle (more instances than partitions?)"
                   : "the coordinator has not completed the join (with the embedded broker, "
                     "session.timeout.ms must exceed its 3 s initial rebalance delay)");
  return !steady;
}

}  // namespace fristvagt::processor
