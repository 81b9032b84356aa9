#!/usr/bin/env python3
"""The event contract of docs/events.md, checked against the schema and the real decoder.

1. every example of docs/events.md (```json event blocks), docs/examples/*.jsonl and
   tests/scenarios/**/*.jsonl is judged by docs/case_event.schema.json and by `fristvagt
   replay`; the two must agree on every line (only CPR_AS_KEY, a deployment policy, and
   NO_COURSE, which needs the person's history, are outside the schema), and every example of
   docs/events.md must be accepted;
2. every rejection example (```… reject CODE blocks, plus the TOO_LARGE one built here) is
   refused by `fristvagt replay` with exactly that code, and fails the schema unless its block
   says `schema-valid` (what a schema cannot express: the clock skew, the size).

usage: check_event_contract.py SOURCE_DIR FRISTVAGT_BINARY
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

OUTSIDE_SCHEMA = {"CPR_AS_KEY", "NO_COURSE"}
FAILURES = []


def fail(message):
    FAILURES.append(message)
    print("FAIL", message)


def blocks(markdown):
    """(info string, lines) of each fenced block."""
    for m in re.finditer(r"^```([^\n]*)\n(.*?)^```", markdown, re.S | re.M):
        yield m.group(1).split(), [l for l in m.group(2).split("\n") if l.strip()]


def replay(binary, lines, until=None):
    """{line number: code} of the lines fristvagt refuses."""
    with tempfile.TemporaryDirectory() as tmp:
        events = os.path.join(tmp, "events.jsonl")
        rejects = os.path.join(tmp, "rejects.jsonl")
        with open(events, "w") as f:
            f.write("\n".join(lines) + "\n")
        cmd = [binary, "replay", "--events", events, "--out", os.path.join(tmp, "alerts.jsonl"),
               "--rejects", rejects]
        if until:
            cmd += ["--until", until]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            fail(f"replay exited {run.returncode}: {run.stderr.strip()}")
            return {}
        if not os.path.exists(rejects):
            return {}
        with open(rejects) as f:
            return {r["line"]: r["code"] for r in map(json.loads, f) if r}


def schema_valid(validator, line):
    try:
        event = json.loads(line)
    except ValueError:
        return False
    return validator.is_valid(event)


def main(source, binary):
    with open(os.path.join(source, "docs/case_event.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    with open(os.path.join(source, "docs/events.md")) as f:
        doc = f.read()

    # 1. Examples: the doc's must be accepted by both; elsewhere the two must agree.
    doc_events = [l for info, ls in blocks(doc) if info[:2] == ["json", "event"] for l in ls]
    if len(doc_events) < 10:
        fail(f"docs/events.md holds only {len(doc_events)} example events")
    files = {"docs/events.md": doc_events}
    for pattern in ["docs/examples/*.jsonl", "tests/scenarios/**/*.jsonl"]:
        for path in sorted(glob.glob(os.path.join(source, pattern), recursive=True)):
            with open(path) as f:
                files[os.path.relpath(path, source)] = [l.rstrip("\n") for l in f]
    checked = 0
    for name, lines in files.items():
        refused = replay(binary, lines)
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            checked += 1
            code = refused.get(number)
            valid = schema_valid(validator, line)
            if name == "docs/events.md" and (code or not valid):
                fail(f"{name}: example {number} refused (schema valid: {valid}, code {code})")
            elif code in OUTSIDE_SCHEMA:
                continue
            elif valid != (code is None):
                fail(f"{name}:{number}: schema says {'valid' if valid else 'invalid'}, "
                     f"fristvagt {'accepts' if code is None else 'refuses: ' + code}")
    print(f"{checked} example lines in {len(files)} files: schema and decoder agree")

    # 2. Rejection examples, each replayed alone.
    examples = [(info[2], l, "schema-valid" in info) for info, ls in blocks(doc)
                if info[1:2] == ["reject"] for l in ls]
    big = json.loads(doc_events[0])
    big["source_system"] = "x" * 70000
    examples.append(("TOO_LARGE", json.dumps(big), True))
    codes = set()
    for expected, line, passes_schema in examples:
        codes.add(expected)
        got = replay(binary, [line], until="2019-04-01T00:00:00+01:00").get(1)
        if got != expected:
            fail(f"rejection example for {expected} gave {got}: {line[:80]}")
        if not passes_schema and expected not in OUTSIDE_SCHEMA and schema_valid(validator, line):
            fail(f"rejection example for {expected} passes the schema: {line[:80]}")
    documented = set(re.findall(r"^### `([A-Z_]+)`", doc, re.M))
    # KEY_MISMATCH needs a Kafka key: tests/processor/event_decoder_test.cc checks it;
    # TOO_MANY_EVENTS needs 10,000 events: tests/processor/engine/person_bound_test.cc.
    missing = documented - codes - {"KEY_MISMATCH", "TOO_MANY_EVENTS"}
    if missing:
        fail(f"codes documented without an example: {sorted(missing)}")
    print(f"{len(examples)} rejection examples for {len(codes)} codes")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
