#!/usr/bin/python3
"""Runs one browser journey (web/tests/NAME.spec.mjs) against the real server, a real
PostgreSQL and Debian's chromium.

Sets up a fresh database with the sample plans (adapters/sample/voorbeeldstad.geojson) and the
people of the journeys, starts `bouwstroom serve --web-dir`, writes the fixture (JSON, below)
and runs `node JOURNEY FIXTURE`. The journey exits 0 when every check held.

The fixture:
  base          the server's base URL
  chromium      the browser executable
  screenshots   directory for the page screenshots (1366x768)
  today         the server's --today
  projects      {"marktveld": id, "stationskwartier": id, ...} by lowercased first word of the name
  leader        {email, password, name, totp_secret, totp_last_step}: a municipal projectleider of
                Voorbeeldstad, TOTP enrolled (last accepted step given: a journey must use a later
                step, RFC 6238 §5.2 replay guard), project leader of Marktveld
  fresh_leader  {email, password}: a municipal projectleider not yet enrolled in TOTP
  developer     {email, password, name, organisation}: an external developer admitted to Marktveld
                (not openbaar) for its private stream (ontwikkelaar)
  invitation    {token, email, project}: an open invitation of another external developer
  admin         {email, password, name, totp_secret, totp_last_step}: an administrator of the
                installation (imports, the adapter outbox), TOTP enrolled like the leader; made
                only for a journey whose text names fx.admin (the hashing and the enrolment
                cost every other journey seconds)
  viewer        {email, password, name, totp_secret, totp_last_step}: a `management` user of
                Voorbeeldstad, TOTP enrolled like the leader: `read` access to the municipality's
                projects at level intern bestuurlijk or more (Stationskwartier), never write (a
                read-only user); made only for a journey whose text names fx.viewer
  raad          {email, password, name, totp_secret, totp_last_step}: a council member (`raad`) of
                Voorbeeldstad, TOTP enrolled like the leader: `read` access to the municipality's
                projects at level intern raad or more, the others only as aggregates (k = 5 rule,
                docs/security.md §3b); made only for a journey whose text names fx.raad
  levels        {level: [project names]}: made only for a journey whose text names fx.levels (or
                fx.raad): the sample plans put at the confidentiality levels of LEVELS (openbaar,
                intern_raad, intern_ambtelijk), with figures for every dashboard view (LEVEL_DATA)
  operator      {token}: a bearer token of an administrator (for setting up and for checking
                what the server stored, never used by the page)
  db            the journey's database URL (a journey may put in place what no endpoint makes,
                with psql)

Usage: run.py --binary BOUWSTROOM --source SRC --web-dir DIR --screenshots DIR --journey FILE
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import bsit  # noqa: E402
from bsit import Api, fresh_database, psql  # noqa: E402

PW = "Een-lang-wachtwoord-2026"


def run(binary, env, args):
    r = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r.stdout + r.stderr


def user_add(binary, env, email, role, name):
    out = run(binary, env, ["user", "add", email, "--role", role, "--name", name, "--organisation", "Voorbeeldstad",
                            "--organisation-kind", "gemeente", "--generate-password"])
    return re.search(r"password \(shown once[^)]*\): (\S+)", out).group(1)


def totp_at(secret_b32, step):
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits) for one time step."""
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def enrol(base, email, password):
    """Enrols a user in TOTP over the API with the code of the previous time step (inside the
    server's window), so that a journey can log in with the current one. Returns (secret, step)."""
    anon = Api(base, None)
    st, _, doc = anon.json("POST", "/api/v1/login", {"email": email, "password": password})
    if st != 401 or (doc or {}).get("code") != "totp_enrolment_required":
        raise RuntimeError(f"enrolment of {email}: expected 401 totp_enrolment_required, got {st} {doc}")
    secret = doc["secret"]
    step = int(time.time()) // 30 - 1
    st, _, doc = anon.json("POST", "/api/v1/login", {"email": email, "password": password,
                                                     "totp_code": totp_at(secret, step)})
    if st != 200:
        raise RuntimeError(f"enrolment of {email}: second login {st} {doc}")
    return secret, step


# The sample plans' confidentiality levels for the dashboard journeys: three openbaar (the public page
# lists them), two the council reads (intern_raad), the other seven the council sees only as
# aggregates (intern_ambtelijk: >= 5, so the k = 5 rule shows them in the figures, merged where a
# cell holds fewer than 5 of them).
LEVELS = {
    "openbaar": ["Oude Haven fase 1", "Kerkplein", "Parkrand"],
    "intern_raad": ["Molenweide", "Dijkwoningen"],
    "intern_ambtelijk": ["Stationskwartier", "Oude Haven fase 2", "Polder Noord", "Bedrijventerrein De Vaart",
                         "Marktveld", "Schoolstraat (voormalige basisschool)", "Tuinen van West"],
}

