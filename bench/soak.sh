#!/usr/bin/env bash
# The soak (issue 18; not CI): `fristvagt run` with processing_guarantee = "exactly_once"
# against a real one-node Kafka cluster (tests/testing/kafka/kafka-cluster, as `./dev kafka
# start`), fed RATE case events per second for MINUTES minutes, its process SIGKILLed at random
# intervals (and started again at once) and the broker restarted once half-way. At the end the
# alerts a read_committed reader sees on fristvagt.alerts must be exactly replay's over the
# same events: none lost, none extra, none twice. Prints the processor's RSS over time.
#
#   bench/soak.sh [--minutes 60] [--rate 1000] [--dir /tmp/fristvagt-soak] [--build build]
#                 [--kill-min 60] [--kill-max 180] [--seed 18]
#
# Exit 0 when the alerts match, 1 when they do not, 2 on a setup failure. Everything it wrote
# stays in --dir (run.log, kcat.log, rss.csv, sent.jsonl, alerts.jsonl, replay.out).
# The result of the last long run and its command are in docs/benchmarks.md ("Soak").
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
MINUTES=60 RATE=1000 DIR=/tmp/fristvagt-soak BUILD=build KILL_MIN=60 KILL_MAX=180 SEED=18
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --kill-min) KILL_MIN=$2; shift 2 ;;
    --kill-max) KILL_MAX=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
done
BIN=$REPO/$BUILD/processor/fristvagt
CLUSTER=$REPO/tests/testing/kafka/kafka-cluster
[ -x "$BIN" ] || { echo "soak: no $BIN (cmake --build $BUILD --target fristvagt)" >&2; exit 2; }
command -v kcat >/dev/null || { echo "soak: kcat is missing (./dev packages)" >&2; exit 2; }
RANDOM=$SEED
log() { echo "soak $(date -u +%H:%M:%S): $*" >&2; }

rm -rf "$DIR" && mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PROC=""
cleanup() {
  [ -n "$PROC" ] && kill -KILL "$PROC" 2>/dev/null || true
  [ -n "${FEED:-}" ] && kill "$FEED" 2>/dev/null || true
  "$CLUSTER" stop --dir "$DIR/kafka" >/dev/null 2>&1 || true
}
trap cleanup EXIT

BOOTSTRAP=$("$CLUSTER" start --dir "$DIR/kafka" 2>"$DIR/cluster.log" | tail -1) ||
  { cat "$DIR/cluster.log" >&2; exit 2; }
"$CLUSTER" topics --dir "$DIR/kafka" --partitions 3 >>"$DIR/cluster.log" 2>&1
log "cluster at $BOOTSTRAP"

# ~22 events per simulated person; the feeder stops when they run out.
SECONDS_TOTAL=$((MINUTES * 60))
PERSONS=$((RATE * SECONDS_TOTAL / 20 + 100))
"$BIN" simulate --persons "$PERSONS" --seed "$SEED" --start 2023-01-02 --months 12 \
  --out "$DIR/simulated.jsonl" --truth "$DIR/truth.csv" 2>>"$DIR/cluster.log"
log "$(wc -l <"$DIR/simulated.jsonl") simulated events for $PERSONS persons"

HTTP_PORT=$((30000 + RANDOM % 20000))
cat >"$DIR/soak.toml" <<EOF
[kafka]
"bootstrap.servers" = "$BOOTSTRAP"

[processing]
processing_guarantee = "exactly_once"
# Static membership (KIP-345): the restarted process takes its partitions back at once instead
# of waiting out the killed member's session (docs/configuration.md).
group_instance_id = "soak-1"

[alerts]
format = "json"

[state]
dir = "$DIR/state"

[http]
port = $HTTP_PORT
token = "soak"
EOF

start_processor() {
  "$BIN" run --config "$DIR/soak.toml" >>"$DIR/run.log" 2>&1 &
  PROC=$!
}
lag() {  # the summed consumer lag, or "none" while the gauges are not there
  curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null |
    awk '/^fristvagt_processor_consumer_lag_messages\{/ {n++; s += $2} END {print n ? s : "none"}'
}

start_processor
python3 "$HERE/soak/feed.py" "$DIR/simulated.jsonl" "$DIR/sent.jsonl" "$RATE" "$SECONDS_TOTAL" \
  "$BOOTSTRAP" 2>"$DIR/feed.log" &
