#!/usr/bin/python3
"""Integration test of the .xlsx reader and the Excel project-list import (docs/exchange.md).

Reader, against openpyxl (Debian python3-openpyxl) as the oracle:
* workbooks written by openpyxl: shared strings, Dutch text with diacritics and emoji, numbers,
  dates in built-in and custom formats (and small serials around the 1900 leap-year bug),
  booleans, error values, styled empty cells, sparse columns, several sheets, the 1904 date
  system, a sheet large enough to be streamed in many chunks;
* workbooks written by libxlsxwriter (tests/xlsx/xlsxwriter_fixture.c, a second writer), with
  shared and with inline strings;
  `bouwstroom xlsx-dump` must give, cell by cell, what openpyxl reads (type and value; dates to
  the millisecond), the same sheet names in the same order and the same date system;
* refusals with exit 1 and a clear message: not a zip, a zip without workbook, a truncated file,
  malformed XML (part name and line), a part inflating beyond 64 MiB (zip bomb).

Import (`bouwstroom import-xlsx`) against PostgreSQL:
* a file with several bad rows reports every one of them (row, column letter, header, value)
  and exits 1; the database is unchanged;
* the corrected file imports all rows (values, geometry, process steps, schedule), a second run
  changes nothing; the rows' confidentiality levels are stored;
* --sheet picks the sheet; an unknown sheet is refused with the list of sheets.

Usage: test_xlsx_import.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql  # noqa: E402

try:
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
except ImportError:  # Debian python3-openpyxl (scripts/deps.sh)
    print("FAIL: python3-openpyxl is not installed (scripts/deps.sh installs it)")
    sys.exit(1)

TODAY = "2026-11-29"


def dump(binary, path, *extra):
    r = subprocess.run([binary, "xlsx-dump", path, *extra], capture_output=True, text=True, timeout=120)
    return r.returncode, (json.loads(r.stdout) if r.returncode == 0 else None), r.stderr


def oracle_value(cell):
    """openpyxl's view of a cell as (type, value) in the dump's terms, or None for no value."""
    v = cell.value
    if v is None:
        return None
    if cell.data_type == "e":
        return ("error", v)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, (int, float)):
        return ("number", float(v))
    if isinstance(v, datetime.datetime):
        return ("date", f"{v:%Y-%m-%dT%H:%M:%S}.{v.microsecond // 1000:03d}")
    if isinstance(v, datetime.time):  # a time-only serial (< 1): compare the time of day
        return ("time", f"{v:%H:%M:%S}.{v.microsecond // 1000:03d}")
    if isinstance(v, str):
        return ("string", v)
    return ("other", repr(v))


def compare_with_openpyxl(binary, path, what):
    rc, doc, err = dump(binary, path)
    eq(rc, 0, f"{what}: xlsx-dump exit code ({err.strip()[:300]})")
    if doc is None:
        return
    wb = openpyxl.load_workbook(path, data_only=True)  # formulas: their cached values, as the reader gives
    eq([s["name"] for s in doc["sheets"]], wb.sheetnames, f"{what}: sheet names and order")
    eq(doc["date1904"], wb.epoch == CALENDAR_MAC_1904, f"{what}: date system")
    compared = 0
    for sheet in doc["sheets"]:
        if sheet["name"] not in wb.sheetnames:
            continue
        ws = wb[sheet["name"]]
        want = {}
        for row in ws.iter_rows():
            for cell in row:
                ov = oracle_value(cell)
                if ov is not None:
                    want[(cell.row, cell.column - 1)] = ov
        got = {}
        for c in sheet["cells"]:
            if c["t"] == "empty":
                continue
            v = c["v"]
            if c["t"] == "number":
                v = float(v)
            got[(c["r"], c["c"])] = (c["t"], v)
        for key, ov in want.items():
            if ov[0] == "time" and key in got and got[key][0] == "date":  # dump gives 1899-12-31Thh:mm:ss
                got[key] = ("time", got[key][1].split("T")[1])
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        check(not missing, f"{what}/{sheet['name']}: cells openpyxl sees that the dump lacks", missing[:5])
        check(not extra, f"{what}/{sheet['name']}: cells the dump has that openpyxl lacks", extra[:5])
        diff = [(k, got[k], want[k]) for k in sorted(set(got) & set(want)) if got[k] != want[k]]
        check(not diff, f"{what}/{sheet['name']}: cells that differ (dump, openpyxl)", diff[:5])
        compared += len(set(got) & set(want))
    check(compared > 0, f"{what}: compared some cells", compared)
    return compared


def openpyxl_workbook(path, date1904):
    wb = openpyxl.Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Projecten ✓"
    ws.append(["naam", "gemeente", "woningen", "peildatum", "gereed", "ok"])
    rows = [
        ["De Zuidpunt 🏠", "Súdwest-Fryslân", 120, datetime.datetime(2024, 3, 15), datetime.datetime(2031, 12, 31, 17, 45, 30), True],
        ["Ĳsselmonde één", "Rotterdam", 0.5, datetime.datetime(2019, 1, 1, 0, 0, 1), datetime.datetime(2000, 2, 29), False],
        ["Café ‘t Hoekje", "’s-Hertogenbosch", -42, datetime.datetime(1999, 12, 31, 23, 59, 59, 500000), None, None],
    ]
    formats = ["d-m-yyyy", "dd/mm/yyyy hh:mm:ss", "mm-dd-yy", "[$-413]d mmmm yyyy;@", "yyyy-mm-dd h:mm:ss", "mmm yy"]
    for i, r in enumerate(rows):
        ws.append(r)
        ws.cell(row=i + 2, column=4).number_format = formats[i % len(formats)]
        ws.cell(row=i + 2, column=5).number_format = formats[(i + 3) % len(formats)]
    ws["A6"] = "#N/A"                     # an error value
    ws["B6"] = "#DIV/0!"
    ws["C6"] = 1e-300
    ws["D6"] = 12345678901234567890.0
    ws["E6"] = 45
    ws["E6"].number_format = '0" dagen"'  # quoted d: a number, not a date
    ws["F6"].number_format = "d-m-yyyy"   # styled, no value
    ws["F6"].font = openpyxl.styles.Font(bold=True)
    if not date1904:                      # serials around Excel's fictitious 1900-02-29
        for col, serial in zip("GHIJK", [1, 59, 60, 61, 2.25]):
            ws[f"{col}7"] = serial
            ws[f"{col}7"].number_format = "d-m-yyyy h:mm"
    ws["Z9"] = "ver weg"                  # sparse
    ws["AB12"] = 3.14159
    ws["XFD13"] = "laatste kolom"
    ws2 = wb.create_sheet("Blad 2")
    ws2["C3"] = "alleen C3"
    wb.create_sheet("Leeg")
    big = wb.create_sheet("Groot")
    for r in range(1, 3001):
        big.append([r, f"rij {r} — één 🏗️", r * 0.25, datetime.datetime(2020, 1, 1) + datetime.timedelta(days=r, seconds=r)])
    wb.save(path)


def reader_tests(binary, tmp):
    for date1904 in (False, True):
        p = os.path.join(tmp, f"openpyxl-{int(date1904)}.xlsx")
        openpyxl_workbook(p, date1904)
        n = compare_with_openpyxl(binary, p, f"openpyxl workbook (1904={date1904})")
        check(n and n > 12000, "the large sheet was compared too", n)
    fixture = os.path.join(os.path.dirname(binary), "xlsxwriter_fixture")
    check(os.path.isfile(fixture), "libxlsxwriter fixture built", fixture)
    if os.path.isfile(fixture):
        for mode in ([], ["--constant-memory"]):
            p = os.path.join(tmp, f"xlsxwriter{''.join(mode)}.xlsx")
            subprocess.run([fixture, p, *mode], check=True)
            with zipfile.ZipFile(p) as z:
                sheet = z.read("xl/worksheets/sheet1.xml").decode()
            eq("inlineStr" in sheet, bool(mode), f"libxlsxwriter {mode}: strings inline exactly in constant-memory mode")
            compare_with_openpyxl(binary, p, f"libxlsxwriter workbook {mode}")

    # refusals
    good = os.path.join(tmp, "openpyxl-0.xlsx")
    data = open(good, "rb").read()
    cases = []
    p = os.path.join(tmp, "text.xlsx")
    open(p, "w").write("naam;gemeente\nDe Zuidpunt;Rotterdam\n")
    cases.append(("not a zip", p, [], "not a zip archive"))
    p = os.path.join(tmp, "noworkbook.xlsx")
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    cases.append(("zip without workbook", p, [], "no workbook"))
    p = os.path.join(tmp, "truncated.xlsx")
    open(p, "wb").write(data[: len(data) // 2])
    cases.append(("truncated", p, [], "truncated"))
    p = os.path.join(tmp, "malformed.xlsx")
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                body = b'<?xml version="1.0"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\n<sheetData>\n<row r="1"><c r="A1"><v>1</v></row>\n</sheetData></worksheet>'
            zout.writestr(item, body)
    cases.append(("malformed XML", p, [], "xl/worksheets/sheet2.xml:4:"))
    p = os.path.join(tmp, "bomb.xlsx")  # 65 MiB of XML white space deflates to about 65 KiB
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                body = body.replace(b"<sheetData>", b"<sheetData>" + b" " * (65 << 20), 1)
            zout.writestr(item.filename, body, zipfile.ZIP_DEFLATED)
    check(os.path.getsize(p) < 2 << 20, "the zip bomb is small on disk", os.path.getsize(p))
    cases.append(("part over 64 MiB", p, [], "limit"))
    for what, path, extra, needle in cases:
        rc, doc, err = dump(binary, path, *extra)
        eq(rc, 1, f"refused: {what}: exit code")
        check(needle in err, f"refused: {what}: message names the problem ({needle!r})", err.strip()[:300])
        check(not re.search(r"Sanitizer|runtime error", err), f"refused: {what}: no sanitizer report", err[:300])
    # the bomb's other sheets still read: the limit is per part
    rc, doc, err = dump(binary, os.path.join(tmp, "bomb.xlsx"), "--sheet", "Leeg")
    eq(rc, 0, "a workbook with an oversized part: the other sheets read (" + err.strip()[:200] + ")")


# ---- the import ----

HEADER = ["Kenmerk", "Projectnaam", "Gemeente", "Provincie", "Planstatus", "Plantype", "Woningen",
          "Verwachte oplevering", "Peildatum", "X", "Y", "Vertrouwelijkheid"]
GOOD = [
    ["P-001", "De Zuidpunt", "Súdwest-Fryslân", "Fryslân", "1A", "uitleg", 120, 2028, datetime.datetime(2026, 5, 1), 170000.5, 550000, "openbaar"],
    [2, "Ĳsselmonde één 🏠", "Rotterdam", "zuid-holland", "3", "", 45, datetime.datetime(2030, 6, 30), None, None, None, ""],
    ["P-003", "Stationsgebied", "Utrecht", "Utrecht", "2B", "transformatie", 800, "2032", "1-3-2026", 136000, 455800, "Extern mede-overheden"],
    ["P-004", "Oude Haven", "Zeewolde", "Flevoland", "4A", "verdichting", 12, None, None, None, None, "intern ambtelijk"],
    ["P-005", "Kerkpad", "Weesp", "Noord-Holland", "2C", "herstructurering", 30, 2027, "2025-12-31", None, None, "prive"],
]


def workbook(path, rows, extra_first_sheet=False):
    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_first_sheet:
        ws.title = "Toelichting"
        ws["A1"] = "Vul het blad Projecten in."
        ws = wb.create_sheet("Projecten")
    else:
        ws.title = "Projecten"
    ws.append(HEADER)
    for r in rows:
        if r is None:
            ws.append([])
            continue
        ws.append(r)
    wb.save(path)


def run_import(binary, env, path, *extra):
    return subprocess.run([binary, "import-xlsx", path, "--today", TODAY, *extra], env=env, capture_output=True,
                          text=True, timeout=300)


def snapshot(url):
    return psql(url, "SELECT count(*) || ':' || coalesce(md5(string_agg(p::text, '|' ORDER BY source_key)), '') "
                     "FROM projects p")


def import_tests(binary, source, tmp):
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=source)
        bad_rows = [list(r) for r in GOOD]
        bad_rows[0][4] = "5X"                            # row 2: planstatus E
        bad_rows[1][6] = "veel"                          # row 3: woningen G
        bad_rows[1][3] = "Brabant"                       # row 3: provincie D
        bad_rows[2][0] = "P-001"                         # row 4: duplicate key A
        bad_rows[2][11] = "intern_raad"                  # row 4: 2B is hard capacity → L
        bad_rows[3][9] = 120000                          # row 5: x without y → K
        bad_rows[4][8] = "2027-01-01"                    # row 6: peildatum after today → I
        bad_rows[4][7] = datetime.datetime(1950, 1, 1)   # row 6: oplevering outside the calendar → H
        bad_rows.append(None)                            # row 7: blank, skipped
        bad_rows.append(["P-008", "", "Ede", "Gelderland", "3", "villawijk", 10.5, None, None, None, None, "geheim"])
        # row 8: name B empty, plantype F unknown, woningen G a fraction, vertrouwelijkheid L unknown
        expected = {(2, "E"), (3, "G"), (3, "D"), (4, "A"), (4, "L"), (5, "K"), (6, "I"), (6, "H"),
                    (8, "B"), (8, "F"), (8, "G"), (8, "L")}
        bad = os.path.join(tmp, "bad.xlsx")
        workbook(bad, bad_rows)

        before = snapshot(url) if psql(url, "SELECT to_regclass('projects') IS NOT NULL") == "t" else None
        r = run_import(binary, env, bad)
        eq(r.returncode, 1, "bad file: exit code 1 (stderr: " + r.stderr[-300:] + ")")
        reported = set(re.findall(r"row (\d+), column ([A-Z]+)", r.stdout))
        reported = {(int(a), b) for a, b in reported}
        check(expected <= reported, "bad file: every bad cell reported", sorted(expected - reported))
        check(reported <= expected, "bad file: nothing else reported", sorted(reported - expected))
        check("nothing imported" in r.stdout, "bad file: says nothing was imported", r.stdout[:300])
        check("12 errors" in r.stdout, "bad file: counts 12 errors", r.stdout[:200])
        check("(Planstatus): '5X'" in r.stdout, "bad file: the line names header and value", r.stdout[:600])
        check("row 7" not in r.stdout, "bad file: the blank row is skipped", r.stdout)
        eq(psql(url, "SELECT count(*) FROM projects"), "0", "bad file: no project stored")
        if before:
            eq(snapshot(url), before, "bad file: database unchanged")

        good = os.path.join(tmp, "good.xlsx")
        workbook(good, GOOD, extra_first_sheet=True)
        r = run_import(binary, env, good, "--sheet", "Nope")
        eq(r.returncode, 1, "unknown sheet: exit code 1")
        check("no sheet 'Nope'" in r.stdout and "'Projecten'" in r.stdout, "unknown sheet: lists the sheets", r.stdout)

        r = run_import(binary, env, good, "--sheet", "Projecten", "--source", "gemeente-test")
        eq(r.returncode, 0, "good file: exit code (" + r.stdout[-400:] + r.stderr[-400:] + ")")
        check("5 rows imported (5 new, 0 updated, 0 unchanged)" in r.stdout, "good file: counts", r.stdout)
        check("warning" not in r.stdout, "good file: no warnings (confidentiality is stored)", r.stdout)
        rows = psql(url, "SELECT source_key, name, gemeente, provincie, planstatus, plantype, homes_remaining, "
                         "coalesce(expected_by::text, ''), progress_date, coalesce(geometry::text, ''), "
                         "coalesce(geometry_crs, ''), planned_completion IS NOT NULL "
                         "FROM projects WHERE source = 'gemeente-test' ORDER BY source_key").split("\n")
        got = [r.split("|") for r in rows]
        eq(len(got), 5, "good file: 5 projects")
        if len(got) == 5:
            eq(got[0][:9], ["2", "Ĳsselmonde één 🏠", "Rotterdam", "Zuid-Holland", "3", "onbekend", "45",
                            "2030-06-30", TODAY], "row 3: a numeric key, Dutch text, default plantype, date, today")
            eq(got[1][:9], ["P-001", "De Zuidpunt", "Súdwest-Fryslân", "Fryslân", "1A", "uitleg", "120", "2028-12-31",
                            "2026-05-01"], "row 2: values")
            geom = json.loads(got[1][9])
            eq(geom, {"type": "Point", "coordinates": [170000.5, 550000]}, "row 2: RD point")
            eq(got[1][10], "EPSG:28992", "row 2: crs")
            eq(got[2][7:9], ["2032-12-31", "2026-03-01"], "row 4: year as text, d-m-yyyy date")
            eq(got[3][9], "", "row 5: no geometry")
            check(all(g[11] == "t" for g in got), "every project has a planned completion", [g[11] for g in got])
        steps = psql(url, "SELECT count(*), count(*) FILTER (WHERE s.status = 'done') FROM project_steps s "
                          "JOIN projects p ON p.id = s.project_id WHERE p.source = 'gemeente-test' AND p.source_key = 'P-001'")
        n_steps, n_done = map(int, steps.split("|"))
        check(n_steps > 5 and n_done > 0, "1A project: steps stored, the onherroepelijk part done", steps)
        after_first = snapshot(url)

        r = run_import(binary, env, good, "--sheet", "Projecten", "--source", "gemeente-test")
        eq(r.returncode, 0, "re-import: exit code")
        check("(0 new, 0 updated, 5 unchanged)" in r.stdout, "re-import: idempotent", r.stdout)
        eq(snapshot(url), after_first, "re-import: rows byte for byte the same")

        # a bad file that would also change existing projects: still nothing changes
        bad2 = [list(r) for r in GOOD]
        bad2[0][1] = "De Zuidpunt (nieuw)"
        bad2[4][4] = "9Z"
        workbook(bad, bad2)
        r = run_import(binary, env, bad, "--source", "gemeente-test")
        eq(r.returncode, 1, "bad update: exit code 1")
        eq(snapshot(url), after_first, "bad update: database unchanged (no row renamed)")

        r = run_import(binary, env, good, "--sheet", "Projecten", "--source", "gemeente-test")
        eq(r.returncode, 0, "confidentiality: exit code")
        conf = psql(url, "SELECT string_agg(source_key || '=' || confidentiality, ',' ORDER BY source_key) "
                         "FROM projects WHERE source = 'gemeente-test'")
        eq(conf, "2=intern_ambtelijk,P-001=openbaar,P-003=extern_mede_overheden,P-004=intern_ambtelijk,P-005=prive",
           "confidentiality: given codes, Dutch labels folded, default by planstatus")
        r = run_import(binary, env, good, "--sheet", "Projecten", "--source", "gemeente-test")
        check("(0 new, 0 updated, 5 unchanged)" in r.stdout, "with the column: re-import idempotent", r.stdout)
        eq(psql(url, "SELECT count(*) FROM projects"), "5", "no project from the bad files")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bs-xlsx-") as tmp:
        reader_tests(args.binary, tmp)
        import_tests(args.binary, args.source, tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
