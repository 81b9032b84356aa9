#!/usr/bin/env bash
# Every query of the Grafana dashboard and of the alert rules returns data from a real
# Prometheus (Debian's `prometheus`) scraping a running instance fed with case events.
#   prometheus_test.sh SOURCE_DIR FRISTVAGT_BINARY
# An alert rule's expression is checked without its threshold (`... > 10` is queried as
# `...`): the point is that the metrics exist with the labels the rule uses, not that it fires.
# Nothing here sleeps: the broker's address is read from a pipe as it is printed, and the
# queries are retried after each scrape, which Prometheus makes through a relay in the
# checking script (so a scrape is an event it waits for, up to a deadline).
set -euo pipefail
src=$(realpath "$1")
bin=$(realpath "$2")
work=$(mktemp -d /tmp/fristvagt-prometheus-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkfifo "$work/broker.out"
"$bin" broker --partitions 3 >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
exec 3<"$work/broker.out"  # kept open: the broker's stdout stays a reader's
read -r -t 60 bootstrap <&3 || { echo "the broker printed no address"; cat "$work/broker.log"; exit 1; }

http_port=$(free_port)
cat >"$work/fristvagt.toml" <<TOML
[kafka]
"bootstrap.servers" = "$bootstrap"
"session.timeout.ms" = "6000"
[processing]
batch_linger_ms = 5
[state]
dir = "$work/state"
[http]
bind = "127.0.0.1"
port = $http_port
allow_unauthenticated = true
TOML
"$bin" run --config "$work/fristvagt.toml" >"$work/run.out" 2>"$work/run.log" &
pids+=($!)

prom_port=$(free_port)
relay_port=$(free_port)  # Prometheus scrapes the instance through the checking script's relay
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $src/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: fristvagt
    static_configs:
      - targets: ["127.0.0.1:$relay_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# A synthetic cohort whose deadlines fall around now (open, overdue and breached obligations),
# keyed by person (kcat -K), plus two events that are dead-lettered.
"$bin" simulate --persons 40 --start "$(date -u -d '-4 months' +%Y-%m-01)" --months 4 \
  --out "$work/cohort.jsonl" --truth "$work/truth.csv" >/dev/null 2>&1
python3 - "$work/cohort.jsonl" >"$work/events" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    try:
        key = json.loads(line)["person_key"]
    except (ValueError, KeyError):
        key = "p-malformed"  # the cohort's deliberately broken lines: dead letters
    print(key + "\t" + line)
print("p-broken\t{not json")
print('p-far\t{"event_id":"x-1","person_key":"p-far","municipality_code":"12345"}')
PY
# The instance reads its input from the earliest offset, so the events may go in before it is
# ready (the broker created the topics at start).
kcat -P -b "$bootstrap" -t case-events -K $'\t' <"$work/events"  # stdin: one message a line

python3 - "$src" "$prom_port" "$relay_port" "$http_port" <<'PY' || { echo "--- fristvagt log"; tail -50 "$work/run.log"; exit 1; }
import json, re, socket, sys, threading, time, urllib.parse, urllib.request
src, port, relay_port, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

# The relay: passes each scrape to the instance (one request per connection, which the
# instance closes after its answer) and counts the scrapes answered.
scrapes = [0]
scraped = threading.Condition()
def relay(client):
    with client:
        try:
            with socket.create_connection(("127.0.0.1", http_port), timeout=10) as upstream:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = client.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                upstream.sendall(head)
                while chunk := upstream.recv(65536):
                    client.sendall(chunk)
        except OSError:
            return  # the instance is not up yet: a failed scrape, Prometheus tries again
    with scraped:
        scrapes[0] += 1
        scraped.notify_all()
def serve_relay():
    server = socket.create_server(("127.0.0.1", relay_port))
    while True:
        client, _ = server.accept()
        threading.Thread(target=relay, args=(client,), daemon=True).start()
threading.Thread(target=serve_relay, daemon=True).start()

queries = []
def walk(node):
    if isinstance(node, dict):
        if isinstance(node.get("expr"), str):
            queries.append(("dashboard: " + node.get("legendFormat", ""), node["expr"]))
        for v in node.values(): walk(v)
    elif isinstance(node, list):
        for v in node: walk(v)
walk(json.load(open(src + "/deploy/grafana/fristvagt.json")))
for q in range(len(queries)):
    name, e = queries[q]
    queries[q] = (name, re.sub(r'=~"\$[a-z]+"', '=~".*"', e))
rules = open(src + "/deploy/prometheus/alerts.yml").read()
for m in re.finditer(r"- alert: (\w+)\n\s+expr: (>-\n(?:\s{10}.*\n)+|.*\n)", rules):
    expr = re.sub(r"^>-\n", "", m.group(2))
    expr = " ".join(expr.split())
    for part in expr.split(" and "):
        part = re.sub(r"\s*(==|>|<|>=|<=|!=)\s*[0-9.]+$", "", part.strip())
        if part.startswith("up{"):
            continue  # up is Prometheus' own; == 0 only when down
        queries.append(("alert " + m.group(1), part))
def run(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        answer = json.load(urllib.request.urlopen(url, timeout=5))
    except Exception as e:
        return None, str(e)
    if answer.get("status") != "success":
        return None, answer.get("error")
    return answer["data"]["result"], None
# Issue 16: the request counter is fed (Prometheus' own scrapes are requests to /metrics).
queries.append(("http requests", 'fristvagt_http_requests_total{route="/metrics",code="200"}'))
deadline = time.monotonic() + 150
seen = 0
while True:
    missing = [(n, e) for n, e in queries if not (run(e)[0] or [])]
    if not missing:
        break
    # New data comes with a scrape: wait for the next one (the one just answered may not be
    # stored yet, so a miss is retried after the following scrape).
    with scraped:
        if not scraped.wait_for(lambda: scrapes[0] > seen,
                                timeout=max(0.0, deadline - time.monotonic())):
            break
        seen = scrapes[0]
for n, e in missing:
    print(f"NO DATA: {n}: {e}  ({run(e)[1] or 'empty result'})")
if missing:
    sys.exit(1)
print(f"all {len(queries)} dashboard and alert-rule queries return data")
PY