FEED=$!
START=$(date +%s)
next_kill=$((START + KILL_MIN + RANDOM % (KILL_MAX - KILL_MIN + 1)))
broker_restart_at=$((START + SECONDS_TOTAL / 2))
kills=0 broker_restarted=0
echo "seconds,rss_kib" >"$DIR/rss.csv"
while kill -0 "$FEED" 2>/dev/null; do
  sleep 5  # the driver's own pace; the check at the end does not depend on timing
  now=$(date +%s)
  rss=$(ps -o rss= -p "$PROC" 2>/dev/null | tr -d ' ' || true)
  echo "$((now - START)),${rss:-0}" >>"$DIR/rss.csv"
  if ! kill -0 "$PROC" 2>/dev/null; then
    wait "$PROC" || log "the processor exited by itself ($?); see run.log"
    start_processor
  fi
  if [ "$now" -ge "$next_kill" ]; then
    kill -KILL "$PROC"; wait "$PROC" 2>/dev/null || true
    kills=$((kills + 1))
    log "SIGKILL $kills of the processor; started again"
    start_processor
    next_kill=$((now + KILL_MIN + RANDOM % (KILL_MAX - KILL_MIN + 1)))
  fi
  if [ $broker_restarted -eq 0 ] && [ "$now" -ge "$broker_restart_at" ]; then
    pid=$(cat "$DIR/kafka/node-1/pid")
    log "restarting the broker (SIGTERM to $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    setsid "$CLUSTER" run-node "$DIR/kafka" 1 >>"$DIR/kafka/node-1/stdout.log" 2>&1 </dev/null &
    echo $! >"$DIR/kafka/node-1/pid"
    broker_restarted=1
  fi
done
wait "$FEED" || log "the feeder failed: $(tail -3 "$DIR/feed.log")"
FEED=""
log "fed $(wc -l <"$DIR/sent.jsonl") events in $(($(date +%s) - START)) s; $kills SIGKILLs; waiting for the lag to reach 0"

# Caught up: the lag gauges read 0 three times in a row (at most 15 minutes).
zero=0
for _ in $(seq 1 180); do
  kill -0 "$PROC" 2>/dev/null || start_processor
  if [ "$(lag)" = "0" ]; then zero=$((zero + 1)); else zero=0; fi
  [ $zero -ge 3 ] && break
  sleep 5
done
[ $zero -ge 3 ] || log "the lag did not reach 0 within 15 minutes: $(lag)"
kill -TERM "$PROC"; wait "$PROC" || log "the processor's SIGTERM exit: $?"
PROC=""

UNTIL=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$BIN" replay --events "$DIR/sent.jsonl" --until "$UNTIL" --state-dir "$DIR/replay.state" \
  --out "$DIR/replay.out" --rejects "$DIR/replay.rejects" 2>"$DIR/replay.log" ||
  { log "replay failed: $(tail -3 "$DIR/replay.log")"; exit 2; }
kcat -C -b "$BOOTSTRAP" -t fristvagt.alerts -e -q -X isolation.level=read_committed \
  -f '%s\n' >"$DIR/alerts.jsonl" 2>>"$DIR/kcat.log"

python3 - "$DIR" "$kills" <<'EOF'
import json, sys
d, kills = sys.argv[1], sys.argv[2]
def ids(path):
    out = []
    for line in open(path):
        line = line.strip()
        if line:
            out.append(json.loads(line)["alert_id"])
    return out
live, replay = ids(f"{d}/alerts.jsonl"), set(ids(f"{d}/replay.out"))
unique = set(live)
rss = [int(l.split(",")[1]) for l in open(f"{d}/rss.csv").readlines()[1:] if l.strip()]
rss = [r for r in rss if r > 0]
print(f"alerts: replay {len(replay)}, read_committed {len(live)} records / {len(unique)} ids; "
      f"lost {len(replay - unique)}, extra {len(unique - replay)}, duplicates {len(live) - len(unique)}; "
      f"SIGKILLs {kills}")
if rss:
    q = len(rss) // 4 or 1
    print(f"processor RSS (MiB): first quarter max {max(rss[:q]) / 1024:.0f}, "
          f"last quarter max {max(rss[-q:]) / 1024:.0f}, overall max {max(rss) / 1024:.0f}")
sys.exit(0 if replay == unique and len(live) == len(unique) else 1)
EOF
