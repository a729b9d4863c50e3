#!/usr/bin/python3
"""Integration test of the GeoJSON exchange of projects (docs/geo.md §2) against PostgreSQL.

* the real EIB file (../shared/data/plannen/eib-2020-rd.geojson) into a fresh database,
  `bouwstroom export --geojson rd`: a crs member naming EPSG:28992, one feature per plan with
  the project's id, every exchange property, values equal to the source file's (names,
  counts, coordinates to the centimetre);
* that RD file into a second fresh database with `bouwstroom import-geojson`, exported again:
  byte-identical; the same initial process state (project_steps) as after the EIB import;
  importing it again changes nothing;
* `export --geojson wgs84`: RFC 7946 — no crs member, lon/lat with lon in [3, 8] and lat in
  [50, 54], at most 7 decimals, closed rings, exterior rings counterclockwise and holes
  clockwise (right-hand rule, §3.1.6; the EIB rings come clockwise and are reversed); the
  same ids and properties as the RD file;
* two oracles for the coordinates: pyproj (Debian python3-pyproj; the same PROJ library, so
  a tight bound: it catches axis order, rounding and ring mapping) and the published RD →
  WGS84 approximation polynomial (Schreutelkamp & Strang van Hees; no PROJ at all: it is first
  checked against the official NSGI validation points, then bounds the exported WGS84 by 1 m);
* the WGS84 file into a third fresh database: its WGS84 export is byte-identical; its stored
  geometry converted back to RD (pyproj, unrounded) lies within 1 cm of the original; its RD
  export within 1.4 cm (7-decimal plus 2-decimal rounding);
* a file with bad features (unknown planstatus, missing source_key, open ring, duplicate key)
  lists every bad feature by index and imports nothing; an unsupported crs is refused.

Usage: test_geojson_exchange.py --binary BOUWSTROOM --source SRC
"""
import argparse
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import SKIP, check, eq, finish, fresh_database, psql, shared_file  # noqa: E402

BLOCK_MEMBERS = ["homes", "kind", "home_type", "tenure", "price_class", "target_group", "milestone", "period_from",
                 "period_to", "correction", "spread"]
PROPERTIES = ["source", "source_key", "name", "gemeente", "provincie", "plantype", "plantype_raw", "planstatus",
              "planstatus_raw", "homes_remaining", "demolition", "completions_2019", "completions_2020_2024",
              "completions_2025_2029", "completions_2030_2050", "completions_unknown", "type_grondgebonden",
              "type_appartement", "type_onbekend", "tenure_huur", "tenure_koop", "tenure_onbekend",
              "expected_period", "expected_by", "progress_date", "progress_date_estimated", "datum_raw", "schatting",
              "process_schema_key", "process_schema_version", "planned_completion", "confidentiality"]
# EIB property → exchange property, copied as given
EIB_COPIED = {"Plannaam": "name", "Gem_naam": "gemeente", "Planstatus": "planstatus_raw",
              "Plantype": "plantype_raw", "Aantalrest": "homes_remaining", "Sloop": "demolition",
              "OP2019": "completions_2019", "OP202024": "completions_2020_2024", "Op202529": "completions_2025_2029",
              "Op20302050": "completions_2030_2050", "OPLONB": "completions_unknown",
              "WTYPGGB": "type_grondgebonden", "WTYPAPP": "type_appartement", "WTYPONB": "type_onbekend",
              "HUUR": "tenure_huur", "KOOP": "tenure_koop", "HRKPONB": "tenure_onbekend", "datum": "datum_raw"}

# RD → WGS84 approximation (Schreutelkamp & Strang van Hees, "Benaderingsformules voor de
# transformatie tussen RD- en WGS84-kaartcoördinaten", 2001): arc seconds per dX^p dY^q with
# dX, dY in units of 100 km from Amersfoort (155000, 463000).
POLY_LAT = {(0, 1): 3235.65389, (2, 0): -32.58297, (0, 2): -0.24750, (2, 1): -0.84978, (0, 3): -0.06550,
            (2, 2): -0.01709, (1, 0): -0.00738, (4, 0): 0.00530, (2, 3): -0.00039, (4, 1): 0.00033,
            (1, 1): -0.00012}
