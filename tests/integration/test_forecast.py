#!/usr/bin/python3
"""Integration test of lead times and forecasts (docs/forecasting.md) against the real server and PostgreSQL.

* imports the sample municipality, then writes own observations of one calendar-day step
  (beslistermijn_omgevingsvergunning) for 80 projects of a gemeente "Testdorp" straight into the
  store (60 realised with known dates, 20 running: right-censored at their project's data date),
  plus skipped and estimated rows that must be counted and not used;
* GET /api/v1/lead-times: the Kaplan–Meier curve, Greenwood limits, counts and quantiles
  returned for that group are compared with R's survival::survfit / quantile.survfit run here on
  the same durations (computed independently in Python from the dates written), to 1e-9;
  without own data the reference history is used (source "reference");
* GET /api/v1/projects/{id}/forecast: seeded and reproducible, P50 <= P80, planned completion
  = the schedule's, criticality in [0, 1], every milestone with planned/p50/p80;
* every error is application/problem+json naming the field;
* the k = 5 rule of the lead times (docs/security.md §3c): three confidential projects of a gemeente
  "Kleindorp" with observations of the same step are seen by a user who may read them, and by
  nobody else — not in the curve, not in the counts — while the 80 Testdorp projects (>= 5) count
  for an outsider too.

Usage: test_forecast.py --binary BOUWSTROOM --source SRC
"""
import argparse
import datetime
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import (Api, check, eq, expect_problem, finish, fresh_database, psql,  # noqa: E402
                  start_server, token_for)

STEP = "beslistermijn_omgevingsvergunning"
K_STEP = "aanbesteding"  # the step of the three Kleindorp observations (none elsewhere)
DATA_DATE = datetime.date(2024, 6, 1)


def r_survfit(times, status):
    """survfit + quantile.survfit in R on (times, status): (rows, quantiles)."""
    d = tempfile.mkdtemp(prefix="bs_it_forecast_")
    try:
        src = os.path.join(d, "in.csv")
        with open(src, "w") as f:
            f.write("time,status\n")
            for t, s in zip(times, status):
                f.write(f"{t},{s}\n")
        script = (
            "suppressMessages(library(survival)); d <- read.csv(commandArgs(TRUE)[1]);"
            "k <- survfit(Surv(time, status) ~ 1, data = d, conf.type = 'log');"
            "for (i in seq_along(k$time)) cat('km', sprintf('%.17g', c(k$time[i], k$n.risk[i], k$n.event[i],"
            " k$n.censor[i], k$surv[i], k$lower[i], k$upper[i])), '\\n');"
            "q <- quantile(k, c(.5, .8, .9), conf.int = FALSE); cat('q', sprintf('%.17g', q), '\\n')")
        out = subprocess.run(["Rscript", "-e", script, src], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("Rscript failed: " + out.stderr)
        rows, qs = [], None
        for line in out.stdout.splitlines():
            parts = line.split()
            if parts and parts[0] == "km":
                rows.append([None if x == "NA" else float(x) for x in parts[1:]])
            elif parts and parts[0] == "q":
                qs = [None if x == "NA" else float(x) for x in parts[1:]]
        return rows, qs
    finally:
        shutil.rmtree(d, ignore_errors=True)


def close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(b))


def seed_observations(url):
    """Writes 80 projects of Testdorp (30 homes: size class 11-50) with own observations."""
    rng = random.Random(4)
    times, status = [], []
    rows = []
    for k in range(80):
        start = DATA_DATE - datetime.timedelta(days=rng.randint(150, 900))
        if k < 60:
            dur = max(1, int(round(rng.lognormvariate(4.4, 0.5))))  # median ~81 calendar days
            finish = start + datetime.timedelta(days=dur - 1)
            if finish >= DATA_DATE:
                finish = DATA_DATE - datetime.timedelta(days=1)
                dur = (finish - start).days + 1
            rows.append((k, start, finish, "done"))
            times.append(dur)
            status.append(1)
        else:
            start = DATA_DATE - datetime.timedelta(days=rng.randint(20, 200))
            rows.append((k, start, None, "started"))
            times.append((DATA_DATE - start).days)  # censored at the data date (exclusive)
            status.append(0)
    values = []
    for k, start, fin, st in rows:
        values.append(f"('test', 'td{k}', 'Testdorp plan {k}', 'Testdorp', 'Utrecht', 'uitleg', '3', 30, "
                      f"DATE '{DATA_DATE}', 'ppm-woningbouw', 1)")
    psql(url, "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
              "homes_remaining, progress_date, process_schema_key, process_schema_version) VALUES " + ", ".join(values))
    # owned by a municipality organisation, as the import would make it (access follows ownership)
    psql(url, "INSERT INTO organisations (name, kind, provincie, import_key) "
              "VALUES ('Testdorp', 'gemeente', 'Utrecht', 'gemeente:Testdorp') ON CONFLICT DO NOTHING")
    psql(url, "UPDATE projects SET owner_organisation_id = (SELECT id FROM organisations "
              "WHERE import_key = 'gemeente:Testdorp') WHERE gemeente = 'Testdorp'")
    steps = []
    for k, start, fin, st in rows:
        f = f"DATE '{fin}'" if fin else "NULL"
        steps.append(f"((SELECT id FROM projects WHERE source = 'test' AND source_key = 'td{k}'), '{STEP}', '{st}', "
                     f"DATE '{start}', {f}, false)")
    # skipped / estimated rows: counted, never used as durations
    for k in range(10):
        steps.append(f"((SELECT id FROM projects WHERE source = 'test' AND source_key = 'td{k}'), "
                     f"'uitwerkingsplan_wijzigingsplan', 'skipped', NULL, NULL, false)")
    for k in range(5):
        steps.append(f"((SELECT id FROM projects WHERE source = 'test' AND source_key = 'td{k}'), "
                     f"'principeverzoek_beoordeeld', 'done', NULL, NULL, true)")
    psql(url, "INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish, actual_estimated) "
              "VALUES " + ", ".join(steps))
    return times, status


