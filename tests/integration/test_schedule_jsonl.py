#!/usr/bin/python3
"""`bouwstroom schedule --jsonl`: the JSON Lines mode of the offline scheduler (issue 17 item 3;
docs/scheduling.md §9a). Behaviour, not speed; no database.

* every answer line equals, as JSON, the single-project answer of the same input (the
  single-project mode builds its answer with jansson from bs_offline_state_parse; the JSON
  Lines mode reads most lines with its own fast reader and writes text directly): random
  projects of the shipped schema (statuses, actuals, constraints, remaining durations,
  calendars, add_link changes: the fast reader's subset) and lines only the general path
  reads (other what-if ops, an "id" object, escapes in strings);
* the same for a schema given by file (--schema-file);
* "id" is echoed; blank lines are skipped; line numbers count physical lines;
* refused lines give an error object on their own line ({"line", "id"?, "error": {"field",
  "message", "cycle"?}}), the run goes on, the exit code is 1 and stderr says how many;
* usage errors (2), standard input, the compact single-project output and --pretty.

Usage: test_schedule_jsonl.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish  # noqa: E402

SCHEMA = "ppm-woningbouw"


def run(binary, args, stdin=None):
    return subprocess.run([binary, "schedule", *args], input=stdin, capture_output=True, text=True)


def single(binary, doc):
    """The single-project answer of doc (schema members included), parsed."""
    p = run(binary, ["-"], json.dumps(doc))
    return p.returncode, (json.loads(p.stdout) if p.returncode == 0 else None), p.stderr


def day(base, n):
    return (base + datetime.timedelta(days=n)).isoformat()


def random_project(rng, keys, milestones, links):
    """A project state of the fast reader's subset: statuses in schema order (done, started,
    then open), constraints, durations, add_link changes between steps in schema order."""
    dd = datetime.date(2026, 1, 5) + datetime.timedelta(days=rng.randint(0, 400))
    doc = {"data_date": dd.isoformat(), "steps": {}}
    if rng.random() < 0.5:
        doc["progress_date"] = day(dd, -rng.randint(0, 30))
    if rng.random() < 0.3:
        doc["near_critical_days"] = rng.randint(0, 40)
    cal = rng.choice([None, {"goede_vrijdag": True}, {"bevrijdingsdag": "yearly"},
                      {"goede_vrijdag": False, "bevrijdingsdag": "never"}, {"every_day_working": True}])
    if cal is not None:
        doc["calendar"] = cal
    n_done = rng.randint(0, 8)
    for i, k in enumerate(keys):
        st = {}
        if i < n_done:
            st["status"] = "done"
            if rng.random() < 0.7:
                st["actual_finish"] = day(dd, -200 + 20 * i)
        elif i == n_done and rng.random() < 0.5 and k not in milestones:
            st["status"] = "started"
            st["actual_start"] = day(dd, -rng.randint(0, 60))
            if rng.random() < 0.5:
                st["remaining"] = rng.randint(0, 30)
        if k not in milestones and rng.random() < 0.2:
            st["duration"] = rng.randint(1, 200)
        if rng.random() < 0.05:
            st["start_no_earlier_than"] = day(dd, rng.randint(0, 300))
        if rng.random() < 0.05:
            st["finish_no_later_than"] = day(dd, rng.randint(100, 1500))
        if st:
            doc["steps"][k] = st
    changes = []
    have = {(a, b, t) for a, b, t in links}
    for _ in range(rng.randint(0, 4)):
        a, b = sorted(rng.sample(range(len(keys)), 2))
        t = rng.choice(["FS", "SS", "FF", "SF"])
        if (a, b, t) in have:
            continue
        have.add((a, b, t))
        ch = {"op": "add_link", "pred": keys[a], "succ": keys[b], "type": t}
        if rng.random() < 0.5:
            ch["lag"] = rng.randint(-5, 20)
        if rng.random() < 0.3:
            ch["lag_unit"] = rng.choice(["working_days", "calendar_days"])
        changes.append(ch)
    if changes:
        doc["changes"] = changes
    return doc


def compare_lines(binary, docs, args, schema_member, what):
    """Runs docs as JSON Lines (ids 0..n-1) and compares each answer with the single mode."""
    lines = "".join(json.dumps(dict(d, id=i)) + "\n" for i, d in enumerate(docs))
    p = run(binary, ["--jsonl", *args, "-"], lines)
    eq(p.returncode, 0, f"{what}: exit code ({p.stderr.strip()})")
    out = [json.loads(x) for x in p.stdout.splitlines()]
    eq(len(out), len(docs), f"{what}: one answer a line")
    for i, (d, o) in enumerate(zip(docs, out)):
        rc, want, err = single(binary, dict(d, **schema_member))
        eq(rc, 0, f"{what} {i}: single mode ({err.strip()})")
        eq(o.pop("id", None), i, f"{what} {i}: id echoed")
        check(o == want, f"{what} {i}: same answer as the single mode",
              next((f"{k}: {o.get(k)!r} != {want.get(k)!r}" for k in want if o.get(k) != want.get(k)), ""))


def test_shipped_schema(binary, source):
    schema = json.load(open(os.path.join(source, "processes", SCHEMA + ".json")))
    keys = [s["key"] for s in schema["steps"]]
    milestones = {s["key"] for s in schema["steps"] if s.get("milestone")}
    links = {(keys.index(d["step"]), keys.index(s["key"]), d.get("type", "FS"))
             for s in schema["steps"] for d in s.get("depends_on", [])}
    rng = random.Random(17)
    docs = [random_project(rng, keys, milestones, links) for _ in range(40)]
    # lines only the general path reads: other what-if ops, a member it does not know
    docs.append({"data_date": "2026-03-02", "changes": [
        {"op": "set_link", "pred": "architect_gekozen", "succ": "voorlopig_ontwerp", "type": "SS", "lag": 10},
        {"op": "set_duration", "step": "grond_verworven", "duration": 90}]})
    docs.append({"data_date": "2026-03-02", "unknown_member": [1, 2], "steps": {}})
    print(f"== {len(docs)} projects of {SCHEMA}: JSON Lines = single mode")
    compare_lines(binary, docs, ["--process-schema", SCHEMA], {"process_schema": SCHEMA}, "shipped")
    # an id of any JSON type is echoed as given
    p = run(binary, ["--jsonl", "--process-schema", SCHEMA, "-"],
            '{"id": {"p": [1, "x"]}, "data_date": "2026-03-02"}\n{"id": "a\\"b", "data_date": "2026-03-02"}\n')
    ids = [json.loads(x)["id"] for x in p.stdout.splitlines()]
    eq(ids, [{"p": [1, "x"]}, 'a"b'], "ids of any type echoed")


def test_schema_file(binary, tmp):
    steps = []
    for i in range(12):
        ms = i in (0, 11)
        s = {"key": f"s{i:02d}", "name": f"Stap {i} \u00e9\u00e9n \"x\"", "stream": "public", "milestone": ms}
        if not ms:
            s["duration"] = {"value": 1 + i, "unit": "working_days"}
            s["source"] = "test"
        steps.append(s)
    path = os.path.join(tmp, "schema.json")
    with open(path, "w") as f:
        json.dump({"key": "t-jsonl", "name": "test", "version": 1, "steps": steps}, f)
    rng = random.Random(3)
    docs = []
    for p in range(25):
        st = {f"s{i:02d}": {"duration": rng.randint(1, 15)} for i in range(1, 11)}
        st["s00"] = {"start_no_earlier_than": day(datetime.date(2026, 1, 5), 7 * (p % 13))}
        ch = []
        for i in range(1, 12):
            ch.append({"op": "add_link", "pred": f"s{i - 1:02d}", "succ": f"s{i:02d}", "type": "FS",
                       "lag": rng.choice([0, 0, 1, 3])})
            if i >= 3 and rng.random() < 0.4:
                ch.append({"op": "add_link", "pred": f"s{i - 3:02d}", "succ": f"s{i:02d}",
                           "type": rng.choice(["SS", "FS"]), "lag": rng.randint(0, 2)})
        docs.append({"data_date": "2026-01-05", "calendar": {"goede_vrijdag": False, "bevrijdingsdag": "yearly"},
                     "steps": st, "changes": ch})
    print(f"== {len(docs)} projects of a schema file (dag_gen-like): JSON Lines = single mode")
    compare_lines(binary, docs, ["--schema-file", path], {"schema_file": path}, "schema file")


def test_errors(binary):
    print("== refused lines, blank lines, line numbers, exit code")
    lines = [
        '{"id": 1, "data_date": "2026-03-02"}',
        '',
        '{"id": 2, "data_date": "2026-03-02",',
        '   ',
        '{"id": 3, "process_schema": "ppm-woningbouw", "data_date": "2026-03-02"}',
        '{"id": 4, "data_date": "2026-03-02", "steps": {"geen_stap": {}}}',
        '{"id": 5, "data_date": "2026-03-02", "changes": [{"op": "add_link", "pred": "laatste_oplevering",'
        ' "succ": "initiatief_ingediend"}]}',
        '[1, 2]',
        '{"id": 7, "data_date": "2026-13-02"}',
        '{"id": 8, "data_date": "2026-03-02", "steps": {"grond_verworven": {"duration": 5.0}}}',
        '{"id": 9, "data_date": "2026-03-02"}',
    ]
    p = run(binary, ["--jsonl", "--process-schema", SCHEMA, "-"], "\n".join(lines) + "\n")
    eq(p.returncode, 1, "a refused line: exit code 1")
    check("7 of 9 projects refused" in p.stderr, "stderr counts the refused projects", p.stderr)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    eq(len(out), 9, "one answer per non-blank line")
    eq([o.get("id") for o in out], [1, None, 3, 4, 5, None, 7, 8, 9], "ids in input order")
    eq(out[0].get("project_finish") is not None, True, "line 1 scheduled")
    eq(out[8].get("error"), None, "line 11 scheduled after the refused ones")
    err = {o["line"]: o["error"] for o in out if "error" in o}
    eq(sorted(err), [3, 5, 6, 7, 8, 9, 10], "refused lines by physical line number")
    eq(err[3]["field"], "$", "invalid JSON: field $")
    check("invalid JSON" in err[3]["message"], "invalid JSON: message", err[3]["message"])
    eq(err[5]["field"], "process_schema", "a schema member in a line is refused")
    eq(err[6]["field"], "steps.geen_stap", "unknown step: its path")
    eq(err[7]["field"], "changes", "cycle: field")
    check(err[7]["message"].startswith("cycle: "), "cycle: message", err[7]["message"])
    check("laatste_oplevering" in err[7].get("cycle", []), "cycle: the steps", str(err[7]))
    eq(err[8]["field"], "$", "a line that is no object")
    eq(err[9]["field"], "data_date", "bad data date")
    eq(err[10]["field"], "steps.grond_verworven.duration", "a duration that is no integer")


def test_usage_and_single(binary, tmp):
    print("== usage, standard input, compact and --pretty")
    eq(run(binary, ["--jsonl", "-"], "").returncode, 2, "--jsonl without a schema")
    eq(run(binary, ["--jsonl", "--process-schema", SCHEMA, "--schema-file", "x", "-"], "").returncode, 2,
       "--jsonl with two schemas")
    eq(run(binary, ["--jsonl", "--pretty", "--process-schema", SCHEMA, "-"], "").returncode, 2,
       "--pretty with --jsonl")
    eq(run(binary, ["--process-schema", SCHEMA, "-"], "").returncode, 2, "--process-schema without --jsonl")
    p = run(binary, ["--jsonl", "--process-schema", "geen-schema", "-"], "")
    eq(p.returncode, 1, "an unknown schema key")
    p = run(binary, ["--jsonl", "--process-schema", SCHEMA, "-"], "")
    eq((p.returncode, p.stdout), (0, ""), "empty input: nothing out")
    path = os.path.join(tmp, "in.jsonl")
    with open(path, "w") as f:
        f.write('{"data_date": "2026-03-02"}\n')
    p = run(binary, ["--jsonl", "--process-schema", SCHEMA, path])
    eq((p.returncode, len(p.stdout.splitlines())), (0, 1), "a file path")
    doc = {"process_schema": SCHEMA, "data_date": "2026-03-02"}
    compact = run(binary, ["-"], json.dumps(doc))
    pretty = run(binary, ["--pretty", "-"], json.dumps(doc))
    eq(len(compact.stdout.splitlines()), 1, "single mode: compact by default (one line)")
    check(len(pretty.stdout.splitlines()) > 100, "--pretty indents", str(len(pretty.stdout.splitlines())))
    eq(json.loads(compact.stdout), json.loads(pretty.stdout), "compact and --pretty: the same document")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bs-jsonl") as tmp:
        test_shipped_schema(args.binary, args.source)
        test_schema_file(args.binary, tmp)
        test_errors(args.binary)
        test_usage_and_single(args.binary, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
