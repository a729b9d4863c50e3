#!/usr/bin/python3
"""networkx side of bench/bench_schedule.c: the same project graphs (one JSON line per
project: [[durations], [[pred, succ, type, lag], ...]], type 0 FS, 1 SS, 2 FF, 3 SF; working
days), early and late starts by longest paths in topological order of a networkx DiGraph.
Prints "SECONDS CHECKSUM" (checksum = sum of ES + 3 LS, relative to the data date)."""
import json
import sys
import time

import networkx as nx


def schedule(dur, links):
    g = nx.DiGraph()
    g.add_nodes_from(range(len(dur)))
    for p, q, t, lag in links:
        w = (dur[p] + lag, lag, dur[p] + lag - dur[q], lag - dur[q])[t]
        if not g.has_edge(p, q) or g[p][q]["w"] < w:
            g.add_edge(p, q, w=w)
    order = list(nx.topological_sort(g))
    es = {}
    for v in order:
        es[v] = max([0] + [es[u] + d["w"] for u, _, d in g.in_edges(v, data=True)])
    pf = max(es[v] + dur[v] for v in order)
    ls = {}
    for v in reversed(order):
        ls[v] = min([pf - dur[v]] + [ls[s] - d["w"] for _, s, d in g.out_edges(v, data=True)])
    return sum(es[v] + 3 * ls[v] for v in order)


def main():
    graphs = [json.loads(line) for line in open(sys.argv[1])]
    t0 = time.perf_counter()
    cs = 0
    for dur, links in graphs:
        cs += schedule(dur, links)
    print(f"{time.perf_counter() - t0:.6f} {cs}")


if __name__ == "__main__":
    main()