POLY_LON = {(1, 0): 5260.52916, (1, 1): 105.94684, (1, 2): 2.45656, (3, 0): -0.81885, (1, 3): 0.05594,
            (3, 1): -0.05607, (0, 1): 0.01199, (3, 2): -0.00256, (1, 4): 0.00128, (0, 2): 0.00022,
            (2, 0): -0.00022, (5, 0): 0.00026}


def poly_rd_to_wgs(x, y):
    dx, dy = (x - 155000) * 1e-5, (y - 463000) * 1e-5
    lat = 52.15517440 + sum(c * dx ** p * dy ** q for (p, q), c in POLY_LAT.items()) / 3600
    lon = 5.38720621 + sum(c * dx ** p * dy ** q for (p, q), c in POLY_LON.items()) / 3600
    return lon, lat


def dist_m(lon1, lat1, lon2, lat2):
    """Horizontal distance (m) between nearby lon/lat points, GRS80 local scale."""
    a, f = 6378137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    phi = math.radians((lat1 + lat2) / 2)
    w = 1 - e2 * math.sin(phi) ** 2
    m, n = a * (1 - e2) / w ** 1.5, a / math.sqrt(w)
    return math.hypot(math.radians(lat2 - lat1) * m, math.radians(lon2 - lon1) * n * math.cos(phi))


def rings(geometry):
    """[(is_exterior, ring)] of a Polygon / MultiPolygon."""
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [(i == 0, r) for p in polys for i, r in enumerate(p)]


def area2(ring):
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))


def ccw(ring):
    """The ring counterclockwise (reversed if needed; the start point stays)."""
    return ring if area2(ring) >= 0 else ring[::-1]


def run(binary, url, *args, expect=0):
    env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url)
    p = subprocess.run([binary] + list(args), env=env, capture_output=True, text=True, timeout=600)
    eq(p.returncode, expect, f"bouwstroom {' '.join(args)}: exit code ({p.stderr.strip()[-300:]})")
    return p


