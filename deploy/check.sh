#!/usr/bin/env bash
# Offline checks of deploy/ (no container engine needed); ctest runs this as DeployCheck.
# Needs Debian's yamllint, prometheus (promtool) and docker-compose (./dev installs them).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== yamllint"
yamllint -s -c yamllint.yml .

echo "== promtool check rules / test rules"
promtool check rules prometheus/alerts.yml
promtool test rules prometheus/alerts_test.yml

echo "== promtool check config (compose's prometheus.yml with the rules path made local)"
sed "s#/etc/prometheus/alerts.yml#$PWD/prometheus/alerts.yml#" prometheus/prometheus.yml \
  > "$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"

echo "== docker-compose config"
FRISTVAGT_HTTP_TOKEN=check docker-compose -f compose.yaml config -q

echo "== dashboard and alert rules name only documented metrics"
python3 - grafana/fristvagt.json prometheus/alerts.yml ../docs/metrics.md <<'PY'
import json, re, sys
dashboard, rules, doc = sys.argv[1:]
exprs = []
def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "definition") and isinstance(v, str):
                exprs.append(v)
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(json.load(open(dashboard)))
if not exprs:
    sys.exit("no queries in " + dashboard)
exprs.append(open(rules).read())
documented = set(re.findall(r"`((?:fristvagt|process)_[a-z0-9_]+)`", open(doc).read()))
missing = set()
for e in exprs:
    for name in re.findall(r"\b((?:fristvagt|process)_[a-z0-9_]+)", e):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in documented and base not in documented:
            missing.add(name)
if missing:
    sys.exit("not in docs/metrics.md: " + ", ".join(sorted(missing)))
print(f"{len(exprs) - 1} dashboard queries and the alert rules name documented metrics only")
PY

echo "== every alert has a runbook entry in docs/operations.md"
for alert in $(sed -n 's/^ *- alert: *//p' prometheus/alerts.yml); do
  grep -q "^### $alert\$" ../docs/operations.md || { echo "no '### $alert' in docs/operations.md"; exit 1; }
done

echo "== Kubernetes: termination grace above the shutdown timeout"
grace=$(sed -n 's/^ *terminationGracePeriodSeconds: *//p' kubernetes/statefulset.yaml)
shutdown_ms=$(sed -n 's/^ *shutdown_timeout_ms *= *//p' kubernetes/configmap.yaml)
if [ "$((grace * 1000))" -le "$shutdown_ms" ]; then
  echo "terminationGracePeriodSeconds $grace s <= shutdown_timeout_ms $shutdown_ms"; exit 1
fi
echo "deploy/: all checks passed"
