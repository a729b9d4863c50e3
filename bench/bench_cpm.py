#!/usr/bin/python3
"""CPM core vs networkx on the anchor's graphs (issue 17 item 2). Not a test: `make bench`.

usage: bench_cpm.py BUILD_DIR [N ...] [--runs R]     (default N: 1000 10000, R 3)

For each N, in one run:
  networkx : ../shared/bench/networkx-cpm.py's own generate(), build() and cpm() (forward,
             backward, float, calendar dates) on the dag_gen.py graphs; the graph is built
             before the timed part, cpm() alone is timed (as networkx-cpm.py reports its
             "full_cpm").
  ours     : BUILD_DIR/bench_cpm N 1 [DUMP]: the same graphs regenerated in C (splitmix64, the
             algorithm of dag_gen.py's docstring) into flat arrays before its timed part, then
             every project scheduled by bs_schedule_compute_ws (forward, backward, total and
             free float, critical paths, calendar dates; one workspace, no allocation per
             project; these graphs take the common-case pass of docs/scheduling.md 6.1).
The two sides run interleaved (networkx run 1, ours run 1, networkx run 2, ...): the machine is
shared and its load changes from second to second; medians and minima are both printed.
Both sides warm up the same way: every timed run is preceded by one untimed run on the same
graphs (networkx: cpm() once on the freshly built graph; ours: bench_cpm --warmup=1, one pass
over all projects in the same process), so neither side's figure holds first-touch page faults
or cold caches. Both sides are timed twice, with the same clocks: wall clock (perf_counter /
CLOCK_MONOTONIC) and the CPU time of the running thread (thread_time / CLOCK_THREAD_CPUTIME_ID,
the time the work itself held a core: on a shared, loaded machine a 2.5 ms run is either not
preempted or waits a whole time slice of another process, which wall clock counts and CPU time
does not). Both ratios are printed.
Then every task is compared: start date, early finish date, total float.

Late-finish convention (the mapping). networkx-cpm.py sets LS = ES on each sink (step 39) and
otherwise LS(u) = min over successors (LS(v) - w(u, v)): a step whose only successor is an SS
link gets a late finish LS + d that may lie after the project's finish. Bouwstroom caps every
late finish at the project finish (docs/scheduling.md 6: PF = the latest early finish of the
project, LF <= PF; PMI). The comparison therefore maps networkx's LS to
LS'(u) = min(PF - d(u), min over successors (LS'(v) - w(u, v))) (reverse topological order =
descending step index) and requires our float == LS' - ES for every task; it reports how many
tasks the mapping changes. Milestones: networkx dates a milestone by the working day after its
instant (days[ES]); ours shows the end of the day before (docs/scheduling.md 3), so the dump
gives a milestone's boundary as networkx dates it, and its finish is not compared.
"""
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("BOUWSTROOM_SHARED", os.path.join(HERE, "..", "..", "shared"))


