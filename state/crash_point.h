#pragma once
// Crash points for the kill tests, in the spirit of RocksDB's sync points: one scheme for every
// subsystem, compiled only into builds with test hooks (-DFRISTVAGT_TEST_HOOKS=ON, the default
// of the development and CI builds; a Release build and the installed binary have none — the
// macro expands to nothing there and the environment is never read).
//
//   FRISTVAGT_CRASH_AT=<subsystem>.<point>:<N>
//
// kills the process with SIGKILL the Nth time (counted per process) it reaches that point, so
// nothing runs after it (no destructor, no buffered output), exactly as with a real kill.
// FRISTVAGT_STOP_AT (same syntax) instead stops the whole process there with SIGSTOP, as a
// long GC pause or a frozen VM would, until the test sends SIGCONT (the zombie tests).
// The points (docs/architecture.md lists what each one proves):
//   state.before_commit, state.after_commit       RocksDbStore::Commit, around the write
//   replay.after_output                           replay: outbox flushed to the file, removal not committed
//   kafka.after_store_write                       a produce round starts: batch written, nothing produced
//   kafka.between_phases                          alerts/obligations/dead letters acknowledged, no changelog
//   kafka.after_produce_before_ack                everything acknowledged, the outbox removal not written
//   kafka.between_batches                         after a batch that produced, before the next poll
// Lives in state/, the lowest room with a crash-relevant write; the processor rooms use it too.

#include <string_view>

namespace fristvagt::crash_point {

// Counts a reach of `name` and kills the process if FRISTVAGT_CRASH_AT names it with this count.
// Thread-safe.
void Reached(std::string_view name);

}  // namespace fristvagt::crash_point

#ifdef FRISTVAGT_TEST_HOOKS
#define FRISTVAGT_CRASH_POINT(name) ::fristvagt::crash_point::Reached(name)
#else
#define FRISTVAGT_CRASH_POINT(name) static_cast<void>(0)
#endif
