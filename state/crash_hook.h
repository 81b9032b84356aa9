#pragma once
// Test-only crash injection for the kill tests (tests/integration/replay_state_test.cc), in the
// spirit of RocksDB's sync points. FRISTVAGT_CRASH_AT_COMMIT=N and
// FRISTVAGT_CRASH_POINT=before|after|after_output are read once; without them every call is a
// no-op costing one branch. The hook raises SIGKILL, so nothing runs after it (no destructor,
// no buffered output), exactly as with a real kill. Process-wide; called by the thread that
// commits.

namespace fristvagt::state::crash_hook {

// RocksDbStore::Commit calls these around its write. The commit count is per process;
// `before` kills on the Nth commit before it is written, `after` once it is written.
void BeforeCommit();
void AfterCommit();

// The output side calls this after it wrote and flushed outbox entries and before it commits
// their removal: `after_output` kills at the first such point whose removal would be
// commit N or later.
void AfterOutput();

}  // namespace fristvagt::state::crash_hook
