#!/usr/bin/env bash
# run_side_by_side.sh: fristvagt and the Kafka Streams peer (kafka-streams/) on the same case
# events through one real broker, one after the other (issue 15). One command:
#
#   bench/peers/run_side_by_side.sh [peer_bench flags, e.g. --persons 100000]
#
# Builds fristvagt and bench/peer_bench in $BUILD_DIR (default build/, configured already;
# PEER_NO_BUILD=1 skips this) and the peer with Maven, starts a one-node Kafka (tests/testing/kafka/kafka-cluster, KRaft; jars in
# .cache/kafka/lib or $FRISTVAGT_KAFKA_LIB) in $PEER_KAFKA_DIR (default /tmp/peer-kafka), runs
# bench/peer_bench.cc (what it measures is at its head) and stops the broker. The report
# (Markdown) goes to stdout and to $PEER_REPORT (default bench/results/peer.md).
# The broker keeps records forever (log.retention.ms=-1): the events carry their occurred_at
# as record timestamp, months old, which the default 7-day retention would delete.
set -euo pipefail
cd "$(dirname "$0")/../.."
kafka_dir=${PEER_KAFKA_DIR:-/tmp/peer-kafka}
report=${PEER_REPORT:-bench/results/peer.md}
build_dir=${BUILD_DIR:-build}

[ "${PEER_NO_BUILD:-0}" = 1 ] || nice -n 5 cmake --build "$build_dir" -j2 --target fristvagt peer_bench >&2
(cd bench/peers/kafka-streams && { mvn -o -q -B package >&2 || mvn -q -B package >&2; })

tests/testing/kafka/kafka-cluster stop --dir "$kafka_dir" >/dev/null 2>&1 || true
rm -rf "$kafka_dir"
bootstrap=$(tests/testing/kafka/kafka-cluster start --dir "$kafka_dir" \
  --prop log.retention.ms=-1 | tail -1)
# Stopped is gone (as ./dev kafka stop): a million persons leave ~6 GB of logs behind.
trap 'tests/testing/kafka/kafka-cluster stop --dir "$kafka_dir" >&2 || true; rm -rf "$kafka_dir"' EXIT
echo "broker at $bootstrap" >&2

peer=bench/peers/kafka-streams/target
mkdir -p "$(dirname "$report")"
"$build_dir/bench/peer_bench" --bootstrap "$bootstrap" --binary "$build_dir/processor/fristvagt" \
  --peer-classpath "$PWD/$peer/peer.jar:$PWD/$peer/lib/*" "$@" | tee "$report"
