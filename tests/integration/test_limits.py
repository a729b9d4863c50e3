#!/usr/bin/python3
"""Limits that hold under load, readiness, and the login limiter shared by nodes (issue 16,
docs/operations.md "Connection limits", "Liveness and readiness", "Reverse proxy and trusted
proxies"), over real HTTP against `bouwstroom serve` and a real PostgreSQL.

* started with the open-files soft limit at 1,024, the server raises it to the hard limit;
* connection caps (small ones, by the environment): 2,000 idle connections from one address
  (issue 16's flood) beyond its cap and then from several addresses beyond the total cap; meanwhile an
  already-open keep-alive connection still answers, /healthz answers 200 (also on a
  connection over the cap), a new client gets the documented 503 problem+json
  (connection_limit, Retry-After) and /readyz 503 not_ready; a trusted proxy is exempt from
  the per-address cap;
* readiness: /readyz 200 with its checks; after `ALTER DATABASE … SET
  default_transaction_read_only = on` and the server's sessions ended (it reconnects), /readyz
  503 naming the read-only database while /healthz stays 200; ready again after RESET;
* two server processes on one database share the per-address login limiter: 10 failures on
  node A and 10 on node B lock the address on both;
* `--request-timeout`: an unfinished request outlives the default 10 s when the timeout is 15 s,
  and is closed without an answer after it; a value out of range stops `serve` with a message naming the option;
* X-Forwarded-For is ignored from an untrusted peer (its failures count against the peer)
  and honoured from a trusted proxy (counted against the client it names: that client is
  locked, another client behind the same proxy is not).

Loopback only: clients take source addresses 127.0.0.2… (all of 127/8 is local on Linux).
Usage: test_limits.py --binary BOUWSTROOM --source SRC
"""
import argparse
import http.client
import json
import os
import re
import resource
import select
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import check, eq, fresh_database, psql  # noqa: E402

PER_CLIENT = 20
TOTAL = 70
FLOOD = 2000  # lowered when this script may not open that many sockets
DEADLINE_S = 30  # waits for asynchronous work poll with this deadline (an order of magnitude above)


def start(binary, env, log, extra_env):
    """`bouwstroom serve` on an ephemeral port with the open-files soft limit lowered to 1,024
    (as a default systemd or shell session has it); returns (process, port, banner lines)."""
    def low_nofile():
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    proc = subprocess.Popen([binary, "serve", "--port", "0"], env=dict(env, **extra_env), stdout=subprocess.PIPE,
                            stderr=log, text=True, preexec_fn=low_nofile)
    lines = [proc.stdout.readline()]
    if not lines[0].startswith("listening on "):
        proc.kill()
        raise RuntimeError("server did not start: " + lines[0])
    lines.append(proc.stdout.readline())
    return proc, int(lines[0].strip().rsplit(":", 1)[1]), lines


