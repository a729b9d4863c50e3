"""Shared helpers of the integration tests (real PostgreSQL, real HTTP, the real binary).

Each test script creates a database of its own next to BOUWSTROOM_DATABASE_URL's
(fresh_database), runs `bouwstroom` against it and drops it afterwards.
"""
import contextlib
import glob
import io
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

SKIP = 77
# The server's background forecast sweep (docs/operations.md "The forecast sweep") forecasts every
# project at start: CPU the tests that do not test it should not pay. Off for every server a test
# starts unless the test asks for it (env BOUWSTROOM_FORECAST_SWEEP=1, test_forecast_sweep.py).
os.environ.setdefault("BOUWSTROOM_FORECAST_SWEEP", "0")
EXPECTED_PLANSTATUS = {"1A": 2293, "1B": 52, "1C": 44, "2A": 152, "2B": 5, "2C": 16,
                       "3": 791, "4A": 548, "4B": 79, "onbekend": 368}
TODAY = "2026-11-29"
failures = []
checks = 0


def check(cond, what, detail=""):
    global checks
    checks += 1
    if not cond:
        failures.append(f"{what}: {detail}")
        print(f"  FAIL {what}: {detail}", flush=True)


def eq(got, want, what):
    check(got == want, what, f"got {got!r}, want {want!r}")


def with_dbname(url, name):
    """Same server, other database (libpq URL form postgresql://.../dbname?...)."""
    p = urllib.parse.urlsplit(url)
    query = "?" + p.query if p.query else ""
    return f"{p.scheme}://{p.netloc}/{name}{query}"


def psql(url, sql):
    out = subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


# The bearer token of the test operator made by start_server / provision: an administrator
# who is beheerder of every imported municipality (so the tests of import, scheduling,
# forecasts and alerts see every plan). Api uses it unless given another token or an
# Authorization header.
DEFAULT_TOKEN = None
OPERATOR = "it-operator@bouwstroom.test"


