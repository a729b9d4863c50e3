#!/usr/bin/python3
"""The browser app's serving and the server side of its pages, over real HTTP against the real
binary and a real PostgreSQL (docs/web.md "How the server serves it", docs/api.md).

* `serve --web-dir` with a small app made here (index.html, a hashed asset, a theme; no npm):
  the security headers of every HTML answer (the exact CSP directives, the tile host in
  img-src, nosniff, Referrer-Policy, X-Frame-Options), cache headers (assets immutable, the
  rest no-cache), ETag and 304, the index.html fallback of client routes, problem+json 404 for
  unknown /api/ paths and for missing assets and theme files, 400 for traversal (plain and
  percent-encoded), 405 for other methods, the theme override of `--theme-dir`, HEAD, and a
  refused start when the directory lacks index.html. Without `--web-dir`, `/` stays a
  problem+json 404.
* GET /api/v1/app-config (tiles, attribution, `none`).
* GET /api/v1/projects: sort (and 400 naming sort), plantype, knelpunt (a deadline that cannot
  be met sets projects.knelpunt; the filter and the project show it), geometry=wgs84 (every
  coordinate in the Netherlands; Amersfoort's RD origin 155000, 463000 within 1 m of
  5.38720621, 52.15517440, the NSGI value).
"""
import argparse
import datetime
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, expect_problem, fresh_database, psql, start_server  # noqa: E402

TILES = "https://{s}.tiles.example.org/brt/{z}/{x}/{y}.png"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: https://*.tiles.example.org; connect-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
INDEX = b'<!doctype html><html lang="nl"><head><script type="module" src="/assets/app-abc123.js"></script>' \
        b'</head><body><div id="app"></div></body></html>\n'
ASSET = b"console.log('bouwstroom');\n"


