#!/usr/bin/env bash
# The binary a production install gets (`./dev install`: a Release build) has no test hooks:
# no crash or stop point, no simulated clock, no restore delay (docs/architecture.md, "Test seams").
# Two checks, run by `./dev release-check` (CI) on the staged Release binary:
#   1. none of the hooks' environment variables is even named in the binary;
#   2. a crash point armed in the environment does not kill a run that passes it.
#   release_check.sh BINARY
set -euo pipefail
bin=$1
[ -x "$bin" ] || { echo "FAIL: no binary at $bin"; exit 1; }
for hook in FRISTVAGT_CRASH_AT FRISTVAGT_STOP_AT FRISTVAGT_TEST_CLOCK FRISTVAGT_TEST_RESTORE_DELAY_MS; do
  if grep -a -q "$hook" "$bin"; then
    echo "FAIL: $bin names $hook: the Release build has test hooks compiled in"
    exit 1
  fi
done
# state.before_commit is reached by every engine commit; in a test build this kills the demo.
out=$(FRISTVAGT_CRASH_AT=state.before_commit:1 FRISTVAGT_TEST_CLOCK=2020-01-01T00:00:00Z \
      "$bin" demo --persons 4 2>&1) || { echo "$out" | tail -5; echo "FAIL: the demo did not finish"; exit 1; }
echo "$out" | grep -q "BREACH" || { echo "$out" | tail -5; echo "FAIL: the demo printed no BREACH"; exit 1; }
echo "PASS: $bin has no test hooks"
