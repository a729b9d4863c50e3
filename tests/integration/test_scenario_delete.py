#!/usr/bin/python3
"""Deleting a saved what-if scenario: DELETE /api/v1/projects/{id}/scenarios/{sid}, against
the real binary, a real PostgreSQL and real HTTP.

docs/security.md §4: the route needs project write; of those callers, the scenario's creator
or a project lead may delete it (another writer, a reader: 403; anonymous: 401). 204 on
success; 404 for an unknown id, a malformed id and a scenario of another project (which
stays). The audit log holds a DELETE row of `scenarios` that names the scenario (id and name)
and the caller.

Usage: test_scenario_delete.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402


def add_user(binary, env, email, role):
    r = subprocess.run([binary, "user", "add", email, "--role", role, "--organisation", "Voorbeeldstad",
                        "--generate-password"], env=env, capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, f"user add {email} " + r.stderr[-300:])
    return token_for(binary, env, email, "read,write")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env,
                           capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "sample import " + r.stderr[-300:])
        a = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND source_key = '8'")
        b = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND source_key <> '8' ORDER BY source_key LIMIT 1")
        psql(url, f"UPDATE projects SET confidentiality = 'intern_bestuurlijk' WHERE id IN ('{a}', '{b}')")
        tok = {who: add_user(args.binary, env, f"{who}@voorbeeldstad.test", role)
               for who, role in [("writer1", "medewerker"), ("writer2", "medewerker"),
                                 ("leader", "projectleider"), ("manager", "management")]}
        proc, base = start_server(args.binary, env)
        try:
            run(base, url, a, b, tok)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def run(base, url, a, b, tok):
    api = {who: Api(base, token=t) for who, t in tok.items()}
    anon = Api(base, token=None)
    op = Api(base)  # the test operator (administrator, beheerder)
    A, B = f"/api/v1/projects/{a}/scenarios", f"/api/v1/projects/{b}/scenarios"

    def save(who, path, name):
        st, _, doc = who.json("POST", path, {"name": name, "changes": []})
        eq(st, 201, f"save scenario {name}")
        return doc["id"] if doc else "00000000-0000-4000-8000-000000000000"

    s1 = save(api["writer1"], A, "eerste variant")
    s2 = save(api["writer2"], A, "tweede variant")
    sb = save(op, B, "ander project")

    print("== who may delete")
    expect_problem(anon, "DELETE", f"{A}/{s1}", 401, None, "anonymous")
    expect_problem(api["manager"], "DELETE", f"{A}/{s1}", 403, None, "a reader (management)")
    expect_problem(api["writer2"], "DELETE", f"{A}/{s1}", 403, "scenario_id", "another writer's scenario")
    st, _, lst = op.json("GET", A)
    eq(sorted(s["id"] for s in lst["results"]), sorted([s1, s2]), "refused deletes deleted nothing")
    st, ct, body = api["writer1"].call("DELETE", f"{A}/{s1}")
    eq((st, body), (204, b""), "the creator deletes their scenario: 204, no body")
    st, _, lst = op.json("GET", A)
    eq([s["id"] for s in lst["results"]], [s2], "the deleted scenario is gone from the list")
    expect_problem(api["writer1"], "DELETE", f"{A}/{s1}", 404, "scenario_id", "deleting it again")
    st, _, _ = api["writer1"].call("GET", f"{A}/{s1}/compare")
    eq(st, 404, "compare after delete")
    st, _, _ = api["leader"].call("DELETE", f"{A}/{s2}")
    eq(st, 204, "a project lead deletes someone else's scenario")

    print("== unknown and other project's scenarios")
    expect_problem(op, "DELETE", f"{A}/{sb}", 404, "scenario_id", "another project's scenario")
    st, _, lst = op.json("GET", B)
    eq([s["id"] for s in lst["results"]], [sb], "the other project's scenario stays")
    expect_problem(op, "DELETE", f"{A}/00000000-0000-4000-8000-000000000000", 404, "scenario_id", "unknown id")
    expect_problem(op, "DELETE", f"{A}/not-a-uuid", 404, "scenario_id", "malformed id")
    expect_problem(op, "DELETE", "/api/v1/projects/00000000-0000-4000-8000-000000000000/scenarios/" + sb, 404, None,
                   "unknown project")

    print("== audited")
    rows = psql(url, "SELECT entity_id || '|' || (old ->> 'name') || '|' || actor_email FROM audit_log "
                     "WHERE entity = 'scenarios' AND action = 'DELETE' ORDER BY id").splitlines()
    eq(rows, [f"{s1}|eerste variant|writer1@voorbeeldstad.test", f"{s2}|tweede variant|leader@voorbeeldstad.test"],
       "one audit row per deleted scenario, naming it and the caller")
    st, _, aud = api["leader"].json("GET", f"/api/v1/projects/{a}/audit")
    check(st == 200 and any(r.get("action") == "DELETE" and r.get("entity") == "scenarios" and
                            (r.get("old") or {}).get("name") == "eerste variant" for r in aud.get("results", [])),
          "the project's audit (API) shows the deletion with the scenario's name", str(aud)[:500])


if __name__ == "__main__":
    sys.exit(main())