def seed_kleindorp(url):
    """Three confidential projects of Kleindorp (own organisation) with one realised K_STEP each (a step no
    other project has realised, so the Testdorp figures above are unchanged) and two skipped steps."""
    psql(url, "INSERT INTO organisations (name, kind, provincie, import_key) "
              "VALUES ('Kleindorp', 'gemeente', 'Utrecht', 'gemeente:Kleindorp')")
    psql(url, "INSERT INTO projects (source, source_key, name, gemeente, provincie, plantype, planstatus, "
              "homes_remaining, progress_date, process_schema_key, process_schema_version, confidentiality, "
              "owner_organisation_id) SELECT 'test', 'kd' || g, 'Kleindorp geheim ' || g, 'Kleindorp', 'Utrecht', "
              f"'uitleg', '3', 5, DATE '{DATA_DATE}', 'ppm-woningbouw', 1, 'intern_ambtelijk', o.id "
              "FROM generate_series(1, 3) g, organisations o WHERE o.import_key = 'gemeente:Kleindorp'")
    psql(url, "INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish, actual_estimated) "
              f"SELECT id, '{K_STEP}', 'done', DATE '2023-01-02', DATE '2023-01-02' + 30 + length(source_key), false "
              "FROM projects WHERE source = 'test' AND source_key LIKE 'kd%'")
    psql(url, "INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish, actual_estimated) "
              "SELECT id, 'uitwerkingsplan_wijzigingsplan', 'skipped', NULL, NULL, false "
              "FROM projects WHERE source = 'test' AND source_key IN ('kd1', 'kd2')")


def test_lead_times_k5(binary, env, api, url):
    print("== lead times: fewer than 5 projects a caller may not read never count (k = 5)")
    email = "outsider@testdorp.test"
    r = subprocess.run([binary, "user", "add", email, "--role", "projectleider", "--organisation", "Testdorp",
                        "--generate-password"], env=env, capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, "user add outsider: " + r.stderr[-300:])
    out = Api(api.base, token_for(binary, env, email, "read"))
    path = f"/api/v1/lead-times?step={K_STEP}&gemeente=Kleindorp"
    st, _, mine = api.json("GET", path)
    eq(st, 200, "Kleindorp lead times, a reader")
    eq(mine["steps"][0]["own_observations"]["events"], 3, "a reader of Kleindorp sees its 3 observations")
    st, _, theirs = out.json("GET", path)
    eq(st, 200, "Kleindorp lead times, an outsider")
    s = theirs["steps"][0]
    eq(s["own_observations"]["events"], 0, "an outsider: none of the 3 confidential observations")
    eq(s["source"], "reference", "an outsider: the reference history answers")
    ts = sorted(p["t"] for p in mine["steps"][0]["curve"] if p["n_event"])
    check(not any(p["n_event"] for p in s["curve"] if p["t"] in ts and s["curve_group"].get("gemeente") == "Kleindorp"),
          "an outsider's curve of Kleindorp holds no event", s["curve"][:3])
    raw = out.call("GET", path)[2].decode()
    check("Kleindorp geheim" not in raw, "no project name in the answer")
    st, _, sk = out.json("GET", "/api/v1/lead-times?step=uitwerkingsplan_wijzigingsplan&gemeente=Kleindorp")
    eq(sk["steps"][0]["own_observations"]["skipped"], 0, "an outsider: the 2 skipped steps of Kleindorp not counted")
    st, _, sk = api.json("GET", "/api/v1/lead-times?step=uitwerkingsplan_wijzigingsplan&gemeente=Kleindorp")
    eq(sk["steps"][0]["own_observations"]["skipped"], 2, "a reader: the 2 skipped steps counted")
    st, _, td = out.json("GET", f"/api/v1/lead-times?step={STEP}&gemeente=Testdorp&size_class=11-50")
    eq(td["steps"][0]["own_observations"]["events"], 60, "80 Testdorp projects (>= 5): an outsider sees their 60 events")


