#!/usr/bin/python3
"""Slow SMTP: every final 250 comes late, many alerts are due at once and the lease is short, so
a claim larger than what can be sent within the lease would send alerts twice (54 of 398 before
the durable queue). The heartbeat keeps the leases alive and a claim never takes an alert its
process holds: every alert is received exactly once (by its Message-ID). Minimum load: 30
alerts (short), 300 (full), every one received."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import check, eq  # noqa: E402


def run(args, tmp):
    n, delay, parallel = (30, 0.3, 2) if args.short else (300, 0.2, 8)
    print(f"== slow SMTP: {delay} s per message, {parallel} in parallel, a 1 s lease; {n} alerts due at once")
    with fl.scenario_database(args) as (url, env):
        smtp = fl.Smtp(args.source, fl.mail_dir(tmp, "slow"), delay=delay)
        fl.add_alerts(url, *fl.alert_ids(url), "slow", n)
        node = fl.Node(args.binary, env, tmp, "slow", smtp.url, 1000, parallel)
        try:
            done = fl.wait_for(lambda: fl.n_sent(url, "slow") == n, 60 + 2 * n * delay / parallel * 10, 0.2)
            check(done, f"all {n} recorded sent", fl.n_sent(url, "slow"))
            time.sleep(1.5)  # a late second copy would arrive within a lease
        finally:
            rc = node.stop()
            smtp.stop()
        eq(rc, 0, "the server stops cleanly")
        received, lost, copies, dup = fl.mail_tally([smtp], "slow", n)
        fl.need(received - copies >= n, f"{n} alerts received", received)
        eq(lost, 0, "every alert received")
        check(not dup, "exactly one mail per alert (same Message-ID)", f"{copies} second copies, e.g. {dup[:3]}")
        fl.row("slow SMTP", f"{n} mails, {parallel} parallel", f"SMTP {delay} s per 250, lease 1 s", received - copies,
               lost, copies, fl.retries(url, "slow", n), "—")


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
