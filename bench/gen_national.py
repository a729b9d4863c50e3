#!/usr/bin/python3
"""A national-sized plan inventory built from the real one (issue 17 item 5; docs/performance.md
"National scale").

Reads the real file (../shared/data/plannen/eib-2020-rd.geojson: 4,348 plans of 121
municipalities) and writes a GeoJSON file of the same format with N plans (default 100,000)
across 342 municipalities:

* copy 0 is the real file unchanged: the 121 real municipalities keep exactly their own plans,
  so a user of one of them reaches as many projects at 100,000 as at 4,348 (what the benchmark
  compares);
* copies 1, 2, ... go to 221 new municipalities, two per real one ("<name>-Noord" for every
  real one, "<name>-Zuid" for the first 100 by name; the other 21 put all their copies in
  -Noord), in the real one's province, each copy with a new OBJECTID (copy * 1,000,000 +
  OBJECTID) and its name suffixed with the copy number;
* each copy's geometry is shifted by (copy * 37 m east, copy * 23 m south) in RD New, so no two
  plans coincide and every plan stays in the Netherlands' RD range.

Everything else (planstatus, homes, dates, ...) is the original's, so the mix of hard and soft
plans, and with it the confidentiality levels the import gives, is the real one's.

Usage: gen_national.py REAL.geojson OUT.geojson [N]   (deterministic: same input, same output)
"""
import json
import sys


def shift(coords, dx, dy):
    if coords and isinstance(coords[0], (int, float)):
        return [round(coords[0] + dx, 2), round(coords[1] + dy, 2)] + list(coords[2:])
    return [shift(c, dx, dy) for c in coords]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) == 4 else 100000
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    real = doc["features"]
    names = sorted({ft["properties"]["Gem_naam"] for ft in real})
    zuid = set(names[:100])
    features, copy = [], 0
    while len(features) < n:
        for ft in real:
            if len(features) == n:
                break
            if copy == 0:
                features.append(ft)
                continue
            p = dict(ft["properties"])
            gem = p["Gem_naam"]
            p["Gem_naam"] = gem + ("-Zuid" if copy % 2 == 0 and gem in zuid else "-Noord")
            p["OBJECTID"] = copy * 1000000 + int(p["OBJECTID"])
            p["Plannaam"] = f"{p.get('Plannaam') or 'plan'} ({copy})"
            g = ft.get("geometry")
            if g and g.get("coordinates") is not None:
                g = dict(g, coordinates=shift(g["coordinates"], 37.0 * copy, -23.0 * copy))
            features.append(dict(ft, properties=p, geometry=g))
        copy += 1
    doc["features"] = features
    doc["name"] = f"{doc.get('name', 'plannen')}-national-{n}"
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, separators=(",", ":"))
    munis = {ft["properties"]["Gem_naam"] for ft in features}
    print(f"gen_national: {len(features)} plans, {len(munis)} municipalities, {copy} copies -> {out}")


if __name__ == "__main__":
    main()
