#!/usr/bin/python3
"""networkx end to end on JSON Lines (bench/bench_schedule_cli.py): the counterpart of
`bouwstroom schedule --jsonl` for the comparison "including start-up".

usage: nx_schedule_jsonl.py IN.jsonl OUT.jsonl

Reads the same input file as bouwstroom (one project a line, docs/scheduling.md 9: "id",
"steps" with durations and step 0's start_no_earlier_than, "changes" with add_link FS/SS
links in working days), builds one networkx DiGraph with networkx-cpm.py's build(), runs its
cpm() (forward, backward, float, calendar dates) and writes one line a project:
{"id": ID, "steps": [[start, finish or null, total float], ...]} (dates YYYY-MM-DD).
"""
import datetime
import importlib.util
import json
import os
import sys

SHARED = os.environ.get("BOUWSTROOM_SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                          "shared"))
path = os.path.join(SHARED, "bench", "networkx-cpm.py")
sys.path.insert(0, os.path.dirname(path))
spec = importlib.util.spec_from_file_location("networkx_cpm", path)
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
STEPS = ref.STEPS


def main():
    durs, edges, starts, ids = [], [], [], []
    with open(sys.argv[1]) as f:
        for line in f:
            doc = json.loads(line)
            base = len(ids) * STEPS
            st = doc["steps"]
            d = [st.get(f"s{i:02d}", {}).get("duration", 0) for i in range(STEPS)]
            durs.extend(d)
            for c in doc["changes"]:
                j, i = int(c["pred"][1:]), int(c["succ"][1:])
                lag = c.get("lag", 0)
                edges.append((base + j, base + i, d[j] + lag if c.get("type", "FS") == "FS" else lag))
            starts.append(datetime.date.fromisoformat(st["s00"]["start_no_earlier_than"]))
            ids.append(doc["id"])
    cal = ref.dag_gen.WorkCalendar()
    G, S = ref.build(len(ids), durs, edges, starts, cal)
    _, _, out = ref.cpm(G, S, durs, cal)
    with open(sys.argv[2], "w") as f:
        for p, pid in enumerate(ids):
            rows = []
            for i in range(STEPS):
                s, e, tf = out[p * STEPS + i]
                rows.append([s.isoformat(), e.isoformat() if e else None, tf])
            f.write(json.dumps({"id": pid, "steps": rows}) + "\n")


if __name__ == "__main__":
    main()
