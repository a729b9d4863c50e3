#!/usr/bin/python3
"""`bouwstroom schedule --jsonl` vs networkx end to end, process start-up included (issue 17
item 3). Not a test: `make bench`.

usage: bench_schedule_cli.py BUILD_DIR [N ...] [--runs R]     (default N: 1000 10000, R 3)

For each N: the dag_gen.py graphs (../shared/bench) are written, before anything is timed, as
one JSON Lines file in the input format of docs/scheduling.md 9 (a line per project: "id",
"data_date", "calendar" (the anchor's: Goede Vrijdag worked, 5 May off every year), "steps"
with the durations and step 0's start_no_earlier_than, "changes" with one add_link per
dependency) and a 40-step schema file without links. Timed, as whole processes (wall clock,
start-up included, output written to a file):
  ours     : BUILD_DIR/bouwstroom schedule --jsonl --schema-file SCHEMA IN > OUT
             (the full schedule of every project: every step's dates, floats, flags, the
             critical paths, the links)
  networkx : /usr/bin/python3 bench/nx_schedule_jsonl.py IN OUT (reads the same file, builds
             the graph and runs networkx-cpm.py's cpm(); writes dates and float per task)
Then every non-milestone task's start and finish and every task's total float are compared
(the late-finish mapping of bench/bench_cpm.py; milestone dates are compared there).
"""
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_cpm  # noqa: E402


def write_inputs(mod, n, d):
    steps = []
    for i in range(mod.STEPS):
        ms = i in mod.dag_gen.MILESTONES
        s = {"key": f"s{i:02d}", "name": f"Stap {i}", "stream": "public", "milestone": ms}
        if not ms:
            s["duration"] = {"value": 1, "unit": "working_days"}
            s["source"] = "dag_gen.py"
        steps.append(s)
    schema = {"key": "dag-gen", "name": "dag_gen.py", "version": 1, "steps": steps}
    with open(os.path.join(d, "schema.json"), "w") as f:
        json.dump(schema, f)
    graphs = []
    with open(os.path.join(d, "in.jsonl"), "w") as f:
        for p in range(n):
            durs, deps = mod.dag_gen.gen_project(p)
            st = {f"s{i:02d}": {"duration": durs[i]} for i in range(mod.STEPS) if i not in mod.dag_gen.MILESTONES}
            st["s00"] = {"start_no_earlier_than": mod.dag_gen.project_start(p).isoformat()}
            ch = [{"op": "add_link", "pred": f"s{j:02d}", "succ": f"s{i:02d}", "type": k, "lag": lag}
                  for j, i, k, lag in deps]
            f.write(json.dumps({"id": p, "data_date": "2026-01-05",
                                "calendar": {"goede_vrijdag": False, "bevrijdingsdag": "yearly"},
                                "steps": st, "changes": ch}, separators=(",", ":")) + "\n")
            graphs.append((durs, deps))
    return graphs


def timed(cmd, out):
    with open(out, "w") as f:
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=f, check=True)
        return time.perf_counter() - t0


def compare(mod, graphs, ours_path, nx_path):
    cal = mod.dag_gen.WorkCalendar()
    bad = tasks = 0
    with open(ours_path) as fo, open(nx_path) as fn:
        for (durs, deps), lo, ln in zip(graphs, fo, fn):
            o, x = json.loads(lo), json.loads(ln)
            es = [cal.idx(datetime.date.fromisoformat(r[0])) for r in x["steps"]]
            edges = [(j, i, durs[j] + lag if k == "FS" else lag) for j, i, k, lag in deps]
            ls = bench_cpm.capped_ls(1, durs, edges, es, mod.STEPS)
            for i, (r, s) in enumerate(zip(x["steps"], o["steps"])):
                tasks += 1
                exp = (ls[i] - es[i],) + ((r[0], r[1]) if durs[i] else ())
                got = (s["total_float"],) + ((s["early_start"], s["early_finish"]) if durs[i] else ())
                if got != exp or o["id"] != x["id"]:
                    bad += 1
                    if bad <= 10:
                        print(f"  mismatch project {o['id']} s{i:02d}: ours {got} networkx (mapped) {exp}")
    return tasks, bad


def run(build, mod, n, runs):
    with tempfile.TemporaryDirectory(prefix="bench_cli") as d:
        graphs = write_inputs(mod, n, d)
        inp, schema = os.path.join(d, "in.jsonl"), os.path.join(d, "schema.json")
        ours_out, nx_out = os.path.join(d, "ours.jsonl"), os.path.join(d, "nx.jsonl")
        ours_cmd = [os.path.join(build, "bouwstroom"), "schedule", "--jsonl", "--schema-file", schema, inp]
        nx_cmd = ["/usr/bin/python3", os.path.join(HERE, "nx_schedule_jsonl.py"), inp, nx_out]
        t_ours, t_nx = [], []
        for _ in range(runs):
            t_nx.append(timed(nx_cmd, os.devnull))
            t_ours.append(timed(ours_cmd, ours_out))
        tasks, bad = compare(mod, graphs, ours_out, nx_out)
        size_in, size_out = os.path.getsize(inp), os.path.getsize(ours_out)
    med = statistics.median
    print(f"N={n}: input {size_in / 1e6:.1f} MB JSON Lines, our output {size_out / 1e6:.1f} MB")
    print(f"  networkx end to end : median {med(t_nx):.3f} s, min {min(t_nx):.3f} s")
    print(f"  bouwstroom --jsonl  : median {med(t_ours):.3f} s, min {min(t_ours):.3f} s")
    print(f"  ratio networkx / ours: {med(t_nx) / med(t_ours):.1f}x (medians), {min(t_nx) / min(t_ours):.1f}x (minima)"
          f"   load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  tasks compared: {tasks}, differing: {bad}")
    return bad == 0


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    build, ns, runs = args[0], [], 3
    i = 1
    while i < len(args):
        if args[i] == "--runs":
            runs = int(args[i + 1])
            i += 2
        else:
            ns.append(int(args[i]))
            i += 1
    mod = bench_cpm.load_reference()
    print(f"tool: networkx {mod.nx.__version__}, python {sys.version.split()[0]}, runs {runs}")
    ok = True
    for n in ns or [1000, 10000]:
        ok &= run(build, mod, n, runs)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
