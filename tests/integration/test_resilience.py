#!/usr/bin/python3
"""The database goes away and comes back: the server answers 503 problem+json while it is
down (nothing accepted, nothing lost; /readyz 503, /healthz — liveness — 200), and recovers by
itself when it is back.

Needs control over the PostgreSQL cluster: it looks for the private cluster whose socket
directory BOUWSTROOM_DATABASE_URL points at (var/pg-NAME.env, written by scripts/pg.sh).
With an external database it skips (77), loudly.
"""
import argparse
import os
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, cluster_of, eq, expect_problem, fresh_database, pg_ctl, pg_sh, psql  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    base_url = os.environ.get("BOUWSTROOM_DATABASE_URL", "")
    name, data = cluster_of(args.source, base_url)
    if not name:
        if os.environ.get("CI") == "true":  # make test under CI always runs a private cluster
            print("FAIL: the private cluster of BOUWSTROOM_DATABASE_URL was not found in var/pg-*.env", flush=True)
            return 1
        print("*" * 70 + "\nSKIPPED: BOUWSTROOM_DATABASE_URL is not a private cluster of scripts/pg.sh;"
              " this test stops and starts the database\n" + "*" * 70, flush=True)
        return bsit.SKIP
    rc = 0
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
            r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample",
                                                                      "voorbeeldstad.geojson"), "--source", "sample"],
                               env=env, capture_output=True, text=True)
            eq(r.returncode, 0, "import sample")
            pid = psql(url, "SELECT id FROM projects WHERE name = 'Polder Noord'")
            proc, base = bsit.start_server(args.binary, env)
            api = Api(base)
            try:
                eq(api.json("GET", "/healthz")[0], 200, "healthy")
                eq(api.json("GET", "/readyz")[0], 200, "ready")
                print("== PostgreSQL stops")
                r = pg_ctl(data, "-m", "fast", "-w", "stop")
                eq(r.returncode, 0, "pg_ctl stop " + r.stderr)
                time.sleep(0.5)
                # liveness stays: restarting the process would not bring the database back
                eq(api.json("GET", "/healthz")[0], 200, "healthz (liveness) while the database is down")
                doc = expect_problem(api, "GET", "/readyz", 503, None, "readyz while the database is down")
                check("database: unreachable" in (doc or {}).get("detail", ""), "readyz names the database", doc)
                expect_problem(api, "POST", f"/api/v1/projects/{pid}/steps/initiatief_ingediend/complete", 503, None,
                               "a change while the database is down is refused", body={"date": "2020-08-03"})
                expect_problem(api, "GET", "/api/v1/projects", 503, None, "a list while the database is down")
                check(proc.poll() is None, "the server stays up")
                print("== PostgreSQL starts again")
                r = pg_sh(args.source, "start", name)
                eq(r.returncode, 0, "pg.sh start " + r.stderr)
                ok = bsit_wait(lambda: api.json("GET", "/readyz")[0] == 200, 60)  # a deadline, not a speed bound
                check(ok, "the server reconnects by itself")
                eq(psql(url, f"SELECT status FROM project_steps WHERE project_id = '{pid}' "
                             "AND step_key = 'initiatief_ingediend'"), "open", "the refused change was not stored")
                st, _, doc = api.json("POST", f"/api/v1/projects/{pid}/steps/initiatief_ingediend/complete",
                                      {"date": "2020-08-03"})
                eq(st, 200, "the same change after recovery")
                eq(psql(url, f"SELECT status || ' ' || actual_finish FROM project_steps WHERE project_id = '{pid}' "
                             "AND step_key = 'initiatief_ingediend'"), "done 2020-08-03", "stored after recovery")
            finally:
                proc.terminate()
                proc.wait(timeout=15)
    except Exception:
        traceback.print_exc()
        rc = 1
    finally:
        pg_sh(args.source, "start", name)
    return bsit.finish() or rc


def bsit_wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.exit(main())
