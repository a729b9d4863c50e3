#!/usr/bin/python3
"""SIGTERM mid-delivery: the server is stopped (SIGTERM) while messages are being sent and
started again (once in the short run, three times in the full one). The stop sends nothing new,
gives the unstarted claims back, waits for the sends in flight and records their outcomes before
it exits (16 second copies per SIGTERM before the durable queue): every message received before
the exit is recorded sent, and every alert is received exactly once. Minimum load: 20 alerts
(short), 300 (full), and sends in flight at every SIGTERM (outcomes recorded during the stop)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import check, eq  # noqa: E402


def run(args, tmp):
    n, delay, parallel, stops = (20, 0.5, 4, 1) if args.short else (300, 0.2, 8, 3)
    print(f"== SIGTERM while sending: {delay} s per message, {parallel} in parallel, a 1 s lease; {n} alerts, "
          f"{stops} stop(s)")
    with fl.scenario_database(args) as (url, env):
        smtp = fl.Smtp(args.source, fl.mail_dir(tmp, "term"), delay=delay)
        fl.add_alerts(url, *fl.alert_ids(url), "term", n)
        node = fl.Node(args.binary, env, tmp, "term", smtp.url, 1000, parallel)
        recoveries = []
        try:
            for k in range(stops):
                start = len(smtp.message_ids())
                check(fl.wait_for(lambda: len(smtp.message_ids()) >= start + 2, 60, 0.02),
                      f"stop {k + 1}: sending (again)")
                before = fl.n_sent(url, "term")
                t_fault = time.monotonic()
                eq(node.stop(signal.SIGTERM), 0, f"stop {k + 1}: the server exits cleanly on SIGTERM")
                received = len(smtp.message_ids())
                recorded = fl.n_sent(url, "term")
                eq(recorded, received, f"stop {k + 1}: every message received before the exit is recorded sent")
                fl.need(recorded > before, f"stop {k + 1}: sends in flight at the SIGTERM (outcomes recorded "
                        "during the stop)", f"{before} recorded before, {recorded} after")
                if recorded == n:
                    break
                node = fl.Node(args.binary, env, tmp, "term", smtp.url, 1000, parallel)
                fl.wait_for(lambda: len(smtp.message_ids()) > received, 60, 0.02)
                recoveries.append(time.monotonic() - t_fault)
            fl.need(len(recoveries) == stops, f"{stops} SIGTERM(s) while alerts were still waiting", len(recoveries))
            done = fl.wait_for(lambda: fl.n_sent(url, "term") == n, 60 + n * delay / parallel * 10, 0.2)
            check(done, f"all {n} recorded sent after the restart(s)", fl.n_sent(url, "term"))
            time.sleep(1.5)
        finally:
            node.stop()
            smtp.stop()
        received, lost, copies, dup = fl.mail_tally([smtp], "term", n)
        fl.need(received - copies >= n, f"{n} alerts received", received)
        eq(lost, 0, "every alert received")
        check(not dup, "exactly one mail per alert (same Message-ID)", f"{copies} second copies, e.g. {dup[:3]}")
        fl.row("SIGTERM mid-delivery", f"{n} mails, {parallel} parallel", f"SIGTERM ×{stops}, restart",
               received - copies, lost, copies, fl.retries(url, "term", n), fl.fmt_s(max(recoveries, default=None)))


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
