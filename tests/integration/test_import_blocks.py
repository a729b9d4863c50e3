#!/usr/bin/python3
"""Woningblokken from the import of the real 2020 plans (docs/blocks.md), against the real
binary and a real PostgreSQL: `bouwstroom import` stores each plan's blocks (the joint split of
engine/core/blocks.c, and one sloop block for the file's Sloop), and for every one of the 4,348
plans the stored blocks' totals per plan, per home type, per tenure and per period (blocks that
are not sloop) and of the sloop blocks equal the file's; the project's demolition count is
minus its sloop blocks' homes and its net homes Aantalrest + Sloop. A re-import replaces the
imported blocks (same totals, same number) and keeps a block added by hand; the import's blocks
get no audit row each (the batch's summary row stands for them), a block written by hand does.
Skipped (77) without the
shared data ($BOUWSTROOM_SHARED, default SRC/../shared).

Usage: test_import_blocks.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql  # noqa: E402

TYPES = {"WTYPGGB": "grondgebonden", "WTYPAPP": "meergezins", "WTYPONB": "onbekend"}
TENURES = {"HUUR": "huur", "KOOP": "koop", "HRKPONB": "onbekend"}
PERIODS = {"OP2019": "2019", "OP202024": "2020", "Op202529": "2025", "Op20302050": "2030", "OPLONB": "-"}


def file_totals(plans):
    with open(plans, encoding="utf-8") as f:
        features = json.load(f)["features"]
    want = {}
    for ft in features:
        p = ft["properties"]
        t = defaultdict(int)
        t["all"] = p["Aantalrest"] or 0
        for cols, dim in ((TYPES, "type"), (TENURES, "tenure"), (PERIODS, "period")):
            for col, cat in cols.items():
                if p.get(col):
                    t[f"{dim}:{cat}"] += int(p[col])
        t["sloop"] = -(p.get("Sloop") or 0)  # written negative in the file
        want[str(p["OBJECTID"])] = {k: v for k, v in t.items() if v != 0}
    return want


def stored_totals(url):
    got = defaultdict(lambda: defaultdict(int))
    rows = psql(url, "SELECT p.source_key, b.kind, b.home_type, b.tenure, COALESCE(b.period_from::text, '-'), "
                     "sum(b.homes) FROM project_blocks b JOIN projects p ON p.id = b.project_id "
                     "GROUP BY 1, 2, 3, 4, 5").splitlines()
    for row in rows:
        key, kind, ty, te, pe, n = row.split("|")
        g = got[key]
        for k in (("sloop",) if kind == "sloop" else ("all", f"type:{ty}", f"tenure:{te}", f"period:{pe}")):
            g[k] += int(n)
    return {k: {c: v for c, v in g.items() if v != 0} for k, g in got.items()}


def compare(want, got, what):
    bad = [k for k in want if want[k] != got.get(k, {})]
    eq(len(bad), 0, f"{what}: plans whose stored block totals differ from the file's "
                    f"(first: {bad[:1] and (bad[0], want[bad[0]], got.get(bad[0]))})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(args.source, "..", "shared"))
    plans = os.path.join(shared, "data", "plannen", "eib-2020-rd.geojson")
    if not os.path.exists(plans):
        print(f"SKIPPED: {plans} not found (set BOUWSTROOM_SHARED)")
        return 77
    want = file_totals(plans)
    eq(len(want), 4348, "plans in the file")
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=900)
        eq(r.returncode, 0, "import " + r.stderr[-300:])
        eq(psql(url, "SELECT count(*) FROM projects"), "4348", "every plan stored")
        compare(want, stored_totals(url), "first import")
        n = psql(url, "SELECT count(*) FROM project_blocks")
        eq(psql(url, "SELECT count(*) FROM project_blocks WHERE NOT imported OR price_class <> 'onbekend' "
                     "OR milestone <> 'laatste_oplevering' OR kind NOT IN ('nieuwbouw', 'sloop')"), "0",
           "imported blocks: price class onbekend, delivered with laatste_oplevering, new build or sloop")
        sloop_plans = sum(1 for w in want.values() if "sloop" in w)
        eq(sloop_plans, 306, "plans with a Sloop in the file")
        eq(psql(url, "SELECT count(*) || ' ' || count(DISTINCT project_id) FROM project_blocks WHERE kind = 'sloop'"),
           f"{sloop_plans} {sloop_plans}", "one sloop block per plan with a Sloop")
        eq(psql(url, "SELECT count(*) FROM project_blocks WHERE kind = 'sloop' AND (home_type <> 'onbekend' OR "
                     "tenure <> 'onbekend' OR period_from IS NOT NULL OR period_to IS NOT NULL OR correction "
                     "OR spread IS NOT NULL)"), "0", "sloop blocks: type and tenure onbekend, no period, no correction")
        eq(psql(url, "SELECT count(*) FROM projects p WHERE COALESCE(p.demolition, 0) <> -COALESCE((SELECT sum(homes) "
                     "FROM project_blocks b WHERE b.project_id = p.id AND b.kind = 'sloop'), 0) "
                     "OR COALESCE(p.homes_remaining, 0) + COALESCE(p.demolition, 0) <> COALESCE((SELECT sum(net_homes) "
                     "FROM project_blocks b WHERE b.project_id = p.id), 0)"), "0",
           "every project: demolition = minus its sloop blocks' homes, net homes = Aantalrest + Sloop")
        check(int(psql(url, "SELECT count(*) FROM project_blocks WHERE correction")) > 0 and
              psql(url, "SELECT count(*) FROM project_blocks WHERE correction AND homes > 0") == "0",
              "negative unknowns kept as correction blocks (negative homes)")
        # the import audits itself with one summary row per batch (bouwstroom.audit = 'bulk'): no
        # row of the block audit's row trigger (left out by its WHEN condition, migration 0052);
        # a write outside the import is audited per row as before
        eq(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'project_blocks'"), "0",
           "the import's blocks: no audit row per block")
        pid = psql(url, "SELECT id FROM projects ORDER BY source_key LIMIT 1")
        psql(url, f"INSERT INTO project_blocks (project_id, homes, kind) VALUES ('{pid}', 7, 'transformatie')")
        eq(psql(url, "SELECT count(*) || ' ' || string_agg(action, ',') FROM audit_log WHERE entity = 'project_blocks'"),
           "1 INSERT", "a block written outside the import is audited")
        r = subprocess.run([args.binary, "import", plans], env=env, capture_output=True, text=True, timeout=900)
        eq(r.returncode, 0, "re-import " + r.stderr[-300:])
        eq(psql(url, "SELECT count(*) FROM project_blocks WHERE imported"), n, "a re-import replaces, not adds")
        eq(psql(url, "SELECT count(*) FROM project_blocks WHERE NOT imported"), "1", "a block added by hand stays")
        psql(url, "DELETE FROM project_blocks WHERE NOT imported")
        compare(want, stored_totals(url), "re-import")
        print(f"  {n} blocks for 4348 plans")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