def test_lead_times(api, times, status):
    print("== lead times: reference only (no filters)")
    st, ct, doc = api.json("GET", "/api/v1/lead-times")
    eq(st, 200, "lead-times status")
    eq(ct, "application/json", "lead-times content type")
    steps = {s["step"]: s for s in doc["steps"]}
    eq(len(steps), 25, "one entry per step with a duration")
    check("REFERENCE DATA" in doc.get("reference", ""), "reference data is labelled", doc.get("reference"))
    bouw = steps["bouwrijp_maken"]
    eq(bouw["source"], "reference", "no own data: reference")
    eq(bouw["model"]["empirical_weight"], 0.0, "no own data: parametric reference sampled")
    check(bouw["events"] > 0 and bouw["censored"] > 0, "reference curve has events and censorings", bouw)
    check(len(bouw["curve"]) > 10, "curve points", len(bouw["curve"]))
    q = bouw["quantiles"]
    check(q["p50"] is not None and q["p50"] <= q["p80"] <= q["p90"], "quantiles ordered", q)

    print("== lead times: the reference curve equals R's survfit on the same points")
    ts, ss = [], []
    for p in bouw["curve"]:
        ts += [p["t"]] * (p["n_event"] + p["n_censor"])
        ss += [1] * p["n_event"] + [0] * p["n_censor"]
    rows, rq = r_survfit(ts, ss)
    eq(len(rows), len(bouw["curve"]), "reference curve length vs R")
    bad = [i for i, (p, r) in enumerate(zip(bouw["curve"], rows))
           if not (close(p["surv"], r[4]) and close(p["lower"], r[5]) and close(p["upper"], r[6]))]
    check(not bad, "reference curve surv/lower/upper = R to 1e-9", bad[:5])
    check(all(close(a, b) for a, b in zip([q["p50"], q["p80"], q["p90"]], rq)), "reference quantiles = R", (q, rq))

    print("== lead times: own observations of Testdorp, 11-50 homes, vs R")
    path = f"/api/v1/lead-times?step={STEP}&gemeente=Testdorp&size_class=11-50"
    st, ct, doc = api.json("GET", path)
    eq(st, 200, "filtered lead-times status")
    eq(len(doc["steps"]), 1, "one step")
    s = doc["steps"][0]
    eq(s["source"], "own", "own data takes over (60 events)")
    eq(s["curve_group"], {"size_class": "11-50", "gemeente": "Testdorp"}, "curve of the deepest group")
    eq(s["events"], 60, "events")
    eq(s["censored"], 20, "censored (running at the data date)")
    eq(s["own_observations"]["events"], 60, "own events")
    check(abs(s["own_weight"] - (1 - (20 / 80) ** 3)) < 1e-12, "own weight = 1 - (kappa/(d+kappa))^3", s["own_weight"])
    rows, rq = r_survfit(times, status)
    eq(len(rows), len(s["curve"]), "curve length vs R")
    mism = []
    for p, r in zip(s["curve"], rows):
        if not (close(p["t"], r[0]) and p["n_risk"] == r[1] and p["n_event"] == r[2] and p["n_censor"] == r[3]
                and close(p["surv"], r[4]) and close(p["lower"], r[5]) and close(p["upper"], r[6])):
            mism.append((p, r))
    check(not mism, "own curve (t, n.risk, n.event, n.censor, surv, lower, upper) = R to 1e-9", mism[:3])
    got = [s["quantiles"][k] for k in ("p50", "p80", "p90")]
    check(all(close(a, b) for a, b in zip(got, rq)), "own quantiles = R quantile.survfit", (got, rq))
    eq(s["model"]["family"] in ("lognormal", "weibull"), True, "model family")
    check(abs(s["model"]["empirical_weight"] - 60 / 80) < 1e-12, "forecast samples the own curve with weight d/(d+kappa)",
          s["model"])

    print("== lead times: skipped and estimated steps are counted, not used")
    st, _, doc = api.json("GET", "/api/v1/lead-times?step=uitwerkingsplan_wijzigingsplan&gemeente=Testdorp")
    eq(st, 200, "skipped step status")
    own = doc["steps"][0]["own_observations"]
    eq(own["skipped"], 10, "skipped counted")
    eq(own["events"], 0, "skipped not used")
    st, _, doc = api.json("GET", "/api/v1/lead-times?step=principeverzoek_beoordeeld&gemeente=Testdorp")
    eq(doc["steps"][0]["own_observations"]["estimated_dates"], 5, "estimated realised steps counted")
    eq(doc["steps"][0]["source"], "reference", "estimated dates are no observations")

    print("== lead times: errors name the field")
    expect_problem(api, "GET", "/api/v1/lead-times?size_class=huge", 400, "size_class", "bad size class")
    expect_problem(api, "GET", "/api/v1/lead-times?step=nope", 400, "step", "unknown step")
    expect_problem(api, "GET", "/api/v1/lead-times?step=laatste_oplevering", 400, "step", "milestone step")
    expect_problem(api, "GET", "/api/v1/lead-times?gemeente=", 400, "gemeente", "empty gemeente")
    expect_problem(api, "GET", "/api/v1/lead-times?schema=other", 400, "schema", "unknown schema")
    expect_problem(api, "POST", "/api/v1/lead-times", 405, None, "POST lead-times", body={})


