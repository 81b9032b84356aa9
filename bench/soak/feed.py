#!/usr/bin/env python3
"""Feeds case events to kcat at a fixed rate for the soak (bench/soak.sh).

usage: feed.py EVENTS SENT RATE SECONDS BOOTSTRAP

Reads simulated events (`fristvagt simulate`, ordered by recorded_at) and, each second, writes
the next RATE of them with `recorded_at` set to the wall clock of that second: the processor's
clock is the wall clock (docs/time.md), so events stamped with it are processed at the moment
replay will give them, and the live alerts can be compared with replay's. `occurred_at` stays
as simulated (late registrations, which the rules handle). Every line written also goes to
SENT, which replay reads at the end. Stops after SECONDS or when the events run out.

Each second's events go to Kafka through one `kcat -P` (idempotent, murmur2 like the Java
client), retried until kcat reports every message delivered: kcat gives up when the broker is
down (the soak restarts it). A retried second may send some of its events twice: the processor
must take the second copy as a re-delivery (same event_id), so SENT holds each event once.
"""
import subprocess
import json
import sys
import time


def produce(bootstrap, lines, log):
    """Sends `lines` ("key\tjson\n"), retrying the whole batch until kcat succeeds."""
    attempt = 0
    while True:
        attempt += 1
        done = subprocess.run(
            ["kcat", "-P", "-b", bootstrap, "-t", "case-events", "-K", "\t",
             "-X", "partitioner=murmur2_random", "-X", "enable.idempotence=true",
             "-X", "linger.ms=20"],
            input="".join(lines), text=True, stderr=subprocess.PIPE)
        if done.returncode == 0:
            return attempt
        print(f"feed: kcat failed (attempt {attempt}): {done.stderr.strip()[-200:]}",
              file=sys.stderr)
        time.sleep(1)


def main(events_path, sent_path, rate, seconds, bootstrap):
    rate, seconds = int(rate), int(seconds)
    start = time.time()
    sent = 0
    with open(events_path) as events, open(sent_path, "w") as log:
        for second in range(seconds):
            tick = start + second
            delay = tick - time.time()
            if delay > 0:
                time.sleep(delay)  # the feeder paces itself; nothing is asserted on timing
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(tick, time.time())))
            batch = []
            for _ in range(rate):
                line = events.readline()
                if not line:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    event = None  # the simulator's malformed lines go as they are
                if isinstance(event, dict) and isinstance(event.get("recorded_at"), str):
                    event["recorded_at"] = stamp
                    if str(event.get("occurred_at", "")) > stamp:  # never in the future
                        event["occurred_at"] = stamp
                    text = json.dumps(event, separators=(",", ":"))
                    key = str(event.get("person_key", ""))
                else:
                    text, key = line.rstrip("\n"), ""
                batch.append(f"{key}\t{text}\n")
            if not batch:
                break
            retried = produce(bootstrap, batch, log) > 1
            for line in batch:
                log.write(line.split("\t", 1)[1])
            log.flush()
            if retried:
                print(f"feed: second {second} sent after retries", file=sys.stderr)
            sent += len(batch)
            if second % 60 == 0:
                print(f"feed: {sent} events in {time.time() - start:.0f} s", file=sys.stderr)
    print(f"feed: done, {sent} events in {time.time() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:6])
