#!/usr/bin/python3
"""Block plusvelden wherever a block travels, and the spread in the Excel sheet (issue 18 items
1 and 2; docs/homes-and-goals.md "Plusvelden", docs/blocks.md "Exchange", docs/exchange.md
"Woningblokken"), against the real binary, a real PostgreSQL and real HTTP:

* the blocks list (GET /api/v1/projects/{id}/blocks) carries each block's current values
  ("plusvelden"), never a retired field's, never a project field's;
* the GeoJSON export writes them in each block object; export -> import changes nothing (no
  value appended, no audit row, the same block ids); the import checks each value as the API
  does, errors naming features[i].properties.blocks[j].plusvelden.<key>, nothing stored on a
  refusal; a changed value is appended (versioned, audited with the importer), null clears;
* the Excel sheet Woningblokken: columns plusveld:<key> read as the definition's type and
  checked (errors naming sheet, row, column and blocks.plusvelden.<key>), the column spreiding
  ("2027:40;2028:60") read as the block's spread (errors naming the column and
  blocks.spread / blocks.spread[i].percent); the same workbook again appends nothing;
* a retired block field: gone from the list and the export, refused by both imports.

Usage: test_block_plusvelden_exchange.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (Api, check, eq, expect_problem, finish, fresh_database, psql, start_server,  # noqa: E402
                  xlsx_workbook)

G = "/api/v1/exchange/geojson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OPERATOR = "it-operator@bouwstroom.test"


def values_count(url):
    return int(psql(url, "SELECT count(*) FROM plusveld_values WHERE block_id IS NOT NULL"))


def audit_count(url):
    return int(psql(url, "SELECT count(*) FROM audit_log WHERE entity IN ('plusveld_values', 'project_blocks')"))


def listed(op, pid):
    st, _, page = op.json("GET", f"/api/v1/projects/{pid}/blocks?page_size=100")
    eq(st, 200, "the blocks list")
    return page["results"]


def define(op, org):
    print("== definitions: block fields and one project field")
    D = f"/api/v1/organisations/{org}/plusvelden"
    for b in [{"key": "energielabel", "type": "category", "applies_to": "block",
               "label": {"nl": "Energielabel", "en": "Energy label"}, "categories": ["A", "B", "C"]},
              {"key": "bouwlagen", "type": "integer", "applies_to": "block",
               "label": {"nl": "Bouwlagen", "en": "Storeys"}, "min": 1, "max": 30},
              {"key": "blokcode", "type": "text", "applies_to": "block", "label": {"nl": "Blokcode", "en": "Block code"},
               "pattern": "\\p{Lu}{2}-[0-9]+"},
              {"key": "oud_blokveld", "type": "boolean", "applies_to": "block",
               "label": {"nl": "Oud", "en": "Old"}},
              {"key": "projectcode", "type": "text", "label": {"nl": "Projectcode", "en": "Project code"}}]:
        st, _, d = op.json("POST", D, b)
        eq(st, 201, f"define {b['key']}")
    return D


def blocks_list(url, op, pid):
    print("== the blocks list carries each block's current values")
    B = f"/api/v1/projects/{pid}/blocks"
    ids = []
    for body in [{"homes": 20, "tenure": "koop"}, {"homes": 8, "spread": [{"year": 2028, "percent": 25},
                                                                          {"year": 2029, "percent": 75}]},
                 {"homes": 5}]:
        st, _, b = op.json("POST", B, body)
        eq(st, 201, "a block")
        ids.append(b["id"])
    vals = [{"energielabel": "A", "bouwlagen": 4, "blokcode": "ÉK-1", "oud_blokveld": True},
            {"energielabel": "B", "bouwlagen": 12}, None]
    for i, v in zip(ids, vals):
        if v:
            st, _, r = op.json("PATCH", f"{B}/{i}/plusvelden", {"plusvelden": v})
            eq(st, 200, f"block values stored {r}")
    lst = listed(op, pid)
    eq([b["id"] for b in lst], ids, "the blocks, oldest first")
    eq([b.get("plusvelden") for b in lst], [v or {} for v in vals], "each block with its current values")
    st, _, r = op.json("PATCH", f"{B}/{ids[1]}/plusvelden", {"plusvelden": {"bouwlagen": None}})
    eq(st, 200, "a value cleared")
    eq(listed(op, pid)[1]["plusvelden"], {"energielabel": "B"}, "a cleared value is left out of the list")
    return ids


def geojson(url, op, pid, ids):
    print("== GeoJSON: the export carries block values; round trip; the import checks them")
    st, _, fc = op.json("GET", G)
    eq(st, 200, "the export")
    feat = next(f for f in fc["features"] if f["id"] == pid)
    blocks = feat["properties"]["blocks"]
    eq([b.get("plusvelden") for b in blocks],
       [{"energielabel": "A", "bouwlagen": 4, "blokcode": "ÉK-1", "oud_blokveld": True}, {"energielabel": "B"}, None],
       "each block object carries its values (none: no member)")
    eq(blocks[1]["spread"], [{"year": 2028, "percent": 25}, {"year": 2029, "percent": 75}], "and its spread")
    n, a = values_count(url), audit_count(url)
    # the blocks were added through the API, which leaves the project's counts alone; the first
    # import derives the counts from them (docs/blocks.md "Exchange"): the project row changes,
    # its blocks and their values do not
    st, _, r = op.json("POST", G, dict(fc, features=[feat]))
    eq(st, 200, f"export -> import {r}")
    eq((values_count(url), audit_count(url)), (n, a), "export -> import: no value appended, no audit row")
    eq([b["id"] for b in listed(op, pid)], ids, "export -> import: the same blocks (ids)")
    st, _, fc = op.json("GET", G)
    feat = next(f for f in fc["features"] if f["id"] == pid)
    st, _, r = op.json("POST", G, dict(fc, features=[feat]))
    eq((st, r and r.get("unchanged")), (200, 1), f"export -> import again: unchanged {r}")
    eq((values_count(url), audit_count(url)), (n, a), "export -> import again: no value appended, no audit row")

    for bad, key, what in [({"energielabel": "D"}, "energielabel", "a category not allowed"),
                           ({"bouwlagen": 31}, "bouwlagen", "above max"),
                           ({"bouwlagen": "vier"}, "bouwlagen", "not an integer"),
                           ({"blokcode": "ek-1"}, "blokcode", "not matching the pattern"),
                           ({"projectcode": "x"}, "projectcode", "a project field on a block"),
                           ({"bestaat_niet": 1}, "bestaat_niet", "an unknown field")]:
        f2 = json.loads(json.dumps(feat))
        f2["properties"]["blocks"][2]["plusvelden"] = bad
        p = expect_problem(op, "POST", G, 422, None, f"import: {what}", dict(fc, features=[f2]))
        eq([e.get("field") for e in (p or {}).get("errors", [])],
           [f"features[0].properties.blocks[2].plusvelden.{key}"],
           f"import: {what}: the error names features[0].properties.blocks[2].plusvelden.{key}")
    f2 = json.loads(json.dumps(feat))
    f2["properties"]["blocks"][0]["plusvelden"] = ["A"]
    p = expect_problem(op, "POST", G, 422, None, "import: plusvelden not an object", dict(fc, features=[f2]))
    eq([e.get("field") for e in (p or {}).get("errors", [])], ["features[0].properties.blocks[0].plusvelden"],
       "import: plusvelden not an object: named")
    eq((values_count(url), audit_count(url)), (n, a), "refused imports stored nothing")

    f3 = json.loads(json.dumps(feat))
    f3["properties"]["blocks"][0]["plusvelden"] = {"energielabel": "C", "blokcode": None}
    f3["properties"]["blocks"][2]["plusvelden"] = {"bouwlagen": 3}
    st, _, r = op.json("POST", G, dict(fc, features=[f3]))
    eq(st, 200, f"an import with changed block values {r}")
    eq(values_count(url), n + 3, "three values appended (a change, a clearing, a new value)")
    eq([b["plusvelden"] for b in listed(op, pid)],
       [{"energielabel": "C", "bouwlagen": 4, "oud_blokveld": True}, {"energielabel": "B"}, {"bouwlagen": 3}],
       "the imported values are the blocks' current values")
    eq([b["id"] for b in listed(op, pid)], ids, "the blocks themselves were not rewritten")
    eq(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'plusveld_values' AND action = 'INSERT' "
                 f"AND project_id = '{pid}' AND actor_email = '{OPERATOR}'"), str(7 + 3),
       "every block value is audited with its author (seven by the API above, three by the import)")
    eq(psql(url, "SELECT string_agg(v.value #>> '{}', ',' ORDER BY v.id) FROM plusveld_values v JOIN "
                 f"plusveld_definitions d ON d.id = v.definition_id WHERE d.key = 'energielabel' AND v.block_id = "
                 f"'{ids[0]}'"), "A,C", "the block's earlier value stays in its history")

    # a changed block replaces the blocks; the file's values go to the new blocks
    f4 = json.loads(json.dumps(f3))
    f4["properties"]["blocks"][2]["homes"] = 6
    f4["properties"]["blocks"][2]["plusvelden"] = {"energielabel": "A"}
    st, _, r = op.json("POST", G, dict(fc, features=[f4]))
    eq(st, 200, f"an import with a changed block {r}")
    got = listed(op, pid)
    eq([(b["homes"], b["plusvelden"]) for b in got],
       [(20, {"energielabel": "C"}), (8, {"energielabel": "B"}), (6, {"energielabel": "A"})],
       "replaced blocks carry the file's values, only those (the file's blocks become the project's)")
    return [b["id"] for b in got]


def excel(url, op, gem, prov):
    print("== Excel: Woningblokken with plusveld:<key> columns and the spreiding column")
    projects = ("Projecten", [["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen"],
                              ["x1", "Plan x1", gem, prov, "1A", 10]])
    head = ["Sleutel", "Woningen", "Eigendom", "Spreiding", "plusveld:energielabel", "Plusveld: bouwlagen"]
    post = lambda wb: op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-bpv", raw=wb,  # noqa: E731
                              headers={"Content-Type": XLSX})
    n, a = values_count(url), audit_count(url)
    bad = xlsx_workbook([projects, ("Woningblokken", [
        head,
        ["x1", 20, "koop", "2027:40;2028:50", "A", 3],
        ["x1", 6, None, "2027:40;2028:0", "D", None],
        ["x1", 4, None, "in 2027", None, None],
        ["x1", 2, None, None, "D", 99],
        ["x1", 3, None, None, None, "veel"]])])
    st, ct, p = post(bad)
    eq((st, ct), (422, "application/problem+json"), "a workbook with bad blocks: 422")
    errs = sorted((e.get("sheet"), e.get("row"), e.get("column"), e.get("field")) for e in (p or {}).get("errors", []))
    eq(errs, [("Woningblokken", 2, "D", "blocks.spread"),
              ("Woningblokken", 3, "D", "blocks.spread[1].percent"),
              ("Woningblokken", 3, "E", "blocks.plusvelden.energielabel"),
              ("Woningblokken", 4, "D", "blocks.spread"),
              ("Woningblokken", 5, "E", "blocks.plusvelden.energielabel"),
              ("Woningblokken", 5, "F", "blocks.plusvelden.bouwlagen"),
              ("Woningblokken", 6, "F", "blocks.plusvelden.bouwlagen")],
       "each bad cell an error naming sheet, row, column and field (also a bad value in a refused row)")
    eq((values_count(url), audit_count(url)), (n, a), "nothing stored")
    eq(psql(url, "SELECT count(*) FROM projects WHERE source = 'xlsx-bpv'"), "0", "no project stored")
    unknown = xlsx_workbook([projects, ("Woningblokken", [head[:2] + ["plusveld:projectcode"], ["x1", 3, "x"]])])
    st, _, p = post(unknown)
    eq([(e.get("sheet"), e.get("row"), e.get("column"), e.get("field")) for e in (p or {}).get("errors", [])],
       [("Woningblokken", 2, "C", "blocks.plusvelden.projectcode")], "a project field in the blocks sheet: refused")

    rows = [["x1", 20, "koop", "2027:40; 2028:60%", "A", 3],
            ["x1", 6, None, None, "B", None],
            ["x1", 4, None, "2030:100", None, None]]
    good = xlsx_workbook([projects, ("Woningblokken", [head] + rows)])
    st, _, res = post(good)
    eq((st, res and res.get("inserted")), (200, 1), f"a workbook with block values and spreads imported {res}")
    x1 = psql(url, "SELECT id FROM projects WHERE source = 'xlsx-bpv' AND source_key = 'x1'")
    got = listed(op, x1)
    eq([(b["homes"], b["spread"], b["plusvelden"]) for b in got],
       [(20, [{"year": 2027, "percent": 40}, {"year": 2028, "percent": 60}], {"energielabel": "A", "bouwlagen": 3}),
        (6, None, {"energielabel": "B"}), (4, [{"year": 2030, "percent": 100}], {})],
       "the blocks with their spread and values")
    eq(values_count(url), n + 3, "three values appended")
    ids, n2, a2 = [b["id"] for b in got], values_count(url), audit_count(url)
    st, _, res = post(good)
    eq((st, res and res.get("unchanged")), (200, 1), "the same workbook again: unchanged")
    eq(([b["id"] for b in listed(op, x1)], values_count(url), audit_count(url)), (ids, n2, a2),
       "the same workbook again: the same blocks, no value appended, no audit row")


def retired(url, op, D, pid):
    print("== a retired block field: gone from the list and the export, refused by the imports")
    first = listed(op, pid)[0]["id"]
    st, _, r = op.json("PATCH", f"/api/v1/projects/{pid}/blocks/{first}/plusvelden", {"plusvelden": {"oud_blokveld": True}})
    eq((st, r and r.get("plusvelden", {}).get("oud_blokveld")), (200, True), "a value of the field to retire")
    st, _, fc = op.json("GET", G)
    eq(next(f for f in fc["features"] if f["id"] == pid)["properties"]["blocks"][0]["plusvelden"].get("oud_blokveld"),
       True, "exported while active")
    st, _, r = op.json("DELETE", f"{D}/oud_blokveld")
    eq((st, r and r.get("retired")), (200, True), "a block field with values is retired")
    check(all("oud_blokveld" not in b["plusvelden"] for b in listed(op, pid)), "absent from the blocks list", "")
    st, _, fc = op.json("GET", G)
    feat = next(f for f in fc["features"] if f["id"] == pid)
    check(all("oud_blokveld" not in (b.get("plusvelden") or {}) for b in feat["properties"]["blocks"]),
          "absent from the GeoJSON export", feat["properties"]["blocks"])
    n = values_count(url)
    st, _, r = op.json("POST", G, dict(fc, features=[feat]))
    eq((st, r and r.get("unchanged"), values_count(url)), (200, 1, n), "the export without it imports unchanged")
    feat["properties"]["blocks"][0].setdefault("plusvelden", {})["oud_blokveld"] = False
    p = expect_problem(op, "POST", G, 422, None, "import: a retired field", dict(fc, features=[feat]))
    eq([e.get("field") for e in (p or {}).get("errors", [])],
       ["features[0].properties.blocks[0].plusvelden.oud_blokveld"], "import: a retired field: named")
    eq(psql(url, "SELECT count(*) FROM plusveld_values v JOIN plusveld_definitions d ON d.id = v.definition_id "
                 f"WHERE d.key = 'oud_blokveld' AND v.project_id = '{pid}'"), "1", "its value is kept")


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
        pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND owner_organisation_id IS NOT NULL "
                        "ORDER BY source_key LIMIT 1")
        org = psql(url, f"SELECT owner_organisation_id FROM projects WHERE id = '{pid}'")
        check(bool(pid) and bool(org), "a sample project with an owner organisation", pid)
        psql(url, f"DELETE FROM project_blocks WHERE project_id = '{pid}'")
        gem, prov = psql(url, f"SELECT gemeente || '|' || provincie FROM projects WHERE id = '{pid}'").split("|")
        proc, base = start_server(args.binary, env)
        try:
            op = Api(base)
            D = define(op, org)
            ids = blocks_list(url, op, pid)
            geojson(url, op, pid, ids)
            excel(url, op, gem, prov)
            retired(url, op, D, pid)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            err = proc.stderr.read()
            if proc.returncode != 0:
                print(err[-3000:])
        eq(proc.returncode, 0, "the server's exit status (LeakSanitizer makes it non-zero on a leak)")
        check("Sanitizer" not in err and "runtime error" not in err, "the server ran clean (ASan/UBSan)",
              err[-2000:])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
