#pragma once
// The identity of the process that owns a state dir (as Kafka Streams' processId): a random id
// written once into the state dir and read on every later start. An exactly-once processor
// without a static identity derives its transactional id from it, so a restart on the same
// state dir — after a SIGKILL too — reuses the transactional id, and its
// rd_kafka_init_transactions aborts what the killed predecessor left open at once, instead of
// read_committed readers (and restores) waiting for transaction.timeout.ms.

#include <string>

#include "absl/status/statusor.h"

namespace fristvagt::processor {

// The file's name inside the state dir.
inline constexpr char kProcessIdFile[] = "fristvagt.process-id";

// Reads <state_dir>/fristvagt.process-id, or creates it (32 hex digits, fsync'd, the dir too)
// when it does not exist. A file that exists but cannot be read or does not hold an id is an
// error naming the file: a silently new id would leave the old transaction open.
absl::StatusOr<std::string> LoadOrCreateProcessId(const std::string& state_dir);

}  // namespace fristvagt::processor
