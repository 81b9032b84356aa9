#!/usr/bin/env bash
# bench/run.sh: runs every benchmark program and writes one Markdown report (issue 8), so the
# figures in docs/benchmarks.md can be reproduced with one command.
#
#   bench/run.sh [--quick] [--out FILE] [--build-dir DIR] [--no-build]
#                [--replay-persons N] [--fire-persons N] [--runs N] [--dir DIR]
#
# Full run (the issue's size): replay of 10,000,000 persons = 30,000,000 events with its raw
# RocksDB baseline, firing of the first deadline of 1,000,000 persons (7,000,000 open
# obligations) with its baseline, kafka_bench, and fristvagt against the Kafka Streams peer
# (bench/peers/run_side_by_side.sh, 1,000,000 persons; --quick 100,000); every figure of
# replay_bench and kafka_bench the median of 3 runs, the peer comparison one run. It takes
# hours at the speed measured in docs/benchmarks.md; --replay-persons makes it smaller.
# --quick: 20,000 replay persons, 50,000 firing persons, 3 runs, kafka_bench --quick, the peer
# at 100,000 persons (below that the JVM's start-up flatters fristvagt: 3.26 at 20,000 against
# 0.92-0.95 at 100,000, docs/benchmarks.md issue 15 session 12); about 10 minutes on the 2-core
# development machine.
#
# The report goes to stdout and to --out (default bench/results/latest.md); each program's
# full output to <out>.log.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
quick=0
build=1
out="$repo/bench/results/latest.md"
build_dir="${BUILD_DIR:-$repo/build}"
replay_persons=""
fire_persons=""
runs=3
work_dir="${TMPDIR:-/tmp}/fristvagt-bench-$$"

usage() {
  sed -n '4,5p' "$0" | sed 's/^# *//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --out) out="$2"; shift ;;
    --build-dir) build_dir="$2"; shift ;;
    --replay-persons) replay_persons="$2"; shift ;;
    --fire-persons) fire_persons="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --dir) work_dir="$2"; shift ;;
    *) usage ;;
  esac
  shift
done

if [ "$quick" = 1 ]; then
  : "${replay_persons:=20000}" "${fire_persons:=50000}"
else
  : "${replay_persons:=10000000}" "${fire_persons:=1000000}"
fi

mkdir -p "$(dirname "$out")"
log="$out.log"
: >"$log"

if [ "$build" = 1 ]; then
  if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
    cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >>"$log" 2>&1
  fi
  cmake --build "$build_dir" --target replay_bench decode_bench >>"$log" 2>&1 ||
    { echo "bench/run.sh: building replay_bench and decode_bench failed, see $log" >&2; exit 1; }
  # kafka_bench is optional: a tree where it does not build yet still gets the replay figures.
  cmake --build "$build_dir" --target kafka_bench >>"$log" 2>&1 || true
fi

report="$(mktemp)"
trap 'rm -f "$report" "$report.part"; rm -rf "$work_dir"' EXIT

{
  echo "## Benchmark report ($([ "$quick" = 1 ] && echo quick || echo full) run)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' + uncommitted changes')"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- build: $build_dir ($(grep -m1 CMAKE_BUILD_TYPE "$build_dir/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo '?'))"
  echo "- rates are wall-clock medians of the runs listed; each ratio compares a run with the"
  echo "  baseline measured in the same run (docs/benchmarks.md says what each baseline is)"
  echo
} >"$report"

run_section() {  # name, command...: appends the command's Markdown, or a note when it fails
  local name="$1"
  shift
  local began=$SECONDS
  echo "bench/run.sh: $name: $*" >&2
  echo "\$ $*" >>"$log"
  local status=0
  "$@" >"$report.part" 2>>"$log" || status=$?
  cat "$report.part" >>"$log"
  echo "bench/run.sh: $name took $((SECONDS - began)) s" >&2
  [ "$status" = 0 ] && return 0
  printf '### %s\n\nfailed after %d s (exit status %d); see %s\n\n' "$name" \
    $((SECONDS - began)) "$status" "$log" >>"$report"
  return 1
}

replay_md="$(mktemp)"
if run_section replay_bench "$build_dir/bench/replay_bench" --persons "$replay_persons" \
  --fire-persons "$fire_persons" --runs "$runs" --dir "$work_dir/replay" \
  --markdown "$replay_md"; then
  cat "$replay_md" >>"$report"
  echo >>"$report"
fi
rm -f "$replay_md"

# JSON decoding (issue 15): the same lines through the simdjson fast path and the generic path.
decode_md="$(mktemp)"
if run_section decode_bench "$build_dir/bench/decode_bench" --runs "$runs" --markdown "$decode_md" \
  "$repo/docs/examples/first-weeks.jsonl" $(find "$repo/tests/scenarios" -name '*.events.jsonl' | sort); then
  cat "$decode_md" >>"$report"
  echo >>"$report"
fi
rm -f "$decode_md"

kafka_bench="$build_dir/bench/kafka_bench"
if [ -x "$kafka_bench" ]; then
  if [ "$quick" = 1 ]; then kafka_args=(--quick); else kafka_args=(--runs "$runs"); fi
  if run_section kafka_bench "$kafka_bench" "${kafka_args[@]}"; then
    cat "$report.part" >>"$report"
    echo >>"$report"
  fi
  # [processing] threads = 1 against 2 (issue 15): 4 partitions, so that two threads share
  # the work evenly. Enough events that the batches, not the start and the last commit, are
  # what is timed (10,000 events take half a second; the quick run's usual size).
  if [ "$quick" = 1 ]; then threads_args=(--runs 1 --events 60000); else
    threads_args=(--runs "$runs" --events 120000); fi
  if run_section "kafka_bench threads" "$kafka_bench" "${threads_args[@]}" --only p \
    --partitions 4 --threads 2; then
    cat "$report.part" >>"$report"
    echo >>"$report"
  fi
else
  printf '### kafka_bench\n\nskipped: %s does not exist (not built yet)\n\n' "$kafka_bench" \
    >>"$report"
fi

# fristvagt against the Kafka Streams peer (issue 15) on a real one-node broker: needs java,
# Maven and the broker's jars (.cache/kafka/lib, fetched by ./dev kafka); skipped without them.
if command -v java >/dev/null && command -v mvn >/dev/null &&
  [ -f "${FRISTVAGT_KAFKA_LIB:-$repo/.cache/kafka/lib}/.complete" ]; then
  # peer_bench is EXCLUDE_FROM_ALL: built here also under --no-build when it is missing (a
  # --no-build quick run once reported the peer as "exit status 127" instead).
  if [ "$build" = 1 ] || [ ! -x "$build_dir/bench/peer_bench" ]; then
    cmake --build "$build_dir" --target peer_bench >>"$log" 2>&1 || true
  fi
  if [ "$quick" = 1 ]; then peer_persons=100000; else peer_persons=1000000; fi
  if run_section peer_bench env BUILD_DIR="$build_dir" PEER_NO_BUILD=1 PEER_REPORT=/dev/null \
    PEER_KAFKA_DIR="$work_dir/peer-kafka" "$repo/bench/peers/run_side_by_side.sh" \
    --persons "$peer_persons" --dir "$work_dir/peer"; then
    cat "$report.part" >>"$report"
    echo >>"$report"
  fi
else
  printf '### peer_bench\n\nskipped: java, mvn or the Kafka jars (./dev kafka start fetches them) missing\n\n' \
    >>"$report"
fi

cp "$report" "$out"
cat "$out"
echo "bench/run.sh: report in $out, program output in $log" >&2
