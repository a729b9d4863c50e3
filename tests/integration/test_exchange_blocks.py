#!/usr/bin/env python3
"""Woningblokken in the exchange (issue 18 item 1; docs/blocks.md "Exchange", docs/geo.md,
docs/exchange.md "Woningblokken"), against the real server and PostgreSQL:

* GeoJSON: an import with blocks stores them as the blocks API shows them (every member), and
  the plan counts are derived from them (computed here independently from the blocks);
  export → import gives the same blocks and changes nothing (same block ids); a changed block
  replaces the project's blocks; every invalid block is refused with the error naming
  properties.blocks[j].<member> of its feature, nothing stored; a feature without "blocks"
  leaves the project's blocks alone; a caller who sees the project as public facts only gets
  no blocks in the export;
* Excel: a sheet Woningblokken (one row per block, the project's key in a column) gives the
  projects their blocks and counts; bad rows are errors naming sheet, row, column and field,
  a key without a project row too, and nothing is stored.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, finish, fresh_database, psql, start_server, token_for, xlsx_workbook  # noqa: E402

G = "/api/v1/exchange/geojson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEMBERS = ["homes", "kind", "home_type", "tenure", "price_class", "target_group", "milestone", "period_from",
           "period_to", "correction", "spread"]
DEFAULTS = {"kind": "nieuwbouw", "home_type": "onbekend", "tenure": "onbekend", "price_class": "onbekend",
            "target_group": None, "milestone": "laatste_oplevering", "period_from": None, "period_to": None,
            "correction": False}
RANGES = [("completions_2019", 2019, 2019), ("completions_2020_2024", 2020, 2024),
          ("completions_2025_2029", 2025, 2029), ("completions_2030_2050", 2030, 2050)]


def full(b):
    """A block with the table's defaults for the members it leaves out."""
    return {m: b.get(m, DEFAULTS.get(m)) for m in MEMBERS}


def expected_counts(blocks):
    """The plan counts the decision derives from blocks (docs/blocks.md "Exchange")."""
    c = {k: 0 for k in ["homes_remaining", "type_grondgebonden", "type_appartement", "type_onbekend", "tenure_huur",
                        "tenure_koop", "tenure_onbekend", "completions_unknown"] + [r[0] for r in RANGES]}
    for b in map(full, blocks):
        if b["kind"] == "sloop":
            continue
        c["homes_remaining"] += b["homes"]
        c[{"grondgebonden": "type_grondgebonden", "meergezins": "type_appartement"}.get(b["home_type"],
                                                                                     "type_onbekend")] += b["homes"]
        c["tenure_" + b["tenure"]] += b["homes"]
        col = "completions_unknown"
        for name, lo, hi in RANGES:
            if b["period_from"] is not None and b["period_to"] is not None and lo <= b["period_from"] \
                    and b["period_to"] <= hi:
                col = name
        c[col] += b["homes"]
    sloop = [b["homes"] for b in map(full, blocks) if b["kind"] == "sloop"]
    if sloop:
        c["demolition"] = -sum(sloop)  # stored negative, as the EIB file's Sloop
    return c


def api_blocks(op, pid):
    st, _, page = op.json("GET", f"/api/v1/projects/{pid}/blocks?page_size=100")
    eq(st, 200, "the blocks of the project")
    return [{m: b[m] for m in MEMBERS} for b in (page or {}).get("results", [])]


def block_ids(url, pid):
    return psql(url, f"SELECT string_agg(id::text, ',' ORDER BY id) FROM project_blocks WHERE project_id = '{pid}'")


BLOCKS = [{"homes": 30, "kind": "nieuwbouw", "home_type": "grondgebonden", "tenure": "koop", "price_class": "koop2",
           "target_group": "starters", "milestone": "start_bouw", "period_from": 2026, "period_to": 2027,
           "correction": False},
          {"homes": 12, "home_type": "meergezins", "tenure": "huur", "price_class": "huur1", "period_from": 2031,
           "period_to": 2035, "spread": [{"year": 2031, "percent": 40}, {"year": 2033, "percent": 60}]},
          {"homes": 8, "kind": "transformatie", "period_from": 2024, "period_to": 2026},
          {"homes": 5, "kind": "sloop"},
          {"homes": -2, "correction": True}]


