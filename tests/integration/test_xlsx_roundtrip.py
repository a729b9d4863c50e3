#!/usr/bin/python3
"""The Excel export read back (docs/exchange.md "Planmonitor workbooks"), against the real
binary and a real PostgreSQL.

Round trip: the real 2020 plans (with price ranges added to some Zuid-Holland plans, so that
the price classes travel too) are imported and the plans the export leaves out are removed
(their Uitgesloten rows carry no data, so they cannot travel); `export --province excel`
writes workbook 1; `import-xlsx` reads it into an empty database; the export of that database
on the same reference date, workbook 2, holds the same cell values on every sheet (openpyxl
compares them; not the zip bytes). Importing workbook 1 again changes nothing, through the
CLI and through POST /api/v1/exchange/xlsx.

Template: GET /api/v1/exchange/xlsx/template (signed-in users; anonymous 401) has the
export's sheets and header rows, no data, and a Kolommen sheet describing the columns; both
import paths accept it and import nothing. A workbook whose DetailPlanning no longer adds up
to its aantal_rest is refused with the row and column named.

Usage: test_xlsx_roundtrip.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, finish, fresh_database, psql, shared_file, start_server  # noqa: E402

try:
    import openpyxl
except ImportError:  # Debian python3-openpyxl (scripts/deps.sh)
    print("FAIL: python3-openpyxl is not installed (scripts/deps.sh installs it)")
    sys.exit(1)

DATE = "2026-06-30"     # the reference date of both exports
TODAY = "2026-11-29"
XLSX_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run(binary, env, *args):
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=900)


def export(binary, env, out):
    os.makedirs(out, exist_ok=True)
    r = run(binary, env, "export", "--province", "excel", "--out", out, "--date", DATE)
    eq(r.returncode, 0, "export --province excel " + r.stderr[-300:])
    return os.path.join(out, f"planmonitor-{DATE}.xlsx")


def post_workbook(base, data):
    """POST /api/v1/exchange/xlsx as the test operator. The import of a few thousand plans takes
    seconds, under ASan on a busy machine tens of seconds: the client waits up to 15 minutes
    (bsit.Api waits 30 s), a bound far above the expected time, not a speed assertion."""
    req = urllib.request.Request(base + "/api/v1/exchange/xlsx", data=data, method="POST",
                                 headers={"Content-Type": XLSX_CT, "Authorization": "Bearer " + bsit.DEFAULT_TOKEN})
    try:
        with urllib.request.urlopen(req, timeout=900) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def cells(path):
    """Every sheet as a list of row tuples (values as openpyxl reads them)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    out = {name: [tuple(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}
    wb.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    plans = shared_file(args.source, "data", "plannen", "eib-2020-rd.geojson")
    with tempfile.TemporaryDirectory() as tmp, fresh_database() as url1, fresh_database() as url2:
        env1 = dict(os.environ, BOUWSTROOM_DATABASE_URL=url1, BOUWSTROOM_HOME=args.source)
        env2 = dict(os.environ, BOUWSTROOM_DATABASE_URL=url2, BOUWSTROOM_HOME=args.source)
        r = run(args.binary, env1, "import", plans)
        eq(r.returncode, 0, "import of the 2020 plans " + r.stderr[-300:])
        # price ranges within one class of the Zuid-Holland table (koop2 28M–39M, huur2 69,400–88,000
        # cents), one in class 1 and one in class 4, so that the price classes travel too
        psql(url1, "UPDATE projects SET koop_price_min_cents = 30000000, koop_price_max_cents = 35000000, "
                   "huur_rent_min_cents = 70000, huur_rent_max_cents = 80000 "
                   "WHERE provincie = 'Zuid-Holland' AND source_key::bigint % 5 = 0")
        psql(url1, "UPDATE projects SET koop_price_min_cents = 100, koop_price_max_cents = 200 "
                   "WHERE provincie = 'Zuid-Holland' AND source_key::bigint % 5 = 1")
        psql(url1, "UPDATE projects SET koop_price_min_cents = 70000000, koop_price_max_cents = 90000000, "
                   "huur_rent_min_cents = 200000, huur_rent_max_cents = 200000 "
                   "WHERE provincie = 'Zuid-Holland' AND source_key::bigint % 5 = 2")
        # the import gives every plan with homes blocks (docs/blocks.md), which the export counts
        # from (docs/exports.md §4.6); without blocks the plan counts are used: half the plans each
        psql(url1, "DELETE FROM project_blocks b USING projects p WHERE p.id = b.project_id "
                   "AND p.source_key::bigint % 2 = 0")
        first = cells(export(args.binary, env1, os.path.join(tmp, "e0")))
        left_out = sorted({row[0] for row in first["Uitgesloten"][1:]})
        check(len(left_out) > 100, "the real plans have left-out plans to remove", len(left_out))
        ids = ",".join(f"'{i}'" for i in left_out)
        psql(url1, f"DELETE FROM projects WHERE id IN ({ids})")
        book1 = export(args.binary, env1, os.path.join(tmp, "e1"))
        c1 = cells(book1)
        eq(len(c1["Uitgesloten"]), 1, "workbook 1 leaves nothing out (header only)")
        n_plans = len(c1["Plannen"]) - 1
        check(n_plans > 2000, "workbook 1 holds the plans", n_plans)
        eq(c1["Plannen"][0][-1], "geometrie", "Plannen ends with the geometry column")
        notes = " ".join(str(r[15]) for r in c1["Plannen"][1:])
        for what in ("negative correction", "both mixed", "spread evenly", "no price table",
                     "counts from the project's woningblokken", "block homes spread over years"):
            check(what in notes, f"workbook 1 exercises the derivation note '{what}'")
        classes = {r[11] for r in c1["Plannen"][1:]} | {r[12] for r in c1["Plannen"][1:]}
        check({"koop1", "koop2", "koop4", "huur2", "huur4"} <= classes, "workbook 1 has price classes", classes)

        print("== import into an empty database, export again")
        r = run(args.binary, env2, "migrate")
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        r = run(args.binary, env2, "import-xlsx", book1, "--today", TODAY)
        eq(r.returncode, 0, "import-xlsx of the export " + (r.stdout + r.stderr)[-1500:])
        eq(psql(url2, "SELECT count(*) FROM projects"), str(n_plans), "every plan imported")
        c2 = cells(export(args.binary, env2, os.path.join(tmp, "e2")))
        eq(sorted(c2), sorted(c1), "the same sheets")
        for name in c1:
            a, b = c1[name], c2.get(name, [])
            eq(len(b), len(a), f"sheet {name}: rows")
            diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
            eq(diff[:5], [], f"sheet {name}: every row equal (first differing rows)")
            if diff:
                print("  e.g.", a[diff[0]], "\n   vs", b[diff[0]])
        eq(psql(url2, "SELECT count(*) FROM projects p JOIN project_steps s ON s.project_id = p.id") != "0", True,
           "the imported plans have their process steps")
        from_blocks = {r[0] for r in c1["Plannen"][1:] if "woningblokken" in str(r[15])}
        with_blocks = set(psql(url2, "SELECT DISTINCT project_id FROM project_blocks").split())
        check(len(from_blocks) > 500, "workbook 1 has plans counted from blocks", len(from_blocks))
        eq(sorted(with_blocks ^ from_blocks)[:5], [], "the plans counted from blocks got blocks back, the others none")
        block_ids = psql(url2, "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM project_blocks")

        r = run(args.binary, env2, "import-xlsx", book1, "--today", TODAY)
        eq(r.returncode, 0, "second import-xlsx " + r.stderr[-300:])
        check(f"(0 new, 0 updated, {n_plans} unchanged)" in r.stdout, "a second import changes nothing", r.stdout[-300:])
        eq(psql(url2, "SELECT md5(string_agg(id::text, ',' ORDER BY id)) FROM project_blocks"), block_ids,
           "a second import keeps the blocks (equal blocks are not rewritten)")
        eq(psql(url2, "SELECT count(*) FROM projects"), str(n_plans), "still one project per plan")

        print("== a workbook that no longer adds up")
        wb = openpyxl.load_workbook(book1)
        ws = wb["Plannen"]
        ws.cell(row=2, column=10).value = (ws.cell(row=2, column=10).value or 0) + 1
        bad = os.path.join(tmp, "bad.xlsx")
        wb.save(bad)
        r = run(args.binary, env2, "import-xlsx", bad, "--today", TODAY)
        eq(r.returncode, 1, "an inconsistent workbook is refused")
        check("sheet 'Plannen' row 2, column J (aantal_rest)" in r.stdout and "DetailPlanning counts add up" in r.stdout,
              "the error names the sheet, row, column and aantal_rest", r.stdout[-600:])

        print("== template and the API")
        proc, base = start_server(args.binary, env2)
        try:
            st, ct, body = Api(base, token=None).call("GET", "/api/v1/exchange/xlsx/template")
            eq(st, 401, "template: anonymous 401")
            st, ct, body = Api(base).call("GET", "/api/v1/exchange/xlsx/template")
            eq((st, ct), (200, XLSX_CT), "template: a workbook")
            tpl = os.path.join(tmp, "template.xlsx")
            with open(tpl, "wb") as f:
                f.write(body)
            ct_ = cells(tpl)
            eq([n for n in ct_ if n != "Kolommen"], list(c1), "template: the export's sheets")
            for name in ("Plannen", "DetailPlanning", "Uitgesloten"):
                eq(ct_[name], c1[name][:1], f"template: {name} is the header row only")
            described = " ".join(str(r[1]) for r in ct_["Kolommen"][1:])
            for col in c1["Plannen"][0]:
                check(col in described, f"template: column {col} described")
            r = run(args.binary, env2, "import-xlsx", tpl, "--today", TODAY)
            eq(r.returncode, 0, "import-xlsx of the template " + (r.stdout + r.stderr)[-500:])
            st, doc = post_workbook(base, body)
            eq((st, (doc or {}).get("rows"), (doc or {}).get("inserted")), (200, 0, 0), "API: the template imports nothing")
            with open(book1, "rb") as f:
                st, doc = post_workbook(base, f.read())
            eq((st, (doc or {}).get("format"), (doc or {}).get("inserted"), (doc or {}).get("updated")),
               (200, "planmonitor", 0, 0), "API: the export again changes nothing")
            eq(psql(url2, "SELECT count(*) FROM projects"), str(n_plans), "no project added by the template")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
