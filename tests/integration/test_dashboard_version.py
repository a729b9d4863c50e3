#!/usr/bin/python3
"""The dashboards' data version under concurrency (issue 17 item 1; migration 0044_dashboard_marks.sql,
api/routes_dashboard.c, docs/homes-and-goals.md "Dashboards and the public rule"), against the real server
and PostgreSQL.

The version is the sum of the marks (one per writing transaction) a snapshot sees, compacted now and then.
Checked:

* several writers commit at once (each its own block, one psql transaction per write) while readers read the
  public and a user's dashboard without pause: after every committed write, the next dashboard read reflects
  it (its homes at least those of every write committed before the read was sent, never more than those of
  the writes started) and its data_version is larger than the version read before the write;
* the server compacts the marks (fewer rows than writes after a run with reads), and a compaction run by
  another session at the same time changes no sum: at the end the dashboard counts exactly every write;
* a compaction leaves the version of a snapshot taken before it and of one taken after it unchanged.

Usage: test_dashboard_version.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, finish, fresh_database, psql, start_server  # noqa: E402

WRITERS = 4
WRITES = 25  # per writer and phase
PROJECTS = 6


def setup(url):
    psql(url, "INSERT INTO organisations (name, kind, import_key) VALUES ('G0', 'gemeente', 'gemeente:G0')")
    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO projects (source, source_key, name, gemeente, provincie, "
              "plantype, planstatus, progress_date, process_schema_key, process_schema_version, owner_organisation_id, "
              "confidentiality) SELECT 'dv', g::text, 'Project ' || g, 'G0', 'Utrecht', 'uitleg', '1A', "
              "DATE '2026-01-01', 'ppm-woningbouw', 1, o.id, 'openbaar' FROM organisations o, "
              f"generate_series(1, {PROJECTS}) g")
    psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_blocks (project_id, homes, tenure, home_type) "
              "SELECT id, 10, 'koop', 'grondgebonden' FROM projects WHERE source = 'dv'")


def homes(doc):
    return sum(c["homes"] for c in doc["cells"])


class Run:
    def __init__(self, url, base, base_homes):
        self.url = url
        self.base = base
        self.base_homes = base_homes
        self.lock = threading.Lock()
        self.started = 0    # writes sent
        self.committed = 0  # writes whose psql returned (committed)
        self.stop = False
        self.errors = []

    def bounds(self):
        with self.lock:
            return self.base_homes + self.committed, self.base_homes + self.started

    def read(self, api, path, what):
        low, _ = self.bounds()
        st, _, doc = api.json("GET", path)
        _, high = self.bounds()
        if st != 200:
            self.errors.append(f"{what}: status {st}")
            return None
        h = homes(doc)
        if not low <= h <= high:
            self.errors.append(f"{what}: {h} homes, committed before the read {low}, started {high}")
        return doc

    def writer(self, i):
        block = psql(self.url, f"SELECT b.id FROM project_blocks b JOIN projects p ON p.id = b.project_id "
                               f"WHERE p.source = 'dv' ORDER BY p.source_key::int LIMIT 1 OFFSET {i}")
        op, anon = Api(self.base), Api(self.base, None)
        for _ in range(WRITES):
            v0 = int(psql(self.url, "SELECT version FROM dashboard_version"))
            with self.lock:
                self.started += 1
            psql(self.url, f"UPDATE project_blocks SET homes = homes + 1 WHERE id = '{block}'")
            with self.lock:
                self.committed += 1
            self.read(anon, "/api/v1/public/dashboard?group_by=planstatus", f"writer {i}: public read after a write")
            doc = self.read(op, "/api/v1/dashboard?group_by=planstatus", f"writer {i}: read after a write")
            if doc is not None and not doc["data_version"] > v0:
                self.errors.append(f"writer {i}: data_version {doc['data_version']} after a write, {v0} before")

    def reader(self, i):
        api = Api(self.base, None) if i % 2 else Api(self.base)
        path = "/api/v1/public/dashboard?group_by=planstatus" if i % 2 else "/api/v1/dashboard?group_by=planstatus"
        while not self.stop:
            self.read(api, path, f"reader {i}")

    def compactor(self):
        while not self.stop:
            psql(self.url, "SELECT bs_dashboard_compact(2)")

    def phase(self, with_compactor):
        others = [threading.Thread(target=self.reader, args=(i,)) for i in range(2)]
        if with_compactor:
            others.append(threading.Thread(target=self.compactor))
        writers = [threading.Thread(target=self.writer, args=(i,)) for i in range(WRITERS)]
        for t in others + writers:
            t.start()
        for t in writers:
            t.join(timeout=600)
        self.stop = True
        for t in others:
            t.join(timeout=120)
        self.stop = False


def snapshot_check(url, what):
    """A compaction in another session, while a REPEATABLE READ transaction holds its snapshot: the version
    before and after it, in that snapshot and in a new one, are the same."""
    for _ in range(2):  # two marks at least (no read runs now: nothing else compacts)
        psql(url, "UPDATE projects SET name = name WHERE source = 'dv'")
    script = ("BEGIN ISOLATION LEVEL REPEATABLE READ;\n"
              "SELECT 'before:' || version FROM dashboard_version;\n"
              f"\\! psql '{url}' -XAtq -c \"SELECT 'merged:' || bs_dashboard_compact(2)\"\n"
              "SELECT 'inside:' || version FROM dashboard_version;\n"
              "COMMIT;\n"
              "SELECT 'after:' || version FROM dashboard_version;\n"
              "SELECT 'rows:' || count(*) FROM dashboard_marks;\n")
    out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"], input=script, check=True,
                         capture_output=True, text=True).stdout
    got = dict(line.split(":", 1) for line in out.split() if ":" in line)
    check(int(got.get("merged", 0)) >= 2, f"{what}: the compaction merged marks", out)
    eq(got.get("inside"), got.get("before"), f"{what}: the version in a snapshot taken before the compaction")
    eq(got.get("after"), got.get("before"), f"{what}: the version in a snapshot taken after the compaction")
    eq(got.get("rows"), "1", f"{what}: one mark left")
    return int(got["after"])


def run(url, base):
    base_homes = PROJECTS * 10
    r = Run(url, base, base_homes)
    st, _, doc = Api(base, None).json("GET", "/api/v1/public/dashboard?group_by=planstatus")
    eq((st, homes(doc)), (200, base_homes), "the fixture's homes")
    v_start = int(psql(url, "SELECT version FROM dashboard_version"))

    # 1. writers and readers; the server alone compacts (a read that sees more than 32 marks)
    r.phase(False)
    writes = WRITERS * WRITES
    rows = int(psql(url, "SELECT count(*) FROM dashboard_marks"))
    check(rows < writes, "the server compacted the marks", f"{rows} rows after {writes} writes")
    v1 = snapshot_check(url, "after phase 1")
    check(v1 >= v_start + writes + 2, "every write raised the version by its mark", (v_start, v1, writes))

    # 2. the same with a compaction of another session running all the time
    r.phase(True)
    writes *= 2
    v2 = snapshot_check(url, "after phase 2")
    check(v2 >= v1 + WRITERS * WRITES + 2, "phase 2: every write raised the version by its mark", (v1, v2))
    eq(r.errors[:5], [], "every read reflected every write committed before it")
    eq(r.committed, writes, "every write committed")
    for api, path in ((Api(base, None), "/api/v1/public/dashboard?group_by=planstatus"),
                      (Api(base), "/api/v1/dashboard?group_by=planstatus")):
        st, _, doc = api.json("GET", path)
        eq((st, homes(doc)), (200, base_homes + writes), f"{path}: at the end, every write counted")
    st, _, doc = Api(base).json("GET", "/api/v1/dashboard?group_by=planstatus")
    eq(doc["data_version"], v2, "the user's dashboard: the version of the marks")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        setup(url)
        proc, base = start_server(args.binary, env)
        try:
            run(url, base)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
