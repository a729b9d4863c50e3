"""Shared pieces of the fault suite (tests/faults/README.md): the private clusters, the server
nodes, the HTTP writers and the checker of acknowledged writes, the SMTP servers, the table.

Every scenario is a script (`tests/faults/<name>.py --binary B --source S [--short]`) that
prints one or more table rows as `ROW {json}` lines and exits 0 only when every check held,
its minimum load included. `tests/faults/run.py` runs them in turn and prints the table.
Loopback only: the clusters listen on unix sockets, the servers and SMTP servers on 127.0.0.1.
"""
import contextlib
import datetime
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import bsit  # noqa: E402
from bsit import check, eq, psql  # noqa: E402,F401
from test_notifier import Smtp  # noqa: E402,F401

MAIL_FROM = "alerts@bouwstroom.test"
COLUMNS = ["test", "load", "fault", "acknowledged", "lost", "duplicated", "errors", "recovery time"]


# ---------------------------------------------------------------------------------------------
# waiting (every wait is a deadline an order of magnitude above the expected time)

def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = pred()
        except Exception:
            v = None
        if v:
            return v
        time.sleep(step)
    try:
        return pred()
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# private PostgreSQL clusters (scripts/pg.sh)

class Cluster:
    """A private cluster of scripts/pg.sh under /tmp, named after the checkout (pg.sh hashes its
    path): never another checkout's. durable: fsync=on (BOUWSTROOM_PG_DURABLE=1)."""

    def __init__(self, source, name):
        self.source = source
        self.name = name

    def _pg_sh(self, *args, durable=None):
        env = {k: v for k, v in os.environ.items() if k != "BOUWSTROOM_DATABASE_URL"}
        if durable is not None:
            env["BOUWSTROOM_PG_DURABLE"] = "1" if durable else "0"
        r = subprocess.run([os.path.join(self.source, "scripts", "pg.sh"), *args], capture_output=True, text=True,
                           env=env, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"pg.sh {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout.strip()

    def _vals(self):
        path = os.path.join(self.source, "var", f"pg-{self.name}.env")
        with open(path) as fh:
            return {k: v.strip().strip("'") for k, v in (line.split("=", 1) for line in fh if "=" in line)}

    @property
    def data(self):
        return self._vals()["PGDATA"]

    @property
    def socket(self):
        return self._vals()["PGSOCKET"]

    @property
    def url(self):
        return self._vals()["BOUWSTROOM_DATABASE_URL"]

    def start(self, durable=None):
        return self._pg_sh("start", self.name, durable=durable)

    def standby_of(self, primary):
        return self._pg_sh("standby", self.name, primary.name)

    def restore_from(self, backup, archive):
        return self._pg_sh("restore", self.name, backup, archive)

    def as_owner(self, *cmd):
        """Runs cmd as the cluster's user (postgres when we are root)."""
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(list(cmd), capture_output=True, text=True, cwd="/", timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
        return r.stdout

    @property
    def dir(self):
        return self._vals()["PGDIR"]

    def promote(self):
        return self._pg_sh("promote", self.name)

    def stop(self):
        return self._pg_sh("stop", self.name)

    def wipe(self):
        """Deletes the cluster. A running one is killed first (kill_machine: at once, where a
        shutdown, even an immediate one, waits for every process to wind down)."""
        try:
            if self.running():
                self.kill_machine()
            self._pg_sh("wipe", self.name)
        except Exception as e:  # cleanup: report, go on
            print(f"wipe {self.name}: {e}", flush=True)

    def running(self):
        """The postmaster in postmaster.pid is alive and is this data directory's (a killed
        cluster's pid may belong to another process by now)."""
        try:
            pid = self.postmaster_pid()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                args = fh.read().split(b"\0")
            return _alive(pid) and self.data.encode() in args
        except (OSError, ValueError, KeyError):
            return False

    def sql(self, sql, db="bouwstroom"):
        r = subprocess.run(["psql", bsit.with_dbname(self.url, db), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"psql on {self.name}: {sql}: {r.stderr.strip()}")
        return r.stdout.strip()

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid")) as fh:
            return int(fh.readline())

    def children(self):
        """(pid, command line) of the postmaster's children: backends, walsenders, walreceiver, …"""
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(self.postmaster_pid())], capture_output=True,
                             text=True).stdout
        return [(int(line.split(None, 1)[0]), line.split(None, 1)[1]) for line in out.splitlines() if line.strip()]

    def kill_machine(self):
        """The database machine dies: every process of the cluster at one instant. PostgreSQL makes
        each child the leader of a process group of its own (the postmaster alone would leave its
        backends running), so: stop the postmaster (it forks no more), stop every child, then
        kill -9 them all, each child with its group (an archive_command's shell). Never restarted."""
        pm = self.postmaster_pid()
        os.kill(pm, signal.SIGSTOP)
        kids = [pid for pid, _ in self.children()]
        for pid in kids:
            _signal(pid, signal.SIGSTOP)
        _signal(pm, signal.SIGKILL)
        for pid in kids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                _signal(pid, signal.SIGKILL)
        wait_for(lambda: not _alive(pm) and not any(_alive(p) for p in kids), 30)
        # its socket file stays (as on a dead machine: connections are refused at once)


def pg_bin():
    return sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def scenario_cluster(source):
    """The cluster the scenario runs on: the private one of BOUWSTROOM_DATABASE_URL (run.py starts a
    durable one, `faults`); None, with a message, when that is not a private cluster of pg.sh."""
    name, _ = bsit.cluster_of(source, os.environ.get("BOUWSTROOM_DATABASE_URL", ""))
    if not name:
        print("FAIL: BOUWSTROOM_DATABASE_URL is not a private cluster of scripts/pg.sh (the fault scenarios "
              "stop and start it); run through tests/faults/run.py", flush=True)
        return None
    return Cluster(source, name)


# ---------------------------------------------------------------------------------------------
# the database of a scenario and the server nodes

def prepare(binary, source, url):
    """Migrates url's database, imports the sample municipality (12 plans), provisions the test
    operator (bsit.DEFAULT_TOKEN); returns the environment of the nodes."""
    env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=source)
    r = subprocess.run([binary, "import", os.path.join(source, "adapters", "sample", "voorbeeldstad.geojson"),
                        "--source", "sample"], env=env, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError("import sample: " + r.stderr)
    bsit.provision(binary, env)
    return env


@contextlib.contextmanager
def scenario_database(args):
    """Yields (url, env) of a fresh database on the scenario's cluster (BOUWSTROOM_DATABASE_URL) with
    the sample imported and the test operator provisioned: a copy of run.py's prepared template
    (BS_FAULTS_TEMPLATE, its operator's token in BS_FAULTS_TOKEN: seconds saved per scenario), or,
    run alone, made here. Dropped afterwards."""
    template = os.environ.get("BS_FAULTS_TEMPLATE")
    if not template:
        with bsit.fresh_database() as url:
            yield url, prepare(args.binary, args.source, url)
        return
    base = os.environ["BOUWSTROOM_DATABASE_URL"]
    name = "faults_" + uuid.uuid4().hex[:10]
    psql(base, f"CREATE DATABASE {name} TEMPLATE {template}")
    bsit.DEFAULT_TOKEN = os.environ["BS_FAULTS_TOKEN"]
    url = bsit.with_dbname(base, name)
    try:
        yield url, dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
    finally:
        subprocess.run(["psql", base, "-XAtq", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       capture_output=True)


def prepare_template(binary, source, base_url, name="faults_template"):
    """Makes the template of scenario_database on base_url's server; returns the environment entries
    that point the scenarios at it."""
    psql(base_url, f"CREATE DATABASE {name}")
    prepare(binary, source, bsit.with_dbname(base_url, name))
    return {"BS_FAULTS_TEMPLATE": name, "BS_FAULTS_TOKEN": bsit.DEFAULT_TOKEN}


class Node:
    """One `bouwstroom serve` on an ephemeral loopback port. Its stderr goes to a file (read on a
    failure), so that a chatty server never blocks on a full pipe."""

    def __init__(self, binary, env, tmp, label, smtp_url=None, lease_ms=None, parallel=None, extra=()):
        env = dict(env, BOUWSTROOM_DAILY_REPLAN="0")
        if lease_ms:
            env["BOUWSTROOM_QUEUE_LEASE_MS"] = str(lease_ms)
        if parallel:
            env["BOUWSTROOM_SMTP_PARALLEL"] = str(parallel)
        cmd = [binary, "serve", "--port", "0", "--mail-from", MAIL_FROM, *extra]
        if smtp_url:
            cmd += ["--smtp-url", smtp_url]
        self.label = label
        self.log_path = os.path.join(tmp, f"{label}-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{label} did not start: {line}{self.stderr()}")
        self.base = line.split()[-1].strip()

    def stderr(self, tail=6000):
        self.log.flush()
        with open(self.log_path) as fh:
            return fh.read()[-tail:]

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Sends sig and waits; returns the exit status (-9 for a kill), "timeout" when it did not end."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "timeout"
        rc = self.proc.returncode
        if rc not in (0, -signal.SIGKILL):
            print(f"{self.label} exited {rc}; stderr:\n{self.stderr()}", flush=True)
        return rc


# ---------------------------------------------------------------------------------------------
# writers: step date corrections over HTTP, every acknowledgement recorded

def write_targets(api, n):
    """n (project id, step key) pairs, each in a project of its own: an open step that is not a
    milestone (PATCH planned_finish is a one-statement schedule write with a history row)."""
    st, _, doc = api.json("GET", "/api/v1/projects?page_size=100")
    if st != 200:
        raise RuntimeError(f"GET /projects: {st}")
    out = []
    for pr in doc["results"]:
        st, _, sched = api.json("GET", f"/api/v1/projects/{pr['id']}/schedule")
        if st != 200:
            continue
        steps = [s for s in sched["steps"] if s["status"] == "open" and not s["milestone"]]
        if steps:
            out.append((pr["id"], steps[-1]["key"]))
        if len(out) == n:
            return out
    raise RuntimeError(f"only {len(out)} projects with an open step (wanted {n})")


class Writers:
    """Threads, each correcting the planned finish of its own step again and again
    (PATCH …/steps/{key} with a new date and a unique reason TAG-w-i) through one of the nodes,
    on a keep-alive connection. A 2xx is an acknowledged write: its reason must be in
    schedule_history. Everything else (a problem, a refused or broken connection, a timeout) is
    an error; the writer reconnects and goes on after a pause."""

    def __init__(self, tag, targets, bases, token, pause_s=0.0):
        self.tag = tag
        self.targets = targets
        self.bases = list(bases)  # writer w uses bases[w % len(bases)]; route() changes them
        self.token = token
        self.pause_s = pause_s
        self.lock = threading.Lock()
        self.acked = []  # (reason, monotonic time of the answer)
        self.errors = 0
        self.sent = 0
        self.stopping = False
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(len(targets))]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def route(self, bases):
        """Sends every writer to these nodes from now on (what a reverse proxy does when a node dies)."""
        with self.lock:
            self.bases = list(bases)

    def _base(self, w):
        with self.lock:
            return self.bases[w % len(self.bases)]

    def _run(self, w):
        pid, key = self.targets[w]
        day0 = datetime.date(2031, 1, 1)
        conn, conn_base, i = None, None, 0
        while not self.stopping:
            base = self._base(w)
            if conn is None or conn_base != base:
                if conn:
                    conn.close()
                u = urllib.parse.urlsplit(base)
                conn, conn_base = http.client.HTTPConnection(u.hostname, u.port, timeout=30), base
            i += 1
            reason = f"{self.tag}-{w}-{i}"
            body = json.dumps({"planned_finish": (day0 + datetime.timedelta(days=i % 3000)).isoformat(),
                               "reason": reason})
            with self.lock:
                self.sent += 1
            try:
                conn.request("PATCH", f"/api/v1/projects/{pid}/steps/{key}", body=body,
                             headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                ok = 200 <= r.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                ok = False
            with self.lock:
                if ok:
                    self.acked.append((reason, time.monotonic()))
                else:
                    self.errors += 1
            if not ok:
                time.sleep(0.1)
            elif self.pause_s:
                time.sleep(self.pause_s)
        if conn:
            conn.close()

    def n_acked(self):
        with self.lock:
            return len(self.acked)

    def acked_after(self, t):
        with self.lock:
            return sum(1 for _, at in self.acked if at > t)

    def first_ack_after(self, t):
        with self.lock:
            times = [at for _, at in self.acked if at > t]
        return min(times) if times else None

    def wait_acked(self, n, timeout):
        return wait_for(lambda: self.n_acked() >= n, timeout, 0.05)

    def wait_acked_after(self, t, n, timeout):
        return wait_for(lambda: self.acked_after(t) >= n, timeout, 0.05)

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(timeout=60)
        return self

    def reasons(self, until=None):
        with self.lock:
            return [r for r, at in self.acked if until is None or at <= until]


def check_writes(url, writers):
    """(lost, duplicated, stored_unacknowledged): acknowledged writes whose history row is not in
    the database; writes stored more than once; writes stored without an acknowledgement (in
    flight at the fault: allowed, reported)."""
    rows = psql(url, f"SELECT reason, count(*) FROM schedule_history WHERE field = 'planned_finish' "
                     f"AND reason LIKE '{writers.tag}-%' GROUP BY reason")
    stored = {}
    for line in rows.splitlines():
        reason, n = line.rsplit("|", 1)
        stored[reason] = int(n)
    acked = set(writers.reasons())
    lost = sorted(acked - set(stored))
    dup = sorted(r for r, n in stored.items() if n > 1)
    unacked = len(set(stored) - acked)
    return lost, dup, unacked


# ---------------------------------------------------------------------------------------------
# alerts in the outbox

TAGS = {"slow": 1, "term": 2, "pg": 3, "kill": 4, "smtpkill": 5, "two": 6}  # revisions apart per scenario


def add_alerts(url, pid, uid, tag, n, first=0):
    """n due alerts of one recipient, numbered first+1 … first+n: Message-IDs
    alert.<tag>-<i>@bouwstroom.test; running nodes hear of them at once (NOTIFY bs_alerts, as the
    notifier's plan does)."""
    psql(url, "NOTIFY bs_alerts; INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, payload, "
              f"message_id) SELECT '{pid}', 'start_bouw', 'milestone_upcoming', {TAGS[tag]} * 100000 + i, '{uid}', "
              "now() - interval '1 minute', "
              f"jsonb_build_object('project_id', '{pid}', 'project_name', 'Polder Noord', 'step_key', 'start_bouw', "
              "'step_name', 'Start bouw', 'stream', 'private', 'date', '2027-04-12'), "
              f"'alert.{tag}-' || i || '@bouwstroom.test' FROM generate_series({first + 1}, {first + n}) i")


def alert_ids(url):
    return (psql(url, "SELECT id FROM projects WHERE name = 'Polder Noord'"),
            psql(url, f"SELECT id FROM users WHERE email = '{bsit.OPERATOR}'"))


def n_sent(url, tag):
    return int(psql(url, f"SELECT count(*) FROM alerts WHERE message_id LIKE 'alert.{tag}-%' AND status = 'sent'"))


def unrecorded(url, tag):
    """Message-IDs (<…>) of the alerts not recorded sent (right now)."""
    return set(psql(url, f"SELECT '<' || message_id || '>' FROM alerts WHERE message_id LIKE 'alert.{tag}-%' "
                         "AND status <> 'sent'").splitlines())


def retries(url, tag, n):
    """Attempts beyond the first, over the scenario's alerts (claims given back uncounted)."""
    return int(psql(url, f"SELECT COALESCE(sum(attempts), 0) FROM alerts WHERE message_id LIKE 'alert.{tag}-%'")) - n


def mail_tally(smtps, tag, n):
    """(received, lost, second copies, duplicated ids) over the SMTP servers' logs."""
    ids = [m for s in smtps for m in s.message_ids() if m and m.startswith(f"<alert.{tag}-")]
    distinct = set(ids)
    dup = sorted({m for m in distinct if ids.count(m) > 1})
    return len(ids), n - len(distinct), len(ids) - len(distinct), dup


# ---------------------------------------------------------------------------------------------
# rows and the scenario's frame

def fmt_s(seconds):
    return "—" if seconds is None else f"{seconds:.1f} s"


def row(test, load, fault, acknowledged, lost, duplicated, errors, recovery):
    r = dict(zip(COLUMNS, [test, load, fault, acknowledged, lost, duplicated, errors, recovery]))
    print("ROW " + json.dumps(r, ensure_ascii=False), flush=True)
    return r


def need(cond, what, detail=""):
    """A check that is the scenario's minimum load: a scenario that did nothing cannot pass."""
    check(cond, "minimum load: " + what, detail)


def table(rows):
    cells = [COLUMNS] + [[str(r.get(c, "")) for c in COLUMNS] for r in rows]
    width = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = ["| " + " | ".join(c[i].ljust(width[i]) for i in range(len(COLUMNS))) + " |" for c in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in width) + "|")
    return "\n".join(lines)


def main(run, description):
    """The frame of every scenario script: arguments, a fresh database on the scenario's cluster
    (unless run wants none), the checks' tally. run(args, tmp) does the work."""
    import argparse
    import tempfile
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--short", action="store_true", help="the short version (make test)")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.source = os.path.abspath(args.source)
    rc = 0
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="bs-faults-")
    try:
        run(args, tmp)
    except Exception:
        traceback.print_exc()
        rc = 1
    print(f"({time.monotonic() - t0:.0f} s)")
    rc = bsit.finish() or rc
    if rc == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"the servers' logs and the mails received are kept in {tmp}")
    return rc


def mail_dir(tmp, label):
    return os.path.join(tmp, label + "-" + str(len(glob.glob(os.path.join(tmp, label + "-*")))))
