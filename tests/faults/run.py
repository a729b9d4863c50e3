#!/usr/bin/python3
"""The standing fault suite (tests/faults/README.md): runs every scenario script in turn against
a private PostgreSQL cluster of its own with production's durability (`faults`, fsync=on; the
failover scenario makes its own primary and replicas), then prints one table:
test | load | fault | acknowledged | lost | duplicated | errors | recovery time.

  tests/faults/run.py --binary build/bouwstroom --source . [--short] [--only a,b]

--short is the version inside `make test` (smaller loads, one fault of each kind); without it,
the full suite of `make test-faults`. Exit 0 only when every scenario passed, its minimum load
included. Every cluster it started is wiped at the end.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

# the short version (make test): each of these is required there
SHORT = ["kill9_writes", "sigterm_delivery", "slow_smtp", "pg_restart_delivery", "two_nodes_kill", "failover"]
# the full version adds faults whose short form would add little but time
FULL = SHORT + ["smtp_kill", "backup_restore"]


def run_one(script, args, env):
    cmd = ["/usr/bin/python3", os.path.join(fl.HERE, script + ".py"), "--binary", args.binary, "--source", args.source]
    if args.short:
        cmd.append("--short")
    print(f"===== {script}", flush=True)
    t0 = time.monotonic()
    rows = []
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("ROW "):
            rows.append(json.loads(line[4:]))
        print(line, end="", flush=True)
    rc = proc.wait()
    return rows, rc, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.source = os.path.abspath(args.source)
    names = [n for n in args.only.split(",") if n] or (SHORT if args.short else FULL)
    unknown = [n for n in names if not os.path.isfile(os.path.join(fl.HERE, n + ".py"))]
    if unknown:
        print(f"run.py: unknown scenario(s) {unknown}", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    cluster = fl.Cluster(args.source, "faults")
    cluster.wipe()
    results = []
    rows = []
    try:
        cluster.start(durable=True)
        print(f"cluster {cluster.name}: fsync={cluster.sql('SHOW fsync')}, "
              f"synchronous_commit={cluster.sql('SHOW synchronous_commit')}", flush=True)
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=cluster.url)
        env.update(fl.prepare_template(args.binary, args.source, cluster.url))
        for name in names:
            r, rc, secs = run_one(name, args, env)
            rows += r
            results.append((name, rc, secs))
    finally:
        cluster.wipe()
    total = time.monotonic() - t0
    print(f"\n== fault suite ({'short' if args.short else 'full'}): {total:.0f} s\n")
    print(fl.table(rows))
    print()
    for name, rc, secs in results:
        print(f"{'PASS' if rc == 0 else 'FAIL'}  {name} ({secs:.0f} s)")
    failed = [n for n, rc, _ in results if rc != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
