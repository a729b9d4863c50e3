#!/usr/bin/python3
"""The forecast says per step which lead time it used (docs/forecasting.md §6), against the real
binary, a real PostgreSQL and real HTTP: after PATCH of a step's duration the forecast fixes
that duration (P50 = P80 = planned) and `lead_time.source` is "planned" with the duration, while
the set-aside reference model stays visible under `lead_time.model`; other open steps are
sampled from their model ("own" or "reference"); realised steps say "realised".

Uses the shipped sample municipality (adapters/sample).
"""
import argparse
import os
import subprocess
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, fresh_database, psql  # noqa: E402


def scenario(args, env, url):
    r = subprocess.run([args.binary, "import", os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson"),
                        "--source", "sample"], env=env, capture_output=True, text=True)
    eq(r.returncode, 0, "import sample " + r.stderr)
    pid = psql(url, "SELECT id FROM projects WHERE source = 'sample' AND name = 'Polder Noord'")
    proc, base = bsit.start_server(args.binary, env)
    api = Api(base)
    try:
        st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
        eq(st, 200, "schedule")
        opens = [s for s in sched["steps"] if s["status"] == "open" and not s["milestone"]]
        st, _, f0 = api.json("GET", f"/api/v1/projects/{pid}/forecast?samples=200")
        eq(st, 200, "forecast before")
        steps0 = {s["key"]: s for s in f0["steps"]}
        # an open step that the forecast samples from a fitted model
        step = next(s for s in opens if (steps0[s["key"]].get("lead_time") or {}).get("source") in ("own", "reference"))
        key = step["key"]
        lt0 = steps0[key]["lead_time"]
        check(lt0["model"] and lt0["model"]["source"] == lt0["source"] and lt0["p50"] == lt0["model"]["p50"],
              "before: sampled from its model, the model shown", lt0)
        duration = int(round(lt0["p80"])) + 37  # a planned duration unlike the model's quantiles
        st, _, _ = api.json("PATCH", f"/api/v1/projects/{pid}/steps/{key}",
                            {"duration": duration, "reason": "aannemer plant langer"})
        eq(st, 200, "PATCH the step's duration")
        st, _, f1 = api.json("GET", f"/api/v1/projects/{pid}/forecast?samples=200")
        eq(st, 200, "forecast after")
        lt = {s["key"]: s for s in f1["steps"]}[key]["lead_time"]
        eq((lt["source"], lt.get("fixed"), lt["p50"], lt["p80"]), ("planned", "duration", duration, duration),
           "after PATCH: the forecast used the planned duration (P50 = P80 = planned), and says so")
        check(isinstance(lt.get("model"), dict) and lt["model"]["p50"] == lt0["p50"] and lt["model"]["p80"] == lt0["p80"],
              "the reference quantiles it set aside are shown as the model, not as what was used", lt)
        others = [s for s in f1["steps"] if s["key"] != key and s["status"] == "open"]
        check(others and all(s["lead_time"]["source"] in ("own", "reference", "schema") for s in others),
              "the other open steps are still sampled", [s["lead_time"]["source"] for s in others][:10])
        done = [s for s in f1["steps"] if s["status"] in ("done", "skipped")]
        check(done and all(s["lead_time"]["source"] == "realised" and s["lead_time"]["p50"] is None for s in done),
              "realised steps are marked realised", [s["lead_time"] for s in done][:3])
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    rc = 0
    try:
        with fresh_database() as url:
            env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
            scenario(args, env, url)
    except Exception:
        traceback.print_exc()
        rc = 1
    return bsit.finish() or rc


if __name__ == "__main__":
    sys.exit(main())