def provision(binary, env, email=OPERATOR):
    """Makes (once per database) the test operator and returns a new bearer token of it. The
    operator is an administrator and beheerder of every municipality the import created
    (also of ones imported after the first call)."""
    url = env["BOUWSTROOM_DATABASE_URL"]
    global DEFAULT_TOKEN
    if psql(url, f"SELECT count(*) FROM users WHERE email = '{email}'") == "0":
        r = subprocess.run([binary, "user", "add", email, "--admin", "--all-municipalities", "--generate-password"],
                           env=env, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("user add failed: " + r.stderr)
    psql(url, "INSERT INTO organisation_members (organisation_id, user_id, role) "
              "SELECT o.id, u.id, 'beheerder' FROM organisations o, users u "
              f"WHERE u.email = '{email}' AND o.import_key LIKE 'gemeente:%' ON CONFLICT DO NOTHING")
    token = token_for(binary, env, email, "read,write,admin")
    if email == OPERATOR:
        DEFAULT_TOKEN = token
    return token


def token_for(binary, env, email, scope="read,write"):
    """A new bearer API token of an existing user (bouwstroom token create)."""
    r = subprocess.run([binary, "token", "create", email, "--scope", scope, "--label", "test"], env=env,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("token create failed: " + r.stderr)
    return r.stdout.strip()


class Api:
    def __init__(self, base, token="default"):
        self.base = base
        self.token = token

    def call(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        h = {"Content-Type": "application/json"} if data is not None else {}
        token = DEFAULT_TOKEN if self.token == "default" else self.token
        if token and not any(k.lower() == "authorization" for k in (headers or {})):
            h["Authorization"] = "Bearer " + token
        h.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    def json(self, method, path, body=None, raw=None, headers=None):
        st, ct, b = self.call(method, path, body, raw, headers)
        try:
            doc = json.loads(b) if b else None
        except ValueError:
            doc = None
        return st, ct, doc


def expect_problem(api, method, path, status, field, what, body=None, raw=None, headers=None):
    st, ct, doc = api.json(method, path, body, raw, headers)
    eq(st, status, f"{what}: status")
    eq(ct, "application/problem+json", f"{what}: content type")
    if doc is None:
        check(False, f"{what}: problem body", "not JSON")
        return doc
    eq(doc.get("status"), status, f"{what}: problem status")
    check(bool(doc.get("title")) and bool(doc.get("detail")), f"{what}: title and detail", doc)
    if field is not None:
        names = [p.get("name") for p in doc.get("invalid_params", [])]
        check(field in names, f"{what}: names field {field}", doc)
    return doc


def start_server(binary, env, operator=True, extra=()):
    """Starts `bouwstroom serve` on an ephemeral port, with the further serve options extra;
    with operator, first provisions the test operator (DEFAULT_TOKEN). Returns (process, base
    URL)."""
    if operator:
        provision(binary, env)
    proc = subprocess.Popen([binary, "serve", "--port", "0", "--today", TODAY, *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + line + proc.stderr.read())
    return proc, line.split()[-1].strip()


@contextlib.contextmanager
def fresh_database():
    """Yields the URL of a new empty database on the server of BOUWSTROOM_DATABASE_URL."""
    base_url = os.environ.get("BOUWSTROOM_DATABASE_URL")
    if not base_url:
        raise RuntimeError("BOUWSTROOM_DATABASE_URL is not set (run through `make test`)")
    dbname = "bouwstroom_it_" + uuid.uuid4().hex[:10]
    psql(base_url, f"CREATE DATABASE {dbname}")
    try:
        yield with_dbname(base_url, dbname)
    finally:
        subprocess.run(["psql", base_url, "-XAtq", "-c", f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)"],
                       capture_output=True)


def xlsx_workbook(sheets):
    """The bytes of an .xlsx workbook with the given sheets: [(name, rows)], rows lists of cell
    values, the first sheet first (openpyxl, Debian python3-openpyxl)."""
    import openpyxl
    wb = openpyxl.Workbook()
    for i, (name, rows) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet(name)
        ws.title = name
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def shared_file(source, *parts):
    """Path of a file under BOUWSTROOM_SHARED (default SOURCE/../shared), or exits: 77 (skip,
    loudly) when missing, or 1 with CI=true, where a missing file is a failure."""
    shared = os.environ.get("BOUWSTROOM_SHARED", os.path.join(source, "..", "shared"))
    path = os.path.join(shared, *parts)
    if os.path.isfile(path):
        return path
    msg = f"SKIPPED: shared data not found at {path} (set BOUWSTROOM_SHARED)"
    if os.environ.get("CI") == "true":
        print("FAIL: " + msg + " -- with CI=true a missing file is a failure", flush=True)
        sys.exit(1)
    print("*" * 70 + "\n" + msg + "\n" + "*" * 70, flush=True)
    sys.exit(SKIP)


def cluster_of(source, url):
    """(name, PGDATA) of the private scripts/pg.sh cluster url points at, or (None, None)."""
    host = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("host", [""])[0]
    for env in glob.glob(os.path.join(source, "var", "pg-*.env")):
        # KEY='value' lines (shell syntax: the values are single-quoted)
        vals = {k: v.strip("'") for k, v in (line.strip().split("=", 1) for line in open(env) if "=" in line)}
        if vals.get("PGSOCKET") == host:
            return os.path.basename(env)[3:-4], vals["PGDATA"]
    return None, None


def pg_sh(source, *args):
    """scripts/pg.sh on the private cluster itself (without the URL that would short-circuit it)."""
    env = {k: v for k, v in os.environ.items() if k != "BOUWSTROOM_DATABASE_URL"}
    return subprocess.run([os.path.join(source, "scripts", "pg.sh"), *args], capture_output=True, text=True, env=env)


def pg_ctl(data, *args):
    """pg_ctl on the cluster in data, as the postgres user when running as root."""
    pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    cmd = [os.path.join(pg_bin, "pg_ctl"), "-D", data, *args]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd="/")


def run_cli(binary, env, args):
    """Runs `bouwstroom ARGS` (binary) with env; returns the CompletedProcess, raises when it fails."""
    r = subprocess.run([binary] + args, env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r


def schedule_body(api, pid, what):
    """GET /api/v1/projects/{pid}/schedule as api; checks 200 and returns the body (bytes as sent)."""
    st, _, body = api.call("GET", f"/api/v1/projects/{pid}/schedule")
    eq(st, 200, f"{what}: GET schedule")
    return body


def steps_of(body):
    """A schedule body's steps by key."""
    return {s["key"]: s for s in json.loads(body)["steps"]}


def same_bytes(a, b, what):
    """Checks that two answers are byte for byte the same (the detail names where they first differ)."""
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    check(a == b, what, f"first difference at byte {at}: {a[max(0, at - 80):at + 80]!r} vs {b[max(0, at - 80):at + 80]!r}")


def finish():
    """Prints the tally; returns the process exit code."""
    print(f"{checks} checks, {len(failures)} failed")
    for f in failures:
        print("FAILED: " + f)
    return 1 if failures else 0