def steps_digest(url):
    return psql(url, "SELECT md5(string_agg(p.source || '/' || p.source_key || '/' || s.step_key || '/' || s.status"
                     " || '/' || s.actual_estimated, ',' ORDER BY p.source, p.source_key, s.step_key))"
                     " FROM project_steps s JOIN projects p ON p.id = s.project_id")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    eib_path = shared_file(args.source, "data", "plannen", "eib-2020-rd.geojson")
    points_path = shared_file(args.source, "data", "geo", "Z001_ETRS89andRDNAP.txt")
    try:
        from pyproj import Transformer
    except ImportError:
        msg = "pyproj missing (Debian python3-pyproj; scripts/deps.sh installs it)"
        if os.environ.get("CI") == "true":
            print("FAIL: " + msg, flush=True)
            return 1
        print("SKIPPED: " + msg, flush=True)
        return SKIP
    to_wgs = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    with open(eib_path, encoding="utf-8") as f:
        eib = json.load(f)
    eib_by_key = {str(ft["properties"]["OBJECTID"]): ft for ft in eib["features"]}

    # the independent oracle is itself checked against the official points (inside NL)
    worst = 0.0
    n_in = 0
    with open(points_path) as f:
        for line in f:
            r = line.rstrip("\n").split("\t")
            lat, lon, x, y = float(r[1]), float(r[2]), float(r[4]), float(r[5])
            if r[6] != "*" and 0 <= x <= 300000 and 300000 <= y <= 625000:
                n_in += 1
                worst = max(worst, dist_m(lon, lat, *poly_rd_to_wgs(x, y)))
    print(f"approximation polynomial vs NSGI points (onshore, {n_in} points): max {worst:.3f} m")
    check(n_in > 4000 and worst < 1.0, "the approximation polynomial is right (≤ 1 m) in the Netherlands", worst)

    tmp = tempfile.mkdtemp(prefix="bs-geojson-")
    rd1, w1 = os.path.join(tmp, "rd1.geojson"), os.path.join(tmp, "wgs1.geojson")
    rd2, w3, rd3 = (os.path.join(tmp, n) for n in ("rd2.geojson", "wgs3.geojson", "rd3.geojson"))

    with fresh_database() as db1:
        run(args.binary, db1, "import", eib_path)
        out = run(args.binary, db1, "export", "--geojson", "rd", "--out", rd1).stdout
        check("4348 projects written" in out, "RD export summary", out)
        run(args.binary, db1, "export", "--geojson", "wgs84", "--out", w1)
        steps1 = steps_digest(db1)
        # to standard output: the same bytes
        p = run(args.binary, db1, "export", "--geojson", "rd")
        with open(rd1) as f:
            check(p.stdout == f.read(), "export to standard output equals --out", "")
        run(args.binary, db1, "export", "--geojson", "mercator", expect=2)

    # ---- the RD file ----
    with open(rd1, "rb") as f:
        rd1_bytes = f.read()
    rd = json.loads(rd1_bytes)
    eq(rd.get("crs"), {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}, "RD: crs member")
    eq(len(rd["features"]), 4348, "RD: features")
    eq(rd1_bytes.count(b"\n"), 4348 + 2, "RD: one feature per line (plus head and tail)")
    bad_keys = bad_values = bad_geom = with_blocks = bad_blocks = 0
    for ft in rd["features"]:
        pr = ft["properties"]
        # the woningblokken of the plan (the import's joint split, docs/blocks.md), when it has any
        keys = [k for k in pr.keys() if k != "blocks"]
        if keys != PROPERTIES or not re.fullmatch(r"[0-9a-f-]{36}", ft["id"]):
            bad_keys += 1
            continue
        if "blocks" not in pr and (pr["type_grondgebonden"] or pr["type_appartement"] or pr["type_onbekend"]):
            bad_blocks += 1  # a plan with homes has blocks
        if "blocks" in pr:
            with_blocks += 1
            bl = pr["blocks"]
            if list(pr.keys())[-1] != "blocks" or any(list(b.keys()) != BLOCK_MEMBERS for b in bl):
                bad_keys += 1
            # the blocks add up to the plan's counts per home type and tenure (the split keeps them)
            for col, member, value in [("type_grondgebonden", "home_type", "grondgebonden"),
                                       ("type_appartement", "home_type", "meergezins"),
                                       ("tenure_huur", "tenure", "huur"), ("tenure_koop", "tenure", "koop")]:
                if (pr[col] or 0) != sum(b["homes"] for b in bl if b[member] == value):
                    bad_blocks += 1
        src = eib_by_key[pr["source_key"]]
        sp = src["properties"]
        for k, v in EIB_COPIED.items():
            want = sp.get(k)
            if v in ("name", "gemeente") and not want:
                continue  # the EIB import names unnamed plans after their OBJECTID
            if pr[v] != want:
                bad_values += 1
        if pr["source"] != "eib-2020" or pr["provincie"] not in (sp["Provincie"], "Fryslân"):
            bad_values += 1
        for (_, a), (_, b) in zip(rings(src["geometry"]), rings(ft["geometry"])):
            if len(a) != len(b) or any(abs(p[0] - q[0]) > 1e-6 or abs(p[1] - q[1]) > 1e-6 for p, q in zip(a, b)):
                bad_geom += 1
    eq(bad_keys, 0, "RD: features with exactly the exchange properties, in order (blocks last, with the blocks "
                    "API's members), and a UUID id")
    check(with_blocks > 0, "RD: the plans' woningblokken are exported", with_blocks)
    eq(bad_blocks, 0, "RD: every plan with homes has blocks, adding up to its counts per home type and tenure")
    eq(bad_values, 0, "RD: property values as in the EIB file")
    eq(bad_geom, 0, "RD: geometry equal to the EIB file's (1 cm source precision, ring order kept)")

    # ---- RD round trip ----
    with fresh_database() as db2:
        out = run(args.binary, db2, "import-geojson", rd1).stdout
        check("4348 read (EPSG:28992), 4348 new, 0 updated, 0 unchanged" in out, "RD import summary", out)
        run(args.binary, db2, "export", "--geojson", "rd", "--out", rd2)
        with open(rd2, "rb") as f:
            rd2_bytes = f.read()
        check(rd2_bytes == rd1_bytes, "export → import-geojson → export (RD) is byte-identical",
              f"{hashlib.sha256(rd1_bytes).hexdigest()[:12]} vs {hashlib.sha256(rd2_bytes).hexdigest()[:12]}")
        eq(steps_digest(db2), steps1, "the same initial process state as the EIB import")
        n_blocks = sum(len(ft["properties"].get("blocks", [])) for ft in rd["features"])
        block_ids = "SELECT count(*) || '/' || md5(string_agg(id::text, ',' ORDER BY id)) FROM project_blocks"
        ids_before = psql(db2, block_ids)
        eq(ids_before.split("/")[0], str(n_blocks), "RD import: every block of the file stored")
        out = run(args.binary, db2, "import-geojson", rd1).stdout
        check("0 new, 0 updated, 4348 unchanged" in out, "RD import again: nothing changes", out)
        eq(psql(db2, block_ids), ids_before, "RD import again: the blocks are not rewritten (same ids)")

    # ---- the WGS84 file ----
    with open(w1, "rb") as f:
        w1_bytes = f.read()
    wg = json.loads(w1_bytes)
    check("crs" not in wg, "WGS84: no crs member (RFC 7946 §4)", list(wg.keys()))
    eq(len(wg["features"]), 4348, "WGS84: features")
    decimals = max(len(m) for m in re.findall(rb"\.([0-9]+)", w1_bytes.split(b'"geometry"', 1)[1]))
    check(decimals <= 7, "WGS84: at most 7 decimals", decimals)
    out_of_nl = open_rings = wrong_orientation = mismatched = 0
    max_pyproj = max_poly = 0.0
    for ft_w, ft_r in zip(wg["features"], rd["features"]):
        if ft_w["id"] != ft_r["id"] or ft_w["properties"] != ft_r["properties"]:
            mismatched += 1
        for (ext, rw), (_, rr) in zip(rings(ft_w["geometry"]), rings(ft_r["geometry"])):
            if rw[0] != rw[-1]:
                open_rings += 1
            a = area2(rw)
            if (ext and a <= 0) or (not ext and a >= 0):
                wrong_orientation += 1
            for p in rw:
                if not (3 <= p[0] <= 8 and 50 <= p[1] <= 54):
                    out_of_nl += 1
            # compare with the oracles vertex by vertex, both rings counterclockwise
            cw, cr = ccw(rw), ccw(rr)
            if len(cw) != len(cr):
                mismatched += 1
                continue
            for p, q in zip(cw, cr):
                lon, lat = to_wgs.transform(q[0], q[1])
                max_pyproj = max(max_pyproj, abs(p[0] - lon), abs(p[1] - lat))
                max_poly = max(max_poly, dist_m(p[0], p[1], *poly_rd_to_wgs(q[0], q[1])))
    eq(mismatched, 0, "WGS84: same ids, properties and vertex counts as the RD file")
    eq(out_of_nl, 0, "WGS84: every position lon in [3, 8], lat in [50, 54]")
    eq(open_rings, 0, "WGS84: rings closed")
    eq(wrong_orientation, 0, "WGS84: right-hand rule (exterior counterclockwise, holes clockwise)")
    print(f"WGS84 export vs pyproj: max {max_pyproj:.2e} degrees; vs the polynomial: max {max_poly:.3f} m")
    check(max_pyproj <= 0.5e-7 + 1e-10, "WGS84 vertices = pyproj's conversion rounded to 7 decimals", max_pyproj)
    check(max_poly <= 1.0, "WGS84 vertices within 1 m of the independent polynomial", max_poly)

    # ---- WGS84 round trip ----
    with fresh_database() as db3:
        out = run(args.binary, db3, "import-geojson", w1).stdout
        check("4348 read (EPSG:4326), 4348 new" in out, "WGS84 import summary", out)
        eq(psql(db3, "SELECT count(*) FROM projects WHERE geometry_crs = 'EPSG:4326'"), "4348",
           "WGS84 import: geometry stored as given, geometry_crs EPSG:4326")
        run(args.binary, db3, "export", "--geojson", "wgs84", "--out", w3)
        with open(w3, "rb") as f:
            check(f.read() == w1_bytes, "export → import-geojson → export (WGS84) is byte-identical", "")
        run(args.binary, db3, "export", "--geojson", "rd", "--out", rd3)
        eq(steps_digest(db3), steps1, "WGS84 import: the same initial process state")
        stored = {}
        for line in psql(db3, "SELECT source_key || chr(9) || geometry::text FROM projects").splitlines():
            k, g = line.split("\t", 1)
            stored[k] = json.loads(g)

        # and the error paths (nothing imported)
        before = psql(db3, "SELECT count(*) || '/' || max(updated_at) FROM projects")
        feats = [json.loads(json.dumps(ft)) for ft in wg["features"][:6]]
        feats[1]["properties"]["planstatus"] = "5"
        del feats[2]["properties"]["source_key"]
        feats[3]["geometry"]["coordinates"][0] = feats[3]["geometry"]["coordinates"][0][:-1] \
            if feats[3]["geometry"]["type"] == "Polygon" else feats[3]["geometry"]["coordinates"][0]
        feats[5]["properties"]["source_key"] = feats[0]["properties"]["source_key"]
        feats[5]["id"] = None
        feats[4]["properties"]["name"] = "gewijzigd"  # a valid change that must not land either
        bad = os.path.join(tmp, "bad.geojson")
        with open(bad, "w") as f:
            json.dump({"type": "FeatureCollection", "features": feats}, f)
        p = run(args.binary, db3, "import-geojson", bad, expect=1)
        for i in (1, 2, 5):
            check(f"feature {i}:" in p.stdout, f"bad file: feature {i} listed", p.stdout)
        if wg["features"][3]["geometry"]["type"] == "Polygon":
            check("feature 3: geometry" in p.stdout, "bad file: open ring listed", p.stdout)
        check("nothing imported" in p.stderr, "bad file: says nothing was imported", p.stderr)
        eq(psql(db3, "SELECT count(*) || '/' || max(updated_at) FROM projects"), before, "bad file: nothing changed")
        with open(bad, "w") as f:
            json.dump({"type": "FeatureCollection", "features": feats[:1],
                       "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}, f)
        p = run(args.binary, db3, "import-geojson", bad, expect=1)
        check("crs" in p.stderr, "unsupported crs refused", p.stderr)

    rd3j = json.load(open(rd3))
    max_stored = max_rd3 = 0.0
    mismatched = 0
    for ft3, ft1 in zip(rd3j["features"], rd["features"]):
        if ft3["id"] != ft1["id"] or ft3["properties"] != ft1["properties"]:
            mismatched += 1
        g = stored[ft1["properties"]["source_key"]]
        for (_, rs), (_, r3), (_, r1) in zip(rings(g), rings(ft3["geometry"]), rings(ft1["geometry"])):
            cs, c3, c1 = ccw(rs), ccw(r3), ccw(r1)
            for s, t, o in zip(cs, c3, c1):
                x, y = to_rd.transform(s[0], s[1])
                max_stored = max(max_stored, math.hypot(x - o[0], y - o[1]))
                max_rd3 = max(max_rd3, math.hypot(t[0] - o[0], t[1] - o[1]))
    eq(mismatched, 0, "WGS84 round trip: same ids and properties in the RD export")
    print(f"WGS84 round trip: stored geometry (pyproj → RD, unrounded) vs original: max {max_stored * 100:.2f} cm; "
          f"RD export vs original: max {max_rd3 * 100:.2f} cm")
    check(max_stored <= 0.01, "WGS84 re-import: geometry within 1 cm of the original", max_stored)
    check(max_rd3 <= 0.014, "WGS84 re-import, RD export: within 1.4 cm (two roundings)", max_rd3)
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))
    os.rmdir(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
