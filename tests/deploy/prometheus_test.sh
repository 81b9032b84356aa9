#!/usr/bin/env bash
# Every query of the Grafana dashboard and of the alert rules returns data from a real
# Prometheus (Debian's `prometheus`) scraping a running instance fed with case events.
#   prometheus_test.sh SOURCE_DIR FRISTVAGT_BINARY
# An alert rule's expression is checked without its threshold (`... > 10` is queried as
# `...`): the point is that the metrics exist with the labels the rule uses, not that it fires.
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

"$bin" broker --partitions 3 --port-file "$work/broker" >"$work/broker.out" 2>&1 &
pids+=($!)
for _ in $(seq 600); do [ -s "$work/broker" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/broker")

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
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $src/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: fristvagt
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
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
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null && break
  sleep 0.1
done
kcat -P -b "$bootstrap" -t case-events -K $'\t' <"$work/events"  # stdin: one message a line

python3 - "$src" "$prom_port" <<'PY' || { echo "--- fristvagt log"; tail -50 "$work/run.log"; exit 1; }
import json, re, sys, time, urllib.parse, urllib.request
src, port = sys.argv[1], sys.argv[2]
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
deadline = time.time() + 150
missing = queries
while time.time() < deadline:
    missing = [(n, e) for n, e in queries if not (run(e)[0] or [])]
    if not missing:
        break
    time.sleep(1)
for n, e in missing:
    print(f"NO DATA: {n}: {e}  ({run(e)[1] or 'empty result'})")
if missing:
    sys.exit(1)
print(f"all {len(queries)} dashboard and alert-rule queries return data")
PY