def test_forecast(api, url):
    print("== forecast")
    pid = psql(url, "SELECT id FROM projects WHERE source <> 'test' AND planstatus = '3' ORDER BY name LIMIT 1")
    check(bool(pid), "a sample project with planstatus 3", pid)
    st, ct, f1 = api.json("GET", f"/api/v1/projects/{pid}/forecast")
    eq(st, 200, "forecast status")
    eq(ct, "application/json", "forecast content type")
    eq(f1["samples"], 2000, "default 2,000 samples")
    c = f1["completion"]
    check(c["p50"] is not None and c["p50"] <= c["p80"], "completion P50 <= P80", c)
    st, _, sched = api.json("GET", f"/api/v1/projects/{pid}/schedule")
    eq(c["planned"], sched["project_finish"], "planned completion = the schedule's project finish")
    ms = {m["key"]: m for m in f1["milestones"]}
    check("laatste_oplevering" in ms and "start_bouw" in ms, "milestones listed", list(ms)[:5])
    lo = ms["laatste_oplevering"]
    check(lo["p50"] is not None and lo["p50"] <= lo["p80"] and lo["planned"] is not None, "last delivery p50/p80/planned", lo)
    check(all(0.0 <= s["criticality"] <= 1.0 for s in f1["steps"]), "criticality in [0, 1]")
    check(any(s["criticality"] > 0.5 for s in f1["steps"]), "some step mostly critical")
    st, _, f2 = api.json("GET", f"/api/v1/projects/{pid}/forecast")
    eq(f2, f1, "same seed: the same forecast")
    st, _, f3 = api.json("GET", f"/api/v1/projects/{pid}/forecast?seed=7&samples=500")
    eq(st, 200, "seed 7 status")
    eq(f3["samples"], 500, "samples parameter")
    expect_problem(api, "GET", f"/api/v1/projects/{pid}/forecast?samples=5", 400, "samples", "too few samples")
    expect_problem(api, "GET", f"/api/v1/projects/{pid}/forecast?seed=x", 400, "seed", "bad seed")
    expect_problem(api, "GET", "/api/v1/projects/not-a-uuid/forecast", 404, "id", "bad id")
    expect_problem(api, "GET", "/api/v1/projects/00000000-0000-0000-0000-000000000000/forecast", 404, "id", "unknown id")
    expect_problem(api, "DELETE", f"/api/v1/projects/{pid}/forecast", 405, None, "DELETE forecast")

    print("== forecast: a running step is forecast conditionally (T > elapsed)")
    tid = psql(url, "SELECT project_id FROM project_steps WHERE step_key = '%s' AND status = 'started' LIMIT 1" % STEP)
    st, _, ft = api.json("GET", f"/api/v1/projects/{tid}/forecast")
    eq(st, 200, "forecast of a Testdorp project")
    step = {s["key"]: s for s in ft["steps"]}[STEP]
    eq(step["lead_time"]["source"], "own", "own lead times used in the forecast")
    check(step["p50"] is not None and step["p50"] >= str(DATA_DATE), "running step finishes on/after the data date", step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    if not shutil.which("Rscript"):
        print("FAIL: Rscript not found (r-cran-survival is installed by scripts/deps.sh)")
        return 1
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        sample = os.path.join(args.source, "adapters", "sample", "voorbeeldstad.geojson")
        r = subprocess.run([args.binary, "import", sample, "--source", "sample"], env=env, capture_output=True,
                           text=True, timeout=120)
        eq(r.returncode, 0, "import sample: " + r.stderr[-300:])
        times, status = seed_observations(url)
        seed_kleindorp(url)
        proc, base = start_server(args.binary, env)
        try:
            api = Api(base)
            test_lead_times(api, times, status)
            test_lead_times_k5(args.binary, env, api, url)
            test_forecast(api, url)
        finally:
            proc.send_signal(2)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
