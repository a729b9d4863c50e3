#!/usr/bin/python3
"""Woningblokken: CRUD of a project's blocks (GET/POST /api/v1/projects/{id}/blocks,
PATCH/DELETE …/blocks/{block_id}), against the real binary, a real PostgreSQL and real HTTP
(docs/blocks.md).

Defaults (nieuwbouw, onbekend, laatste_oplevering), net_homes negative for demolition,
problem+json naming the field (missing homes, 0 homes, negative homes without the correction
flag, an unknown code, a koop price class with tenure huur, a period that ends before it
starts, an unknown member), 404 for an unknown, malformed or other project's block; access as
the other project sub-resources (anonymous 401, a reader 403 on writes, a user who may not see
the confidential project 404); every write audited.

Usage: test_blocks_api.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402


def add_user(binary, env, email, role, org="Voorbeeldstad"):
    r = subprocess.run([binary, "user", "add", email, "--role", role, "--organisation", org,
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
        # the sample import made the plans' blocks from their counts (test_import_blocks.py); this
        # test starts from none
        check(psql(url, f"SELECT count(*) FROM project_blocks WHERE imported AND project_id = '{a}'") != "0",
              "the sample import made the plan's blocks", "")
        psql(url, "DELETE FROM project_blocks")
        tok = {who: add_user(args.binary, env, f"{who}@voorbeeldstad.test", role)
               for who, role in [("writer", "medewerker"), ("manager", "management")]}
        tok["raad"] = add_user(args.binary, env, "raad@voorbeeldstad.test", "raad")
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
    op = Api(base)
    A, B = f"/api/v1/projects/{a}/blocks", f"/api/v1/projects/{b}/blocks"

    print("== create, defaults, net figures")
    st, _, k1 = api["writer"].json("POST", A, {"homes": 40, "home_type": "meergezins", "tenure": "huur",
                                                "price_class": "huur2", "target_group": "starters",
                                                "period_from": 2026, "period_to": 2028})
    eq(st, 201, "a writer adds a block")
    eq((k1["homes"], k1["net_homes"], k1["kind"], k1["milestone"], k1["correction"], k1["project_id"]),
       (40, 40, "nieuwbouw", "laatste_oplevering", False, a), "defaults and net homes")
    st, _, k2 = op.json("POST", A, {"homes": 12, "kind": "sloop", "milestone": "start_bouw"})
    eq(st, 201, "a demolition block")
    eq((k2["homes"], k2["net_homes"], k2["home_type"], k2["tenure"], k2["price_class"], k2["target_group"]),
       (12, -12, "onbekend", "onbekend", "onbekend", None), "demolition counts negative in net figures")
    st, _, k3 = op.json("POST", A, {"homes": -5, "correction": True})
    eq((st, k3 and k3["homes"]), (201, -5), "a correction block may be negative")
    st, _, kb = op.json("POST", B, {"homes": 3})
    eq(st, 201, "a block of another project")

    print("== list")
    st, _, lst = api["manager"].json("GET", A)
    eq(st, 200, "a reader lists the blocks")
    eq([x["id"] for x in lst["results"]], [k1["id"], k2["id"], k3["id"]], "the project's blocks, oldest first")
    eq(sum(x["net_homes"] for x in lst["results"]), 40 - 12 - 5, "net homes of the project")
    st, _, pg = op.json("GET", A + "?page_size=2")
    eq((pg["count"], len(pg["results"]), pg["next"] is not None), (3, 2, True), "paged")

    print("== problems naming the field")
    expect_problem(op, "POST", A, 422, "homes", "homes missing", {"kind": "nieuwbouw"})
    expect_problem(op, "POST", A, 422, "homes", "zero homes", {"homes": 0})
    expect_problem(op, "POST", A, 422, "homes", "negative without correction", {"homes": -3})
    expect_problem(op, "POST", A, 422, "homes", "homes not an integer", {"homes": "10"})
    expect_problem(op, "POST", A, 422, "kind", "unknown kind", {"homes": 1, "kind": "renovatie"})
    expect_problem(op, "POST", A, 422, "home_type", "unknown home type", {"homes": 1, "home_type": "villa"})
    expect_problem(op, "POST", A, 422, "price_class", "unknown price class", {"homes": 1, "price_class": "koop9"})
    expect_problem(op, "POST", A, 422, "price_class", "koop class with tenure huur",
                   {"homes": 1, "tenure": "huur", "price_class": "koop2"})
    expect_problem(op, "POST", A, 422, "period_to", "period ends before it starts",
                   {"homes": 1, "period_from": 2030, "period_to": 2029})
    expect_problem(op, "POST", A, 422, "milestone", "milestone not a step key", {"homes": 1, "milestone": "Start bouw!"})
    expect_problem(op, "POST", A, 422, "milestone", "a step that is no milestone",
                   {"homes": 1, "milestone": "voorlopig_ontwerp"})
    expect_problem(op, "POST", A, 422, "milestone", "no step of the process", {"homes": 1, "milestone": "feest"})
    expect_problem(op, "POST", A, 422, "target_group", "empty target group", {"homes": 1, "target_group": ""})
    expect_problem(op, "POST", A, 422, "colour", "unknown member", {"homes": 1, "colour": "red"})
    expect_problem(op, "PATCH", f"{A}/{k1['id']}", 422, "price_class", "patch to a class of the other tenure",
                   {"price_class": "koop1"})
    expect_problem(op, "PATCH", f"{A}/{k1['id']}", 422, "homes", "patch to negative homes", {"homes": -1})
    st, _, lst = op.json("GET", A)
    eq(len(lst["results"]), 3, "refused writes stored nothing")

    print("== change and delete")
    st, _, p1 = api["writer"].json("PATCH", f"{A}/{k1['id']}", {"homes": 44, "target_group": None,
                                                                  "milestone": "eerste_oplevering"})
    eq(st, 200, "a writer changes a block")
    eq((p1["homes"], p1["target_group"], p1["milestone"], p1["price_class"]), (44, None, "eerste_oplevering", "huur2"),
       "members given replaced, the others kept")
    expect_problem(op, "PATCH", f"{A}/{kb['id']}", 404, "block_id", "another project's block",
                   {"homes": 2})
    expect_problem(op, "PATCH", f"{A}/00000000-0000-4000-8000-000000000000", 404, "block_id", "unknown block",
                   {"homes": 2})
    expect_problem(op, "DELETE", f"{A}/not-a-uuid", 404, "block_id", "malformed block id")
    st, _, body = api["writer"].call("DELETE", f"{A}/{k2['id']}")
    eq((st, body), (204, b""), "a writer deletes a block")
    expect_problem(op, "DELETE", f"{A}/{k2['id']}", 404, "block_id", "deleting it again")
    st, _, lst = op.json("GET", B)
    eq([x["id"] for x in lst["results"]], [kb["id"]], "the other project's block stays")

    print("== spread over years (0037)")
    st, _, ks = op.json("POST", A, {"homes": 10, "spread": [{"year": 2027, "percent": 40}, {"year": 2028, "percent": 60}]})
    eq((st, ks and ks["spread"]), (201, [{"year": 2027, "percent": 40}, {"year": 2028, "percent": 60}]),
       "a block spread over two years")
    eq(k1.get("spread", "absent"), None, "a block without a spread shows null")
    for field, what, sp in [
            ("spread[1].percent", "percents summing to 90", None),
            ("spread", "percents not summing to 100", [{"year": 2027, "percent": 40}, {"year": 2028, "percent": 50}]),
            ("spread", "percents summing to 110", [{"year": 2027, "percent": 60}, {"year": 2028, "percent": 50}]),
            ("spread[1].year", "a repeated year", [{"year": 2027, "percent": 50}, {"year": 2027, "percent": 50}]),
            ("spread[0].percent", "a zero percent", [{"year": 2027, "percent": 0}, {"year": 2028, "percent": 100}]),
            ("spread[1].percent", "a fractional percent", [{"year": 2027, "percent": 50},
                                                           {"year": 2028, "percent": 50.5}]),
            ("spread[0].year", "a year out of range", [{"year": 1850, "percent": 100}]),
            ("spread[0].year", "a year missing", [{"percent": 100}]),
            ("spread[0].share", "an unknown member", [{"year": 2027, "percent": 100, "share": 1}]),
            ("spread[0]", "an entry not an object", [2027]),
            ("spread", "an empty spread", []),
            ("spread", "not a list", {"2027": 100})]:
        if sp is None:
            sp = [{"year": 2027, "percent": 40}, {"year": 2028, "percent": 150}]
        expect_problem(op, "POST", A, 422, field, what, {"homes": 5, "spread": sp})
    expect_problem(op, "PATCH", f"{A}/{ks['id']}", 422, "spread", "a PATCH to a bad spread",
                   {"spread": [{"year": 2030, "percent": 99}]})
    st, _, p2 = op.json("PATCH", f"{A}/{ks['id']}", {"homes": 12})
    eq((st, p2 and p2["spread"]), (200, ks["spread"]), "a PATCH of other members keeps the spread")
    st, _, p2 = op.json("PATCH", f"{A}/{ks['id']}", {"spread": [{"year": 2029, "percent": 100}]})
    eq((st, p2 and p2["spread"]), (200, [{"year": 2029, "percent": 100}]), "a PATCH replaces the spread")
    st, _, p2 = op.json("PATCH", f"{A}/{ks['id']}", {"spread": None})
    eq((st, p2 and p2["spread"]), (200, None), "a PATCH with null clears it: delivered with its milestone again")
    eq(psql(url, f"SELECT spread IS NULL FROM project_blocks WHERE id = '{ks['id']}'"), "t", "cleared in the store")
    # the homes per year, largest remainder: exact sums, the earlier year first on a tie
    for homes, spread, want in [(10, [(2027, 33), (2028, 33), (2029, 34)], "2027:3,2028:3,2029:4"),
                                (7, [(2027, 50), (2028, 50)], "2027:4,2028:3"),
                                (7, [(2027, 40), (2028, 60)], "2027:3,2028:4"),
                                (-5, [(2030, 50), (2031, 50)], "2030:-3,2031:-2"),
                                (1, [(2027, 10), (2028, 90)], "2028:1")]:
        sp = ",".join(f'{{"year": {y}, "percent": {pc}}}' for y, pc in spread)
        got = psql(url, f"SELECT string_agg(year || ':' || homes, ',' ORDER BY year) "
                        f"FROM bs_block_spread_homes({homes}, '[{sp}]')")
        eq(got, want, f"{homes} homes at {[pc for _, pc in spread]} %")
    st, _, _ = op.call("DELETE", f"{A}/{ks['id']}")
    eq(st, 204, "the spread block deleted")

    print("== access as the project's other sub-resources")
    expect_problem(anon, "GET", A, 401, None, "anonymous list")
    expect_problem(anon, "POST", A, 401, None, "anonymous add", {"homes": 1})
    expect_problem(api["manager"], "POST", A, 403, None, "a reader adds", {"homes": 1})
    expect_problem(api["manager"], "PATCH", f"{A}/{k1['id']}", 403, None, "a reader changes", {"homes": 2})
    expect_problem(api["manager"], "DELETE", f"{A}/{k1['id']}", 403, None, "a reader deletes")
    st, _, _ = api["raad"].json("GET", f"/api/v1/projects/{a}")
    if st == 404:
        expect_problem(api["raad"], "GET", A, 404, None, "a council member does not see the confidential project")
        expect_problem(api["raad"], "POST", A, 404, None, "nor write to it", {"homes": 1})
    else:
        check(False, "a council member sees an intern_bestuurlijk project (expected 404)", st)

    print("== audited")
    rows = psql(url, "SELECT action || '|' || entity_id || '|' || actor_email FROM audit_log "
                     f"WHERE entity = 'project_blocks' AND project_id = '{a}' "
                     f"AND entity_id IN ('{k1['id']}', '{k2['id']}', '{k3['id']}') ORDER BY id").splitlines()
    eq(rows, [f"INSERT|{k1['id']}|writer@voorbeeldstad.test", f"INSERT|{k2['id']}|{rows[1].split('|')[2]}",
              f"INSERT|{k3['id']}|{rows[2].split('|')[2]}", f"UPDATE|{k1['id']}|writer@voorbeeldstad.test",
              f"DELETE|{k2['id']}|writer@voorbeeldstad.test"], "one audit row per write, with the caller")


if __name__ == "__main__":
    sys.exit(main())