# Figures for every view of the dashboards: realised and running steps (lead times), knelpunten with a
# missed deadline (three hidden projects: fewer than 5, so the council's view withholds them), stored
# plans and P50/P80 forecasts of laatste_oplevering (homes per year). Bulk audit: set-up data.
LEVEL_DATA = [
    "UPDATE projects SET confidentiality = lv.level FROM (VALUES {values}) lv(name, level) "
    "WHERE projects.source = 'sample' AND projects.name = lv.name",
    "INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish) "
    "SELECT id, 'initiatief_ingediend', 'done', DATE '2025-01-06', DATE '2025-01-06' + 10 * row_number() OVER "
    "(ORDER BY name)::int FROM projects WHERE source = 'sample' "
    "ON CONFLICT (project_id, step_key) DO UPDATE SET status = 'done', actual_start = EXCLUDED.actual_start, "
    "actual_finish = EXCLUDED.actual_finish, actual_estimated = false",
    "INSERT INTO project_steps (project_id, step_key, status, actual_start) SELECT id, 'initiatief_ontvangen', "
    "'started', DATE '2025-06-02' FROM projects WHERE source = 'sample' AND name < 'P' "
    "ON CONFLICT (project_id, step_key) DO UPDATE SET status = 'started', actual_start = EXCLUDED.actual_start, "
    "actual_finish = NULL",
    "UPDATE projects SET knelpunt = true WHERE source = 'sample' AND name IN ('Polder Noord', 'Marktveld', "
    "'Tuinen van West', 'Molenweide', 'Kerkplein')",
    "INSERT INTO project_steps (project_id, step_key, status, finish_no_later_than) SELECT id, 'principeakkoord', "
    "'open', DATE '2026-02-02' FROM projects WHERE source = 'sample' AND knelpunt "
    "ON CONFLICT (project_id, step_key) DO UPDATE SET finish_no_later_than = EXCLUDED.finish_no_later_than",
    "INSERT INTO milestone_dates (project_id, step_key, planned_finish, status, p50, p80) "
    "SELECT id, 'laatste_oplevering', DATE '2028-03-01' + 90 * row_number() OVER (ORDER BY name)::int, 'open', "
    "DATE '2028-09-01' + 120 * row_number() OVER (ORDER BY name)::int, "
    "DATE '2029-06-01' + 150 * row_number() OVER (ORDER BY name)::int FROM projects WHERE source = 'sample' "
    "ON CONFLICT (project_id, step_key) DO UPDATE SET planned_finish = EXCLUDED.planned_finish, "
    "p50 = EXCLUDED.p50, p80 = EXCLUDED.p80",
]


def set_levels(url):
    """Puts the sample plans at LEVELS and writes LEVEL_DATA; returns LEVELS."""
    values = ", ".join(f"('{n}', '{lv}')" for lv, names in LEVELS.items() for n in names)
    for sql in LEVEL_DATA:
        psql(url, "SET bouwstroom.audit = 'bulk'; " + sql.replace("{values}", values))
    return LEVELS