def load_reference():
    path = os.path.join(SHARED, "bench", "networkx-cpm.py")
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("networkx_cpm", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def capped_ls(n, durs, edges, ES, steps):
    """LS' of the docstring: the reference's backward pass with LF capped at the project finish."""
    succ = [[] for _ in range(n * steps)]
    for u, v, w in edges:
        succ[u].append((v, w))
    ls = [0] * (n * steps)
    for p in range(n):
        base = p * steps
        pf = max(ES[base + i] + durs[base + i] for i in range(steps))
        for i in range(steps - 1, -1, -1):
            u = base + i
            best = pf - durs[u]
            for v, w in succ[u]:
                if ls[v] - w < best:
                    best = ls[v] - w
            ls[u] = best
    return ls


def compare(n, mod, durs, edges, ES, LS, cal, dump):
    steps = mod.STEPS
    ls2 = capped_ls(n, durs, edges, ES, steps)
    mapped = sum(1 for v in range(n * steps) if ls2[v] != LS[v])
    bad = 0
    with open(dump) as f:
        for line in f:
            p, i, start, finish, tf = line.rstrip("\n").split(",")
            v = int(p) * steps + int(i)
            es, d = ES[v], durs[v]
            exp = (cal.date(es).isoformat(), cal.date(es + d - 1).isoformat() if d else "-", ls2[v] - es)
            got = (start, finish, int(tf))
            if got != exp:
                bad += 1
                if bad <= 10:
                    print(f"  mismatch p{p}.s{int(i):02d}: ours {got} networkx (mapped) {exp}")
    return bad, mapped


def ours_once(build, n, dump=None):
    """One run of bench_cpm (its own process; the graphs generated before its timed part, one
    untimed warm-up pass over all projects, then one timed pass). Returns (wall s, CPU s, links)."""
    cmd = [os.path.join(build, "bench_cpm"), "--warmup=1", str(n), "1"] + ([dump] if dump else [])
    r = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = next(line for line in r.splitlines() if line.startswith("RESULT bench_cpm:"))
    fields = dict(kv.split("=", 1) for kv in result.split()[2:])
    return float(fields["min"].rstrip("s")), float(fields["cpu_min"].rstrip("s")), int(fields["links"])


def run(build, n, runs, mod, cal):
    """networkx and ours interleaved, run by run (the machine's load changes by the second)."""
    durs, edges, starts = mod.generate(n)
    times, ours, nx_cpu, ours_cpu = [], [], [], []
    with tempfile.NamedTemporaryFile(prefix="bench_cpm", suffix=".csv", delete=False) as tmp:
        dump = tmp.name
    try:
        for r in range(runs):
            G, S = mod.build(n, durs, edges, starts, cal)
            mod.cpm(G, S, durs, cal)  # untimed warm-up, as ours (bench_cpm --warmup=1)
            c0, t0 = time.thread_time(), time.perf_counter()
            ES, LS, out = mod.cpm(G, S, durs, cal)
            times.append(time.perf_counter() - t0)
            nx_cpu.append(time.thread_time() - c0)
            del G
            t, tc, links = ours_once(build, n, dump if r == runs - 1 else None)
            ours.append(t)
            ours_cpu.append(tc)
        bad, mapped = compare(n, mod, durs, edges, ES, LS, cal, dump)
    finally:
        os.unlink(dump)
    nx_med, nx_min = statistics.median(times), min(times)
    ours_med, ours_min = statistics.median(ours), min(ours)
    tasks = n * mod.STEPS
    print(f"N={n}: {tasks} tasks, {len(edges)} links (networkx) / {links} (ours)")
    print(f"  networkx full CPM   : median {nx_med:.3f} s, min {nx_min:.3f} s ({tasks / nx_med:,.0f} tasks/s)")
    print(f"  bouwstroom CPM core : median {ours_med * 1e3:.2f} ms, min {ours_min * 1e3:.2f} ms "
          f"({tasks / ours_med:,.0f} tasks/s, {ours_med / tasks * 1e9:.0f} ns/task)")
    med = statistics.median
    print(f"  CPU time (thread)   : networkx median {med(nx_cpu):.3f} s, min {min(nx_cpu):.3f} s; ours median "
          f"{med(ours_cpu) * 1e3:.2f} ms, min {min(ours_cpu) * 1e3:.2f} ms ({med(ours_cpu) / tasks * 1e9:.0f} ns/task)")
    print(f"  ratio networkx / ours: wall {nx_med / ours_med:.0f}x (medians), {nx_min / ours_min:.0f}x (minima); "
          f"CPU {med(nx_cpu) / med(ours_cpu):.0f}x (medians), {min(nx_cpu) / min(ours_cpu):.0f}x (minima)"
          f"   load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  tasks compared: {tasks}, differing: {bad}; late-finish mapping changed {mapped} tasks' LS"
          f" (steps whose late finish networkx leaves after the project finish)")
    return bad == 0 and links == len(edges)


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
    mod = load_reference()
    cal = mod.dag_gen.WorkCalendar()
    print(f"tool: networkx {mod.nx.__version__}, python {sys.version.split()[0]}, runs {runs}")
    ok = True
    for n in ns or [1000, 10000]:
        ok &= run(build, n, runs, mod, cal)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
