#!/usr/bin/python3
"""Plusvelden: an organisation's own fields on projects and blocks (issue 18 item 2;
docs/homes-and-goals.md "Plusvelden"), against the real binary, a real PostgreSQL and real
HTTP.

Definitions (GET/POST /api/v1/organisations/{id}/plusvelden, PATCH/DELETE …/{key}): a
beheerder defines, others may not; a pattern that does not compile is refused naming its
offset, a pattern over the length bound is refused; rules that do not fit the type are
refused naming the member. Values (GET/PATCH /api/v1/projects/{id}/plusvelden and
…/blocks/{block_id}/plusvelden): type errors, min/max, categories, the pattern (full match),
`^\\p{Lu}` in UTF mode with "Ëindhoven", the pattern bomb `(a+)+$` on 'aaa…ab' answered 422
pattern_limit (the code is asserted, not a time); required from a step (not required before
the step is done, required after); retire (absent from the definitions a form reads, from the
project read's plusvelden, from the required check; still in the history; its key not
reused); a definition without values is deleted; history and known_on; audit rows.

Usage: test_plusvelden_api.py --binary BOUWSTROOM --source SRC
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import TODAY, Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402


def add_user(binary, env, email, role, org="Voorbeeldstad"):
    r = subprocess.run([binary, "user", "add", email, "--role", role, "--organisation", org,
                        "--generate-password"], env=env, capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, f"user add {email} " + r.stderr[-300:])
    return token_for(binary, env, email, "read,write,admin" if role == "beheerder" else "read,write")


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
        tok = {who: add_user(args.binary, env, f"{who}@voorbeeldstad.test", role)
               for who, role in [("bea", "beheerder"), ("writer", "medewerker"), ("manager", "management")]}
        org = psql(url, "SELECT organisation_id FROM users WHERE email = 'bea@voorbeeldstad.test'")
        # a project of the organisation whose omgevingsplan is not yet vastgesteld
        a = psql(url, f"SELECT id FROM projects p WHERE owner_organisation_id = '{org}' AND EXISTS (SELECT 1 "
                      "FROM project_steps s WHERE s.project_id = p.id AND s.step_key = 'omgevingsplan_vastgesteld' "
                      "AND s.status <> 'done') ORDER BY source_key LIMIT 1")
        check(bool(a), "a sample project owned by the users' organisation before omgevingsplan_vastgesteld", org)
        psql(url, f"DELETE FROM project_blocks WHERE project_id = '{a}'")
        # as in test_blocks_api.py: the medewerker writes, management reads
        psql(url, f"UPDATE projects SET confidentiality = 'intern_bestuurlijk' WHERE id = '{a}'")
        proc, base = start_server(args.binary, env)
        try:
            run(base, url, org, a, tok)
            province_export(args.binary, env, args.source, url)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        # the server's own report: in the ASan+UBSan build any error or leak is printed here
        err = proc.stderr.read()
        eq(proc.returncode, 0, "the server's exit status (LeakSanitizer makes it non-zero on a leak)")
        check("Sanitizer" not in err and "runtime error" not in err, "the server ran clean (ASan/UBSan)",
              err[-2000:])
    return finish()


def define(url, base, org, api, op):
    D = f"/api/v1/organisations/{org}/plusvelden"
    print("== definitions: who, and rules refused naming the member")
    body = {"key": "plaatsnaam", "type": "text", "label": {"nl": "Plaatsnaam", "en": "Place name"},
            "pattern": "^\\p{Lu}\\p{Ll}+$", "public": True}
    expect_problem(api["writer"], "POST", D, 403, None, "a medewerker defines", body)
    st, _, d1 = api["bea"].json("POST", D, body)
    eq(st, 201, "a beheerder defines a text field with a Unicode pattern")
    eq((d1["key"], d1["type"], d1["applies_to"], d1["required"], d1["public"], d1["version"], d1["retired"]),
       ("plaatsnaam", "text", "project", False, True, 1, False), "defaults")
    expect_problem(api["bea"], "POST", D, 409, "key", "the same key again", body)
    p = expect_problem(api["bea"], "POST", D, 422, "pattern", "a pattern that does not compile",
                       dict(body, key="x1", pattern="ab(c"))
    eq(p.get("code") or p.get("type", "").rsplit("/", 1)[-1], "pattern_invalid", "problem code pattern_invalid")
    check("offset 4" in p["detail"], "the compile error names the offset", p["detail"])
    p = expect_problem(api["bea"], "POST", D, 422, "pattern", "a pattern over 500 bytes",
                       dict(body, key="x2", pattern="a" * 501))
    check(p["type"].endswith("pattern_too_long"), "problem pattern_too_long", p)
    expect_problem(api["bea"], "POST", D, 422, "pattern", "a pattern on an integer",
                   {"key": "x3", "type": "integer", "label": {"nl": "x", "en": "x"}, "pattern": "[0-9]+"})
    expect_problem(api["bea"], "POST", D, 422, "categories", "a category field without categories",
                   {"key": "x4", "type": "category", "label": {"nl": "x", "en": "x"}})
    expect_problem(api["bea"], "POST", D, 422, "max", "max below min",
                   {"key": "x5", "type": "integer", "label": {"nl": "x", "en": "x"}, "min": 5, "max": 1})
    expect_problem(api["bea"], "POST", D, 422, "type", "an unknown type",
                   {"key": "x6", "type": "float", "label": {"nl": "x", "en": "x"}})
    expect_problem(api["bea"], "POST", D, 422, "key", "a key of 51 bytes",
                   {"key": "k" * 51, "type": "text", "label": {"nl": "x", "en": "x"}})
    expect_problem(api["bea"], "POST", D, 422, "key", "a key with capitals",
                   {"key": "Xx", "type": "text", "label": {"nl": "x", "en": "x"}})
    expect_problem(api["bea"], "POST", D, 422, "label.en", "a label without en",
                   {"key": "x7", "type": "text", "label": {"nl": "x", "en": ""}})
    expect_problem(api["bea"], "POST", D, 422, "required_from_step", "a step that is not in the process",
                   {"key": "x8", "type": "text", "label": {"nl": "x", "en": "x"}, "required": True,
                    "required_from_step": "feest"})
    defs = {"plaatsnaam": d1}
    for b in [{"key": "woningen_sociaal", "type": "integer", "label": {"nl": "Sociale woningen", "en": "Social homes"},
               "min": 0, "max": 500},
              {"key": "ambitie", "type": "category", "label": {"nl": "Ambitie", "en": "Ambition"},
               "categories": ["laag", "midden", "hoog"]},
              {"key": "thema", "type": "multi_category", "label": {"nl": "Thema", "en": "Theme"},
               "categories": ["energie", "groen", "water"]},
              {"key": "code", "type": "text", "label": {"nl": "Code", "en": "Code"}, "pattern": "(a+)+$"},
              {"key": "besluit_nr", "type": "text", "label": {"nl": "Besluitnummer", "en": "Decision number"},
               "required": True, "required_from_step": "omgevingsplan_vastgesteld"},
              {"key": "energielabel", "type": "category", "applies_to": "block",
               "label": {"nl": "Energielabel", "en": "Energy label"}, "categories": ["A", "B", "C"],
               "required": True},
              {"key": "ongebruikt", "type": "boolean", "label": {"nl": "Ongebruikt", "en": "Unused"}},
              {"key": "oud_veld", "type": "decimal", "label": {"nl": "Oud veld", "en": "Old field"}, "max": 10}]:
        st, _, d = op.json("POST", D, b)
        eq(st, 201, f"define {b['key']} (as the administrator)")
        defs[b["key"]] = d
    st, _, lst = api["writer"].json("GET", D + "?page_size=100")
    eq(st, 200, "a user of the organisation reads the definitions (a form)")
    eq(sorted(x["key"] for x in lst["results"]), sorted(defs), "all active definitions")
    st, _, lst = api["writer"].json("GET", D + "?applies_to=block")
    eq([x["key"] for x in lst["results"]], ["energielabel"], "filtered to blocks")
    st, _, pd = api["bea"].json("PATCH", f"{D}/oud_veld", {"max": 20, "label": {"nl": "Oud", "en": "Old"}})
    eq((st, pd["max"], pd["label"]["nl"], pd["version"], pd["type"]), (200, 20, "Oud", 2, "decimal"),
       "PATCH changes rules and label; the version goes up")
    expect_problem(api["bea"], "PATCH", f"{D}/oud_veld", 422, "pattern", "PATCH a pattern onto a decimal",
                   {"pattern": "x"})
    expect_problem(api["bea"], "PATCH", f"{D}/bestaat_niet", 404, "key", "PATCH an unknown key", {"public": True})
    expect_problem(api["bea"], "PATCH", f"{D}/oud_veld", 422, "type", "PATCH the type", {"type": "text"})
    return defs


def values(url, a, api, op):
    P = f"/api/v1/projects/{a}/plusvelden"
    w = api["writer"]
    print("== values: types, ranges, categories, patterns")
    st, _, r = w.json("PATCH", P, {"plusvelden": {"plaatsnaam": "Ëindhoven", "woningen_sociaal": 120,
                                                  "ambitie": "hoog", "thema": ["groen", "water"],
                                                  "oud_veld": 7.5}, "reason": "eerste invulling"})
    eq(st, 200, f"valid values stored {r}")
    eq(r["plusvelden"], {"plaatsnaam": "Ëindhoven", "woningen_sociaal": 120, "ambitie": "hoog",
                         "thema": ["groen", "water"], "oud_veld": 7.5}, "the values after the write")
    eq(r["changed"], 5, "five values appended")
    cases = [("woningen_sociaal", "12", "type"), ("woningen_sociaal", 1.5, "type"),
             ("woningen_sociaal", 501, "out_of_range"), ("woningen_sociaal", -1, "out_of_range"),
             ("ambitie", "extreem", "category"), ("thema", ["groen", "groen"], "category"), ("thema", [], "type"),
             ("plaatsnaam", "ëindhoven", "pattern_mismatch"), ("plaatsnaam", "Eindhoven 2", "pattern_mismatch"),
             ("oud_veld", 20.5, "out_of_range"), ("ongebruikt", "ja", "type"),
             ("bestaat_niet", 1, "unknown_field"), ("energielabel", "A", "unknown_field")]
    for key, v, code in cases:
        p = expect_problem(w, "PATCH", P, 422, f"plusvelden.{key}", f"{key} = {v!r}", {"plusvelden": {key: v}})
        check(p and p["type"].endswith(code), f"{key} = {v!r}: problem {code}", p)
    st, _, r = w.json("PATCH", P, {"plusvelden": {"plaatsnaam": "Eindhoven"}})
    eq(st, 200, "an ASCII capital matches \\p{Lu} too")
    print("== the pattern bomb (a+)+$ on 'aaa…ab'")
    p = expect_problem(w, "PATCH", P, 422, "plusvelden.code", "the pattern bomb",
                       {"plusvelden": {"code": "a" * 6000 + "b"}})
    check(p and p["type"].endswith("pattern_limit"), "the bomb is cut off by the limit: pattern_limit", p)
    check(p and "limit" in p["detail"], "the detail says a limit cut it off", p and p["detail"])
    st, _, r = w.json("PATCH", P, {"plusvelden": {"code": "aaaa"}})
    eq(st, 200, "the same pattern accepts a value it matches")
    st, _, g = api["manager"].json("GET", P)
    eq(st, 200, "a reader reads the values")
    eq(g["plusvelden"]["code"], "aaaa", "stored")
    st, _, proj = api["manager"].json("GET", f"/api/v1/projects/{a}")
    eq(proj["plusvelden"].get("plaatsnaam"), "Eindhoven", "the project read carries its plusvelden")
    expect_problem(api["manager"], "PATCH", P, 403, None, "a reader writes", {"plusvelden": {"code": "a"}})
    st, _, lst = w.json("GET", P + "?known_on=2026-13-01")
    eq(st, 400, "a malformed known_on")


def public_facts(url, a, base, api):
    print("== the public flag: an openbaar project's public facts")
    anon = Api(base, token=None)
    psql(url, f"UPDATE projects SET confidentiality = 'openbaar' WHERE id = '{a}'")
    st, _, proj = anon.json("GET", f"/api/v1/projects/{a}")
    eq((st, proj and proj.get("access")), (200, "public"), "anonymous reads the openbaar project")
    eq(proj["plusvelden"], {"plaatsnaam": "Eindhoven"}, "only the plusvelden flagged public")
    st, _, full = api["manager"].json("GET", f"/api/v1/projects/{a}")
    check(len(full["plusvelden"]) > 1, "with read access: all of them", full["plusvelden"])
    expect_problem(anon, "GET", f"/api/v1/projects/{a}/plusvelden", 401, None, "anonymous: not the values route")
    st, _, pub = anon.json("GET", "/api/v1/public/projects?page_size=500")
    eq(st, 200, "the public list of openbaar projects")
    item = [x for x in pub["results"] if x["id"] == a]
    eq(len(item), 1, "the openbaar project is in the public list")
    eq(item and item[0]["plusvelden"], {"plaatsnaam": "Eindhoven"}, "the public list: only the public plusvelden")
    psql(url, f"UPDATE projects SET confidentiality = 'intern_bestuurlijk' WHERE id = '{a}'")


def required_from_step(url, a, api):
    P = f"/api/v1/projects/{a}/plusvelden"
    w = api["writer"]
    print("== required from a step on")
    st, _, g = w.json("GET", P)
    check("besluit_nr" not in g["missing_required"], "not required before omgevingsplan_vastgesteld is done",
          g["missing_required"])
    st, _, _ = w.json("PATCH", P, {"plusvelden": {"woningen_sociaal": 130}})
    eq(st, 200, "a write without besluit_nr before the step")
    psql(url, "UPDATE project_steps SET status = 'done', actual_finish = DATE '2026-10-01' "
              f"WHERE project_id = '{a}' AND step_key = 'omgevingsplan_vastgesteld'")
    st, _, g = w.json("GET", P)
    eq(g["missing_required"], ["besluit_nr"], "required once the step is done: the required check lists it")
    p = expect_problem(w, "PATCH", P, 422, "plusvelden.besluit_nr", "a write without it after the step",
                       {"plusvelden": {"woningen_sociaal": 131}})
    check(p and p["type"].endswith("required"), "problem required", p)
    st, _, r = w.json("PATCH", P, {"plusvelden": {"woningen_sociaal": 131, "besluit_nr": "RB-2026-17"}})
    eq((st, r and r["missing_required"]), (200, []), "with it, accepted")
    expect_problem(w, "PATCH", P, 422, "plusvelden.besluit_nr", "clearing it after the step",
                   {"plusvelden": {"besluit_nr": None}})


def blocks(url, a, api):
    w = api["writer"]
    print("== block values")
    st, _, b = w.json("POST", f"/api/v1/projects/{a}/blocks", {"homes": 10})
    eq(st, 201, "a block")
    B = f"/api/v1/projects/{a}/blocks/{b['id']}/plusvelden"
    st, _, g = w.json("GET", B)
    eq((st, g["missing_required"], [d["key"] for d in g["definitions"]]), (200, ["energielabel"], ["energielabel"]),
       "the block's form and its required check")
    expect_problem(w, "PATCH", B, 422, "plusvelden.energielabel", "a block value not a category",
                   {"plusvelden": {"energielabel": "D"}})
    expect_problem(w, "PATCH", B, 422, "plusvelden.plaatsnaam", "a project field on a block",
                   {"plusvelden": {"plaatsnaam": "Ede"}})
    st, _, r = w.json("PATCH", B, {"plusvelden": {"energielabel": "A"}})
    eq((st, r["plusvelden"]), (200, {"energielabel": "A"}), "a block value stored")
    expect_problem(w, "GET", f"/api/v1/projects/{a}/blocks/00000000-0000-4000-8000-000000000000/plusvelden",
                   404, "block_id", "an unknown block")


def retire(url, org, a, api):
    D = f"/api/v1/organisations/{org}/plusvelden"
    P = f"/api/v1/projects/{a}/plusvelden"
    w = api["writer"]
    print("== retire and delete")
    expect_problem(w, "DELETE", f"{D}/oud_veld", 403, None, "a medewerker retires")
    st, _, body = api["bea"].call("DELETE", f"{D}/ongebruikt")
    eq((st, body), (204, b""), "a definition without values is deleted")
    eq(psql(url, f"SELECT count(*) FROM plusveld_definitions WHERE key = 'ongebruikt'"), "0", "gone")
    st, _, r = api["bea"].json("DELETE", f"{D}/oud_veld")
    eq((st, r["retired"]), (200, True), "a definition with values is retired, not deleted")
    st, _, lst = w.json("GET", D + "?page_size=100")
    check("oud_veld" not in [x["key"] for x in lst["results"]], "absent from the definitions a form reads", lst)
    st, _, lst = w.json("GET", D + "?retired=true")
    eq([x["key"] for x in lst["results"]], ["oud_veld"], "listed with retired=true")
    st, _, g = w.json("GET", P)
    check("oud_veld" not in g["plusvelden"], "absent from the project's current values", g["plusvelden"])
    check("oud_veld" not in [d["key"] for d in g["definitions"]], "absent from the form's definitions", g)
    st, _, proj = w.json("GET", f"/api/v1/projects/{a}")
    check("oud_veld" not in proj["plusvelden"], "absent from the project read", proj["plusvelden"])
    expect_problem(w, "PATCH", P, 422, "plusvelden.oud_veld", "a value for a retired field",
                   {"plusvelden": {"oud_veld": 1}})
    expect_problem(api["bea"], "PATCH", f"{D}/oud_veld", 409, "key", "changing a retired field", {"max": 5})
    expect_problem(api["bea"], "POST", D, 409, "key", "its key is not reused",
                   {"key": "oud_veld", "type": "text", "label": {"nl": "x", "en": "x"}})
    # a retired required field is not required any more
    st, _, r = api["bea"].json("DELETE", f"{D}/besluit_nr")
    eq(r["retired"], True, "besluit_nr retired")
    st, _, g = w.json("GET", P)
    eq(g["missing_required"], [], "a retired field is out of the required check")
    st, _, _ = w.json("PATCH", P, {"plusvelden": {"woningen_sociaal": 132}})
    eq(st, 200, "a write after the required field was retired")
    st, _, h = w.json("GET", P + "/history?page_size=200")
    old = [x for x in h["results"] if x["key"] == "oud_veld"]
    eq([(x["value"], x["retired"]) for x in old], [(7.5, True)], "the retired field's value stays in the history")


def history(url, a, api):
    P = f"/api/v1/projects/{a}/plusvelden"
    w = api["writer"]
    print("== history and known_on")
    st, _, h = w.json("GET", P + "/history?page_size=200")
    soc = [x["value"] for x in h["results"] if x["key"] == "woningen_sociaal"]
    eq(soc, [132, 131, 130, 120], "every change of woningen_sociaal, newest first")
    first = [x for x in h["results"] if x["key"] == "woningen_sociaal"][-1]
    eq((first["known_from"], first["reason"], first["changed_by"]), (TODAY, "eerste invulling", "writer@voorbeeldstad.test"),
       "known_from is the server's today; reason and author kept")
    # the first values as if written ten days earlier: known_on between them gives the old value
    psql(url, f"UPDATE plusveld_values SET known_from = DATE '{TODAY}' - 10 WHERE id = {first['id']}")
    st, _, k = w.json("GET", P + f"?known_on={TODAY}")
    eq(k["plusvelden"]["woningen_sociaal"], 132, "known_on today: the latest value")
    st, _, old = w.json("GET", P + "?known_on=2026-11-20")
    eq((old["plusvelden"].get("woningen_sociaal"), old["known_on"], old["missing_required"]), (120, "2026-11-20", None),
       "known_on before the later writes: the value as known then")
    st, _, older = w.json("GET", P + "?known_on=2026-01-01")
    check("woningen_sociaal" not in older["plusvelden"], "known_on before any write: no value", older)
    st, _, r = w.json("PATCH", P, {"plusvelden": {"woningen_sociaal": 132}})
    eq((st, r["changed"]), (200, 0), "writing the same value appends nothing")


def audit(url, a):
    print("== audited")
    n_vals = int(psql(url, f"SELECT count(*) FROM plusveld_values WHERE project_id = '{a}'"))
    rows = psql(url, "SELECT action || '|' || actor_email FROM audit_log WHERE entity = 'plusveld_values' "
                     f"AND project_id = '{a}' AND action = 'INSERT' ORDER BY id").splitlines()
    eq(len(rows), n_vals, "one audit row per value written")
    check(all(r.endswith("|writer@voorbeeldstad.test") for r in rows), "with the writer as actor", rows[:3])
    defs = psql(url, "SELECT action || '|' || COALESCE(actor_email, '') FROM audit_log "
                     "WHERE entity = 'plusveld_definitions' ORDER BY id").splitlines()
    check(defs.count("INSERT|bea@voorbeeldstad.test") == 1, "the beheerder's definition audited", defs)
    check(any(d.startswith("UPDATE|bea@") for d in defs) and any(d.startswith("DELETE|bea@") for d in defs),
          "changes, retirements and deletions audited", defs)


def imports(url, a, op):
    print("== GeoJSON exchange: the export carries the current plusvelden, the import checks them")
    G = "/api/v1/exchange/geojson"
    st, _, fc = op.json("GET", G)
    eq(st, 200, "the export")
    feat = next(f for f in fc["features"] if f["id"] == a)
    # the blocks added by hand above do not match the project's counts; imported, they would
    # set them (docs/blocks.md "Exchange"): this part is about plusvelden only
    feat["properties"].pop("blocks", None)
    pv = feat["properties"].get("plusvelden") or {}
    eq(sorted(pv), ["ambitie", "code", "plaatsnaam", "thema", "woningen_sociaal"],
       "the export carries the project's plusvelden; retired ones (oud_veld, besluit_nr) are absent")
    others = [f for f in fc["features"] if f["id"] != a]
    check(all("plusvelden" not in f["properties"] for f in others), "projects without values have no member", "")
    n = lambda: psql(url, "SELECT count(*) FROM plusveld_values")  # noqa: E731
    before = n()
    st, _, r = op.json("POST", G, dict(fc, features=[feat]))
    eq((st, r and r["unchanged"]), (200, 1), "the export imported back: unchanged")
    eq(n(), before, "the same values append nothing")
    for bad, field, what in [({"woningen_sociaal": 999}, "woningen_sociaal", "out of range"),
                             ({"plaatsnaam": "ëindhoven"}, "plaatsnaam", "not matching the pattern"),
                             ({"code": "a" * 6000 + "b"}, "code", "the pattern bomb"),
                             ({"oud_veld": 1}, "oud_veld", "a retired field"),
                             ({"bestaat_niet": 1}, "bestaat_niet", "an unknown field")]:
        f2 = json.loads(json.dumps(feat))
        f2["properties"]["plusvelden"] = bad
        p = expect_problem(op, "POST", G, 422, None, f"import: {what}", dict(fc, features=[f2]))
        msgs = [e.get("message", "") for e in (p or {}).get("errors", [])]
        check(any(m.startswith(f"properties.plusvelden.{field}") for m in msgs),
              f"import: {what}: the feature's error names properties.plusvelden.{field}", msgs)
    eq(n(), before, "refused imports stored nothing")
    f3 = json.loads(json.dumps(feat))
    f3["properties"]["plusvelden"] = {"woningen_sociaal": 200, "ambitie": None}
    st, _, r = op.json("POST", G, dict(fc, features=[f3]))
    eq(st, 200, f"an import with valid plusvelden {r}")
    eq(int(n()), int(before) + 2, "two values appended (a change and a clearing)")
    st, _, g = op.json("GET", f"/api/v1/projects/{a}/plusvelden")
    eq((g["plusvelden"].get("woningen_sociaal"), "ambitie" in g["plusvelden"]), (200, False),
       "the imported values are the current ones")
    rows = psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'plusveld_values' AND action = 'INSERT' "
                     f"AND project_id = '{a}' AND actor_email = 'it-operator@bouwstroom.test'")
    eq(rows, "2", "the imported values are audited with the importer")


def workbook(rows):
    import openpyxl  # Debian python3-openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(url, a, op):
    print("== Excel import: columns plusveld:<key>, checked per row")
    gem, prov = psql(url, f"SELECT gemeente || '|' || provincie FROM projects WHERE id = '{a}'").split("|")
    head = ["Sleutel", "Naam", "Gemeente", "Provincie", "Planstatus", "Woningen", "plusveld:woningen_sociaal",
            "Plusveld: thema", "plusveld:plaatsnaam"]
    n = lambda: psql(url, "SELECT count(*) FROM plusveld_values")  # noqa: E731
    before = n()
    bad = workbook([head,
                    ["p1", "Plan een", gem, prov, "1A", 10, 600, "groen", "Ede"],
                    ["p2", "Plan twee", gem, prov, "3", 20, 5, "groen; lucht", "ëde"],
                    ["p3", "Plan drie", gem, prov, "3", 20, "veel", "water", "Ede"]])
    st, ct, prob = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-pv", raw=bad, headers={"Content-Type": XLSX})
    eq((st, ct), (422, "application/problem+json"), "a workbook with bad plusveld values: 422")
    errs = sorted((e.get("row"), e.get("field"), e.get("column")) for e in (prob or {}).get("errors", []))
    eq(errs, [(2, "plusvelden.woningen_sociaal", "G"), (3, "plusvelden.plaatsnaam", "I"),
              (3, "plusvelden.thema", "H"), (4, "plusvelden.woningen_sociaal", "G")],
       "every bad value a row error naming the field and its column")
    eq(n(), before, "nothing stored")
    unknown = workbook([head[:6] + ["plusveld:bestaat_niet"], ["p1", "Plan een", gem, prov, "1A", 10, "x"]])
    st, _, prob = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-pv", raw=unknown, headers={"Content-Type": XLSX})
    eq([(e.get("row"), e.get("field")) for e in (prob or {}).get("errors", [])], [(2, "plusvelden.bestaat_niet")],
       "an unknown plusveld: a row error")
    good = workbook([head,
                     ["p1", "Plan een", gem, prov, "1A", 10, 40, "groen; water", "Ëde"],
                     ["p2", "Plan twee", gem, prov, "3", 20, None, None, None]])
    st, _, res = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-pv", raw=good, headers={"Content-Type": XLSX})
    eq((st, res and res.get("inserted")), (200, 2), f"a clean workbook with plusvelden imported {res}")
    p1 = psql(url, "SELECT id FROM projects WHERE source = 'xlsx-pv' AND source_key = 'p1'")
    st, _, g = op.json("GET", f"/api/v1/projects/{p1}/plusvelden")
    eq(g["plusvelden"], {"woningen_sociaal": 40, "thema": ["groen", "water"], "plaatsnaam": "Ëde"},
       "the new project's values")
    eq(int(n()), int(before) + 3, "three values appended")
    st, _, res = op.json("POST", "/api/v1/exchange/xlsx?source=xlsx-pv", raw=good, headers={"Content-Type": XLSX})
    eq((st, int(n())), (200, int(before) + 3), "the same workbook again appends nothing")


def province_home(source, tmp):
    """A BOUWSTROOM_HOME like source whose province configuration maps two plusvelden in the
    zuid-holland export (for every province here), and a block plusveld to a detail column:
    configuration, not code."""
    home = os.path.join(tmp, "home")
    os.makedirs(os.path.join(home, "processes", "provinces"))
    for name in os.listdir(source):
        if name != "processes":
            os.symlink(os.path.join(source, name), os.path.join(home, name))
    for name in os.listdir(os.path.join(source, "processes")):
        if name != "provinces":
            os.symlink(os.path.join(source, "processes", name), os.path.join(home, "processes", name))
    for name in os.listdir(os.path.join(source, "processes", "provinces")):
        if name != "province-exports.json":
            os.symlink(os.path.join(source, "processes", "provinces", name),
                       os.path.join(home, "processes", "provinces", name))
    cfg = json.load(open(os.path.join(source, "processes", "provinces", "province-exports.json"), encoding="utf-8"))
    cfg["exports"]["zuid-holland"]["provinces"] = ["*"]
    cfg["exports"]["zuid-holland"]["plusvelden"] = {"sociale_huur": "woningen_sociaal", "thema_s": "thema",
                                                    "oud": "oud_veld"}
    cfg["exports"]["zuid-holland"]["block_plusvelden"] = {"energielabel_blok": "energielabel"}
    with open(os.path.join(home, "processes", "provinces", "province-exports.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f)
    return home


def province_export(binary, env, source, url):
    print("== province exports: plusvelden mapped by configuration")
    with tempfile.TemporaryDirectory() as tmp:
        env2 = dict(env, BOUWSTROOM_HOME=province_home(source, tmp))
        proc, base = start_server(binary, env2, operator=False)
        try:
            op = Api(base)
            E = "/api/v1/exports/zuid-holland?format=csv&part=plans"
            st, _, body = op.call("GET", E)
            eq(st, 200, "the export with the mapped plusvelden")
            lines = body.decode().splitlines()
            eq(lines[0].split(",")[-3:], ["sociale_huur", "thema_s", "oud"],
               "the mapped columns after the plan table's own")
            check(len(lines) > 2 and all(ln.endswith(",,,") for ln in lines[1:]),
                  "plans without values: empty cells", lines[:2])
            pid = lines[1].split(",")[0]
            st, _, r = op.json("PATCH", f"/api/v1/projects/{pid}/plusvelden",
                               {"plusvelden": {"woningen_sociaal": 77, "thema": ["energie", "water"]}})
            eq(st, 200, f"values for an exported plan {r}")
            # a value of the retired plusveld oud_veld, as if written before it was retired
            psql(url, "INSERT INTO plusveld_values (definition_id, project_id, value, known_from, changed_by) "
                      f"SELECT id, '{pid}', '9.5', DATE '{TODAY}', 'test' FROM plusveld_definitions "
                      "WHERE key = 'oud_veld'")
            st, _, body = op.call("GET", E)
            rows = [ln for ln in body.decode().splitlines()[1:] if ln.startswith(pid)]
            eq([ln.split(",")[-3:] for ln in rows], [["77", "energie; water", ""]],
               "the plan's values in the mapped columns; the retired plusveld stays empty")
            # a block plusveld in the detail rows (docs/exports.md §6): a block of the plan in 2031
            st, _, b = op.json("POST", f"/api/v1/projects/{pid}/blocks",
                               {"homes": 6, "period_from": 2031, "period_to": 2031})
            eq(st, 201, "a block of the exported plan")
            st, _, r = op.json("PATCH", f"/api/v1/projects/{pid}/blocks/{b['id']}/plusvelden",
                               {"plusvelden": {"energielabel": "B"}})
            eq(st, 200, f"the block's energielabel {r}")
            st, _, body = op.call("GET", "/api/v1/exports/zuid-holland?format=csv&part=detail")
            eq(st, 200, "the detail rows")
            lines = body.decode().splitlines()
            eq(lines[0].split(",")[-2:], ["sloop_onbekend_onbekend", "energielabel_blok"],
               "the mapped block plusveld after the detail table's own columns")
            mine = [ln.split(",") for ln in lines[1:] if ln.startswith(pid)]
            eq([(c[2], c[-1]) for c in mine if c[2] == "2031"], [("2031", "B")],
               "the row of the block's year carries the block's value")
            eq([c[-1] for c in mine if c[2] != "2031"], ["" for c in mine if c[2] != "2031"],
               "rows of other years do not")
            check(all(ln.endswith(",") for ln in lines[1:] if not ln.startswith(pid)),
                  "plans without block values: empty", lines[1:3])
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        err = proc.stderr.read()
        check("Sanitizer" not in err and "runtime error" not in err and proc.returncode == 0,
              "the second server ran clean (ASan/UBSan)", err[-2000:])


def run(base, url, org, a, tok):
    api = {who: Api(base, token=t) for who, t in tok.items()}
    op = Api(base)
    define(url, base, org, api, op)
    values(url, a, api, op)
    public_facts(url, a, base, api)
    required_from_step(url, a, api)
    blocks(url, a, api)
    retire(url, org, a, api)
    history(url, a, api)
    audit(url, a)
    imports(url, a, op)
    xlsx(url, a, op)
    expect_problem(Api(base, token=None), "GET", f"/api/v1/projects/{a}/plusvelden", 401, None, "anonymous")


if __name__ == "__main__":
    sys.exit(main())
