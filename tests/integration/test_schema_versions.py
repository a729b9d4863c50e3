#!/usr/bin/python3
"""Integration test of process schema versions through the API (issue 19 item 1;
docs/api.md "Process schema versions", docs/process-schema.md "Versions").

The shipped PPM schema is version 1 of its key (national); a beheerder of an organisation
deploys version 2 with one step added and one duration changed (201, stored, audited); the
versions list (paged), one version and the diff of 1 and 2 answer what changed; bad schemas
(a cycle, an unknown step, a duplicate key, a negative duration) are refused 422 with every
problem named by its path; a medewerker is refused 403 and a beheerder a national version, both
as problem+json; the existing GET /process-schemas/{key} still answers the shipped version 1.

Usage: test_schema_versions.py --binary BOUWSTROOM --source SRC
"""
import argparse
import copy
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, expect_problem, finish, fresh_database, psql, start_server, token_for  # noqa: E402

KEY = "ppm-woningbouw"
PS = "/api/v1/process-schemas"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        r = subprocess.run([args.binary, "migrate"], env=env, capture_output=True, text=True, timeout=120)
        eq(r.returncode, 0, "migrate " + r.stderr[-300:])
        proc, base = start_server(args.binary, env)
        try:
            scenario(base, args, env, url)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def make_people(admin, args, env):
    """An organisation with a beheerder and a medewerker; returns (org id, their Apis)."""
    st, _, org = admin.json("POST", "/api/v1/organisations", {"name": "Schemastad", "kind": "gemeente"})
    eq(st, 201, f"organisation created {org}")
    people = {}
    for role in ("beheerder", "medewerker"):
        email = f"{role}@schemastad.test"
        st, _, u = admin.json("POST", "/api/v1/users", {"organisation_id": org["id"], "email": email, "role": role})
        eq(st, 201, f"{role} created {u}")
        people[role] = Api(admin.base, token_for(args.binary, env, email, "read,write,admin"))
    return org["id"], people


def version_two(shipped):
    """The shipped schema with one step added and one duration changed; (doc, changed step key, added key)."""
    doc = copy.deepcopy(shipped)
    changed = next(s for s in doc["steps"] if "duration" in s and not s.get("statutory"))
    changed["duration"]["value"] += 10
    last = doc["steps"][-1]["key"]
    doc["steps"].append({"key": "extra_toets", "name": "Extra toets welstand", "stream": "public",
                         "duration": {"value": 15, "unit": "working_days"}, "source": "gemeente Schemastad, 2026",
                         "depends_on": [{"step": last}]})
    del doc["version"]  # the server assigns it
    return doc, changed["key"], "extra_toets"


def bad_schemas(beheerder, org):
    step = lambda k, deps=(), value=5: {"key": k, "name": k.upper(), "stream": "public",  # noqa: E731
                                        "duration": {"value": value, "unit": "working_days"},
                                        "depends_on": [{"step": d} for d in deps]}
    doc = {"key": "slecht", "name": "Slecht schema", "steps": [
        step("a", value=-5), step("b", ["nope"]), step("a"), step("c", ["d"]), step("d", ["c"])]}
    p = expect_problem(beheerder, "POST", PS, 422, None, "bad schema", body={"organisation_id": org, "schema": doc})
    names = [ip.get("name") for ip in (p or {}).get("invalid_params", [])]
    reasons = " | ".join(ip.get("reason", "") for ip in (p or {}).get("invalid_params", []))
    for path in ("schema.steps[0].duration.value", "schema.steps[1].depends_on[0].step", "schema.steps[2].key"):
        check(path in names, f"bad schema: names {path}", names)
    check("negative duration" in reasons and "unknown step" in reasons and "duplicate step key" in reasons,
          "bad schema: the loader's messages", reasons)
    # a cycle alone (the loader reports a cycle once the references resolve)
    doc = {"key": "kring", "name": "Kring", "steps": [step("c", ["d"]), step("d", ["c"]), step("e", value=-1)]}
    p = expect_problem(beheerder, "POST", PS, 422, None, "cyclic schema", body={"organisation_id": org, "schema": doc})
    params = (p or {}).get("invalid_params", [])
    check(any("cycle" in ip.get("reason", "") and ip.get("name", "").startswith("schema.steps[") for ip in params),
          "cyclic schema: the cycle named with its path", params)
    check(any(ip.get("name") == "schema.steps[2].duration.value" for ip in params),
          "cyclic schema: every problem, also the negative duration", params)
    eq(beheerder.json("GET", f"{PS}/slecht/versions")[0], 404, "a refused schema is not stored")


