"""ZGW adapter (docs/adapters.md), end to end: the real `bouwstroom` binary against
 1. the stateful test double tests/zgw/double.py (sequences and failures: 500s, a timeout, a
    POST that landed but whose answer was lost, a 400 that is given up and retried by an
    operator, the Notificaties webhook and a reconcile, the worker inside `serve`), and
 2. the same double behind Prism proxies of the official contracts (../shared/contracts/zgw,
    request validation on, --errors: an invalid request is answered 422/400 by Prism and the
    adapter gives the event up, failing the test), plus ajv over every request body sent and
    deliberately malformed requests per operation that Prism or ajv must reject.

Usage: test_zgw.py --binary build/bouwstroom --source .   (BOUWSTROOM_DATABASE_URL set)
"""
import argparse
import json
import re
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import bsit  # noqa: E402
from bsit import check, eq, psql  # noqa: E402

SECRET = "test-geheim-1234567890"
NOTIFY_AUTH = "Token abcdef-our-registered-value"
RSIN = "002220647"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def http_json(url, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


class Double:
    def __init__(self, source, zaken_base=None, catalogi_base=None, port=0):
        cmd = ["/usr/bin/python3", os.path.join(source, "tests/zgw/double.py"), "--port", str(port), "--secret", SECRET]
        if zaken_base:
            cmd += ["--zaken-base", zaken_base, "--catalogi-base", catalogi_base]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def faults(self, fs):
        http_json(self.url + "/_faults", fs)

    def log(self):
        return http_json(self.url + "/_log")

    def held(self):
        return http_json(self.url + "/_held")

    def release(self):
        http_json(self.url + "/_release", {})

    def state(self):
        return http_json(self.url + "/_state")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def write_config(path, zaken, catalogi, **extra):
    cfg = {"zaken_url": zaken, "catalogi_url": catalogi, "client_id": "bouwstroom-test", "secret": SECRET,
           "zaaktype_identificatie": "WONINGBOUW", "bronorganisatie": RSIN,
           "statussen": {"initiatief_ontvangen": "Initiatief", "principeakkoord": "Principeakkoord",
                         "omgevingsvergunning_verleend": 3, "start_bouw": "Start bouw",
                         "laatste_oplevering": "Opgeleverd"},
           "resultaattype_omschrijving": "Gerealiseerd",
           "rollen": {"gemeente": "behandelaar", "ontwikkelaar": "initiator"},
           "notification_auth": NOTIFY_AUTH, "gemeenten": ["Voorbeeldstad"],
           "retry_base_ms": 200, "retry_max_ms": 1000, "poll_ms": 200, "timeout_ms": 1500,
           "reconcile_interval_s": 0}
    cfg.update(extra)
    with open(path, "w") as f:
        json.dump(cfg, f)


def run(binary, env, *args, stdin=None, ok=True):
    p = subprocess.run([binary, *args], env=env, capture_output=True, text=True, input=stdin, timeout=120)
    if ok and p.returncode != 0:
        print(p.stdout, p.stderr)
    if ok:
        eq(p.returncode, 0, f"bouwstroom {' '.join(args)}: exit status")
    return p


def run_once(binary, env):
    p = run(binary, env, "adapters", "run", "--once")
    try:
        return json.loads(p.stdout)
    except ValueError:
        check(False, "adapters run --once prints the state", p.stdout + p.stderr)
        return {"counts": {}, "events": []}


def events(db, where="true"):
    out = psql(db, "SELECT coalesce(json_agg(e ORDER BY id), '[]') FROM adapter_events e WHERE " + where)
    return json.loads(out)


def project_ids(db):
    return psql(db, "SELECT id FROM projects WHERE gemeente = 'Voorbeeldstad' ORDER BY source_key").split("\n")


def set_finish(db, pid, step, date):
    psql(db, f"UPDATE project_steps SET actual_finish = '{date}', status = 'done' "
             f"WHERE project_id = '{pid}' AND step_key = '{step}'")


def zaak_of(state, pid):
    zs = [z for z in state["zaken"] if any(k.get("kenmerk") == pid for k in z.get("kenmerken", []))]
    return zs


def ident(pid):
    return "BS-" + pid.replace("-", "").upper()


# ---------------------------------------------------------------- part 1: the stateful double

def part_double(binary, source, db, tmp):
    d = Double(source)
    cfg = os.path.join(tmp, "zgw.json")
    write_config(cfg, d.url, d.url)
    env = dict(os.environ, BOUWSTROOM_DATABASE_URL=db, BOUWSTROOM_ZGW_CONFIG=cfg)
    try:
        pids = project_ids(db)
        check(len(pids) >= 3, "sample projects imported", pids)
        eq(events(db), [], "no events before an adapter is subscribed (the import wrote none)")

        # subscription: every existing project becomes a zaak
        st = run_once(binary, env)
        eq(st["counts"].get("done"), len(pids), "one project_created event per project, done")
        eq(st["counts"].get("failed", 0) + st["counts"].get("given_up", 0), 0, "nothing failed")
        s = d.state()
        eq(len(s["zaken"]), len(pids), "one zaak per project")
        p0 = pids[0]
        z = zaak_of(s, p0)
        eq(len(z), 1, "the zaak of project 0 carries its UUID in kenmerken")
        z = z[0]
        eq(z["identificatie"], ident(p0), "identificatie = BS- + 32 hex")
        check(len(z["identificatie"]) <= 40, "identificatie ≤ 40 characters", z["identificatie"])
        eq(z["bronorganisatie"], RSIN, "bronorganisatie")
        check(z["zaaktype"].endswith("22222222-2222-4222-8222-222222222222"),
              "zaaktype: the version valid today (not the expired one)", z["zaaktype"])
        eq(z["kenmerken"], [{"bron": "Bouwstroom", "kenmerk": p0}], "kenmerken")
        g = z.get("zaakgeometrie")
        check(g and g["type"] == "Point" and 3 < g["coordinates"][0] < 8 and 50 < g["coordinates"][1] < 54,
              "zaakgeometrie: a WGS84 point in the Netherlands (lon, lat)", g)
        geo = json.loads(psql(db, f"SELECT geometry FROM projects WHERE id = '{p0}'"))
        check(geo is not None, "project 0 has a geometry in RD", geo)
        rollen = [r for r in s["rollen"] if r["zaak"] == z["url"]]
        eq([r["betrokkeneType"] for r in rollen], ["organisatorische_eenheid"], "the gemeente as a rol")
        eq(rollen[0]["betrokkeneIdentificatie"]["naam"], "Voorbeeldstad", "rol naam")
        for e in d.log():
            if e["path"].startswith("/zaken"):
                check(e["headers"].get("Accept-Crs") == "EPSG:4326" and e["headers"].get("Content-Crs") == "EPSG:4326",
                      "CRS headers on /zaken", e["headers"])
        eq([e for e in d.log() if e["status"] >= 400], [], "no request was refused by the double (JWT, CRS, fields)")

        # a milestone realised → a status of the mapped statustype
        n_before = len(d.log())
        set_finish(db, p0, "principeakkoord", "2021-03-01")
        ev = events(db, f"project_id = '{p0}' AND status <> 'done'")
        eq([(e["kind"], e["step_key"]) for e in ev], [("milestone_realised", "principeakkoord")],
           "the UPDATE wrote a milestone_realised event in its transaction")
        psql(db, f"UPDATE project_steps SET remaining_duration = 3 WHERE project_id = '{p0}' AND step_key = 'start_bouw'")
        eq(len(events(db, f"project_id = '{p0}' AND status <> 'done'")), 1,
           "a change that no adapter shows (remaining duration) writes no event")
        run_once(binary, env)
        s = d.state()
        st0 = [x for x in s["statussen"] if x["zaak"] == z["url"]]
        eq([x["statustype"].rsplit("/", 1)[1][-1] for x in st0][-1:], ["2"], "status Principeakkoord (volgnummer 2)")
        eq(st0[-1]["datumStatusGezet"], "2021-03-01T12:00:00Z", "datumStatusGezet from actual_finish")
        new = d.log()[n_before:]
        check(not any(e["method"] == "GET" and e["path"] == "/zaken" for e in new),
              "a first attempt does not look up (nothing to look up)", new)

        # 500 → failed with error, attempts, next attempt; then done; one status only
        d.faults([{"method": "POST", "path": "/statussen", "action": "500", "times": 1}])
        set_finish(db, p0, "omgevingsvergunning_verleend", "2022-05-02")
        run_once(binary, env)
        ev = events(db, f"project_id = '{p0}' AND status <> 'done'")
        eq([e["status"] for e in ev], ["failed"], "a 500 leaves the event failed")
        check(ev and "HTTP 500" in (ev[0]["last_error"] or "") and ev[0]["attempts"] == 1 and ev[0]["next_attempt_at"],
              "failed: last error, attempts, next attempt", ev)
        time.sleep(0.6)
        run_once(binary, env)
        eq(events(db, f"project_id = '{p0}' AND status <> 'done'"), [], "the retry delivered it")
        s = d.state()
        eq(len([x for x in s["statussen"] if x["zaak"] == z["url"] and x["statustype"].endswith("3")]), 1,
           "exactly one status 'vergunning verleend'")
        check(any(e["method"] == "GET" and e["path"] == "/statussen" for e in d.log()),
              "the retry looked the status up before re-POSTing", "")

        # a timeout (the double holds the request past timeout_ms) → failed, retried. What shows
        # that the worker did not wait for the answer is what it recorded, not the wall clock:
        # the attempt ended as a timeout after the configured 1500 ms while the double still
        # held the request unanswered (uncommitted).
        d.faults([{"method": "POST", "path": "/statussen", "action": "hold", "times": 1}])
        set_finish(db, p0, "start_bouw", "2023-01-09")
        run_once(binary, env)
        ev = events(db, f"project_id = '{p0}' AND status <> 'done'")
        check(ev and "imeout" in (ev[0]["last_error"] or ""), "a timeout is a failed attempt", ev)
        waited = re.search(r"after (\d+) milliseconds", (ev[0]["last_error"] or "") if ev else "")
        check(waited and 1500 <= int(waited.group(1)) < 15000,
              "the attempt gave up after the configured timeout (1500 ms), as recorded", ev)
        eq(d.held()["held"], 1, "the worker did not wait for the answer: the request is still held")
        # the double now commits the held status: the retry must find it, not duplicate it
        n_log = len([e for e in d.log() if e["method"] == "POST" and e["path"] == "/statussen"])
        d.release()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and \
                len([e for e in d.log() if e["method"] == "POST" and e["path"] == "/statussen"]) == n_log:
            time.sleep(0.1)
        eq(d.held(), {"held": 0, "released": 1}, "the held status was committed")
        time.sleep(0.6)  # past retry_base_ms (200 ms): the retry is due
        run_once(binary, env)
        eq(events(db, f"project_id = '{p0}' AND status <> 'done'"), [], "the timeout's event done after the retry")
        s = d.state()
        eq(len([x for x in s["statussen"] if x["zaak"] == z["url"] and x["statustype"].endswith("4")]), 1,
           "exactly one status 'start bouw' although the first POST landed late")

        # a POST /zaken that landed but whose answer was lost → the lookup finds it, no duplicate
        d.faults([{"method": "POST", "path": "/zaken", "action": "drop_after_commit", "times": 1}])
        newp = psql(db, "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
                        "progress_date, process_schema_key, process_schema_version, geometry, geometry_crs) "
                        "SELECT 'test', 'zgw-1', 'Nieuw plan ZGW', 'Voorbeeldstad', provincie, plantype, planstatus, "
                        "progress_date, process_schema_key, process_schema_version, geometry, geometry_crs "
                        f"FROM projects WHERE id = '{p0}' RETURNING id").split("\n")[0]
        eq([e["kind"] for e in events(db, f"project_id = '{newp}'")], ["project_created"], "project_created event")
        run_once(binary, env)
        ev = events(db, f"project_id = '{newp}' AND status <> 'done'")
        eq([e["status"] for e in ev], ["failed"], "lost answer: failed")
        time.sleep(0.6)
        run_once(binary, env)
        eq(events(db, f"project_id = '{newp}' AND status <> 'done'"), [], "lost answer: done after the retry")
        s = d.state()
        eq(len([x for x in s["zaken"] if x["identificatie"] == ident(newp)]), 1, "no duplicate zaak")
        lg = [e for e in d.log() if e["path"] == "/zaken" and (e["body"] or {}).get("identificatie") == ident(newp)
              or e["query"].get("identificatie") == ident(newp)]
        eq([(e["method"], e.get("dropped", False)) for e in lg], [("POST", True), ("GET", False)],
           "one POST (answer dropped), then the lookup; no second POST")

        # a 400 is given up (operator retry needed), its problem surfaced
        p2 = pids[2]
        d.faults([{"method": "POST", "path": "/statussen", "action": "500", "times": 0}])
        bad = os.path.join(tmp, "bad.json")
        write_config(bad, d.url, d.url, statussen={"principeakkoord": "Bestaat niet"})
        set_finish(db, p2, "principeakkoord", "2024-02-01")
        run(binary, dict(env, BOUWSTROOM_ZGW_CONFIG=bad), "adapters", "run", "--once")
        ev = events(db, f"project_id = '{p2}' AND status <> 'done'")
        check(ev and ev[-1]["status"] == "failed" and ev[-1]["next_attempt_at"] is None
              and "statustype" in ev[-1]["last_error"], "a configuration error is given up, with the reason", ev)
        st = json.loads(run(binary, env, "adapters", "status", "--project", p2).stdout)
        eq(st["counts"]["given_up"], 1, "adapters status counts it as given up")
        eq(run(binary, env, "adapters", "retry").stdout.strip(), "1", "operator retry reschedules it")
        # a remote 400 (problem+json): given up, with status, title and invalidParams names
        d.faults([{"method": "POST", "path": "/statussen", "action": "400", "times": 1}])
        run_once(binary, env)
        ev = events(db, f"project_id = '{p2}' AND status <> 'done'")
        check(ev and ev[-1]["next_attempt_at"] is None and
              "POST /statussen: HTTP 400 Invalid input.; invalidParams: datumStatusGezet (invalid)" in ev[-1]["last_error"],
              "a 400's problem+json in last_error, given up", ev)
        eq(run(binary, env, "adapters", "retry").stdout.strip(), "1", "operator retry again")
        run_once(binary, env)
        eq(events(db, f"project_id = '{p2}' AND status <> 'done'"), [], "done after the retry with a good mapping")

        # a plan without geometry
        d.faults([{"method": "POST", "path": "/zaken", "action": "drop_after_commit", "times": 0}])
        psql(db, "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
                 "progress_date, process_schema_key, process_schema_version) SELECT 'test', 'zgw-2', 'Plan twee', "
                 "'Voorbeeldstad', provincie, plantype, planstatus, progress_date, process_schema_key, "
                 f"process_schema_version FROM projects WHERE id = '{p0}'")
        p3 = psql(db, "SELECT id FROM projects WHERE source_key = 'zgw-2'")
        d_state_before = len(d.state()["zaken"])
        run_once(binary, env)
        eq(len(d.state()["zaken"]), d_state_before + 1, "plan without geometry: a zaak without zaakgeometrie")
        check("zaakgeometrie" not in zaak_of(d.state(), p3)[0], "no zaakgeometrie without geometry", "")

        # closing: resultaat, then the eindstatus
        set_finish(db, p0, "laatste_oplevering", "2025-06-30")
        run_once(binary, env)
        s = d.state()
        zz = [x for x in s["zaken"] if x["url"] == z["url"]][0]
        eq(zz["einddatum"], "2025-06-30", "the zaak is closed by its eindstatus")
        posts = [e["path"] for e in d.log() if e["method"] == "POST" and e["status"] == 201
                 and (e["body"] or {}).get("zaak") == z["url"]]
        check(posts[-2:] == ["/resultaten", "/statussen"], "resultaat first, then the eindstatus", posts)
        eq(json.loads(psql(db, f"SELECT remote_state FROM adapter_projects WHERE project_id = '{p0}'")).get("closed"),
           True, "remote_state records the closed zaak")

        # the Notificaties webhook (as a function, driven by `adapters notify`)
        note = json.dumps({"kanaal": "zaken", "hoofdObject": z["url"], "resource": "status",
                           "resourceUrl": z["url"], "actie": "create", "aanmaakdatum": "2025-07-01T10:00:00Z",
                           "kenmerken": {}})
        eq(run(binary, env, "adapters", "notify", stdin=note).stdout.split("\n")[0], "status: 401", "no Authorization: 401")
        eq(run(binary, env, "adapters", "notify", "--authorization", "Token wrong", stdin=note).stdout.split("\n")[0],
           "status: 403", "wrong Authorization: 403")
        eq(run(binary, env, "adapters", "notify", "--authorization", NOTIFY_AUTH, stdin="{}").stdout.split("\n")[0],
           "status: 400", "not a notification: 400")
        eq(events(db, "kind = 'reconcile'"), [], "refused notifications schedule nothing")
        out = run(binary, env, "adapters", "notify", "--authorization", NOTIFY_AUTH, stdin=note).stdout
        eq(out.split("\n")[:2], ["status: 204", "reconcile events: 1"], "right Authorization: 204, a reconcile scheduled")
        other = note.replace(z["url"], d.url + "/zaken/00000000-0000-4000-8000-000000000000")
        out = run(binary, env, "adapters", "notify", "--authorization", NOTIFY_AUTH, stdin=other).stdout
        eq(out.split("\n")[:2], ["status: 204", "reconcile events: 0"], "a zaak that is not ours: 204, ignored")
        n_before = len(d.log())
        run_once(binary, env)
        check(any(e["method"] == "GET" and e["path"] == "/zaken/" + z["uuid"] for e in d.log()[n_before:]),
              "the reconcile fetched the zaak", d.log()[n_before:])
        eq(events(db, "kind = 'reconcile' AND status <> 'done'"), [], "reconcile done")

        # the worker inside `serve`: LISTEN/NOTIFY wakes it; a slow remote does not block the loop
        proc, base = bsit.start_server(binary, env)
        try:
            # the double holds the status until released: the API answering meanwhile shows
            # that the loop is not blocked by the remote call (no wall-clock bound needed)
            d.faults([{"method": "POST", "path": "/statussen", "action": "hold", "times": 1}])
            set_finish(db, pids[1], "principeakkoord", "2021-04-01")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and d.held()["held"] == 0:
                time.sleep(0.1)
            eq(d.held()["held"], 1, "serve's worker has a remote call in flight (LISTEN/NOTIFY woke it)")
            api = bsit.Api(base)
            stt, _, _ = api.call("GET", "/api/v1/projects?page_size=1")
            eq(stt, 200, "the API answers while a remote call is in flight")
            eq(d.held()["held"], 1, "…without waiting for it (the remote call is still held)")
            d.release()
            deadline = time.time() + 60
            z1 = zaak_of(d.state(), pids[1])[0]
            while time.time() < deadline:
                if any(x["zaak"] == z1["url"] and x["statustype"].endswith("2") for x in d.state()["statussen"]):
                    break
                time.sleep(0.2)
            check(any(x["zaak"] == z1["url"] and x["statustype"].endswith("2") for x in d.state()["statussen"]),
                  "serve delivered the status", "")
        finally:
            proc.send_signal(2)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, "serve stops on SIGINT", "")
            eq(proc.returncode, 0, "serve exit status")
    finally:
        d.stop()


