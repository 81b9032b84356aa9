#pragma once
// fristvagt's topics on a real cluster, managed the way Kafka Streams manages its internal
// topics: missing ones are created with the settings they need, existing ones are checked,
// and a changelog that would lose or scatter state refuses the start (docs/configuration.md,
// `[topics]`). The embedded broker creates its topics itself (embedded_broker.h).
//
// What is created (replication: the broker's default.replication.factor):
//   input        [topics] partitions, only when missing (the case systems' topic)
//   changelog    exactly the input's partition count, cleanup.policy=compact
//   obligations  the input's partition count, cleanup.policy=compact
//   alerts       the input's partition count
//   dead_letter  the input's partition count, retention.ms from dead_letter_retention_days
//   instances    1 partition, cleanup.policy=compact
// What refuses the start: the changelog's partition count differs from the input's (a
// partition's store would be rebuilt from another partition's records), or its cleanup.policy
// is not `compact` (records of persons not changed lately would be deleted, and a restore
// would lose them); with `[topics] create = false`, a missing topic.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "processor/base/config.h"

namespace fristvagt::processor {

// Creates and checks the topics of `config` on the cluster its [kafka] properties reach.
// FailedPrecondition names the topic and the setting; Unavailable when the cluster cannot be
// asked. Logs what it created.
absl::Status EnsureTopics(const Config& config);

}  // namespace fristvagt::processor