def public_facts(url, base, stranger, pid):
    print("== GeoJSON export: no blocks for a caller who sees the project as public facts only")
    psql(url, f"UPDATE projects SET confidentiality = 'openbaar' WHERE id = '{pid}'")
    st, _, fc = Api(base, token=stranger).json("GET", G)
    eq(st, 200, "a user of another organisation exports")
    mine = [f for f in (fc or {}).get("features", []) if f["id"] == pid]
    eq(len(mine), 1, "the openbaar project is in that export (as public facts)")
    check(mine and "blocks" not in mine[0]["properties"], "without its blocks (the blocks API needs read access)",
          mine and sorted(mine[0]["properties"]))


def geojson(url, op):
    print("== GeoJSON: blocks imported, counts derived, round trip, errors")
    st, _, fc = op.json("GET", G)
    eq(st, 200, "the export")
    base = json.loads(json.dumps(fc["features"][0]))
    base.pop("id", None)
    base["properties"].pop("plusvelden", None)
    base["properties"].pop("blocks", None)
    f1 = json.loads(json.dumps(base))
    f1["properties"].update(source="it-blocks", source_key="b1", name="Blokkenplan", homes_remaining=999)
    f1["properties"]["blocks"] = BLOCKS
    f2 = json.loads(json.dumps(base))
    f2["properties"].update(source="it-blocks", source_key="b2", name="Zonder blokken")
    st, _, r = op.json("POST", G, dict(fc, features=[f1, f2]))
    eq((st, r and r.get("inserted")), (200, 2), f"an import with blocks {r}")
    b1 = psql(url, "SELECT id FROM projects WHERE source = 'it-blocks' AND source_key = 'b1'")
    b2 = psql(url, "SELECT id FROM projects WHERE source = 'it-blocks' AND source_key = 'b2'")
    eq(api_blocks(op, b1), [full(b) for b in BLOCKS], "the blocks API shows the file's blocks, in order, "
                                                      "absent members at their defaults")
    eq(api_blocks(op, b2), [], "a feature without blocks: none")
    want = expected_counts(BLOCKS)
    cols = sorted(want)
    got = psql(url, f"SELECT row_to_json(p) FROM (SELECT {', '.join(cols)} FROM projects WHERE id = '{b1}') p")
    eq(json.loads(got), want, "the plan counts are derived from the blocks (the file's homes_remaining 999 is not)")
    eq(psql(url, f"SELECT count(*) FROM audit_log WHERE entity = 'project_blocks' AND project_id = '{b1}' "
                 "AND actor_email = 'it-operator@bouwstroom.test'"), str(len(BLOCKS)),
       "every stored block is audited with the importer")

    # round trip: the export carries the blocks; imported back nothing changes
    st, _, fc2 = op.json("GET", G)
    e1 = next(f for f in fc2["features"] if f["id"] == b1)
    eq(e1["properties"].get("blocks"), [full(b) for b in BLOCKS], "the export carries the blocks (all members)")
    check("blocks" not in next(f for f in fc2["features"] if f["id"] == b2)["properties"],
          "a project without blocks has no blocks property", "")
    ids = block_ids(url, b1)
    st, _, r = op.json("POST", G, dict(fc2, features=[e1]))
    eq((st, r and r.get("unchanged")), (200, 1), f"export → import: unchanged {r}")
    eq(block_ids(url, b1), ids, "export → import: the same blocks, not rewritten (same ids)")
    eq(api_blocks(op, b1), [full(b) for b in BLOCKS], "export → import: the same blocks")

    # errors: each names its feature and properties.blocks[j].<member>; nothing stored
    good = full(BLOCKS[1])
    for bad, member, what in [({"homes": 0}, "homes", "zero homes"),
                              ({"homes": -3}, "homes", "negative homes outside a correction block"),
                              ({"price_class": "koop1"}, "price_class", "a koop class with tenure huur"),
                              ({"milestone": "omgevingsplan_vastgesteld_x"}, "milestone", "no milestone"),
                              ({"period_from": 2030, "period_to": 2029}, "period_to", "a period ending first"),
                              ({"kind": "verbouw"}, "kind", "an unknown kind"),
                              ({"spread": [{"year": 2031, "percent": 40}, {"year": 2032, "percent": 50}]}, "spread",
                               "a spread whose percents do not sum to 100"),
                              ({"kleur": "rood"}, "kleur", "an unknown member")]:
        e2 = json.loads(json.dumps(e1))
        e2["properties"]["blocks"][1] = dict(good, **bad)
        st, ct, p = op.json("POST", G, dict(fc2, features=[f2, e2]))
        eq((st, ct), (422, "application/problem+json"), f"import: {what}: refused")
        errs = [(e.get("feature"), e.get("field"), e.get("message", "").split(":")[0])
                for e in (p or {}).get("errors", [])]
        eq(errs, [(1, f"features[1].properties.blocks[1].{member}", f"properties.blocks[1].{member}")],
           f"import: {what}: the error names features[1].properties.blocks[1].{member}")
    e3 = json.loads(json.dumps(e1))
    e3["properties"]["blocks"] = {"homes": 1}
    st, _, p = op.json("POST", G, dict(fc2, features=[e3]))
    eq((st, [e.get("message", "").split(":")[0] for e in (p or {}).get("errors", [])]),
       (422, ["properties.blocks"]), "import: blocks not an array: refused")
    eq(block_ids(url, b1), ids, "the refused imports stored nothing")

    # a change replaces the project's blocks; no blocks property leaves them alone
    e4 = json.loads(json.dumps(e1))
    e4["properties"]["blocks"] = [dict(full(BLOCKS[0]), homes=44), full(BLOCKS[1])]
    st, _, r = op.json("POST", G, dict(fc2, features=[e4]))
    eq((st, r and r.get("updated")), (200, 1), f"changed blocks: the project is updated {r}")
    eq(api_blocks(op, b1), e4["properties"]["blocks"], "changed blocks: the project's blocks are the file's")
    eq(psql(url, f"SELECT homes_remaining FROM projects WHERE id = '{b1}'"), "56", "and its counts follow (44 + 12)")
    e5 = json.loads(json.dumps(e4))
    del e5["properties"]["blocks"]
    ids = block_ids(url, b1)
    st, _, r = op.json("POST", G, dict(fc2, features=[e5]))
    eq((st, block_ids(url, b1)), (200, ids), "a feature without blocks leaves the project's blocks alone")
    return b1


