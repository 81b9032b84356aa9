#include "processor/group_watch.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "processor/logging.h"

namespace fristvagt::processor {
namespace {

struct GroupListDeleter {
  void operator()(const rd_kafka_group_list* list) const { rd_kafka_group_list_destroy(list); }
};

// What the coordinator says of the group: its state, and whether `member_id` is in it.
struct GroupView {
  std::string state = "unknown";
  int members = 0;
  bool listed = false;
  std::string error;
};

GroupView DescribeGroup(rd_kafka_t* consumer, const std::string& group,
                        const std::string& member_id) {
  GroupView view;
  const rd_kafka_group_list* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_list_groups(consumer, group.c_str(), &raw, 5000);
  std::unique_ptr<const rd_kafka_group_list, GroupListDeleter> list(raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    view.error = rd_kafka_err2str(err);
    return view;
  }
  for (int i = 0; i < list->group_cnt; ++i) {
    const rd_kafka_group_info& info = list->groups[i];
    if (group != info.group) continue;
    view.state = info.state != nullptr ? info.state : "unknown";
    view.members = info.member_cnt;
    for (int m = 0; m < info.member_cnt; ++m) {
      if (!member_id.empty() && member_id == info.members[m].member_id) view.listed = true;
    }
  }
  return view;
}

}  // namespace

bool GroupJoinWatch::ShouldRejoin(rd_kafka_t* consumer, bool has_partitions, absl::Time now) {
  if (has_partitions) {
    since_ = now;
    return false;
  }
  if (now - since_ < patience_) return false;
  since_ = now;  // one look per patience period
  char* raw_member_id = rd_kafka_memberid(consumer);
  const std::string member_id = raw_member_id != nullptr ? raw_member_id : "";
  if (raw_member_id != nullptr) rd_kafka_mem_free(consumer, raw_member_id);
  const GroupView view = DescribeGroup(consumer, group_, member_id);
  const bool stable_member = view.listed && view.state == "Stable";
  Logger("processor")
      ->log(stable_member ? spdlog::level::info : spdlog::level::warn,
            "no partitions assigned for {} s in group {}: coordinator reports state {} with {} "
            "member(s), this member {}{}{}{}",
            absl::ToInt64Seconds(patience_), group_, view.state, view.members,
            member_id.empty() ? "has no member id yet" : (view.listed ? "listed" : "not listed"),
            view.error.empty() ? "" : "; ", view.error,
            stable_member ? " (idle: more instances than partitions?)" : "; rejoining");
  return !stable_member;
}

}  // namespace fristvagt::processor