def wait_for(pred, timeout=20.0, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def raw(base, method, path, headers=None):
    """One request with the path sent exactly as given (no client-side normalisation).
    Returns (status, headers as a lower-case dict, body)."""
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def make_app(tmp):
    web = os.path.join(tmp, "web")
    for d in ("assets", "theme"):
        os.makedirs(os.path.join(web, d))
    files = {"index.html": INDEX, "assets/app-abc123.js": ASSET, "assets/app-abc123.css": b"body{margin:0}\n",
             "theme/tokens.css": b":root{--bs-colour:#01689b}\n", "theme/logo.svg": b"<svg xmlns='x'/>\n",
             "favicon.png": b"\x89PNG\r\n\x1a\n"}
    for name, data in files.items():
        with open(os.path.join(web, name), "wb") as f:
            f.write(data)
    theme = os.path.join(tmp, "theme")
    os.makedirs(theme)
    with open(os.path.join(theme, "tokens.css"), "wb") as f:
        f.write(b":root{--bs-colour:#c00}\n")
    return web, theme


def html_headers(h, what):
    eq(h.get("content-type"), "text/html; charset=utf-8", f"{what}: content type")
    eq(h.get("content-security-policy"), CSP, f"{what}: the CSP, exactly")
    directives = {d.split()[0]: d.split()[1:] for d in h.get("content-security-policy", "").split("; ") if d}
    eq(directives.get("frame-ancestors"), ["'none'"], f"{what}: frame-ancestors 'none'")
    check("'unsafe-inline'" not in directives.get("script-src", []), f"{what}: no inline script")
    eq(h.get("x-content-type-options"), "nosniff", f"{what}: nosniff")
    check(h.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin"), f"{what}: Referrer-Policy",
          h.get("referrer-policy"))
    eq(h.get("x-frame-options"), "DENY", f"{what}: X-Frame-Options")
    eq(h.get("cache-control"), "no-cache", f"{what}: no-cache")


def is_problem(st, h, body, status, what):
    eq(st, status, f"{what}: status")
    eq(h.get("content-type"), "application/problem+json", f"{what}: problem+json")
    try:
        doc = json.loads(body)
    except ValueError:
        doc = {}
    eq(doc.get("status"), status, f"{what}: problem status")
    return doc


def serving(base, theme_dir):
    print("== the app's files", flush=True)
    st, h, body = raw(base, "GET", "/")
    eq((st, body), (200, INDEX), "/ is index.html")
    html_headers(h, "/")
    for route in ("/projects/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/projects/3f2504e0-4f89-11d3-9a0c-0305e82c3301/"
                  "steps/omgevingsvergunning", "/login", "/invitation", "/password-reset?x=1"):
        st, h, body = raw(base, "GET", route)
        eq((st, body), (200, INDEX), f"client route {route} falls back to index.html")
        html_headers(h, route)
    st, h, body = raw(base, "GET", "/index.html")
    eq((st, body), (200, INDEX), "/index.html itself")
    html_headers(h, "/index.html")

    st, h, body = raw(base, "GET", "/assets/app-abc123.js")
    eq((st, body), (200, ASSET), "a hashed asset")
    eq(h.get("content-type"), "text/javascript; charset=utf-8", "asset: text/javascript")
    eq(h.get("cache-control"), "public, max-age=31536000, immutable", "asset: immutable")
    eq(h.get("x-content-type-options"), "nosniff", "asset: nosniff")
    check("content-security-policy" not in h, "asset: no CSP (not HTML)")
    st, h, _ = raw(base, "GET", "/assets/app-abc123.css")
    eq((st, h.get("content-type")), (200, "text/css; charset=utf-8"), "css content type")
    st, h, _ = raw(base, "GET", "/favicon.png")
    eq((st, h.get("content-type"), h.get("cache-control")), (200, "image/png", "no-cache"), "a top-level file")
    etag = raw(base, "GET", "/assets/app-abc123.js")[1].get("etag")
    st, h, body = raw(base, "GET", "/assets/app-abc123.js", {"If-None-Match": etag or "x"})
    eq((st, body), (304, b""), "If-None-Match with the ETag: 304")
    st, h, body = raw(base, "HEAD", "/assets/app-abc123.js")
    eq((st, body, h.get("content-length")), (200, b"", str(len(ASSET))), "HEAD: headers, no body")

    print("== theme: the municipality's directory overrides the built theme", flush=True)
    st, h, body = raw(base, "GET", "/theme/tokens.css")
    eq((st, body), (200, open(os.path.join(theme_dir, "tokens.css"), "rb").read()), "tokens.css from --theme-dir")
    eq((h.get("cache-control"), h.get("content-type")), ("no-cache", "text/css; charset=utf-8"), "theme: no-cache")
    st, h, body = raw(base, "GET", "/theme/logo.svg")
    eq((st, h.get("content-type"), body), (200, "image/svg+xml", b"<svg xmlns='x'/>\n"), "logo.svg: the built one")

    print("== what is not the app", flush=True)
    doc = is_problem(*raw(base, "GET", "/api/v1/nope"), 404, "unknown /api/ path")
    eq(doc.get("detail"), "No resource at /api/v1/nope", "unknown /api/ path: as before")
    is_problem(*raw(base, "GET", "/api/"), 404, "/api/ itself")
    is_problem(*raw(base, "GET", "/assets/app-missing.js"), 404, "a missing asset is 404, not index.html")
    is_problem(*raw(base, "GET", "/theme/missing.css"), 404, "a missing theme file")
    is_problem(*raw(base, "GET", "/calendar/nope.ics"), 404, "the calendar's prefix stays the router's")
    st, _, body = raw(base, "GET", "/healthz")
    eq((st, json.loads(body).get("status")), (200, "ok"), "/healthz unchanged")
    for path in ("/assets/../index.html", "/assets/%2e%2e/index.html", "/%2E%2E/etc/passwd", "/assets/..%2fx.js",
                 "/theme/%2e/tokens.css", "/assets/..\\index.html"):
        doc = is_problem(*raw(base, "GET", path), 400, f"traversal {path} refused")
        check("path" in [p.get("name") for p in doc.get("invalid_params", [])], f"traversal {path}: names path", doc)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        st, h, body = raw(base, method, "/projects/x")
        is_problem(st, h, body, 405, f"{method} on the app")
        eq(h.get("allow"), "GET, HEAD", f"{method} on the app: Allow")
    st, h, _ = raw(base, "POST", "/api/v1/nope")
    eq((st, h.get("content-type")), (404, "application/problem+json"), "POST to an unknown /api/ path: 404 as before")


def start_refused(binary, env, tmp):
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    r = subprocess.run([binary, "serve", "--port", "0", "--web-dir", empty], env=env, capture_output=True, text=True,
                       timeout=60)
    check(r.returncode != 0 and "index.html" in r.stderr and "listening" not in r.stdout,
          "serve refuses a web dir without index.html, saying so", (r.returncode, r.stderr[-300:]))


def app_config(base, tiles, what):
    st, ct, doc = Api(base, token=None).json("GET", "/api/v1/app-config")
    eq((st, ct), (200, "application/json"), f"{what}: app-config is public")
    doc = doc or {}
    eq(doc.get("map", {}).get("tiles"), tiles, f"{what}: tiles")
    check(isinstance(doc.get("map", {}).get("attribution"), str), f"{what}: attribution is text", doc)
    eq(doc.get("languages"), ["nl", "en"], f"{what}: languages")


def metres(lon1, lat1, lon2, lat2):
    k = 111320.0
    return math.hypot((lon1 - lon2) * k * math.cos(math.radians(lat1)), (lat1 - lat2) * 110574.0)


def positions(g):
    if isinstance(g, dict):
        if g.get("type") == "GeometryCollection":
            for x in g.get("geometries", []):
                yield from positions(x)
        else:
            yield from positions(g.get("coordinates"))
    elif isinstance(g, list) and g and isinstance(g[0], (int, float)):
        yield g
    elif isinstance(g, list):
        for x in g:
            yield from positions(x)


def project_list(base, url):
    api = Api(base)
    print("== sort", flush=True)
    expect_problem(api, "GET", "/api/v1/projects?sort=homes_remaining", 400, "sort", "unknown sort key")
    expect_problem(api, "GET", "/api/v1/projects?sort=-", 400, "sort", "sort '-'")
    expect_problem(api, "GET", "/api/v1/projects?sort=name;drop", 400, "sort", "sort with SQL")
    st, _, doc = api.json("GET", "/api/v1/projects?sort=-homes&page_size=500")
    eq(st, 200, "sort=-homes")
    homes = [r["homes_remaining"] for r in (doc or {}).get("results", [])]
    known = [x for x in homes if x is not None]
    check(len(homes) >= 10 and known == sorted(known, reverse=True) and homes[:len(known)] == known,
          "sort=-homes: homes descending, unknown last", homes)
    eq(doc.get("count"), len(homes), "count is the total")
    st, _, doc = api.json("GET", "/api/v1/projects?sort=name&page_size=500")
    names = [r["name"] for r in doc["results"]]
    st, _, doc = api.json("GET", "/api/v1/projects?sort=-name&page_size=500")
    eq([r["name"] for r in doc["results"]], names[::-1], "sort=-name reverses sort=name")
    st, _, doc = api.json("GET", "/api/v1/projects?sort=planstatus&page_size=3")
    check(st == 200 and "sort=planstatus" in (doc.get("next") or ""), "next keeps sort", doc.get("next"))
    walked, path = [], "/api/v1/projects?sort=-updated&page_size=5"
    while path:
        st, _, d = api.json("GET", path)
        walked += [r["id"] for r in d["results"]]
        path = d["next"] and d["next"][len(base):]
    eq(len(set(walked)), len(names), "sort=-updated: pages cover every project once")

    print("== plantype", flush=True)
    st, _, doc = api.json("GET", "/api/v1/projects?plantype=Uitleg&page_size=500")
    types = {r["plantype"] for r in doc["results"]}
    check(st == 200 and doc["count"] > 0 and types == {"uitleg"}, "plantype=Uitleg: only uitleg", (st, types))
    eq(doc["count"], int(psql(url, "SELECT count(*) FROM projects WHERE plantype = 'uitleg'")), "plantype: count")
    expect_problem(api, "GET", "/api/v1/projects?plantype=villa", 400, "plantype", "unknown plantype")

    print("== knelpunt", flush=True)
    expect_problem(api, "GET", "/api/v1/projects?knelpunt=ja", 400, "knelpunt", "knelpunt must be boolean")
    st, _, doc = api.json("GET", "/api/v1/projects?knelpunt=true")
    eq((st, doc and doc["count"]), (200, 0), "no knelpunt after the import")
    pid = names and api.json("GET", "/api/v1/projects?sort=name&page_size=1")[2]["results"][0]["id"]
    st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    open_steps = [s for s in (sched or {}).get("steps", []) if s.get("status") != "done" and s.get("early_finish")
                  and s.get("total_float") is not None and not s.get("milestone")]
    check(open_steps, "the project has open steps", sched and sched.get("steps", [])[:2])
    if open_steps:
        s = open_steps[-1]
        deadline = (datetime.date.fromisoformat(s["early_finish"]) - datetime.timedelta(days=60)).isoformat()
        st, _, doc = api.json("PATCH", f"/api/v1/projects/{pid}/steps/{s['key']}",
                              {"finish_no_later_than": deadline, "reason": "deadline van de provincie"})
        eq(st, 200, f"a deadline 60 days before {s['key']}'s early finish")
        st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
        check(any((x.get("total_float") or 0) < 0 for x in sched["steps"]), "the schedule has negative float")
        eq(api.json("GET", f"/api/v1/projects/{pid}")[2].get("knelpunt"), True, "the project is a knelpunt")
        st, _, doc = api.json("GET", "/api/v1/projects?knelpunt=true")
        eq([r["id"] for r in doc["results"]], [pid], "knelpunt=true: exactly that project")
        eq(doc["results"][0].get("knelpunt"), True, "the list row says knelpunt")
        st, _, doc = api.json("GET", "/api/v1/projects?knelpunt=false&page_size=500")
        eq(doc["count"], len(names) - 1, "knelpunt=false: all others")
        st, _, doc = api.json("PATCH", f"/api/v1/projects/{pid}/steps/{s['key']}",
                              {"finish_no_later_than": None, "reason": "deadline vervallen"})
        eq(st, 200, "deadline removed")
        eq(api.json("GET", f"/api/v1/projects/{pid}")[2].get("knelpunt"), False, "no knelpunt any more")
        # the notifier's re-plan writes the flag too: a followed project whose deadline is set
        # behind the API's back (a direct write marks it dirty) becomes a knelpunt when re-planned
        me = api.json("GET", "/api/v1/me")[2]["id"]
        eq(api.json("POST", f"/api/v1/projects/{pid}/follows", {"user_id": me})[0], 201, "the operator follows it")
        psql(url, f"UPDATE project_steps SET finish_no_later_than = '{deadline}' "
                  f"WHERE project_id = '{pid}' AND step_key = '{s['key']}'")
        flag = wait_for(lambda: psql(url, f"SELECT knelpunt FROM projects WHERE id = '{pid}'") == "t", 60)
        check(flag, "the notifier's re-plan sets knelpunt", psql(url, f"SELECT knelpunt FROM projects WHERE id = '{pid}'"))
        psql(url, f"UPDATE project_steps SET finish_no_later_than = NULL WHERE project_id = '{pid}' "
                  f"AND step_key = '{s['key']}'")
        flag = wait_for(lambda: psql(url, f"SELECT knelpunt FROM projects WHERE id = '{pid}'") == "f", 60)
        check(flag, "and clears it", psql(url, f"SELECT knelpunt FROM projects WHERE id = '{pid}'"))

    print("== geometry=wgs84", flush=True)
    expect_problem(api, "GET", "/api/v1/projects?geometry=rd", 400, "geometry", "geometry=rd")
    st, _, doc = api.json("GET", "/api/v1/projects?page_size=500")
    check("geometry_wgs84" not in doc["results"][0] and "geometry" not in doc["results"][0],
          "without geometry=wgs84 no geometry in the list", sorted(doc["results"][0]))
    st, _, doc = api.json("GET", "/api/v1/projects?geometry=wgs84&page_size=500")
    eq(st, 200, "geometry=wgs84")
    pts = [p for r in doc["results"] for p in positions(r.get("geometry_wgs84"))]
    with_geom = int(psql(url, "SELECT count(*) FROM projects WHERE geometry IS NOT NULL"))
    eq(sum(1 for r in doc["results"] if r.get("geometry_wgs84")), with_geom, "every stored geometry converted")
    check(pts and all(3 <= p[0] <= 8 and 50 <= p[1] <= 54 for p in pts), "all coordinates in the Netherlands",
          [p for p in pts if not (3 <= p[0] <= 8 and 50 <= p[1] <= 54)][:3])
    check("geometry=wgs84" in (api.json("GET", "/api/v1/projects?geometry=wgs84&page_size=2")[2].get("next") or ""),
          "next keeps geometry")
    psql(url, "UPDATE projects SET geometry = '{\"type\": \"Point\", \"coordinates\": [155000, 463000]}', "
              f"geometry_crs = 'EPSG:28992' WHERE id = '{pid}'")
    st, _, doc = api.json("GET", f"/api/v1/projects?geometry=wgs84&sort=name&page_size=1")
    g = doc["results"][0].get("geometry_wgs84") or {}
    c = g.get("coordinates") or [0, 0]
    d = metres(c[0], c[1], 5.38720621, 52.15517440)
    check(g.get("type") == "Point" and d < 1.0, "RD 155000, 463000 (Amersfoort) → 5.38720621, 52.15517440 within 1 m",
          (g, round(d, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bs-web-")
    try:
        web, theme = make_app(tmp)
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
            env.pop("BOUWSTROOM_WEB_DIR", None)
            env.pop("BOUWSTROOM_THEME_DIR", None)
            env.pop("BOUWSTROOM_MAP_TILES", None)
            sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
            r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                               text=True, timeout=120)
            eq(r.returncode, 0, "sample import " + r.stderr[-300:])
            start_refused(args.binary, env, tmp)
            proc, base = start_server(args.binary, env, extra=("--web-dir", web, "--theme-dir", theme, "--map-tiles",
                                                               TILES))
            try:
                serving(base, theme)
                app_config(base, TILES, "--map-tiles")
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            proc, base = start_server(args.binary, dict(env, BOUWSTROOM_MAP_TILES="none"), operator=False)
            try:
                print("== without --web-dir", flush=True)
                is_problem(*raw(base, "GET", "/"), 404, "no app: / is a problem+json 404 as before")
                is_problem(*raw(base, "GET", "/projects/x"), 404, "no app: no fallback")
                app_config(base, None, "tiles none")
                project_list(base, url)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
            proc, base = start_server(args.binary, env, operator=False)
            try:
                st, _, doc = Api(base, token=None).json("GET", "/api/v1/app-config")
                check((doc or {}).get("map", {}).get("tiles", "").startswith("https://service.pdok.nl/brt/"),
                      "default tiles: PDOK BRT", doc)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