def scenario(base, args, env, url):
    admin = Api(base)
    shipped = json.load(open(os.path.join(args.source, "processes", KEY + ".json")))
    org, people = make_people(admin, args, env)
    bh, mw = people["beheerder"], people["medewerker"]

    st, _, doc = bh.json("GET", f"{PS}/{KEY}/versions")
    eq(st, 200, "versions of the shipped schema")
    eq([(v["version"], v["shipped"], v["organisation_id"]) for v in doc["results"]], [(1, True, None)],
       "the shipped schema is version 1, national")
    st, _, v1 = bh.json("GET", f"{PS}/{KEY}/versions/1")
    eq((st, v1), (200, shipped), "version 1 is the shipped document")

    v2doc, changed, added = version_two(shipped)
    expect_problem(mw, "POST", PS, 403, None, "a medewerker deploys", body={"organisation_id": org,
                                                                                         "schema": v2doc})
    expect_problem(bh, "POST", PS, 403, "organisation_id", "a beheerder deploys a national version",
                   body={"schema": v2doc})
    expect_problem(bh, "POST", PS, 422, "schema", "no schema", body={"organisation_id": org})
    st, ct, made = bh.json("POST", PS, {"organisation_id": org, "schema": v2doc})
    eq((st, ct), (201, "application/json"), f"version 2 deployed {made}")
    eq((made or {}).get("version"), 2, "the next version of the key")
    eq((made or {}).get("organisation_id"), org, "owned by the organisation")
    eq(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'process_schemas' AND action = 'INSERT' "
                 "AND actor_email = 'beheerder@schemastad.test'"), "1", "the deploy is audited with its actor")

    st, _, doc = bh.json("GET", f"{PS}/{KEY}/versions?page_size=1&page=2")
    eq(st, 200, "versions page 2")
    eq((doc["count"], [v["version"] for v in doc["results"]], doc["next"]), (2, [2], None), "paged versions")
    check(doc["previous"] and "page=1" in doc["previous"], "previous page link", doc["previous"])
    st, _, got = bh.json("GET", f"{PS}/{KEY}/versions/2")
    eq(st, 200, "version 2")
    eq(got["version"], 2, "version 2 carries its number")
    eq([s["key"] for s in got["steps"]], [s["key"] for s in shipped["steps"]] + [added], "version 2's steps")
    expect_problem(bh, "GET", f"{PS}/{KEY}/versions/3", 404, "version", "no version 3")
    expect_problem(bh, "GET", f"{PS}/{KEY}/versions/0", 404, "version", "version 0 is malformed")
    st, _, again = admin.json("GET", f"{PS}/{KEY}")
    eq((st, again), (200, shipped), "GET /process-schemas/{key} still the shipped version")

    st, _, d = bh.json("GET", f"{PS}/{KEY}/diff?from=1&to=2")
    eq(st, 200, f"diff 1..2 {d}")
    eq([s["key"] for s in d["steps_added"]], [added], "diff: the step added")
    eq(d["steps_removed"], [], "diff: nothing removed")
    eq([(c["step"], c["to"]["value"] - c["from"]["value"]) for c in d["durations_changed"]], [(changed, 10)],
       "diff: the duration changed")
    eq([(ln["step"], ln["depends_on"]) for ln in d["links_added"]], [(added, shipped["steps"][-1]["key"])],
       "diff: the new step's link")
    eq((d["links_removed"], d["links_changed"], d["constraints_changed"]), ([], [], []), "diff: nothing else")
    st, _, back = bh.json("GET", f"{PS}/{KEY}/diff?from=2&to=1")
    eq([s["key"] for s in back["steps_removed"]], [added], "diff back: the step removed")
    expect_problem(bh, "GET", f"{PS}/{KEY}/diff?from=1&to=7", 404, "to", "diff to a version that is not there")
    expect_problem(bh, "GET", f"{PS}/{KEY}/diff?from=1", 400, "to", "diff without to")
    expect_problem(bh, "GET", f"{PS}/{KEY}/diff?from=1&to=2&rename=nope:extra_toets", 400, "rename",
                   "a rename of a step that is not there")
    first = shipped["steps"][0]["key"]
    st, _, d = bh.json("GET", f"{PS}/{KEY}/diff?from=1&to=2&rename={first}:{added}")
    eq(st, 200, "diff with a rename")
    eq(d.get("steps_renamed"), [{"from": first, "to": added}], "diff: the explicit rename")
    eq([s["key"] for s in d["steps_removed"]], [], "diff with a rename: nothing removed")

    # another organisation's beheerder sees national versions only
    st, _, o2 = admin.json("POST", "/api/v1/organisations", {"name": "Anderstad", "kind": "gemeente"})
    admin.json("POST", "/api/v1/users", {"organisation_id": o2["id"], "email": "bh@anderstad.test", "role": "beheerder"})
    other = Api(base, token_for(args.binary, env, "bh@anderstad.test", "read,write,admin"))
    st, _, doc = other.json("GET", f"{PS}/{KEY}/versions")
    eq([v["version"] for v in doc["results"]], [1], "another organisation does not see version 2")
    expect_problem(other, "GET", f"{PS}/{KEY}/versions/2", 404, "version", "nor get it")
    # a key of one organisation takes no versions of another
    own = dict(v2doc, key="schemastad-eigen")
    eq(bh.json("POST", PS, {"organisation_id": org, "schema": own})[0], 201, "an organisation's own key")
    expect_problem(other, "POST", PS, 409, "key", "another organisation's key", body={"organisation_id": o2["id"],
                                                                                     "schema": own})
    st, _, made = admin.json("POST", PS, {"schema": dict(v2doc, key="landelijk-nieuw")})
    eq((st, (made or {}).get("version"), (made or {}).get("organisation_id")), (201, 1, None),
       "the operator deploys a national key, version 1")

    immutable_once_used(bh, url)
    org_setting(bh, mw, other, org, url)
    bad_schemas(bh, org)


