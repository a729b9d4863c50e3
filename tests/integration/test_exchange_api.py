#!/usr/bin/env python3
"""The exchange and the province exports on the API, and the rule that exports hold only
what the caller may read.

Against the real server and PostgreSQL: the province export (Planmonitor-style workbook and
its quality report) and the GeoJSON export contain exactly the plans the caller's role may
read — an administrator without roles gets none, the raad of the owning municipality only the
plans at intern raad or above, another municipality none; the Excel and GeoJSON imports are
the administrator's, all or nothing with every bad row or feature listed; the adapter outbox
state is the administrator's; the ZGW webhook answers 404 when no adapter is configured.
"""
import argparse
import io
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, finish, fresh_database, psql, start_server  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_user(binary, env, email, *args):
    r = subprocess.run([binary, "user", "add", email, *args, "--generate-password"], env=env, capture_output=True,
                       text=True, timeout=120)
    eq(r.returncode, 0, f"user add {email}: {r.stderr[-300:]}")
    return bsit.token_for(binary, env, email, "read,write")


def workbook(rows):
    import openpyxl  # Debian python3-openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                           text=True, timeout=120)
        eq(r.returncode, 0, "import sample: " + r.stderr[-300:])
        hard = int(psql(url, "SELECT count(*) FROM projects WHERE confidentiality = 'extern_mede_overheden'"))
        total = int(psql(url, "SELECT count(*) FROM projects"))
        check(0 < hard < total, "the sample has hard and soft plans", (hard, total))
        # a second municipality in another province; its user must see nothing of Voorbeeldstad
        tok_raad = add_user(args.binary, env, "raad@voorbeeldstad.example", "--role", "raad",
                            "--organisation", "Voorbeeldstad")
        tok_other = add_user(args.binary, env, "pl@anderstad.example", "--role", "projectleider",
                             "--organisation", "Anderstad")
        tok_admin_only = add_user(args.binary, env, "beheer@install.example", "--admin",
                                  "--organisation", "Installatiebeheer")
        proc, base = start_server(args.binary, env)
        try:
            op = Api(base)  # the test operator: beheerder of every imported municipality
            raad, other, admin_only = Api(base, tok_raad), Api(base, tok_other), Api(base, tok_admin_only)

            print("== province export: only plans the caller may read")
            for who, api, want in (("beheerder", op, total), ("raad", raad, hard), ("other municipality", other, 0),
                                   ("administrator without roles", admin_only, 0)):
                st, _, rep = api.json("GET", "/api/v1/exports/excel?part=report&date=2026-06-30")
                eq(st, 200, f"{who}: excel report")
                if rep:
                    eq(rep["included"] + rep["left_out"], want, f"{who}: plans in the excel export")
                st, ct, body = api.call("GET", "/api/v1/exports/excel?date=2026-06-30")
                eq((st, ct), (200, XLSX), f"{who}: the workbook")
                if st == 200:
                    import openpyxl
                    wb = openpyxl.load_workbook(io.BytesIO(body))
                    sheet = wb[wb.sheetnames[0]]
                    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row and row[0]}
                    uitgesloten = wb["Uitgesloten"] if "Uitgesloten" in wb.sheetnames else None
                    left = {row[0] for row in uitgesloten.iter_rows(min_row=2, values_only=True)
                            if row and row[0]} if uitgesloten else set()
                    check(len(names) + len(left) <= want, f"{who}: the workbook holds no plan beyond {want}",
                          (len(names), len(left)))
            st, _, _ = Api(base, None).json("GET", "/api/v1/exports/excel")
            eq(st, 401, "anonymous: no export")
            st, _, _ = op.json("GET", "/api/v1/exports/noord-brabant")
            eq(st, 404, "unknown export")
            st, _, _ = op.json("GET", "/api/v1/exports/excel?format=geojson")
            eq(st, 400, "the excel export is a workbook")

            print("== GeoJSON export: only plans the caller may read")
            for who, api, want in (("beheerder", op, total), ("raad", raad, hard), ("other municipality", other, 0)):
                for crs in ("rd", "wgs84"):
                    st, ct, body = api.call("GET", f"/api/v1/exchange/geojson?crs={crs}")
                    eq((st, ct), (200, "application/geo+json"), f"{who}: geojson {crs}")
                    doc = json.loads(body) if st == 200 else {"features": []}
                    eq(len(doc["features"]), want, f"{who}: features in the {crs} export")
                    eq("crs" in doc, crs == "rd", f"{who}: crs member only in RD")
            st, _, exported = op.json("GET", "/api/v1/exchange/geojson?crs=rd")

            print("== imports are the administrator's, all or nothing")
            raw = json.dumps(exported).encode()
            st, _, _ = raad.json("POST", "/api/v1/exchange/geojson", raw=raw)
            eq(st, 403, "a raad member cannot import")
            st, _, res = op.json("POST", "/api/v1/exchange/geojson", raw=raw)
            eq(st, 200, "re-import of the export")
            if res:
                eq((res["read"], res["inserted"], res["updated"] + res["unchanged"]), (total, 0, total),
                   "re-import: nothing new")
            bad = json.loads(raw)
            bad["features"][0]["properties"]["planstatus"] = "9Z"
            bad["features"][1]["properties"]["confidentiality"] = "geheim"
            st, ct, prob = op.json("POST", "/api/v1/exchange/geojson", raw=json.dumps(bad).encode())
            eq((st, ct), (422, "application/problem+json"), "invalid features: 422 problem")
            if prob:
                eq(sorted(e["feature"] for e in prob.get("errors", [])), [0, 1], "every bad feature listed")
            before = psql(url, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM projects p")
            book = workbook([["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen"],
                             ["x1", "Goed plan", "Voorbeeldstad", "Utrecht", "1A", 10],
                             ["x2", "Slecht plan", "Voorbeeldstad", "Utrecht", "9Z", 10],
                             ["x3", "", "Voorbeeldstad", "Nergensland", "3", -4]])
            st, ct, prob = op.json("POST", "/api/v1/exchange/xlsx", raw=book, headers={"Content-Type": XLSX})
            eq((st, ct), (422, "application/problem+json"), "workbook with bad rows: 422 problem")
            if prob:
                rows = sorted({e.get("row") for e in prob.get("errors", [])})
                eq(rows, [3, 4], "every bad row reported (Excel row numbers)")
                check(len(prob.get("errors", [])) >= 4, "every bad cell reported", prob.get("errors"))
            eq(psql(url, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM projects p"), before,
               "nothing imported from a workbook with errors")
            good = workbook([["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen"],
                             ["x1", "Goed plan", "Voorbeeldstad", "Utrecht", "1A", 10],
                             ["x2", "Ander plan", "Voorbeeldstad", "Utrecht", "3", 20]])
            st, _, res = op.json("POST", "/api/v1/exchange/xlsx?source=api-test", raw=good,
                                 headers={"Content-Type": XLSX})
            eq(st, 200, "clean workbook imported")
            if res:
                eq((res.get("rows"), res.get("inserted")), (2, 2), "two projects inserted")
            st, _, _ = op.json("POST", "/api/v1/exchange/xlsx", raw=b"{}", headers={"Content-Type": "application/json"})
            eq(st, 415, "a workbook upload must be a workbook")
            eq(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'projects' AND actor_email = "
                         f"'{bsit.OPERATOR}'") != "0", True, "the import's writes are in the audit log")

            print("== an import never changes an existing project's confidentiality")
            feat = next(f for f in exported["features"] if f["properties"]["confidentiality"] == "intern_ambtelijk")
            opened = {"type": "FeatureCollection", "crs": exported["crs"], "features": [feat]}
            feat["properties"]["confidentiality"] = "openbaar"
            st, _, _ = op.json("POST", "/api/v1/exchange/geojson", raw=json.dumps(opened).encode())
            eq(st, 200, "import of a feature that claims openbaar")
            eq(psql(url, f"SELECT confidentiality FROM projects WHERE id = '{feat['id']}'"), "intern_ambtelijk",
               "the existing project keeps its level")
            st, _, _ = Api(base, None).json("GET", f"/api/v1/projects/{feat['id']}")
            eq(st, 401, "and stays invisible without a credential")

            print("== PATCH confidentiality: hard plans, prive keeps a member")
            hard_id = psql(url, "SELECT id FROM projects WHERE planstatus = '1A' AND source = 'sample' LIMIT 1")
            st, _, prob = op.json("PATCH", f"/api/v1/projects/{hard_id}", {"confidentiality": "intern_ambtelijk"})
            eq((st, prob and prob["invalid_params"][0]["name"]), (422, "confidentiality"),
               "a hard plan cannot go below extern_mede_overheden")
            st, _, prob = op.json("PATCH", f"/api/v1/projects/{hard_id}", {"developer_organisation_id": None})
            eq(st, 422, "null is refused, not ignored")
            st, _, _ = op.json("PATCH", f"/api/v1/projects/{hard_id}",
                               raw=b'{"confidentiality":"openbaar","confidentiality":"prive"}')
            eq(st, 400, "duplicate members are refused")
            soft_id = psql(url, "SELECT id FROM projects WHERE planstatus = '3' AND source = 'sample' LIMIT 1")
            st, _, doc = op.json("PATCH", f"/api/v1/projects/{soft_id}", {"confidentiality": "prive"})
            eq(st, 200, "a soft plan set to prive")
            st, _, _ = op.json("GET", f"/api/v1/projects/{soft_id}")
            eq(st, 200, "the leader who set prive is a member and still sees it")
            st, _, _ = op.json("PATCH", f"/api/v1/projects/{soft_id}", {"confidentiality": "intern_ambtelijk"})
            eq(st, 200, "and can set it back")

            print("== invitations cannot take over accounts")
            pids = psql(url, "SELECT id FROM projects WHERE source = 'sample' ORDER BY name LIMIT 2").splitlines()
            st, _, inv = op.json("POST", f"/api/v1/projects/{pids[0]}/invitations",
                                 {"email": "dev@bouw.test", "organisation_name": "Bouw BV"})
            eq((st, bool(inv and inv.get("token"))), (201, True), "a new external user gets an invitation secret")
            st, _, _ = Api(base, None).json("POST", "/api/v1/invitations/accept",
                                            {"token": inv["token"], "password": "eigen-wachtwoord-123"})
            eq(st, 200, "the developer sets a password")
            st, _, inv2 = op.json("POST", f"/api/v1/projects/{pids[1]}/invitations",
                                  {"email": "DEV@bouw.test", "organisation_name": "Bouw BV"})
            eq((st, "token" in (inv2 or {})), (201, False), "inviting an existing account: member, no secret")
            st, _, _ = Api(base, None).json("POST", "/api/v1/login",
                                            {"email": "dev@bouw.test", "password": "eigen-wachtwoord-123"})
            eq(st, 200, "the developer's own password still works")
            st, _, prob = op.json("POST", f"/api/v1/projects/{pids[0]}/invitations",
                                  {"email": "raad@voorbeeldstad.example", "organisation_name": "Eigen BV"})
            eq((st, prob and prob["invalid_params"][0]["name"]), (422, "email"), "a municipal user is not invited")
            st, _, prob = op.json("POST", f"/api/v1/projects/{pids[0]}/invitations",
                                  {"email": "x@y.test", "organisation_name": "Voorbeeldstad"})
            eq((st, prob and prob["invalid_params"][0]["name"]), (422, "organisation_name"),
               "a municipality's name is not a partner organisation")

            print("== unknown addresses lock like accounts")
            sts = [Api(base, None).json("POST", "/api/v1/login", {"email": "geen@account.test", "password": "x"})[0]
                   for _ in range(6)]
            eq(sts, [401] * 4 + [429, 429], "5 failures lock an unknown address as they lock an account")

            print("== adapter outbox and webhook")
            st, _, doc = op.json("GET", "/api/v1/adapters/events")
            eq(st, 200, "adapter state for the administrator")
            check(isinstance(doc, dict) and "events" in doc, "state lists events", doc)
            st, _, _ = raad.json("GET", "/api/v1/adapters/events")
            eq(st, 403, "adapter state: not for a raad member")
            st, _, _ = op.json("POST", "/api/v1/adapters/events/999999/retry", body={})
            eq(st, 404, "retry of an unknown event")
            st, _, _ = Api(base, None).json("POST", "/api/v1/zgw/notificaties", body={"kanaal": "zaken"},
                                             headers={"Authorization": "Token abc"})
            eq(st, 404, "webhook without a configured ZGW adapter")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