# ---------------------------------------------------------------- part 2: the contracts

def part_contracts(binary, source, db, tmp):
    npm = os.path.join(source, "var", "zgw-npm")
    r = subprocess.run(["sh", os.path.join(source, "tests/zgw/npm_install.sh"), npm], capture_output=True, text=True)
    if r.returncode != 0:
        check(False, "npm install of Prism/ajv", r.stderr)
        return
    contracts = os.path.join(os.environ.get("BOUWSTROOM_SHARED", os.path.join(source, "..", "shared")), "contracts", "zgw")
    pz, pc = free_port(), free_port()
    d = Double(source, f"http://127.0.0.1:{pz}", f"http://127.0.0.1:{pc}")
    prism = os.path.join(npm, "node_modules", ".bin", "prism")
    procs = []
    logs = []
    for port, doc in ((pz, "zaken-1.5.yaml"), (pc, "catalogi-1.3.yaml")):
        lf = open(os.path.join(tmp, f"prism-{port}.log"), "w")
        logs.append(lf.name)
        # without --errors: with it Prism also turns response violations into 500s, and the
        # double's answers carry only the fields the adapter reads. Request violations are
        # read from Prism's validator log instead (each one fails the test).
        procs.append(subprocess.Popen([prism, "proxy", "-h", "127.0.0.1", "-p", str(port),
                                       os.path.join(contracts, doc), d.url], stdout=lf, stderr=subprocess.STDOUT))
    try:
        for port in (pz, pc):
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.5).close()
                    break
                except OSError:
                    time.sleep(0.3)
        cfg = os.path.join(tmp, "zgw-prism.json")
        write_config(cfg, f"http://127.0.0.1:{pz}", f"http://127.0.0.1:{pc}", timeout_ms=10000)
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=db, BOUWSTROOM_ZGW_CONFIG=cfg)
        pids = project_ids(db)
        run_once(binary, env)
        p0 = pids[0]
        set_finish(db, p0, "principeakkoord", "2021-03-01")
        psql(db, f"UPDATE projects SET name = name || ' (gewijzigd)' WHERE id = '{p0}'")  # PATCH /zaken/{uuid}
        run_once(binary, env)
        # retries look up zaak, statussen, rollen, resultaten: make each POST fail once after landing
        d.faults([{"method": "POST", "path": p, "action": "drop_after_commit", "times": 1}
                  for p in ("/statussen", "/resultaten")])
        set_finish(db, p0, "laatste_oplevering", "2025-06-30")
        for _ in range(4):
            run_once(binary, env)
            time.sleep(0.6)
        psql(db, f"UPDATE adapter_projects SET remote_state = '{{}}', remote_url = NULL WHERE project_id = '{pids[1]}'")
        psql(db, f"INSERT INTO adapter_events (adapter, project_id, kind) VALUES ('zgw', '{pids[1]}', 'reconcile')")
        run_once(binary, env)  # everything of project 1 looked up (GET /zaken?…, /rollen?…)
        st = json.loads(run(binary, env, "adapters", "status").stdout)
        eq(st["counts"].get("failed", 0) + st["counts"].get("given_up", 0), 0,
           "every event done through Prism (none given up)")
        check(not st["events"], "no open events", st["events"])
        lg = d.log()
        methods = sorted({(e["method"], e["path"].split("/")[1] + ("/{uuid}" if e["path"].count("/") > 1 else ""))
                          for e in lg})
        print("  operations sent through Prism:", methods)
        for want in [("GET", "zaaktypen"), ("GET", "statustypen"), ("GET", "roltypen"), ("GET", "resultaattypen"),
                     ("POST", "zaken"), ("GET", "zaken"), ("PATCH", "zaken/{uuid}"), ("POST", "statussen"),
                     ("GET", "statussen"), ("POST", "rollen"), ("GET", "rollen"), ("POST", "resultaten"),
                     ("GET", "resultaten")]:
            check(want in methods, f"operation {want} exercised through Prism", methods)
        violations = [line for f in logs for line in open(f) if "Violation: request" in line]
        eq(violations, [], "Prism saw no request violation")
        eq([e for e in lg if e["status"] >= 400], [], "the double refused nothing")

        # ajv over every body the adapter sent
        bodies = [{"api": "zaken", "method": e["method"], "path": e["path"], "body": e["body"]}
                  for e in lg if e["method"] in ("POST", "PATCH")]
        res = ajv(source, npm, contracts, bodies)
        bad = [(bodies[x["index"]]["path"], x["errors"]) for x in res if not x["valid"]]
        eq(bad, [], f"ajv: all {len(bodies)} request bodies valid against the contract")

        # malformed requests: Prism or ajv must reject every one
        zaak = [e for e in lg if e["method"] == "POST" and e["path"] == "/zaken"][0]["body"]
        status = [e for e in lg if e["method"] == "POST" and e["path"] == "/statussen"][0]["body"]
        rol = [e for e in lg if e["method"] == "POST" and e["path"] == "/rollen"][0]["body"]
        res_ = [e for e in lg if e["method"] == "POST" and e["path"] == "/resultaten"][0]["body"]
        malformed = [
            ("POST", "/zaken", dict(zaak, startdatum=20210301), "startdatum a number"),
            ("POST", "/zaken", {k: v for k, v in zaak.items() if k != "bronorganisatie"}, "bronorganisatie missing"),
            ("POST", "/zaken", dict(zaak, identificatie="X" * 41), "identificatie > 40"),
            ("POST", "/zaken", dict(zaak, kenmerken=[{"bron": "Bouwstroom"}]), "kenmerk missing"),
            ("POST", "/zaken", dict(zaak, zaakgeometrie={"type": "Point", "coordinates": [5.1]}), "a 1-D point"),
            ("PATCH", "/zaken/" + zaak_of(d.state(), p0)[0]["uuid"], {"omschrijving": "x" * 81}, "omschrijving > 80"),
            ("POST", "/statussen", {k: v for k, v in status.items() if k != "statustype"}, "statustype missing"),
            ("POST", "/statussen", dict(status, datumStatusGezet="gisteren"), "datumStatusGezet not a date-time"),
            ("POST", "/rollen", dict(rol, betrokkeneType="gemeente"), "betrokkeneType outside the enum"),
            ("POST", "/rollen", {k: v for k, v in rol.items() if k != "roltoelichting"}, "roltoelichting missing"),
            ("POST", "/resultaten", {k: v for k, v in res_.items() if k != "resultaattype"}, "resultaattype missing"),
        ]
        av = ajv(source, npm, contracts, [{"api": "zaken", "method": m, "path": p, "body": b} for m, p, b, _ in malformed])
        from_before = len(d.log())
        viol_seen = sum(1 for line in open(logs[0]) if "Violation: request" in line)
        for i, (m, p, b, what) in enumerate(malformed):
            headers = {"Content-Type": "application/json", "Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326",
                       "Authorization": "Bearer " + jwt()}
            req = urllib.request.Request(f"http://127.0.0.1:{pz}{p}", data=json.dumps(b).encode(), method=m,
                                         headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    prism_status = r.status
            except urllib.error.HTTPError as e:
                prism_status = e.code
            time.sleep(0.3)
            nviol = sum(1 for line in open(logs[0]) if "Violation: request" in line)
            prism_rejected = prism_status in (400, 422) or nviol > viol_seen
            viol_seen = nviol
            check(prism_rejected or not av[i]["valid"], f"malformed ({what}) rejected by Prism or ajv",
                  f"prism {prism_status}, ajv {av[i]}")
            print(f"  malformed {m} {p} ({what}): HTTP {prism_status} through Prism, Prism violation {prism_rejected and prism_status not in (400, 422) or prism_status == 422}, ajv {'rejects' if not av[i]['valid'] else 'accepts'}")
        check(len(d.log()) >= from_before, "double log readable", "")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        d.stop()


def jwt():
    import base64
    import hashlib
    import hmac
    b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()  # noqa: E731
    h = b(b'{"alg":"HS256","typ":"JWT"}')
    p = b(json.dumps({"iss": "t", "iat": int(time.time()), "client_id": "t", "user_id": "t",
                      "user_representation": "t"}).encode())
    return h + "." + p + "." + b(hmac.new(SECRET.encode(), (h + "." + p).encode(), hashlib.sha256).digest())


def ajv(source, npm, contracts, reqs):
    r = subprocess.run(["node", os.path.join(source, "tests/zgw/validate.cjs"), contracts], input=json.dumps(reqs),
                       capture_output=True, text=True, env=dict(os.environ, NODE_PATH=os.path.join(npm, "node_modules")))
    if r.returncode != 0:
        check(False, "ajv validator runs", r.stderr)
        return [{"valid": True, "errors": []} for _ in reqs]
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--only", choices=["double", "contracts"])
    a = ap.parse_args()
    sample = os.path.join(a.source, "adapters", "sample", "voorbeeldstad.geojson")
    with tempfile.TemporaryDirectory() as tmp:
        for part in ("double", "contracts"):
            if a.only and a.only != part:
                continue
            print(f"== {part}", flush=True)
            with bsit.fresh_database() as db:
                env = dict(os.environ, BOUWSTROOM_DATABASE_URL=db)
                run(a.binary, env, "import", sample, "--source", "sample")
                (part_double if part == "double" else part_contracts)(a.binary, a.source, db, tmp)
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
