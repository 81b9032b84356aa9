#!/usr/bin/env bash
# replay_sampled.sh: runs replay_bench once in the background-friendly way the issue-15 full-size
# run needs (hours on 2 shared cores) and samples it every INTERVAL seconds, so that a run cut
# short still leaves figures: elapsed, events done (from replay_bench's progress lines), peak RSS
# (VmHWM), RSS, process CPU (utime+stime from /proc/PID/stat), state dir size, load average.
#
#   bench/replay_sampled.sh OUT_DIR BINARY [replay_bench flags...]
#
# OUT_DIR gets stdout.txt, stderr.txt (replay_bench's own progress and /usr/bin/time -v),
# samples.tsv, and the state dir under OUT_DIR/state. Run it under `nice -n 15`.
# ATTACH_PID=PID: only sample that (already running) replay_bench into OUT_DIR/samples.tsv.
set -euo pipefail
out=$1; bin=$2; shift 2
interval=${INTERVAL:-60}
mkdir -p "$out"
tick=$(getconf CLK_TCK)
timer_pid=
if [[ -n ${ATTACH_PID:-} ]]; then  # sample a run already started by this script
  pid=$ATTACH_PID
else
  # stdbuf: replay_bench's summary goes to a buffered stdout; line-buffered it survives a kill.
  stdbuf -oL /usr/bin/time -v "$bin" --dir "$out/state" "$@" >"$out/stdout.txt" 2>"$out/stderr.txt" &
  timer_pid=$!
  sleep 1
  pid=$(pgrep -P "$timer_pid" | head -1)
  echo "$pid" >"$out/pid"
fi
printf 'utc\telapsed_s\tevents_done\tvmhwm_mib\tvmrss_mib\tcpu_s\tstate_mib\tloadavg\n' >"$out/samples.tsv"
began=$(date +%s)
while kill -0 "$pid" 2>/dev/null; do
  hwm=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo -)
  rss=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || echo -)
  # fields 14, 15 of /proc/PID/stat (the command name has no spaces here)
  cpu=$(awk -v t="$tick" '{printf "%.0f", ($14+$15)/t}' "/proc/$pid/stat" 2>/dev/null || echo -)
  done_events=$(grep -o '^  [0-9]* events' "$out/stderr.txt" | tail -1 | awk '{print $1}' || true)
  state=$(du -sm "$out/state" 2>/dev/null | cut -f1 || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%H:%M:%S)" $(( $(date +%s) - began )) \
    "${done_events:-0}" "$hwm" "$rss" "$cpu" "${state:-0}" "$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)" \
    >>"$out/samples.tsv"
  sleep "$interval"
done
[[ -z $timer_pid ]] || wait "$timer_pid" || true
