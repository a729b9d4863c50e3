#!/usr/bin/python3
"""Independent checker of the province exports (docs/exports.md) on the real 2020 plans.

Imports ../shared/data/plannen/eib-2020-rd.geojson into a fresh database with
`bouwstroom import`, runs `bouwstroom export --province zuid-holland|gelderland|excel`, and
checks the files against the source file itself (not against the C code's rules):

* before migration 0010 (no projects.confidentiality column) every plan is left out for
  confidentiality; then the column is added as 0010 will (hard plans 1A/1B/2A/2B
  extern_mede_overheden, the rest intern_ambtelijk) unless it exists already;
* per exported plan (counted from the blocks of the import, docs/exports.md §4.6): all counts add
  up to Aantalrest, each period's rows to that period's total (OP2019, OP202024, Op202529,
  Op20302050, OPLONB in the unknown year; the correction blocks of a negative unknown are netted in
  the unknown year first, so this holds for every plan without a negative period), the sloop_
  counts to -Sloop, in the unknown year's sloop_onbekend_onbekend; for a plan without a negative
  correction the type marginals (WTYPGGB → eengezins, WTYPAPP → meergezins) and the tenure
  marginals (KOOP, HUUR, HRKPONB) hold exactly (the joint split of the blocks is known:
  verdeling type_en_eigendom);
* exactly one price class per count: per type and tenure at most one of the class columns is used
  over the plan; a plan given a koop price range inside koop2 has its koop homes in koop2 only,
  one spanning koop2/koop3 is left out with a price_class error;
* the spreading rule: a multi-year period's rows are floor(total / years) with the remainder in
  the last year, geschat true; 2019 and the unknown year geschat false (the imported blocks carry
  the file's periods, so the rule of the plan counts still applies);
* mandatory fields present, code-list values valid, vertrouwelijkheid at least
  extern_mede_overheden, the RD "crs" member, geometry equal to the source's;
* which plans are left out (and why) follows from the database rows; every plan in scope is
  either exported or listed in the left-out file with its errors;
* the Excel workbook read with openpyxl: the same checks on its sheets, every province present.

Usage: check_province_export.py --binary BOUWSTROOM --source SRC
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql, shared_file  # noqa: E402

DATE = "2026-06-30"
TYPES = ["eengezins", "meergezins", "onbekend"]
TENURES = ["koop1", "koop2", "koop3", "koop4", "koop_onb", "huur1", "huur2", "huur3", "huur4", "huur_onb",
           "onbekend"]
CELLS = [f"{t}_{r}" for t in TYPES for r in TENURES]
SLOOP = ["sloop_" + c for c in CELLS]
PERIODS = [("OP2019", 2019, 2019), ("OP202024", 2020, 2024), ("Op202529", 2025, 2029),
           ("Op20302050", 2030, 2050)]
STATUS = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B"}
PLANTYPES = {"uitleg", "verdichting", "transformatie", "herstructurering", "onbekend"}
VISIBLE = {"extern_mede_overheden", "openbaar"}
MANDATORY = ["plan_id", "plannaam", "gemeente", "provincie", "plantype", "status_planologisch",
             "vertrouwelijkheid", "peildatum", "aantal_rest"]
SCOPE = {"zuid-holland": {"Zuid-Holland"}, "gelderland": {"Gelderland"}, "excel": None}


def run(binary, env, *args):
    r = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    eq(r.returncode, 0, f"bouwstroom {' '.join(args[:3])}: exit code")
    return r.stdout


def as_int(v):
    if v is None or v == "":
        return 0
    return int(v)


def as_bool(v):
    return v is True or v == "true" or v == 1


class Checker:
    def __init__(self, source_props, db):
        self.src = source_props       # OBJECTID (str) -> EIB properties
        self.db = db                  # OBJECTID (str) -> database row (dict)
        self.price_plans = {}         # OBJECTID -> "inside" | "spanning"

    def plan_props(self, what, p):
        oid = str(p.get("objectid"))
        for f in MANDATORY:
            check(p.get(f) not in (None, ""), f"{what} {oid}: mandatory {f} present", p.get(f))
        check(p.get("status_planologisch") in STATUS, f"{what} {oid}: status_planologisch in code list",
              p.get("status_planologisch"))
        check(p.get("plantype") in PLANTYPES, f"{what} {oid}: plantype in code list", p.get("plantype"))
        check(p.get("vertrouwelijkheid") in VISIBLE, f"{what} {oid}: vertrouwelijkheid visible to the province",
              p.get("vertrouwelijkheid"))
        s = self.src[oid]
        eq(as_int(p.get("aantal_rest")), s["Aantalrest"], f"{what} {oid}: aantal_rest")
        eq(as_int(p.get("sloop")), -s["Sloop"], f"{what} {oid}: sloop (positive)")

    def rows(self, what, oid, rows, props=None):
        """rows: dicts with jaar, geschat and the 66 count columns."""
        s = self.src[oid]
        n = s["Aantalrest"]
        for r in rows:
            check(set(CELLS + SLOOP) <= set(r), f"{what} {oid}: all 66 count columns", sorted(r)[:5])
        tot = lambda rs, cols: sum(as_int(r[c]) for r in rs for c in cols)  # noqa: E731
        eq(tot(rows, CELLS), n, f"{what} {oid}: counts add up to Aantalrest")
        eq(tot(rows, SLOOP), -s["Sloop"], f"{what} {oid}: sloop_ counts add up to -Sloop")
        unknown_rows = [r for r in rows if r["jaar"] in (None, "")]
        eq(tot(unknown_rows, ["sloop_onbekend_onbekend"]), -s["Sloop"],
           f"{what} {oid}: the sloop block (no period, type and tenure onbekend) in the unknown year")
        for r in rows:
            for c in CELLS + SLOOP:
                check(as_int(r[c]) >= 0, f"{what} {oid}: count {c} not negative", r[c])
        by_year = {}
        for r in rows:
            y = None if r["jaar"] in (None, "") else int(r["jaar"])
            check(y not in by_year, f"{what} {oid}: one row per year", y)
            by_year[y] = r
        periods_negative = any(s[k] < 0 for k in ("OP2019", "OP202024", "Op202529", "Op20302050", "OPLONB"))
        if not periods_negative:
            for key, first, last in PERIODS:
                total = s[key]
                years = list(range(first, last + 1))
                got = [tot([by_year[y]], CELLS) if y in by_year else 0 for y in years]
                want = [total // len(years)] * len(years)
                want[-1] += total - sum(want)
                eq(got, want, f"{what} {oid}: {key} spread evenly, remainder in the last year")
                for y in years:
                    if y in by_year:
                        eq(as_bool(by_year[y]["geschat"]), len(years) > 1,
                           f"{what} {oid}: geschat of {y}")
            unknown = tot([by_year[None]], CELLS) if None in by_year else 0
            eq(unknown, s["OPLONB"], f"{what} {oid}: OPLONB in the unknown year")
            if None in by_year:
                eq(as_bool(by_year[None]["geschat"]), False, f"{what} {oid}: unknown year not geschat")
        # marginals: the blocks' joint split keeps them, except where a correction block was netted
        correction = any(s[k] < 0 for k in ("WTYPGGB", "WTYPAPP", "WTYPONB", "HUUR", "KOOP", "HRKPONB",
                                            "OP2019", "OP202024", "Op202529", "Op20302050", "OPLONB"))
        t_tot = {t: tot(rows, [f"{t}_{r}" for r in TENURES]) for t in TYPES}
        koop = tot(rows, [f"{t}_{r}" for t in TYPES for r in TENURES if r.startswith("koop")])
        huur = tot(rows, [f"{t}_{r}" for t in TYPES for r in TENURES if r.startswith("huur")])
        ten_onb = tot(rows, [f"{t}_onbekend" for t in TYPES])
        if props is not None:
            eq(props.get("verdeling"), "type_en_eigendom" if n > 0 else "geen",
               f"{what} {oid}: verdeling: the blocks give the joint split")
            if n or s["Sloop"]:  # a plan with nothing to build or demolish has no blocks
                check("woningblokken" in (props.get("opmerkingen") or ""), f"{what} {oid}: counted from blocks",
                      props.get("opmerkingen"))
        if not correction:
            eq((t_tot["eengezins"], t_tot["meergezins"], t_tot["onbekend"]),
               (s["WTYPGGB"], s["WTYPAPP"], s["WTYPONB"]), f"{what} {oid}: type marginals")
            eq((koop, huur, ten_onb), (s["KOOP"], s["HUUR"], s["HRKPONB"]), f"{what} {oid}: tenure marginals")
        # exactly one price class per count
        for t in TYPES:
            for kind in ("koop", "huur"):
                used = [c for c in (f"{t}_{kind}1", f"{t}_{kind}2", f"{t}_{kind}3", f"{t}_{kind}4",
                                    f"{t}_{kind}_onb") if tot(rows, [c]) > 0]
                check(len(used) <= 1, f"{what} {oid}: one price class for {t} {kind}", used)
        if self.price_plans.get(oid) == "inside":
            eq(tot(rows, [f"{t}_koop2" for t in TYPES]), koop, f"{what} {oid}: koop homes in koop2")
            if props is not None:
                eq(props.get("koop_prijsklasse"), "koop2", f"{what} {oid}: koop_prijsklasse of the price range")

    def scope_and_reasons(self, what, key, exported, left_out):
        """exported: set of OBJECTIDs; left_out: OBJECTID -> set of check names."""
        scope = SCOPE[key]
        in_scope = {o for o, r in self.db.items() if scope is None or r["provincie"] in scope}
        eq(exported | set(left_out), in_scope, f"{what}: every plan in scope exported or left out")
        eq(exported & set(left_out), set(), f"{what}: no plan both exported and left out")
        for o in in_scope:
            r = self.db[o]
            reasons = set()
            if r["confidentiality"] not in VISIBLE:
                reasons.add("confidentiality")
            if r["planstatus"] not in STATUS:
                reasons.add("code_list")
            if self.price_plans.get(o) == "spanning":
                reasons.add("price_class")
            if not r["has_geometry"]:
                reasons.add("geometry")
            if reasons:
                check(o in left_out and reasons <= left_out[o], f"{what} {o}: left out for {sorted(reasons)}",
                      left_out.get(o))
            else:
                check(o in exported, f"{what} {o}: exported", left_out.get(o))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def left_out_map(rows):
    m = {}
    for r in rows:
        m.setdefault(str(r["objectid"]), set()).add(r["controle"])
        check(bool(r.get("fout")), f"left-out {r['objectid']}: error text", r)
    return m


def check_geometry(what, feature, src_feature):
    g, sg = feature.get("geometry"), src_feature["geometry"]
    check(isinstance(g, dict) and g.get("type") == sg["type"], f"{what}: geometry type", g and g.get("type"))
    if isinstance(g, dict):
        flat = lambda c: c if isinstance(c[0], (int, float)) else flat(c[0])  # noqa: E731
        a, b = flat(g["coordinates"]), flat(sg["coordinates"])
        check(abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6, f"{what}: first coordinate", (a, b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    path = shared_file(args.source, "data", "plannen", "eib-2020-rd.geojson")
    import openpyxl  # Debian python3-openpyxl
    with open(path, encoding="utf-8") as f:
        src = json.load(f)
    src_feat = {str(ft["properties"]["OBJECTID"]): ft for ft in src["features"]}
    src_props = {o: ft["properties"] for o, ft in src_feat.items()}
    with fresh_database() as url, tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        run(args.binary, env, "import", path)
        has_conf = psql(url, "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
                             "AND table_name = 'projects' AND column_name = 'confidentiality'") == "1"
        if not has_conf:
            # before migration 0010: every plan counts as intern_ambtelijk → nothing goes out
            pre = os.path.join(out, "pre")
            os.mkdir(pre)
            stdout = run(args.binary, env, "export", "--province", "zuid-holland", "--out", pre, "--date", DATE)
            check("does not exist yet" in stdout, "without the column the export says so", stdout[:200])
            rows = read_csv(os.path.join(pre, f"zuid-holland-{DATE}-uitgesloten.csv"))
            lo = left_out_map(rows)
            zh = {o for o, p in src_props.items() if p["Provincie"] == "Zuid-Holland"}
            eq(set(lo), zh, "without confidentiality every Zuid-Holland plan is left out")
            check(all("confidentiality" in v for v in lo.values()), "… each for confidentiality", "")
            # what migration 0010 will do (helper-common.md): hard plans extern_mede_overheden
            psql(url, "ALTER TABLE projects ADD COLUMN confidentiality text NOT NULL DEFAULT 'intern_ambtelijk'; "
                      "UPDATE projects SET confidentiality = 'extern_mede_overheden' "
                      "WHERE planstatus IN ('1A','1B','2A','2B')")
        # price ranges (migration 0012) on two hard Zuid-Holland plans (their homes have no known tenure
        # in the 2020 data, so the class shows in koop_prijsklasse; counts stay koop-free)
        picks = psql(url, "SELECT source_key FROM projects WHERE provincie = 'Zuid-Holland' AND "
                          "confidentiality = 'extern_mede_overheden' AND homes_remaining > 0 "
                          "ORDER BY source_key::int LIMIT 2").split()
        eq(len(picks), 2, "two plans for the price-range checks")
        psql(url, f"UPDATE projects SET koop_price_min_cents = 30000000, koop_price_max_cents = 35000000 "
                  f"WHERE source_key = '{picks[0]}'")
        psql(url, f"UPDATE projects SET koop_price_min_cents = 35000000, koop_price_max_cents = 45000000 "
                  f"WHERE source_key = '{picks[1]}'")
        db = {}
        for line in psql(url, "SELECT json_build_object('o', source_key, 'provincie', provincie, 'planstatus', "
                              "planstatus, 'confidentiality', confidentiality, 'has_geometry', geometry IS NOT NULL) "
                              "FROM projects").splitlines():
            r = json.loads(line)
            db[r["o"]] = r
        eq(len(db), len(src_props), "every plan imported")
        ck = Checker(src_props, db)
        ck.price_plans = {picks[0]: "inside", picks[1]: "spanning"}

        # ---- Zuid-Holland: GeoJSON in RD, per-year counts nested ----
        for key in ("zuid-holland", "gelderland", "excel"):
            stdout = run(args.binary, env, "export", "--province", key, "--out", out, "--date", DATE)
            check("exported:" in stdout and "left out:" in stdout, f"{key}: summary printed", stdout[:300])
        with open(os.path.join(out, f"zuid-holland-{DATE}.geojson"), encoding="utf-8") as f:
            zh = json.load(f)
        eq(zh.get("crs"), {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
           "zuid-holland: crs member (RD New, as in the EIB file)")
        eq(zh.get("type"), "FeatureCollection", "zuid-holland: FeatureCollection")
        exported = set()
        for ft in zh["features"]:
            p = ft["properties"]
            o = str(p["objectid"])
            exported.add(o)
            ck.plan_props("zuid-holland", p)
            eq(p["provincie"], "Zuid-Holland", f"zuid-holland {o}: province")
            check_geometry(f"zuid-holland {o}", ft, src_feat[o])
            ck.rows("zuid-holland", o, p["detailplanning"], p)
        lo = left_out_map(read_csv(os.path.join(out, f"zuid-holland-{DATE}-uitgesloten.csv")))
        check(len(exported) > 500, "zuid-holland: hundreds of plans exported", len(exported))
        ck.scope_and_reasons("zuid-holland", "zuid-holland", exported, lo)
        check(picks[0] in exported, "zuid-holland: the plan with a koop2 price range is exported", picks[0])
        check("price_class" in lo.get(picks[1], set()), "zuid-holland: the spanning price range is left out",
              lo.get(picks[1]))

        # ---- Gelderland: plan layer + DetailPlanning (GeoJSON without geometry, CSV) ----
        with open(os.path.join(out, f"gelderland-{DATE}-plannen.geojson"), encoding="utf-8") as f:
            gp = json.load(f)
        with open(os.path.join(out, f"gelderland-{DATE}-detailplanning.geojson"), encoding="utf-8") as f:
            gd = json.load(f)
        gcsv = read_csv(os.path.join(out, f"gelderland-{DATE}-detailplanning.csv"))
        eq(gp.get("crs", {}).get("properties", {}).get("name"), "urn:ogc:def:crs:EPSG::28992", "gelderland: crs")
        g_exported = set()
        for ft in gp["features"]:
            p = ft["properties"]
            o = str(p["objectid"])
            g_exported.add(o)
            ck.plan_props("gelderland", p)
            check("detailplanning" not in p, f"gelderland {o}: plan layer without counts", "")
            check_geometry(f"gelderland {o}", ft, src_feat[o])
        check(all(ft["geometry"] is None for ft in gd["features"]), "gelderland detail: no geometry", "")
        eq(len(gd["features"]), len(gcsv), "gelderland: detail GeoJSON and CSV have the same rows")
        by_plan, by_plan_csv = {}, {}
        for ft in gd["features"]:
            by_plan.setdefault(str(ft["properties"]["objectid"]), []).append(ft["properties"])
        for r in gcsv:
            by_plan_csv.setdefault(r["objectid"], []).append(r)
        eq(set(by_plan), {o for o in g_exported if src_props[o]["Aantalrest"] or src_props[o]["Sloop"]},
           "gelderland: detail rows for the exported plans with counts")
        props = {str(ft["properties"]["objectid"]): ft["properties"] for ft in gp["features"]}
        for o in g_exported:
            ck.rows("gelderland", o, by_plan.get(o, []), props[o])
            ck.rows("gelderland csv", o, by_plan_csv.get(o, []))
            a = [(r["jaar"], [as_int(r[c]) for c in CELLS + SLOOP]) for r in by_plan.get(o, [])]
            b = [(None if r["jaar"] == "" else int(r["jaar"]), [as_int(r[c]) for c in CELLS + SLOOP])
                 for r in by_plan_csv.get(o, [])]
            eq(a, b, f"gelderland {o}: CSV equals GeoJSON")
        glo = left_out_map(read_csv(os.path.join(out, f"gelderland-{DATE}-uitgesloten.csv")))
        ck.scope_and_reasons("gelderland", "gelderland", g_exported, glo)

        # ---- Excel workbook (every province) ----
        wb = openpyxl.load_workbook(os.path.join(out, f"planmonitor-{DATE}.xlsx"), read_only=True)
        eq(wb.sheetnames[:3], ["Plannen", "DetailPlanning", "Uitgesloten"], "excel: sheets")

        def sheet(name):
            it = wb[name].iter_rows(values_only=True)
            head = list(next(it))
            return head, [dict(zip(head, r)) for r in it]

        ph, prow = sheet("Plannen")
        dh, drow = sheet("DetailPlanning")
        lh, lrow = sheet("Uitgesloten")
        eq(dh, ["plan_id", "objectid", "jaar", "geschat"] + CELLS + SLOOP, "excel: DetailPlanning columns")
        x_exported = set()
        provinces = set()
        for p in prow:
            o = str(p["objectid"])
            x_exported.add(o)
            provinces.add(p["provincie"])
            ck.plan_props("excel", p)
        for needed in ("Noord-Holland", "Flevoland", "Zuid-Holland", "Gelderland"):
            check(needed in provinces, f"excel: plans of {needed}", sorted(provinces))
        xd = {}
        for r in drow:
            xd.setdefault(str(r["objectid"]), []).append(r)
        xprops = {str(p["objectid"]): p for p in prow}
        for o in x_exported:
            ck.rows("excel", o, xd.get(o, []), xprops[o])
        xlo = left_out_map([{k: (str(v) if v is not None else "") for k, v in r.items()} for r in lrow])
        ck.scope_and_reasons("excel", "excel", x_exported, xlo)
        eq(x_exported & {o for o, p in src_props.items() if p["Provincie"] == "Zuid-Holland"}, exported,
           "excel: the same Zuid-Holland plans as the Zuid-Holland export")
        wb.close()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
