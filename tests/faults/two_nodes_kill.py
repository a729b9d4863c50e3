#!/usr/bin/python3
"""Two nodes on one database, one killed: nodes A and B both send alerts (each through an SMTP
relay of its own, with a slow 250) and take step writes from 8 writers (half each); A is killed
with kill -9 while it has sends in flight. The writers go to B (as a reverse proxy would); B
takes over A's claimed alerts when their lease (3 s) runs out (120 s before the durable queue):
every alert is sent within 60 s of the kill. No acknowledged write is lost and every alert is
received. A second copy is allowed only in the documented windows (docs/alerts.md "Delivery"):
an alert that A's relay had received (the connection lost after the final dot, before the 250:
RFC 1047, or a 250 not yet recorded) and that was not recorded sent when A died; always the same
Message-ID. Minimum load: 60 alerts and 300 acknowledged writes (short), 400 and 1,000 (full),
and sends of A in flight at the kill."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import bsit, check, eq  # noqa: E402

WRITERS = 8
LEASE_MS = 3000


def run(args, tmp):
    n, min_writes, parallel, delay = (60, 300, 4, 0.2) if args.short else (400, 1000, 8, 0.1)
    print(f"== two nodes, A killed: {n} alerts, {parallel} parallel sends per node, a {delay} s 250, "
          f"{LEASE_MS / 1000:.0f} s lease; {WRITERS} writers")
    with fl.scenario_database(args) as (url, env):
        smtp_a = fl.Smtp(args.source, fl.mail_dir(tmp, "two-a"), delay=delay)
        smtp_b = fl.Smtp(args.source, fl.mail_dir(tmp, "two-b"), delay=delay)
        a = fl.Node(args.binary, env, tmp, "two-a", smtp_a.url, LEASE_MS, parallel)
        b = fl.Node(args.binary, env, tmp, "two-b", smtp_b.url, LEASE_MS, parallel)
        w = fl.Writers("two", fl.write_targets(bsit.Api(a.base), WRITERS), [a.base, b.base], bsit.DEFAULT_TOKEN)
        w.start()
        try:
            fl.need(w.wait_acked(min_writes // 2, 300), f"{min_writes // 2} writes acknowledged before the kill",
                    w.n_acked())
            fl.add_alerts(url, *fl.alert_ids(url), "two", n)
            # kill A while it has sends in flight and alerts still wait
            fl.need(fl.wait_for(lambda: len(smtp_a.message_ids()) >= max(3, n // 8), 120, 0.02),
                    "A sends alerts", len(smtp_a.message_ids()))
            eq(a.stop(signal.SIGKILL), -signal.SIGKILL, "kill -9 node A")
            t_kill = time.monotonic()
            w.route([b.base])
            at_kill = fl.unrecorded(url, "two")  # what no node had recorded sent when A died
            time.sleep(0.5)  # a message whose data A had sent in full may still be on its way into the log
            from_a = set(smtp_a.message_ids())  # everything A's relay received (A is dead: no more)
            check(at_kill and fl.n_sent(url, "two") < n, "alerts still waiting at the kill", len(at_kill))
            # B sends what A left behind: the alerts A held come free when their lease runs out
            done = fl.wait_for(lambda: fl.n_sent(url, "two") == n, 60, 0.1)
            took = time.monotonic() - t_kill
            check(done, "B sent every alert left unsent at the kill within 60 s (lease 3 s)",
                  f"{fl.n_sent(url, 'two')} of {n} sent after {took:.1f} s")
            print(f"   every alert sent {took:.1f} s after the kill", flush=True)
            fl.need(w.wait_acked_after(t_kill, min_writes // 2, 300), f"{min_writes // 2} writes acknowledged "
                    "after the kill", w.acked_after(t_kill))
            w.stop()
            first_b = fl.wait_for(lambda: len(smtp_b.message_ids()) > 0, 1, 0.1)
            check(first_b, "B sent alerts")
            time.sleep(1.5)  # a late second copy would arrive within a lease
        finally:
            w.stop()
            if a.alive():
                a.stop(signal.SIGKILL)
            b.stop()
            smtp_a.stop()
            smtp_b.stop()
        lost, dup, unacked = fl.check_writes(url, w)
        fl.need(w.n_acked() >= min_writes, f"≥ {min_writes} acknowledged writes", w.n_acked())
        eq(lost, [], "every acknowledged write is stored (0 lost)")
        eq(dup, [], "no write stored twice")
        received, lost_m, copies, dupm = fl.mail_tally([smtp_a, smtp_b], "two", n)
        fl.need(received - copies >= n, f"{n} alerts received", received)
        eq(lost_m, 0, "every alert received")
        outside = [m for m in dupm if m not in from_a or m not in at_kill]
        check(not outside, "second copies only of alerts A's relay had received and nobody had recorded sent when "
              "A died (RFC 1047 / kill -9 windows)", outside[:5])
        b_ids = smtp_b.message_ids()
        eq(len(b_ids), len(set(b_ids)), "B sent nothing twice itself")
        print(f"   {copies} second copies, all in the documented windows; A had {len(from_a)} received, "
              f"{len(at_kill)} unrecorded at the kill")
        fl.row("two nodes, one killed", f"{n} mails, {WRITERS} writers, 2 nodes", "kill -9 node A",
               f"{received - copies} mails, {w.n_acked()} writes", f"{lost_m} mails, {len(lost)} writes",
               f"{copies} mails (windows), {len(dup)} writes", f"{w.errors} writes, {fl.retries(url, 'two', n)} sends",
               fl.fmt_s(took))


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