def excel(url, op, gem, prov):
    print("== Excel: the sheet Woningblokken")
    projects = ("Projecten", [["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen"],
                              ["x1", "Plan x1", gem, prov, "1A", 10],
                              ["x2", "Plan x2", gem, prov, "3", 20]])
    head = ["Sleutel", "Woningen", "Soort", "Woningtype", "Eigendom", "Prijsklasse", "Doelgroep", "Mijlpaal",
            "Jaar van", "Jaar tot", "Correctie"]
    bad = xlsx_workbook([projects, ("Woningblokken", [
        head,
        ["x1", 20, "nieuwbouw", "grondgebonden", "koop", "koop3", None, None, 2027, 2028, None],
        ["x1", 6, None, "meergezins", "huur", "koop1", None, None, None, None, None],
        ["x1", 0, None, None, None, None, None, None, None, None, None],
        ["x1", 4, None, None, None, None, None, "geen_mijlpaal", None, None, None],
        ["zz", 3, None, None, None, None, None, None, None, None, None]])])
    n = lambda: psql(url, "SELECT count(*) FROM project_blocks")  # noqa: E731
    before = n()
    st, ct, p = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-bl", raw=bad, headers={"Content-Type": XLSX})
    eq((st, ct), (422, "application/problem+json"), "a workbook with bad blocks: 422")
    errs = sorted(((e.get("sheet"), e.get("row"), e.get("column"), e.get("field")) for e in (p or {}).get("errors", [])),
                  key=lambda t: [str(x) for x in t])
    eq(errs, [("Woningblokken", 3, "F", "blocks.price_class"), ("Woningblokken", 4, "B", "blocks.homes"),
              ("Woningblokken", 5, "H", "blocks.milestone"), ("Woningblokken", 6, None, "source_key")],
       "each bad block a row error naming sheet, row, column and field; a key without a project row too")
    eq(n(), before, "nothing stored")
    eq(psql(url, "SELECT count(*) FROM projects WHERE source = 'xlsx-bl'"), "0", "no project stored")
    rows = [["x1", 20, "nieuwbouw", "grondgebonden", "koop", "koop3", "senioren", "start_bouw", 2027, 2028, "nee"],
            ["x1", 6, None, "meergezins", "huur", "huur2", None, None, 2033, 2033, None],
            ["x1", -1, None, None, None, None, None, None, None, None, "ja"]]
    good = xlsx_workbook([projects, ("Woningblokken", [head] + rows)])
    st, _, res = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-bl", raw=good, headers={"Content-Type": XLSX})
    eq((st, res and res.get("inserted")), (200, 2), f"a workbook with blocks imported {res}")
    x1 = psql(url, "SELECT id FROM projects WHERE source = 'xlsx-bl' AND source_key = 'x1'")
    x2 = psql(url, "SELECT id FROM projects WHERE source = 'xlsx-bl' AND source_key = 'x2'")
    want = [{"homes": 20, "kind": "nieuwbouw", "home_type": "grondgebonden", "tenure": "koop", "price_class": "koop3",
             "target_group": "senioren", "milestone": "start_bouw", "period_from": 2027, "period_to": 2028,
             "correction": False},
            {"homes": 6, "home_type": "meergezins", "tenure": "huur", "price_class": "huur2", "period_from": 2033,
             "period_to": 2033},
            {"homes": -1, "correction": True}]
    eq(api_blocks(op, x1), [full(b) for b in want], "the project's blocks are the sheet's rows")
    eq(api_blocks(op, x2), [], "a project without block rows: none")
    c = expected_counts(want)
    eq(psql(url, f"SELECT homes_remaining || '/' || type_grondgebonden || '/' || type_appartement || '/' || tenure_koop "
                 f"|| '/' || tenure_huur FROM projects WHERE id = '{x1}'"),
       f"{c['homes_remaining']}/{c['type_grondgebonden']}/{c['type_appartement']}/{c['tenure_koop']}/"
       f"{c['tenure_huur']}", "the counts are derived from the blocks (the Woningen column's 10 is not)")
    eq(psql(url, f"SELECT homes_remaining FROM projects WHERE id = '{x2}'"), "20", "without blocks the column counts")
    ids = block_ids(url, x1)
    st, _, res = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-bl", raw=good, headers={"Content-Type": XLSX})
    eq((st, res and res.get("unchanged"), block_ids(url, x1)), (200, 2, ids),
       "the same workbook again: nothing changes, the blocks are not rewritten")


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
        r = subprocess.run([args.binary, "user", "add", "vreemd@anderstad.test", "--role", "medewerker",
                            "--organisation", "Anderstad", "--generate-password"], env=env, capture_output=True,
                           text=True, timeout=120)
        eq(r.returncode, 0, "user add (another organisation) " + r.stderr[-300:])
        stranger = token_for(args.binary, env, "vreemd@anderstad.test")
        proc, base = start_server(args.binary, env)
        try:
            op = Api(base)
            b1 = geojson(url, op)
            public_facts(url, base, stranger, b1)
            gem, prov = psql(url, "SELECT gemeente || '|' || provincie FROM projects WHERE source = 'sample' "
                                  "ORDER BY source_key LIMIT 1").split("|")
            excel(url, op, gem, prov)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        err = proc.stderr.read()
        eq(proc.returncode, 0, "the server's exit status (LeakSanitizer makes it non-zero on a leak)")
        check("Sanitizer" not in err and "runtime error" not in err, "the server ran clean (ASan/UBSan)",
              err[-2000:])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