def fixture(binary, env, url, base, args):
    ops = Api(base)
    projects = {}
    for row in psql(url, "SELECT id || '|' || name FROM projects WHERE source = 'sample'").splitlines():
        pid, name = row.split("|", 1)
        projects[re.split(r"[ (]", name.lower())[0]] = pid
    marktveld = projects["marktveld"]

    leader_pw = user_add(binary, env, "lotte.leider@voorbeeldstad.test", "projectleider", "Lotte Leider")
    leader_id = psql(url, "SELECT id FROM users WHERE email = 'lotte.leider@voorbeeldstad.test'")
    st, _, doc = ops.json("POST", f"/api/v1/projects/{marktveld}/members", {"user_id": leader_id,
                                                                           "role": "projectleider"})
    if st not in (200, 201):
        raise RuntimeError(f"fixture: leader member of Marktveld: {st} {doc}")
    secret, step = enrol(base, "lotte.leider@voorbeeldstad.test", leader_pw)
    fresh_pw = user_add(binary, env, "nina.nieuw@voorbeeldstad.test", "projectleider", "Nina Nieuw")
    admin = viewer = raad = levels = None
    with open(args.journey, encoding="utf-8") as f:
        text = f.read()
        if "fx.levels" in text or "fx.raad" in text:
            levels = set_levels(url)
        if "fx.raad" in text:
            raad_pw = user_add(binary, env, "rik.raad@voorbeeldstad.test", "raad", "Rik Raadslid")
            raad_secret, raad_step = enrol(base, "rik.raad@voorbeeldstad.test", raad_pw)
            raad = {"email": "rik.raad@voorbeeldstad.test", "password": raad_pw, "name": "Rik Raadslid",
                    "totp_secret": raad_secret, "totp_last_step": raad_step}
        if "fx.viewer" in text:
            viewer_pw = user_add(binary, env, "mila.management@voorbeeldstad.test", "management", "Mila Management")
            viewer_secret, viewer_step = enrol(base, "mila.management@voorbeeldstad.test", viewer_pw)
            viewer = {"email": "mila.management@voorbeeldstad.test", "password": viewer_pw, "name": "Mila Management",
                      "totp_secret": viewer_secret, "totp_last_step": viewer_step}
        if "fx.admin" in text:
            out = run(binary, env, ["user", "add", "ada.admin@voorbeeldstad.test", "--admin", "--name", "Ada Admin",
                                    "--organisation", "Voorbeeldstad", "--organisation-kind", "gemeente",
                                    "--generate-password"])
            admin_pw = re.search(r"password \(shown once[^)]*\): (\S+)", out).group(1)
            admin_secret, admin_step = enrol(base, "ada.admin@voorbeeldstad.test", admin_pw)
            admin = {"email": "ada.admin@voorbeeldstad.test", "password": admin_pw, "name": "Ada Admin",
                     "totp_secret": admin_secret, "totp_last_step": admin_step}

    st, _, inv = ops.json("POST", f"/api/v1/projects/{marktveld}/invitations",
                          {"email": "dirk@ontwikkelaar-a.test", "organisation_name": "Ontwikkelaar A",
                           "name": "Dirk Developer"})
    if st != 201:
        raise RuntimeError(f"fixture: invitation of the developer: {st} {inv}")
    st, _, doc = Api(base, None).json("POST", "/api/v1/invitations/accept", {"token": inv["token"], "password": PW})
    if st != 200:
        raise RuntimeError(f"fixture: invitation accepted: {st} {doc}")
    st, _, inv2 = ops.json("POST", f"/api/v1/projects/{projects['molenweide']}/invitations",
                           {"email": "eva@ontwikkelaar-b.test", "organisation_name": "Ontwikkelaar B",
                            "name": "Eva Externa"})
    if st != 201:
        raise RuntimeError(f"fixture: second invitation: {st} {inv2}")
    return {
        "base": base,
        "chromium": shutil.which("chromium") or "/usr/bin/chromium",
        "screenshots": args.screenshots,
        "today": bsit.TODAY,
        "projects": projects,
        "leader": {"email": "lotte.leider@voorbeeldstad.test", "password": leader_pw, "name": "Lotte Leider",
                   "totp_secret": secret, "totp_last_step": step},
        "fresh_leader": {"email": "nina.nieuw@voorbeeldstad.test", "password": fresh_pw, "name": "Nina Nieuw"},
        "developer": {"email": "dirk@ontwikkelaar-a.test", "password": PW, "name": "Dirk Developer",
                      "organisation": "Ontwikkelaar A"},
        "invitation": {"token": inv2["token"], "email": "eva@ontwikkelaar-b.test", "project": projects["molenweide"]},
        "admin": admin,
        "viewer": viewer,
        "raad": raad,
        "levels": levels,
        "operator": {"token": bsit.DEFAULT_TOKEN},
        "db": url,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--web-dir", required=True)
    ap.add_argument("--screenshots", required=True)
    ap.add_argument("--journey", required=True)
    args = ap.parse_args()
    chromium = shutil.which("chromium")
    if not chromium or not shutil.which("node"):
        msg = "SKIPPED: chromium or node not installed (scripts/deps.sh installs them)"
        if os.environ.get("CI") == "true":
            print("FAIL: " + msg)
            return 1
        print(msg)
        return bsit.SKIP
    if not os.path.isfile(os.path.join(args.web_dir, "index.html")):
        print(f"FAIL: the web app is not built in {args.web_dir} (cmake --build builds it: scripts/web.sh)")
        return 1
    os.makedirs(args.screenshots, exist_ok=True)
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source,
                   BOUWSTROOM_WEB_DIR=args.web_dir, BOUWSTROOM_MAP_TILES="none")
        run(args.binary, env, ["import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson"),
                               "--source", "sample"])
        proc, base = bsit.start_server(args.binary, env, extra=("--web-dir", args.web_dir))
        try:
            fx = fixture(args.binary, env, url, base, args)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(fx, f)
                path = f.name
            try:
                r = subprocess.run(["node", args.journey, path], cwd=os.path.join(args.source, "web"), timeout=540)
            finally:
                os.unlink(path)
            code = r.returncode
        finally:
            proc.terminate()
            try:
                _, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode not in (0, -15):
                print(f"FAIL: the server exited with {proc.returncode}:\n{err[-3000:]}")
                code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
