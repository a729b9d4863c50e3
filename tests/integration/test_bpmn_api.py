#!/usr/bin/python3
"""Integration test of the BPMN 2.0 exchange over HTTP and the command line (issue 19 item 3;
docs/process-schema.md "BPMN 2.0 exchange").

GET /api/v1/process-schemas/{key}/bpmn answers application/xml as a download, the same bytes as
`bouwstroom schema export-bpmn KEY`; the XML is well-formed, holds one process with the two
stream lanes and one flow node per step; `bouwstroom schema import-bpmn` reads the downloaded
file back to the shipped schema (every field compared with its default made explicit); an unknown
key is a 404 naming it, no credential a 401; a file with an element outside the subset is
refused naming the element and its line.

Usage: test_bpmn_api.py --binary BOUWSTROOM --source SRC
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, expect_problem, finish, fresh_database, start_server  # noqa: E402

KEY = "ppm-woningbouw"
MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BS = "{urn:bouwstroom:process-schema:bpmn:1}"


def normalised(doc):
    """The schema with every default explicit (docs/process-schema.md "Fields")."""
    steps = []
    for s in doc["steps"]:
        m = bool(s.get("milestone", False))
        steps.append({
            "key": s["key"], "name": s["name"], "stream": s["stream"], "phase": s.get("phase"),
            "milestone": m, "duration": s.get("duration", {"value": 0, "unit": "working_days"}),
            "statutory": bool(s.get("statutory", False)), "source": s.get("source"),
            "optional": bool(s.get("optional", False)), "applies_to": s.get("applies_to"), "note": s.get("note"),
            "depends_on": [{"step": d["step"], "type": d.get("type", "FS"),
                            "lag": d.get("lag", {"value": 0, "unit": "working_days"}), "note": d.get("note")}
                           for d in s.get("depends_on", [])],
        })
    return {"key": doc["key"], "name": doc["name"], "version": doc["version"],
            "description": doc.get("description"), "steps": steps}


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
            scenario(Api(base), args, env)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return finish()


def scenario(api, args, env):
    st, ct, body = api.call("GET", f"/api/v1/process-schemas/{KEY}/bpmn")
    eq(st, 200, "bpmn status")
    eq(ct, "application/xml", "bpmn content type")
    cli = subprocess.run([args.binary, "schema", "export-bpmn", KEY], env=env, capture_output=True, timeout=60)
    eq(cli.returncode, 0, "cli export " + cli.stderr.decode()[-300:])
    check(cli.stdout == body, "the API answers the bytes of `schema export-bpmn`")

    root = ET.fromstring(body)
    procs = root.findall(f"{MODEL}process")
    eq(len(procs), 1, "one process")
    lanes = procs[0].findall(f"{MODEL}laneSet/{MODEL}lane")
    eq([ln.find(f"{MODEL}extensionElements/{BS}lane").get("stream") for ln in lanes], ["public", "private"],
       "one lane per stream")
    shipped = json.load(open(os.path.join(args.source, "processes", KEY + ".json")))
    steps = procs[0].findall(f"{MODEL}task") + procs[0].findall(f"{MODEL}intermediateThrowEvent")
    eq(len(steps), len(shipped["steps"]), "one flow node per step")
    eq(len(procs[0].findall(f"{MODEL}intermediateThrowEvent")),
       sum(1 for s in shipped["steps"] if s.get("milestone")), "milestones are intermediate events")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "download.bpmn")
        open(path, "wb").write(body)
        r = subprocess.run([args.binary, "schema", "import-bpmn", path], env=env, capture_output=True, text=True,
                           timeout=60)
        eq(r.returncode, 0, "cli import " + r.stderr[-300:])
        eq(normalised(json.loads(r.stdout)), normalised(shipped), "round trip: the shipped schema")

        bad = body.decode().replace("<bpmn:sequenceFlow id=\"Flow_1\"",
                                    "<bpmn:exclusiveGateway id=\"Gateway_x\" />\n    <bpmn:sequenceFlow id=\"Flow_1\"", 1)
        line = bad[:bad.index("<bpmn:exclusiveGateway")].count("\n") + 1
        open(path, "w").write(bad)
        r = subprocess.run([args.binary, "schema", "import-bpmn", path], env=env, capture_output=True, text=True,
                           timeout=60)
        eq(r.returncode, 1, "import of an element outside the subset: exit code")
        check(f"line {line}: element bpmn:exclusiveGateway is outside the BPMN subset" in r.stderr,
              "the refusal names the element and its line", r.stderr)
        eq(r.stdout, "", "nothing printed on a refusal")

    expect_problem(api, "GET", "/api/v1/process-schemas/no-such-schema/bpmn", 404, "key", "unknown key")
    expect_problem(Api(api.base, token=None), "GET", f"/api/v1/process-schemas/{KEY}/bpmn", 401, None, "anonymous")


if __name__ == "__main__":
    sys.exit(main())
