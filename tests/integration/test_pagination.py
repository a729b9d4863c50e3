#!/usr/bin/python3
"""Paging of the lists (docs/api.md, "Conventions"), against the real binary, a real
PostgreSQL and real HTTP.

Every list answers {count, next, previous, results}; next/previous are absolute URLs that
work and keep the filters, null at the ends. For lists longer than one page (alerts, a
project's audit log, its scenarios, the projects) the test follows next to the end and
previous back to the start: every item appears exactly once each way and count is the
number of items. A bad page or page_size is a 400 problem naming the parameter.

Usage: test_pagination.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import OPERATOR, Api, check, eq, expect_problem, finish, fresh_database, psql, start_server  # noqa: E402


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
        proc, base = start_server(args.binary, env)
        try:
            run(base, url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def walk(api, path, key, what):
    """Follows next from path to the end, then previous back to the start. Returns (count,
    keys forwards, keys backwards) and checks the envelope of every page."""
    st, _, doc = api.json("GET", path)
    eq(st, 200, f"{what}: first page")
    if st != 200:
        return 0, [], []
    eq(doc["previous"], None, f"{what}: the first page has no previous")
    count = doc["count"]
    fwd, pages, seen = [], 0, set()
    while True:
        pages += 1
        eq(doc["count"], count, f"{what}: count on page {pages}")
        fwd += [x[key] for x in doc["results"]]
        nxt = doc["next"]
        if nxt is None:
            break
        check(nxt.startswith(api.base + "/api/v1/"), f"{what}: next is an absolute URL", nxt)
        check(nxt not in seen and pages < 100, f"{what}: next moves on", nxt)
        seen.add(nxt)
        st, _, doc = api.json("GET", nxt[len(api.base):])
        eq(st, 200, f"{what}: GET next {nxt}")
        if st != 200:
            return count, fwd, []
    back = [x[key] for x in reversed(doc["results"])]
    while doc["previous"] is not None:
        prv = doc["previous"]
        check(prv.startswith(api.base + "/api/v1/"), f"{what}: previous is an absolute URL", prv)
        st, _, doc = api.json("GET", prv[len(api.base):])
        eq(st, 200, f"{what}: GET previous {prv}")
        if st != 200:
            break
        back += [x[key] for x in reversed(doc["results"])]
    back.reverse()
    check(pages > 1, f"{what}: more than one page", pages)
    return count, fwd, back


def exactly_once(api, path, key, what, want=None):
    """Walks the list; every item exactly once forwards and backwards, count = items (and
    = want when given). Returns the keys."""
    count, fwd, back = walk(api, path, key, what)
    eq(len(fwd), count, f"{what}: count is the number of items")
    eq(len(set(fwd)), len(fwd), f"{what}: no item twice following next")
    eq(back, fwd, f"{what}: previous gives the same items in the same order")
    if want is not None:
        eq(sorted(fwd), sorted(want), f"{what}: exactly the expected items")
    return fwd


def run(base, url):
    api = Api(base)  # the test operator (administrator, beheerder)
    me = psql(url, f"SELECT id FROM users WHERE email = '{OPERATOR}'")
    pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' ORDER BY source_key LIMIT 1")

    print("== alerts: 23 of one due time (the id breaks the tie), 13 pending")
    psql(url, "INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, status, payload, message_id) "
              f"SELECT '{pid}', 'stap' || i, 'milestone_upcoming', 1, '{me}', '2026-12-01T08:00:00Z', "
              "CASE WHEN i <= 13 THEN 'pending' ELSE 'sent' END, '{}', 'pagination-' || i || '@bouwstroom.test' "
              "FROM generate_series(1, 23) i")
    all_alerts = psql(url, f"SELECT id FROM alerts WHERE user_id = '{me}' AND status <> 'superseded'").split()
    check(len(all_alerts) >= 23, "alerts made", len(all_alerts))
    exactly_once(api, "/api/v1/alerts?page_size=5", "id", "alerts", all_alerts)
    pending = psql(url, f"SELECT id FROM alerts WHERE user_id = '{me}' AND status = 'pending'").split()
    exactly_once(api, f"/api/v1/alerts?status=pending&user_id={me}&page_size=4", "id", "pending alerts", pending)
    st, _, doc = api.json("GET", f"/api/v1/alerts?status=pending&user_id={me}&page_size=4")
    eq(doc["next"], f"{base}/api/v1/alerts?page=2&page_size=4&status=pending&user_id={me}",
       "alerts: next keeps the filters and the page size")
    st, _, last = api.json("GET", f"/api/v1/alerts?status=pending&page_size=4&page=4&user_id={me}")
    eq((st, len(last["results"]), last["next"]), (200, 1, None), "alerts: the last page")
    eq(last["previous"], f"{base}/api/v1/alerts?page=3&page_size=4&status=pending&user_id={me}",
       "alerts: previous of the last page")
    st, _, beyond = api.json("GET", "/api/v1/alerts?page=1000&page_size=5")
    eq((st, beyond["results"], beyond["next"]), (200, [], None), "alerts: a page beyond the end is empty")
    check(beyond["previous"] and "page=999" in beyond["previous"], "alerts: beyond the end, previous is page - 1",
          beyond["previous"])

    print("== scenarios and the audit log: 12 saved scenarios")
    P = f"/api/v1/projects/{pid}"
    made = []
    for i in range(12):
        st, _, doc = api.json("POST", P + "/scenarios", {"name": f"variant {i}", "changes": []})
        eq(st, 201, f"save scenario {i}")
        made.append(doc["id"] if doc else None)
    exactly_once(api, P + "/scenarios?page_size=5", "id", "scenarios", made)
    audit = psql(url, f"SELECT id FROM audit_log WHERE project_id = '{pid}'").split()
    check(len(audit) >= 12, "audit rows made", len(audit))
    ids = exactly_once(api, P + "/audit?page_size=5", "id", "audit", [int(a) for a in audit])
    eq(ids, sorted(ids, reverse=True), "audit: newest first across the pages")
    st, _, doc = api.json("GET", P + "/audit")
    eq(len(doc["results"]), min(50, len(audit)), "audit: 50 a page by default")

    print("== projects: the filters kept as before")
    n = int(psql(url, "SELECT count(*) FROM projects"))
    exactly_once(api, "/api/v1/projects?page_size=5", "id", "projects",
                 psql(url, "SELECT id FROM projects").split())
    st, _, doc = api.json("GET", "/api/v1/projects?mine=false&planstatus=3&page_size=1")
    eq(doc["next"], f"{base}/api/v1/projects?page=2&page_size=1&planstatus=3&mine=false",
       "projects: next as before (filters in their order, page first)")
    st, _, doc = api.json("GET", "/api/v1/projects?q=a%20b%2Fc&page_size=1")
    eq((doc["count"], doc["next"]), (0, None), "projects: no match, no next")
    st, _, doc = api.json("GET", f"/api/v1/projects?page=2&page_size={n - 1}&q=")
    eq(doc["previous"], f"{base}/api/v1/projects?page=1&page_size={n - 1}&q=", "projects: previous keeps q=")

    print("== projects: every order both ways across pages, and the page at the edges")
    # bs_project_list_page (migration 0068) counts, orders and cuts the page inside PL/pgSQL, one
    # statement per order: each must be the ORDER BY api/routes.c built until then (project_sorts),
    # checked here against that ORDER BY in SQL, with ties and unknown values in the keys
    psql(url, "UPDATE projects SET name = 'Tweeling' WHERE id IN (SELECT id FROM projects ORDER BY source_key LIMIT 3)")
    psql(url, "UPDATE projects SET homes_remaining = NULL, planned_completion = NULL "
              "WHERE id IN (SELECT id FROM projects ORDER BY source_key DESC LIMIT 3)")
    psql(url, "UPDATE projects SET progress_date = '2026-01-01', homes_remaining = 7 "
              "WHERE id IN (SELECT id FROM projects ORDER BY source_key LIMIT 4 OFFSET 2)")
    orders = {"name": "name {d}, id", "gemeente": "gemeente {d}, name, id",
              "provincie": "provincie {d}, gemeente, name, id", "planstatus": "planstatus {d}, name, id",
              "plantype": "plantype {d}, name, id", "homes": "homes_remaining {d} NULLS LAST, name, id",
              "planned_completion": "planned_completion {d} NULLS LAST, name, id",
              "progress_date": "progress_date {d} NULLS LAST, name, id", "updated": "updated_at {d}, id"}
    for key, order in orders.items():
        for d in ("ASC", "DESC"):
            sort = ("-" if d == "DESC" else "") + key
            want = psql(url, f"SELECT id FROM projects ORDER BY {order.format(d=d)}").split()
            got = exactly_once(api, f"/api/v1/projects?sort={sort}&page_size=3", "id", f"projects sort={sort}", want)
            eq(got, want, f"projects sort={sort}: the SQL order across the pages")
    last = (n + 4) // 5
    st, _, doc = api.json("GET", f"/api/v1/projects?page_size=5&page={last}&sort=-homes")
    eq((st, doc["count"], len(doc["results"]), doc["next"]), (200, n, n - 5 * (last - 1), None),
       "projects: the last page (count, the rest, no next)")
    for page in (last + 1, 1000):
        st, _, doc = api.json("GET", f"/api/v1/projects?page_size=5&page={page}")
        eq((st, doc["count"], doc["results"], doc["next"]), (200, n, [], None),
           f"projects: page {page}, past the end: no rows, the count of all")
        eq(doc["previous"], f"{base}/api/v1/projects?page={page - 1}&page_size=5",
           f"projects: page {page}, past the end: previous is page - 1")
    status = psql(url, "SELECT planstatus FROM projects GROUP BY planstatus ORDER BY count(*) DESC, planstatus LIMIT 1")
    m = int(psql(url, f"SELECT count(*) FROM projects WHERE planstatus = '{status}'"))
    st, _, doc = api.json("GET", f"/api/v1/projects?planstatus={status}&page_size=1&page={m + 1}")
    eq((st, doc["count"], doc["results"], doc["next"]), (200, m, [], None),
       "projects: a filter, past the end: the filter's count")
    st, _, doc = api.json("GET", f"/api/v1/projects?planstatus={status}&page_size=1&page={m}&sort=-name")
    eq((st, doc["count"], len(doc["results"]), doc["next"]), (200, m, 1, None), "projects: a filter, its last page")
    st, _, doc = api.json("GET", "/api/v1/projects?q=tweel&page_size=2&page=2&sort=updated")
    eq((st, doc["count"], len(doc["results"])), (200, 3, 1), "projects: q, the second page")
    st, _, doc = api.json("GET", "/api/v1/projects?q=no%25such_name&page_size=2&page=3")
    eq((st, doc["count"], doc["results"], doc["next"]), (200, 0, [], None), "projects: q matching none, page 3")

    print("== a short list: next and previous null")
    st, _, doc = api.json("GET", "/api/v1/process-schemas")
    eq((st, doc["next"], doc["previous"], len(doc["results"]) == doc["count"]), (200, None, None, True),
       "process schemas: one page")
    if doc["count"] > 1:
        exactly_once(api, "/api/v1/process-schemas?page_size=1", "key", "process schemas",
                     [s["key"] for s in doc["results"]])
    for path in ("/api/v1/api-tokens", P + "/members", "/api/v1/feed-tokens", f"/api/v1/alert-rules?user_id={me}"):
        st, _, doc = api.json("GET", path + ("&" if "?" in path else "?") + "page_size=500")
        eq(st, 200, f"{path}: page_size accepted")
        check(doc and set(doc) == {"count", "next", "previous", "results"} and doc["next"] is None
              and len(doc["results"]) == doc["count"], f"{path}: the envelope", doc)

    print("== bad page parameters")
    for path in ("/api/v1/alerts", P + "/audit", P + "/scenarios", "/api/v1/projects", "/api/v1/process-schemas",
                 P + "/members", "/api/v1/api-tokens", "/api/v1/feed-tokens", f"/api/v1/alert-rules?user_id={me}"):
        sep = "&" if "?" in path else "?"
        for q, name in (("page=0", "page"), ("page=abc", "page"), ("page=-1", "page"), ("page=1000001", "page"),
                        ("page_size=0", "page_size"), ("page_size=501", "page_size"), ("page_size=", "page_size"),
                        ("page=1&page_size=1.5", "page_size")):
            doc = expect_problem(api, "GET", path + sep + q, 400, name, f"{path}{sep}{q}")
            check(doc and name in doc.get("detail", ""), f"{path}{sep}{q}: the detail names {name}", doc)
    doc = expect_problem(api, "GET", "/api/v1/alerts?page_size=501", 400, "page_size", "page_size too large")
    eq(doc and doc["detail"], "page_size must be an integer from 1 to 500", "the rule in the detail")


if __name__ == "__main__":
    sys.exit(main())
