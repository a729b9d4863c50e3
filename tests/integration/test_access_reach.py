#!/usr/bin/python3
"""The project list over a larger installation returns exactly what the access policy allows
(issue 17 item 5; migration 0032_access_reach.sql, docs/security.md §3).

The list and the all-my-projects calendar feed evaluate the policy only on the projects a user
can reach (bs_project_access_reach: memberships, own organisations, same woonregio, own
province, the state, openbaar; index-backed) instead of on every project of the installation
(bs_project_access). This test builds an installation of ~1,300 projects over 12
municipalities in 4 woonregio's (one without), 3 provinces, every confidentiality level,
and users of every kind (each municipal role, a second municipality of the same region, a
municipality without region, province staff and province extern, a user with a province role and an
extern role in another province, the state, project members
of every role on projects of another municipality incl. privé ones, a developer, a user with
roles in two municipalities, a disabled user, a user without roles, anonymous), and checks:

* per user, in SQL: the rows of bs_project_access_reach with access public or more or the
  stream flag are exactly those of bs_project_access evaluated row by row, and every row of
  bs_project_access_reach is the same row (access and stream) of bs_project_access;
* the same for the rows with any access (aggregate included: GET /api/v1/reports/aggregate);
* per user, in SQL: bs_project_access_of (migration 0050: the policy's CASE over given projects)
  over every project returns exactly bs_project_access's rows;
* per user, in SQL: bs_project_list_page (migration 0068: GET /api/v1/projects's page, from PL/pgSQL,
  whose plans a session keeps), one page of every row, returns exactly the list's rows (access public
  or more, or the stream flag) of bs_project_access_reach for every filter shape (none, gemeente,
  provincie, both; matching and not, folded; the province branch's rows read in the policy statement
  for the shapes without gemeente, migration 0064), and exactly bs_project_access's in the filter, with
  custom plans and with PostgreSQL's generic plans (plan_cache_mode force_generic_plan: what a server
  connection runs after a few lists);
* per user, over HTTP: GET /api/v1/projects (every page) lists exactly those projects, also
  with a gemeente filter, a provincie filter and both (G5: the project members' municipality);
  the aggregate report counts exactly the projects with any access.

Usage: test_access_reach.py --binary BOUWSTROOM --source SRC
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, finish, fresh_database, psql, start_server, token_for  # noqa: E402

LEVELS = ["prive", "intern_ambtelijk", "intern_bestuurlijk", "intern_raad", "extern_woonregio",
          "extern_mede_overheden", "openbaar"]
COPIES = 100  # copies of each sample project

# the larger installation: municipalities G0..G11 (region R(i % 4), G11 none), provinces
# Prov0..Prov2, province organisations of Prov0 and Prov1, the state, a developer
SETUP = f"""
SET bouwstroom.audit = 'bulk';
INSERT INTO organisations (name, kind, region)
  SELECT 'G' || i, 'gemeente', CASE WHEN i = 11 THEN NULL ELSE 'R' || (i % 4) END FROM generate_series(0, 11) i;
INSERT INTO organisations (name, kind, provincie) VALUES ('Provincie P0', 'provincie', 'Prov0'),
  ('Provincie P1', 'provincie', 'Prov1');
INSERT INTO organisations (name, kind) VALUES ('Rijk', 'rijk'), ('Ontwikkelaar D', 'ontwikkelaar');
INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, progress_date,
    process_schema_key, process_schema_version, owner_organisation_id, developer_organisation_id, confidentiality)
  SELECT 'reach', p.source_key || '-' || c, p.name || ' ' || c, o.name, 'Prov' || (c % 3), p.plantype,
         p.planstatus, p.progress_date, p.process_schema_key, p.process_schema_version, o.id,
         CASE WHEN c % 5 = 0 THEN (SELECT id FROM organisations WHERE name = 'Ontwikkelaar D') END,
         (ARRAY{LEVELS!r})[1 + (c + length(p.source_key)) % 7]
    FROM projects p CROSS JOIN generate_series(0, {COPIES - 1}) c
    JOIN organisations o ON o.name = 'G' || (c % 12)
   WHERE p.source = 'sample';
