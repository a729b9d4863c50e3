#!/usr/bin/python3
"""kill -9 of the server under writes: 8 writers correct step dates over HTTP; the server is
killed (SIGKILL, no chance to clean up) and started again, once in the short run, three times in
the full one. Every acknowledged write (2xx) must be in the database: the API answers only
after the commit. Minimum load: 300 acknowledged writes (short), 1,500 (full)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import bsit, check, eq  # noqa: E402

WRITERS = 8


def run(args, tmp):
    kills, minimum = (1, 300) if args.short else (3, 1500)
    per_round = minimum // (kills + 1)
    with fl.scenario_database(args) as (url, env):
        node = fl.Node(args.binary, env, tmp, "k9")
        targets = fl.write_targets(bsit.Api(node.base), WRITERS)
        w = fl.Writers("k9", targets, [node.base], bsit.DEFAULT_TOKEN).start()
        recoveries = []
        try:
            fl.need(w.wait_acked(per_round, 300), f"{per_round} writes acknowledged before the first kill",
                    w.n_acked())
            for k in range(kills):
                eq(node.stop(signal.SIGKILL), -signal.SIGKILL, f"kill -9 #{k + 1}")
                t_kill = time.monotonic()
                node = fl.Node(args.binary, env, tmp, "k9")
                w.route([node.base])
                fl.need(w.wait_acked_after(t_kill, per_round, 300),
                        f"{per_round} writes acknowledged after kill #{k + 1}", w.acked_after(t_kill))
                first = w.first_ack_after(t_kill)
                recoveries.append(first - t_kill if first else None)
        finally:
            w.stop()
            node.stop()
        lost, dup, unacked = fl.check_writes(url, w)
        acked = w.n_acked()
        fl.need(acked >= minimum, f"≥ {minimum} acknowledged writes", acked)
        eq(lost, [], "every acknowledged write is stored (0 lost)")
        eq(dup, [], "no write stored twice")
        print(f"   {unacked} writes stored without an answer (in flight at a kill)")
        worst = max((r for r in recoveries if r is not None), default=None)
        fl.row("kill -9 under writes", f"{WRITERS} writers, PATCH", f"kill -9 server ×{kills}, restart", acked,
               len(lost), len(dup), w.errors, fl.fmt_s(worst))
        check(all(r is not None for r in recoveries), "writes resumed after every restart", recoveries)


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
