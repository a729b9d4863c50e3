#!/usr/bin/env python3
"""The route table (api/route_table.c, `bs_routes`) and the OpenAPI document
(docs/openapi.json) name the same operations, and every operation says how it is secured.

One place decides what each endpoint needs (docs/security.md §7); an endpoint missing from that table is
unreachable (default deny), and one missing from the OpenAPI document is undocumented. This
check keeps both lists equal. It also sends each documented operation without a credential
to the real server and expects 401 exactly where the document says a credential is needed.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import Api, check, eq, finish, fresh_database, start_server  # noqa: E402


def table_routes(source):
    text = open(os.path.join(source, "api", "route_table.c"), encoding="utf-8").read()
    body = text[text.index("const bs_route bs_routes[] = {"):]
    body = body[:body.index("};")]
    out = {}
    for method, path, need in re.findall(r'\{"([A-Z]+)", "([^"]+)", (BS_NEED_[A-Z_]+),', body):
        out[(method, path)] = need
    return out


def openapi_routes(source):
    doc = json.load(open(os.path.join(source, "docs", "openapi.json"), encoding="utf-8"))
    out = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                out[(method.upper(), path)] = op.get("security", doc.get("security"))
    return out


def normalise(path):
    # placeholder names differ ({id} vs {user_id} vs {sid}): compare shapes
    return re.sub(r"\{[^}]+\}", "{}", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    table = {(m, normalise(p)): n for (m, p), n in table_routes(args.source).items()}
    spec = {(m, normalise(p)): s for (m, p), s in openapi_routes(args.source).items()}
    check(len(table) >= 40, "the route table lists every endpoint", len(table))
    eq(sorted(set(table) - set(spec)), [], "operations in the route table but not in the OpenAPI document")
    eq(sorted(set(spec) - set(table)), [], "operations in the OpenAPI document but not in the route table")
    for key in sorted(set(table) & set(spec)):
        public = table[key] in ("BS_NEED_PUBLIC", "BS_NEED_WEBHOOK", "BS_NEED_PROBE")
        sec = spec[key]
        doc_public = sec is not None and {} in sec
        eq(doc_public, public, f"{key[0]} {key[1]}: public in both (need {table[key]}, security {sec})")

    # without a credential: 401 where a credential is needed, never 401 where it is not
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        proc, base = start_server(args.binary, env, operator=False)
        try:
            api = Api(base, token=None)
            pid = "00000000-0000-4000-8000-000000000000"
            for (method, path), need in sorted(table_routes(args.source).items()):
                concrete = (path.replace("events/{id}", "events/17").replace("versions/{n}", "versions/1")
                            .replace("{key}", "principeakkoord")
                            .replace("{token}", "0" * 64))
                concrete = re.sub(r"\{[a-z_]+\}", pid, concrete)
                st, ct, _ = api.call(method, concrete, body={} if method in ("POST", "PUT", "PATCH") else None)
                if need in ("BS_NEED_PUBLIC", "BS_NEED_WEBHOOK", "BS_NEED_PROBE"):
                    check(st != 401, f"anonymous {method} {path} (public) is not 401", st)
                else:
                    eq(st, 401, f"anonymous {method} {path} ({need})")
                    eq(ct, "application/problem+json", f"anonymous {method} {path}: problem+json")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