"""

# users: email -> list of (organisation name, role); home organisation = the first
USERS = {
    "beheerder@g0": [("G0", "beheerder")], "projectleider@g0": [("G0", "projectleider")],
    "medewerker@g0": [("G0", "medewerker")], "management@g0": [("G0", "management")],
    "raad@g0": [("G0", "raad")], "extern@g0": [("G0", "extern")],
    "medewerker@g4": [("G4", "medewerker")],            # same region as G0 (R0)
    "extern@g4": [("G4", "extern")],
    "raad@g11": [("G11", "raad")],                       # no region
    "staf@p0": [("Provincie P0", "medewerker")], "extern@p1": [("Provincie P1", "extern")],
    "twee@p0p1": [("Provincie P1", "raad"), ("Provincie P0", "extern")],  # one province extern
    "staf@rijk": [("Rijk", "management")],
    "dev@d": [("Ontwikkelaar D", "medewerker")],
    "twee@g1g2": [("G1", "medewerker"), ("G2", "raad")],
    "uit@g3": [("G3", "beheerder")],                     # disabled below
    "niemand@d": [("Ontwikkelaar D", "extern")],
}
# project memberships: email -> role, on projects of G5 (every level, privé included)
MEMBERS = {"extern@g0": "extern", "dev@d": "extern", "raad@g11": "projectleider", "staf@p0": "medewerker",
           "uit@g3": "projectleider"}


def make_users(url):
    for email, roles in USERS.items():
        psql(url, f"INSERT INTO users (organisation_id, email) SELECT id, '{email}' FROM organisations "
                  f"WHERE name = '{roles[0][0]}'")
        for org, role in roles:
            psql(url, f"INSERT INTO organisation_members (organisation_id, user_id, role) SELECT o.id, u.id, "
                      f"'{role}' FROM organisations o, users u WHERE o.name = '{org}' AND u.email = '{email}'")
    for i, (email, role) in enumerate(MEMBERS.items()):
        psql(url, "SET bouwstroom.audit = 'bulk'; INSERT INTO project_members (project_id, user_id, role) "
                  f"SELECT p.id, u.id, '{role}' FROM projects p, users u WHERE u.email = '{email}' "
                  f"AND p.gemeente = 'G5' AND (hashtext(p.source_key) + {i}) % 9 = 0")


def allowed(url, fn, uid, where="access IN ('public','read','write','lead') OR stream"):
    """(project, access, stream) rows of fn(uid) that put a project in a list (where: in the
    aggregate report)."""
    arg = f"'{uid}'::uuid" if uid else "NULL::uuid"
    out = psql(url, f"SELECT project_id || '|' || COALESCE(access, '') || '|' || stream FROM {fn}({arg}) "
                    f"WHERE {where} ORDER BY 1")
    return out.split()


VISIBLE = "('public','read','write','lead')"


def listed(src, access="a.access", stream="a.stream"):
    """The list's rows (id, access, stream_access) of a policy function's rows src (alias a): the ones
    seen in detail (access public or more, or the stream flag), access 'stream' for the flag alone."""
    return (f"SELECT a.project_id AS id, CASE WHEN {access} IN {VISIBLE} THEN {access} ELSE 'stream' END AS access, "
            f"{stream} AS stream_access FROM {src} WHERE ({access} IN {VISIBLE} OR {stream})")


def list_page_same(url, uid, who):
    """bs_project_list_page(uid, g, p, …) (migration 0068: GET /api/v1/projects's page), one page of
    every row, has exactly the list's rows of bs_project_access_reach(uid, g, p) for each filter shape,
    7 calls each in one session (PL/pgSQL plans a statement's custom plan the first 5 times), once with
    the default plan cache mode and once with generic plans forced; and exactly bs_project_access's in
    that gemeente / provincie (folded)."""
    arg = f"'{uid}'::uuid" if uid else "NULL::uuid"
    shapes = (("NULL", "NULL"), ("'G4'", "NULL"), ("NULL", "'Prov0'"), ("'G4'", "'Prov0'"), ("'g4'", "'PROV0'"),
              ("'G5'", "NULL"), ("NULL", "'prov2'"), ("'G5'", "'Prov2'"), ("'nergens'", "NULL"),
              ("NULL", "'pRoV0'"), ("NULL", "'Prov1'"))
    rows_of = ("SELECT {k}, count(*), COALESCE(string_agg(a.id || ':' || a.access || ':' || a.stream_access, ',' "
               "ORDER BY a.id), '') FROM ({src}) a;")
    per = 9  # lines per shape: the reach, 7 x the page, the full policy in the filter
    for mode in ("auto", "force_generic_plan"):
        script = [f"SET plan_cache_mode = {mode};"]
        for k, (g, p) in enumerate(shapes):
            script.append(rows_of.format(k=k, src=listed(f"bs_project_access_reach({arg}, {g}::text, {p}::text) a")))
            page = (f"SELECT a.id, a.access, a.stream_access FROM bs_project_list_page({arg}, {g}::text, {p}::text, "
                    "NULL, NULL, NULL, NULL, false, 'name', 1000000, 0) a WHERE a.id IS NOT NULL")
            script += [rows_of.format(k=k, src=page)] * 7
            script.append(rows_of.format(k=k, src=listed(
                f"bs_project_access({arg}) a JOIN projects x ON x.id = a.project_id") +
                f" AND ({g}::text IS NULL OR bs_fold(x.gemeente) = bs_fold({g})) "
                f"AND ({p}::text IS NULL OR bs_fold(x.provincie) = bs_fold({p}))"))
        out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-f", "-"], input="\n".join(script),
                             check=True, capture_output=True, text=True).stdout.split("\n")
        rows = [line for line in out if line]
        eq(len(rows), len(shapes) * per, f"{who}: every list page query answered ({mode})")
        for k, (g, p) in enumerate(shapes):
            want = rows[k * per]
            for i, got in enumerate(rows[k * per + 1:k * per + 8]):
                check(got == want, f"{who}: bs_project_list_page({g}, {p}) call {i + 1} = bs_project_access_reach "
                      f"({mode})", f"{got.split('|')[1]} rows, want {want.split('|')[1]}")
            full = rows[k * per + 8]
            check(want == full, f"{who}: bs_project_list_page({g}, {p}) = bs_project_access in the filter ({mode})",
                  f"{want.split('|')[1]} rows, want {full.split('|')[1]}")


def same(got, want, what):
    """got == want (sorted lists); on a difference, the counts and a few rows of each side."""
    extra, missing = sorted(set(got) - set(want)), sorted(set(want) - set(got))
    check(got == want, what, f"{len(got)} rows, want {len(want)}; extra {extra[:3]}, missing {missing[:3]}")


def walk(api, path):
    ids, page = [], 1
    while True:
        st, _, doc = api.json("GET", f"{path}{'&' if '?' in path else '?'}page_size=500&page={page}")
        if st != 200:
            check(False, f"{path}: status", st)
            return ids
        ids += [r["id"] for r in doc["results"]]
        if not doc["next"]:
            return ids
        page += 1


def run(binary, env, url, base):
    psql(url, SETUP)
    make_users(url)
    psql(url, "UPDATE users SET disabled_at = now() WHERE email = 'uit@g3'")
    n = int(psql(url, "SELECT count(*) FROM projects"))
    check(n >= 1000, "a larger installation", n)
    users = [(None, None)] + [(e, psql(url, f"SELECT id FROM users WHERE email = '{e}'")) for e in USERS]
    for email, uid in users:
        who = email or "anonymous"
        full, reach = allowed(url, "bs_project_access", uid), allowed(url, "bs_project_access_reach", uid)
        same(reach, full, f"{who}: bs_project_access_reach lists exactly what bs_project_access allows")
        any_access = "access IS NOT NULL OR stream"
        same(allowed(url, "bs_project_access_reach", uid, any_access), allowed(url, "bs_project_access", uid, any_access),
             f"{who}: bs_project_access_reach has every row with any access (aggregate included)")
        arg = f"'{uid}'::uuid" if uid else "NULL::uuid"
        extra = psql(url, f"SELECT count(*) FROM (SELECT * FROM bs_project_access_reach({arg}) EXCEPT "
                          f"SELECT * FROM bs_project_access({arg})) x")
        eq(extra, "0", f"{who}: every reached row is bs_project_access's row")
        # the policy's CASE alone (bs_project_access_of, migration 0050) over every project: exactly
        # bs_project_access's rows, the ones without access included; over no projects: none
        of_all = f"bs_project_access_of({arg}, ARRAY(SELECT id FROM projects))"
        for a, b in ((of_all, f"bs_project_access({arg})"), (f"bs_project_access({arg})", of_all)):
            eq(psql(url, f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) x"), "0",
               f"{who}: every row of {a.split('(')[0]} over every project is a row of {b.split('(')[0]}")
        eq(psql(url, f"SELECT count(*) FROM bs_project_access_of({arg}, NULL)"), "0", f"{who}: no ids, no rows")
        # the external_update recipients' check (bs_may_read_project, migration 0053): true for exactly the
        # projects bs_project_access gives read, write or lead, for every project (and false for a missing one)
        if uid:
            eq(psql(url, f"SELECT count(*) FROM projects p WHERE bs_may_read_project({arg}, p.id) IS DISTINCT FROM "
                         f"EXISTS (SELECT 1 FROM bs_project_access({arg}) x WHERE x.project_id = p.id "
                         "AND x.access IN ('read', 'write', 'lead'))"), "0",
               f"{who}: bs_may_read_project is bs_project_access's read, write or lead, project by project")
            eq(psql(url, f"SELECT bs_may_read_project({arg}, gen_random_uuid())"), "f", f"{who}: no project, no read")
        list_page_same(url, uid, who)
        check(email in (None, "niemand@d") or len(full) > 0 or email == "uit@g3", f"{who}: sees something", len(full))
        if email == "uit@g3":
            same(full, allowed(url, "bs_project_access", None), "disabled: the access of an anonymous caller")
            continue  # a disabled user gets no token
        api = Api(base, token_for(binary, env, email) if email else None)
        ids = sorted(r.split("|")[0] for r in full)
        same(sorted(walk(api, "/api/v1/projects")), ids, f"{who}: GET /api/v1/projects lists exactly the allowed")
        for q in ("gemeente=G4", "provincie=Prov0", "gemeente=G5", "gemeente=G5&provincie=Prov2"):
            cond = " AND ".join(f"{k} = '{v}'" for k, v in (kv.split("=") for kv in q.split("&")))
            want = set(psql(url, f"SELECT id FROM projects WHERE {cond}").split())
            same(sorted(walk(api, "/api/v1/projects?" + q)), sorted(i for i in ids if i in want),
               f"{who}: GET /api/v1/projects?{q} lists exactly the allowed")
        if email is None:
            continue  # the aggregate report needs a user
        agg = allowed(url, "bs_project_access", uid, any_access)
        st, _, doc = api.json("GET", "/api/v1/reports/aggregate?group_by=gemeente")
        eq(st, 200, f"{who}: aggregate report")
        eq(sum(r["projects"] for r in (doc or {}).get("results", [])), len(agg), f"{who}: aggregate counts them all")
        eq(sum(r["aggregate_only"] for r in (doc or {}).get("results", [])),
           sum(1 for r in agg if r.split("|")[1:] == ["aggregate", "false"]), f"{who}: aggregate-only counted")
    # one user of each kind saw a non-trivial list (the fixture is what it claims)
    for email, lo in (("staf@p0", 50), ("medewerker@g4", 50), ("dev@d", 1), ("staf@rijk", 100)):
        uid = psql(url, f"SELECT id FROM users WHERE email = '{email}'")
        check(len(allowed(url, "bs_project_access", uid)) >= lo, f"fixture: {email} sees at least {lo}")


def under_old_snapshot(url):
    """Migration 0058 finds the policy's projects by their row address (ctid) read under the same
    snapshot. In a REPEATABLE READ transaction whose snapshot was taken first, another connection
    updates every project (new row versions, new addresses) and vacuums; the reach, the list's rows
    and bs_project_access_of must still return exactly the rows they returned before the update
    (those of the snapshot), and the same again after it in a new transaction."""
    shapes = [("staf@p0", "NULL", "NULL"), ("staf@p0", "NULL", "'Prov0'"), ("beheerder@g0", "'G0'", "NULL"),
              ("staf@rijk", "NULL", "NULL"), ("dev@d", "'G5'", "NULL")]
    update = ("-c \"SET bouwstroom.audit = 'bulk'; UPDATE projects SET updated_at = updated_at + interval '1 second'\" "
              "-c 'VACUUM projects'")
    qs = []
    for email, g, p in shapes:
        uid = f"(SELECT id FROM users WHERE email = '{email}')"
        page = (f"(SELECT l.id AS project_id, l.access, l.stream_access AS stream FROM bs_project_list_page({uid}, "
                f"{g}::text, {p}::text, NULL, NULL, NULL, NULL, false, 'name', 1000000, 0) l WHERE l.id IS NOT NULL)")
        for src in (page, f"bs_project_access_reach({uid}, {g}, {p})",
                    f"bs_project_access_of({uid}, ARRAY(SELECT id FROM projects))"):
            qs.append(f"SELECT count(*) || ':' || md5(COALESCE(string_agg(a.project_id || ':' || COALESCE(a.access, '') "
                      f"|| ':' || a.stream, ',' ORDER BY a.project_id), '')) FROM {src} a;")
    addresses = "SELECT md5(string_agg(ctid::text, ',' ORDER BY id)) FROM projects"
    before = psql(url, addresses)
    script = ["BEGIN ISOLATION LEVEL REPEATABLE READ;"] + qs + \
        [f"\\! psql '{url}' -XAtq -v ON_ERROR_STOP=1 {update} >/dev/null"] + qs + ["COMMIT;"] + qs
    out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-f", "-"], input="\n".join(script),
                         check=True, capture_output=True, text=True).stdout.split()
    n = len(qs)
    eq(len(out), 3 * n, "old snapshot: every query answered")
    check(psql(url, addresses) != before, "old snapshot: every project has a new row address meanwhile")
    for i in range(n):
        email, g, p = shapes[i // 3]
        what = ("bs_project_list_page", "bs_project_access_reach", "bs_project_access_of")[i % 3]
        check(out[n + i] == out[i], f"old snapshot: {what} of {email} ({g}, {p}) after a concurrent update + VACUUM",
              f"{out[n + i]} vs {out[i]}")
        check(out[2 * n + i] == out[i], f"old snapshot: {what} of {email} ({g}, {p}) in a new transaction",
              f"{out[2 * n + i]} vs {out[i]}")
        check(not out[i].startswith("0:"), f"old snapshot: {what} of {email} ({g}, {p}) has rows", out[i])


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
            run(args.binary, env, url, base)
            under_old_snapshot(url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