def immutable_once_used(bh, url):
    """A stored version no project uses may still be corrected in the database; once a project
    uses it, migration 0030's trigger refuses any change."""
    psql(url, "UPDATE process_schemas SET name = name || ' ' WHERE key = 'schemastad-eigen'")
    try:
        psql(url, "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
                  "progress_date, process_schema_key, process_schema_version) VALUES ('api', 'versie-test', "
                  "'Versieproject', 'Schemastad', 'Utrecht', 'uitleg', '1A', '2026-01-01', 'schemastad-eigen', 1)")
    except subprocess.CalledProcessError as e:
        check(False, "a project of the organisation's own schema", e.stderr)
        return
    for sql in ("UPDATE process_schemas SET name = 'anders' WHERE key = 'schemastad-eigen'",
                "DELETE FROM process_schemas WHERE key = 'schemastad-eigen'"):
        try:
            psql(url, sql)
            check(False, "a version in use cannot change", sql)
        except subprocess.CalledProcessError as e:
            check("is used by a project" in e.stderr, "a version in use cannot change", e.stderr)
    st, _, doc = bh.json("GET", f"{PS}/schemastad-eigen/versions")
    eq([(v["version"], v["in_use"]) for v in doc["results"]], [(1, True)], "the versions list says it is in use")


def org_setting(bh, mw, other, org, url):
    """Which version new projects of the organisation get: set by its beheerder, audited."""
    path = f"/api/v1/organisations/{org}/process-schema-versions"
    st, _, doc = bh.json("GET", path)
    eq((st, doc and doc["count"]), (200, 0), "no setting yet: the shipped version")
    st, _, got = bh.json("PUT", f"{path}/{KEY}", {"version": 2})
    eq((st, got and got.get("version"), got and got.get("key")), (200, 2, KEY), f"setting to version 2 {got}")
    expect_problem(bh, "PUT", f"{path}/{KEY}", 422, "version", "a version that is not there", body={"version": 9})
    expect_problem(bh, "PUT", f"{path}/{KEY}", 422, "version", "no version", body={})
    expect_problem(other, "PUT", f"{path}/{KEY}", 403, "id", "another organisation's beheerder", body={"version": 1})
    expect_problem(mw, "PUT", f"{path}/{KEY}", 403, None, "a medewerker", body={"version": 1})
    expect_problem(other, "GET", path, 404, "id", "another organisation's settings")
    st, _, doc = bh.json("GET", path)
    eq([(x["key"], x["version"]) for x in doc["results"]], [(KEY, 2)], "the setting listed")
    eq(bh.json("PUT", f"{path}/{KEY}", {"version": 1})[0], 200, "back to the shipped version")
    eq(bh.json("PUT", f"{path}/{KEY}", {"version": 2})[0], 200, "and to version 2")
    eq(psql(url, "SELECT count(*) FROM audit_log WHERE entity = 'organisation_schema_versions'"), "3",
       "every change of the setting is audited")


if __name__ == "__main__":
    sys.exit(main())
