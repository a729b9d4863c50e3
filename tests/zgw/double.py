"""Stateful test double of the subset of the ZGW Zaken and Catalogi APIs the Bouwstroom ZGW
adapter uses (zaken-1.5.yaml, catalogi-1.3.yaml). Test tooling only.

  /usr/bin/python3 tests/zgw/double.py --port P --secret S [--zaken-base URL] [--catalogi-base URL]

Prints "ready PORT" when listening. Checks every request's Bearer JWT (HS256 with S, claims
iss/iat/client_id/user_id/user_representation) and the Accept-Crs/Content-Crs headers on
/zaken; keeps zaken, statussen, rollen, resultaten in memory with the API's rules used here:
identificatie unique per bronorganisatie, an eindstatus needs a resultaat and closes the zaak.

Control (for tests):
  POST /_faults  [{"method": "POST", "path": "/zaken", "action": "500"|"400"|"drop_after_commit"|"delay"|"hold",
                   "times": N, "seconds": S}]  — the next N matching requests misbehave; "hold" keeps the
                   request unanswered (and uncommitted) until POST /_release, whatever the client does
  POST /_release lets every held request go on (it is then committed and answered)
  GET  /_held    {"held": number of requests held now, "released": number let go so far}
  GET  /_log     every request: {method, path, query, status, body, headers}
  GET  /_state   {zaken: [...], statussen: [...], rollen: [...], resultaten: [...]}
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
RELEASE = threading.Event()
HELD = {"held": 0, "released": 0}
STATE = {"zaken": [], "statussen": [], "rollen": [], "resultaten": []}
LOG = []
FAULTS = []
ARGS = None
TODAY = datetime.date.today()

ZT_UUID_OLD = "11111111-1111-4111-8111-111111111111"
ZT_UUID = "22222222-2222-4222-8222-222222222222"
STATUSTYPEN = [(1, "Initiatief", False), (2, "Principeakkoord", False), (3, "Vergunning verleend", False),
               (4, "Start bouw", False), (5, "Opgeleverd", True)]


def cat(path):
    return ARGS.catalogi_base + path


def zk(path):
    return ARGS.zaken_base + path


def catalog():
    zt = cat("/zaaktypen/" + ZT_UUID)
    zt_old = cat("/zaaktypen/" + ZT_UUID_OLD)
    y = TODAY.year
    zaaktypen = [
        {"url": zt_old, "identificatie": "WONINGBOUW", "beginGeldigheid": f"{y - 5}-01-01",
         "eindeGeldigheid": (TODAY - datetime.timedelta(days=30)).isoformat(), "concept": False},
        {"url": zt, "identificatie": "WONINGBOUW", "beginGeldigheid": (TODAY - datetime.timedelta(days=30)).isoformat(),
         "eindeGeldigheid": None, "concept": False},
    ]
    statustypen = [{"url": cat(f"/statustypen/00000000-0000-4000-8000-00000000000{n}"), "omschrijving": o,
                    "volgnummer": n, "isEindstatus": e, "zaaktype": zt} for n, o, e in STATUSTYPEN]
    roltypen = [{"url": cat("/roltypen/00000000-0000-4000-8000-0000000000a1"), "omschrijving": "Gemeente",
                 "omschrijvingGeneriek": "behandelaar", "zaaktype": zt},
                {"url": cat("/roltypen/00000000-0000-4000-8000-0000000000a2"), "omschrijving": "Ontwikkelaar",
                 "omschrijvingGeneriek": "initiator", "zaaktype": zt}]
    resultaattypen = [{"url": cat("/resultaattypen/00000000-0000-4000-8000-0000000000b1"),
                       "omschrijving": "Gerealiseerd", "zaaktype": zt}]
    return zaaktypen, statustypen, roltypen, resultaattypen


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_ok(auth):
    if not auth or not auth.startswith("Bearer "):
        return "no bearer token"
    parts = auth[7:].split(".")
    if len(parts) != 3:
        return "not a JWT"
    try:
        header = json.loads(b64d(parts[0]))
        claims = json.loads(b64d(parts[1]))
    except ValueError:
        return "JWT not JSON"
    if header.get("alg") != "HS256":
        return "alg is not HS256"
    mac = hmac.new(ARGS.secret.encode(), (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(b64d(parts[2]), mac):
        return "bad signature"
    for c in ("iss", "iat", "client_id", "user_id", "user_representation"):
        if c not in claims:
            return "claim missing: " + c
    if abs(claims["iat"] - time.time()) > 300:
        return "iat too far from now"
    return None


def page(results):
    return {"count": len(results), "next": None, "previous": None, "results": results}


def problem(status, title, invalid=()):
    return status, {"type": "about:blank", "code": "invalid" if invalid else "error", "title": title,
                    "status": status, "detail": title, "instance": "urn:uuid:" + str(uuid.uuid4()),
                    "invalidParams": [{"name": n, "code": c, "reason": c} for n, c in invalid]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        entry = {"method": self.command, "path": u.path, "query": q,
                 "headers": {k: v for k, v in self.headers.items()}, "body": None}
        if raw:
            try:
                entry["body"] = json.loads(raw)
            except ValueError:
                entry["body"] = raw.decode("utf-8", "replace")
        if u.path.startswith("/_"):
            return self.control(u.path, entry["body"])
        fault = None
        with LOCK:
            for f in FAULTS:
                if f["times"] > 0 and f["method"] == self.command and u.path.startswith(f["path"]):
                    f["times"] -= 1
                    fault = f
                    break
        if fault and fault["action"] == "500":
            entry["status"] = 500
            LOG.append(entry)
            return self.reply(*problem(500, "Interne fout (test double)"))
        if fault and fault["action"] == "400":
            entry["status"] = 400
            LOG.append(entry)
            return self.reply(*problem(400, "Invalid input.", [("datumStatusGezet", "invalid")]))
        if fault and fault["action"] == "delay":
            time.sleep(fault.get("seconds", 5))
        if fault and fault["action"] == "hold":
            with LOCK:
                HELD["held"] += 1
            RELEASE.wait()
            with LOCK:
                HELD["held"] -= 1
                HELD["released"] += 1
        with LOCK:
            status, doc = self.route(u.path, q, entry["body"])
            entry["status"] = status
            LOG.append(entry)
        if fault and fault["action"] == "drop_after_commit":
            entry["dropped"] = True
            self.close_connection = True
            self.connection.shutdown(2)  # committed, the answer is lost
            return
        self.reply(status, doc)

    do_GET = do_POST = do_PATCH = handle_any

    def reply(self, status, doc):
        out = json.dumps(doc).encode() if doc is not None else b""
        self.send_response(status)
        ct = "application/problem+json" if status >= 400 else "application/json"
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(out)))
        if self.path.startswith("/zaken"):
            self.send_header("Content-Crs", "EPSG:4326")
        self.end_headers()
        self.wfile.write(out)

    def control(self, path, body):
        if path == "/_faults" and self.command == "POST":
            with LOCK:
                for f in body:
                    f.setdefault("times", 1)
                    FAULTS.append(f)
                    if f.get("action") == "hold":
                        RELEASE.clear()
            return self.reply(200, {"ok": True})
        if path == "/_log":
            with LOCK:
                return self.reply(200, LOG)
        if path == "/_release" and self.command == "POST":
            RELEASE.set()
            return self.reply(200, {"ok": True})
        if path == "/_held":
            with LOCK:
                return self.reply(200, dict(HELD))
        if path == "/_state":
            with LOCK:
                return self.reply(200, STATE)
        return self.reply(404, {"detail": "no such control"})

    def route(self, path, q, body):
        err = jwt_ok(self.headers.get("Authorization"))
        if err:
            return problem(403, "Authenticatie mislukt: " + err)
        zaaktypen, statustypen, roltypen, resultaattypen = catalog()
        seg = path.strip("/").split("/")
        if path == "/zaaktypen":
            return 200, page([z for z in zaaktypen if z["identificatie"] == q.get("identificatie")])
        if path in ("/statustypen", "/roltypen", "/resultaattypen"):
            items = {"/statustypen": statustypen, "/roltypen": roltypen, "/resultaattypen": resultaattypen}[path]
            return 200, page([i for i in items if i["zaaktype"] == q.get("zaaktype")])
        if seg[0] == "zaken":
            if self.headers.get("Accept-Crs") != "EPSG:4326" or self.headers.get("Content-Crs") != "EPSG:4326":
                return problem(412, "Accept-Crs en Content-Crs moeten EPSG:4326 zijn")
        if path == "/zaken" and self.command == "POST":
            inv = [(f, "required") for f in ("bronorganisatie", "verantwoordelijkeOrganisatie", "zaaktype", "startdatum")
                   if not body.get(f)]
            if body.get("zaaktype") and body["zaaktype"] not in [z["url"] for z in zaaktypen]:
                inv.append(("zaaktype", "bad-url"))
            if any(z["identificatie"] == body.get("identificatie") and z["bronorganisatie"] == body.get("bronorganisatie")
                   for z in STATE["zaken"]):
                inv.append(("identificatie", "identificatie-niet-uniek"))
            if inv:
                return problem(400, "Invalid input.", inv)
            zid = str(uuid.uuid4())
            z = dict(body, url=zk("/zaken/" + zid), uuid=zid, status=None, resultaat=None, einddatum=None)
            STATE["zaken"].append(z)
            return 201, z
        if path == "/zaken" and self.command == "GET":
            return 200, page([z for z in STATE["zaken"] if all(z.get(k) == v for k, v in q.items()
                                                               if k in ("identificatie", "bronorganisatie"))])
        if len(seg) == 2 and seg[0] == "zaken":
            z = next((z for z in STATE["zaken"] if z["uuid"] == seg[1]), None)
            if not z:
                return problem(404, "Niet gevonden.")
            if self.command == "PATCH":
                z.update(body)
            return 200, z
        if path in ("/statussen", "/rollen", "/resultaten"):
            coll = STATE[path[1:]]
            if self.command == "GET":
                return 200, page([x for x in coll if all(x.get(k) == v for k, v in q.items() if k != "page")])
            z = next((z for z in STATE["zaken"] if z["url"] == body.get("zaak")), None)
            if not z:
                return problem(400, "Invalid input.", [("zaak", "bad-url")])
            if z["einddatum"]:
                return problem(400, "Invalid input.", [("nonFieldErrors", "zaak-gesloten")])
            rid = str(uuid.uuid4())
            x = dict(body, url=zk(path + "/" + rid), uuid=rid)
            if path == "/statussen":
                st = next((s for s in statustypen if s["url"] == body.get("statustype")), None)
                if not st:
                    return problem(400, "Invalid input.", [("statustype", "bad-url")])
                if st["isEindstatus"]:
                    if not z["resultaat"]:
                        return problem(400, "Invalid input.", [("statustype", "resultaat-does-not-exist")])
                    z["einddatum"] = body["datumStatusGezet"][:10]
                z["status"] = x["url"]
            if path == "/rollen" and body.get("roltype") not in [r["url"] for r in roltypen]:
                return problem(400, "Invalid input.", [("roltype", "bad-url")])
            if path == "/resultaten":
                if z["resultaat"]:
                    return problem(400, "Invalid input.", [("zaak", "unique")])
                z["resultaat"] = x["url"]
            coll.append(x)
            return 201, x
        return problem(404, "Niet gevonden.")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--zaken-base")
    ap.add_argument("--catalogi-base")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    port = srv.server_address[1]
    ARGS.zaken_base = ARGS.zaken_base or f"http://127.0.0.1:{port}"
    ARGS.catalogi_base = ARGS.catalogi_base or f"http://127.0.0.1:{port}"
    print(f"ready {port}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