def request(port, path, src="127.0.0.2", method="GET", body=None, headers=None, conn=None):
    """One request (on conn, kept open, or on a new connection from src); returns (status,
    headers, JSON document or None)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(src, 0))
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    if conn is None:
        c.close()
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return r.status, {k.lower(): v for k, v in r.getheaders()}, doc


def idle_connections(port, src, n):
    """n TCP connections from src that send nothing."""
    out = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


def close_all(socks):
    for s in socks:
        s.close()
    socks.clear()


def wait_for(pred, timeout=DEADLINE_S):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def open_files_limits(pid):
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return soft, hard
    return None, None


def open_count(port, keep):
    """The client connections the server counts as open, from /readyz's connections check asked on
    the kept connection keep; None when it does not say."""
    doc = request(port, "/readyz", conn=keep)[2] or {}
    for c in doc.get("checks", []):
        m = re.match(r"(\d+) of at most", c.get("detail", "")) if c.get("name") == "connections" else None
        if m:
            return int(m.group(1))
    return None


def check_problem(st, h, doc, status, code, what):
    eq(st, status, f"{what}: status")
    eq(h.get("content-type"), "application/problem+json", f"{what}: problem+json")
    eq((doc or {}).get("code"), code, f"{what}: code")
    check(bool((doc or {}).get("detail")), f"{what}: detail", doc)


def connection_caps(port, banner, pid):
    print("== open files and connection caps")
    soft, hard = open_files_limits(pid)
    check(soft == hard and soft not in (None, "1024"), "the open-files soft limit is raised to the hard limit",
          (soft, hard))
    m = re.match(r"connections: at most (\d+), (\d+) per client address \(open files: (\d+)\)", banner[1])
    check(m is not None and (int(m.group(1)), int(m.group(2))) == (TOTAL, PER_CLIENT),
          "the banner states the caps from the environment", banner[1])

    keep = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0))
    eq(request(port, "/healthz", conn=keep)[0], 200, "a keep-alive connection is served")
    idle = []
    try:
        # issue 16's flood: 2,000 idle clients from one host (all but PER_CLIENT - 1 over its cap)
        idle += idle_connections(port, "127.0.0.2", FLOOD)
        st, h, doc = request(port, "/api/v1/openapi.json", src="127.0.0.2")
        check_problem(st, h, doc, 503, "connection_limit", "a new client over its address's cap")
        eq(h.get("retry-after"), "10", "connection_limit has Retry-After")
        eq(h.get("connection"), "close", "connection_limit closes the connection")
        st, h, doc = request(port, "/healthz", src="127.0.0.2")
        eq((st, (doc or {}).get("status")), (200, "ok"), "/healthz over the address's cap: 200")
        st, h, doc = request(port, "/readyz", src="127.0.0.2")
        check_problem(st, h, doc, 503, "not_ready", "/readyz over the address's cap")
        eq(request(port, "/api/v1/openapi.json", conn=keep)[0], 200, "the already-open connection still answers")
        eq(request(port, "/healthz", src="127.0.0.3")[0], 200, "another address is served")

        # a trusted proxy (127.0.0.1) carries many clients: exempt from the per-address cap
        proxy = idle_connections(port, "127.0.0.1", PER_CLIENT + 5)
        idle += proxy
        st, _, _ = request(port, "/api/v1/openapi.json", src="127.0.0.1")
        eq(st, 200, "a trusted proxy beyond the per-address cap is served")

        # the total cap: fill it from further addresses. The server counts a connection the client
        # closed (the requests above) only once it has read the close: wait for its own count (on
        # the kept connection, which no cap touches) so that the fill is exact however slow it is
        open_now = PER_CLIENT + PER_CLIENT + 5  # 127.0.0.2 at its cap (keep included), the proxy's
        check(wait_for(lambda: open_count(port, keep) == open_now), "the server counts the open connections",
              open_count(port, keep))
        k = 4
        while open_now < TOTAL:
            n = min(PER_CLIENT, TOTAL - open_now)
            idle += idle_connections(port, f"127.0.0.{k}", n)
            open_now += n
            k += 1
        check(wait_for(lambda: open_count(port, keep) == TOTAL), "the server has accepted them all",
              open_count(port, keep))
        idle += idle_connections(port, "127.0.0.99", 50)  # over the total
        st, h, doc = request(port, "/api/v1/openapi.json", src="127.0.0.100")
        check_problem(st, h, doc, 503, "connection_limit", "a new client over the total cap")
        check(str(TOTAL) in (doc or {}).get("detail", ""), "the detail names the total cap", doc)
        st, h, doc = request(port, "/readyz", src="127.0.0.100")
        check_problem(st, h, doc, 503, "not_ready", "/readyz over the total cap")
        eq([c.get("name") for c in (doc or {}).get("checks", [])], ["connections"], "/readyz names the connections")
        eq(request(port, "/healthz", src="127.0.0.100")[0], 200, "/healthz over the total cap: 200")
        eq(request(port, "/api/v1/openapi.json", conn=keep)[0], 200, "the already-open connection still answers")
    finally:
        close_all(idle)
        keep.close()
    # the idle connections are gone: new clients are served again
    ok = wait_for(lambda: request(port, "/api/v1/openapi.json", src="127.0.0.100")[0] == 200)
    check(ok, "after the idle connections closed, a new client is served")
    ok = wait_for(lambda: request(port, "/readyz", src="127.0.0.100")[0] == 200)
    check(ok, "and the node is ready again")


def readiness(port, url, base_url):
    print("== readiness: /readyz on a read-only database")
    st, h, doc = request(port, "/readyz", src="127.0.0.5")
    eq(st, 200, "/readyz: ready")
    checks = {c["name"]: c["ok"] for c in (doc or {}).get("checks", [])}
    eq(checks, {"database": True, "migrations": True, "notifier": True, "connections": True}, "/readyz: its checks")
    db = urllib.parse.urlsplit(url).path.lstrip("/")
    end_sessions = f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db}'"
    psql(base_url, f"ALTER DATABASE {db} SET default_transaction_read_only = on")
    psql(base_url, end_sessions)  # the setting applies to new sessions: the server reconnects
    last = {}

    def not_ready():
        st, h, doc = request(port, "/readyz", src="127.0.0.5")
        last.update(st=st, h=h, doc=doc)
        return st == 503 and "read-only" in (doc or {}).get("detail", "")
    check(wait_for(not_ready), "/readyz: 503 once the database is read-only", last)
    check_problem(last.get("st"), last.get("h", {}), last.get("doc"), 503, "not_ready", "/readyz read-only")
    bad = [c["name"] for c in (last.get("doc") or {}).get("checks", []) if not c["ok"]]
    eq(bad, ["database"], "/readyz names the database as what is not ready")
    st, _, doc = request(port, "/healthz", src="127.0.0.5")
    eq((st, (doc or {}).get("status")), (200, "ok"), "/healthz stays 200 (liveness)")
    psql(base_url, f"ALTER DATABASE {db} RESET default_transaction_read_only")
    psql(base_url, end_sessions)
    check(wait_for(lambda: request(port, "/readyz", src="127.0.0.5")[0] == 200), "/readyz: ready again after RESET")


def login(port, email, src, xff=None):
    h = {"X-Forwarded-For": xff} if xff else {}
    st, _, doc = request(port, "/api/v1/login", src=src, method="POST", body={"email": email, "password": "guess"},
                         headers=h)
    return st, (doc or {}).get("code")


def address_rows(url):
    rows = psql(url, "SELECT key || '=' || failures FROM login_limits WHERE kind = 'login_address' ORDER BY key")
    return dict(r.split("=") for r in rows.splitlines() if r)


def shared_limiter(port_a, port_b, url):
    print("== two nodes share the per-address login limiter")
    got = [login(port_a, f"a{k}@nowhere.test", "127.0.0.6") for k in range(10)]
    got += [login(port_b, f"b{k}@nowhere.test", "127.0.0.6") for k in range(10)]
    eq(got, [(401, "invalid_credentials")] * 20, "20 failures from one address over two nodes: 401")
    eq(login(port_a, "c@nowhere.test", "127.0.0.6"), (429, "rate_limited"), "the 21st on node A: 429 rate_limited")
    eq(login(port_b, "d@nowhere.test", "127.0.0.6"), (429, "rate_limited"), "and on node B")
    eq(login(port_b, "d@nowhere.test", "127.0.0.7"), (401, "invalid_credentials"), "another address is not locked")


def forwarded_for(port, url):
    print("== X-Forwarded-For: ignored from an untrusted peer, honoured from a trusted proxy")
    for k in range(2):
        eq(login(port, f"x{k}@nowhere.test", "127.0.0.8", xff=f"198.51.100.{k + 1}"), (401, "invalid_credentials"),
           "a failure from an untrusted peer with X-Forwarded-For")
    rows = address_rows(url)
    eq(rows.get("127.0.0.8"), "2", "an untrusted peer's failures count against the peer")
    check(not any(k.startswith("198.51.100.") for k in rows), "its X-Forwarded-For is ignored", rows)
    got = [login(port, f"y{k}@nowhere.test", "127.0.0.1", xff="1.2.3.4, 203.0.113.9") for k in range(20)]
    eq(got, [(401, "invalid_credentials")] * 20, "20 failures of a client behind the trusted proxy: 401")
    rows = address_rows(url)
    eq(rows.get("203.0.113.9"), "0", "they count against the client the proxy names (locked: counters reset)")
    check("127.0.0.1" not in rows and "1.2.3.4" not in rows, "not against the proxy, nor what the client wrote", rows)
    eq(login(port, "z@nowhere.test", "127.0.0.1", xff="203.0.113.9"), (429, "rate_limited"),
       "that client is locked behind the proxy")
    eq(login(port, "z@nowhere.test", "127.0.0.1", xff="203.0.113.10"), (401, "invalid_credentials"),
       "another client behind the same proxy is not")
    eq(login(port, "z@nowhere.test", "127.0.0.1"), (401, "invalid_credentials"), "nor the proxy itself")


def idle_probe(port):
    """An unfinished request on a new connection; returns (socket, when it was sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
    return s, time.monotonic()


def is_open(s):
    """Nothing to read on s: neither an answer nor the server's close."""
    return not select.select([s], [], [], 0)[0]


def request_timeout(binary, env, port):
    """port is served with --request-timeout 15 s."""
    print("== --request-timeout")
    s, sent = idle_probe(port)
    time.sleep(max(0.0, sent + 11 - time.monotonic()))  # past the default 10 s; timers never fire early
    check(is_open(s), "an unfinished request outlives the default 10 s when the timeout is 15 s")
    s.settimeout(10 * DEADLINE_S)
    eq(s.recv(100), b"", "then it is closed without an answer")
    s.close()
    eq(request(port, "/healthz")[0], 200, "a whole request is answered")
    for bad in ("0", "3601", "ten"):
        p = subprocess.run([binary, "serve", "--port", "0", "--request-timeout", bad], env=env, capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 2, f"--request-timeout {bad}: serve stops with 2")
        check("--request-timeout" in p.stderr, f"--request-timeout {bad}: the message names the option", p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    base_url = os.environ.get("BOUWSTROOM_DATABASE_URL")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))  # this script's own sockets
    global FLOOD
    FLOOD = max(3 * PER_CLIENT, min(FLOOD, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 400))
    # the idle connections must outlive the whole of connection_caps, however slow the machine:
    # the default request timeout (10 s) would close them and free places under the caps
    caps = {"BOUWSTROOM_MAX_CONNECTIONS": str(TOTAL), "BOUWSTROOM_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
            "BOUWSTROOM_TRUSTED_PROXIES": "127.0.0.1/32, ::1", "BOUWSTROOM_REQUEST_TIMEOUT": "3600"}
    with fresh_database() as url, tempfile.TemporaryFile("w+") as log:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        a = b = c = None
        try:
            a, port_a, banner = start(args.binary, env, log, caps)
            b, port_b, _ = start(args.binary, env, log, {})
            c, port_c, _ = start(args.binary, env, log, {"BOUWSTROOM_REQUEST_TIMEOUT": "15"})
            connection_caps(port_a, banner, a.pid)
            readiness(port_a, url, base_url)
            shared_limiter(port_a, port_b, url)
            forwarded_for(port_a, url)
            request_timeout(args.binary, env, port_c)
        finally:
            for p in (a, b, c):
                if p:
                    p.terminate()
                    p.wait(timeout=30)
                    eq(p.returncode, 0, "the server stops cleanly")
            if bsit.failures:
                log.seek(0)
                print("---- server stderr\n" + log.read()[-4000:])
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
