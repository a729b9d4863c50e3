#!/usr/bin/python3
"""Step writes over HTTP, two server binaries side by side on one database (not a test).

Imports the real 2020 plans with the AFTER binary into the database BOUWSTROOM_DATABASE_URL
names, adds a projectleider of every municipality with an API token, then for ROUNDS rounds starts each binary in
turn (`serve --port 0`) and sends N step date corrections (PATCH /api/v1/projects/{id}/steps/
{key} with planned_finish and a reason; the same one-statement schedule write as a start or a
completion, SQL_SCHEDULE_WRITE) one after the other on one keep-alive connection, each to the
next of 50 projects (no project is written twice in a row). Prints per binary and round:
writes per second and the median and p99 latency.

Usage: bench/bench_write.py --before BIN --after BIN --shared DIR [--n 300] [--rounds 2]
"""
import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time


def run(binary, *args, stdin=None, ok_if=None):
    r = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True)
    if r.returncode != 0 and not (ok_if and ok_if in r.stderr):
        sys.exit(f"bench_write: {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout + r.stderr


def serve(binary):
    p = subprocess.Popen([binary, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout:
        if line.startswith("listening on "):
            host, port = line.split("//")[1].strip().rsplit(":", 1)
            return p, host, int(port)
    sys.exit("bench_write: the server did not start")


def targets(binary, token):
    """50 projects with a not yet started step of the developer's stream: (project id, step key)."""
    p, host, port = serve(binary)
    try:
        c = http.client.HTTPConnection(host, port)
        out = []
        c.request("GET", "/api/v1/projects?page_size=200", headers={"Authorization": f"Bearer {token}"})
        for pr in json.loads(c.getresponse().read())["results"]:
            c.request("GET", f"/api/v1/projects/{pr['id']}/schedule", headers={"Authorization": f"Bearer {token}"})
            sched = json.loads(c.getresponse().read())
            st = [s for s in sched["steps"] if s["status"] == "open" and s["early_finish"] and not s["milestone"]]
            if st:
                out.append((pr["id"], st[-1]["key"], st[-1]["early_finish"]))
            if len(out) == 50:
                break
        return out
    finally:
        p.terminate()
        p.wait()


def bench(binary, token, work, n, flip):
    p, host, port = serve(binary)
    try:
        c = http.client.HTTPConnection(host, port)
        lat = []
        t0 = time.perf_counter()
        for i in range(n):
            pid, key, finish = work[i % len(work)]
            y, m, d = finish.split("-")
            day = f"{int(y) + 1 + (flip + i // len(work)) % 2}-{m}-{min(int(d), 28):02d}"
            body = json.dumps({"planned_finish": day, "reason": "benchmark"})
            s = time.perf_counter()
            c.request("PATCH", f"/api/v1/projects/{pid}/steps/{key}", body=body,
                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            lat.append(time.perf_counter() - s)
            if r.status != 200:
                sys.exit(f"bench_write: PATCH {pid}/{key}: {r.status}")
        total = time.perf_counter() - t0
        lat.sort()
        return n / total, statistics.median(lat) * 1000, lat[int(0.99 * (n - 1))] * 1000
    finally:
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    if not os.environ.get("BOUWSTROOM_DATABASE_URL"):
        sys.exit("bench_write: BOUWSTROOM_DATABASE_URL is not set")
    run(a.after, "migrate")
    run(a.after, "import", os.path.join(a.shared, "data/plannen/eib-2020-rd.geojson"))
    run(a.after, "user", "add", "bench-write@bouwstroom.test", "--role", "projectleider", "--organisation", "Bench",
        "--organisation-kind", "overig", "--all-municipalities", "--generate-password",
        ok_if="exists already")  # a second run on the same database
    out = run(a.after, "token", "create", "bench-write@bouwstroom.test")
    token = [w for w in out.split() if w.startswith("bs_")][-1]
    work = targets(a.after, token)
    print(f"== {len(work)} projects, {a.n} writes per run, load {os.getloadavg()[0]:.2f}")
    for r in range(a.rounds):
        for name, binary in (("before", a.before), ("after", a.after)):
            rate, p50, p99 = bench(binary, token, work, a.n, r)
            print(f"round {r + 1} {name:6s}: {rate:7.1f} writes/s, p50 {p50:6.2f} ms, p99 {p99:6.2f} ms")


main()
