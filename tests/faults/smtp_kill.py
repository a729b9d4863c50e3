#!/usr/bin/python3
"""The SMTP relay dies mid-delivery (kill -9, with sends in flight) and comes back on the same
port 3 s later. Sends without an answer stay pending with a backoff (1 s base here) and go out
again when the relay is back; every alert is received. A second copy is allowed only in the RFC
1047 window: a message the dead relay had received in full (its final dot) without answering
250, and that was not recorded sent when it died; always the same Message-ID. Minimum load: 300
alerts, sends in flight at the kill."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import check, eq  # noqa: E402


def run(args, tmp):
    n, delay, parallel = (60, 0.2, 4) if args.short else (300, 0.2, 8)
    print(f"== the SMTP relay killed mid-delivery: {n} alerts, {parallel} in parallel, a {delay} s 250; back after 3 s")
    with fl.scenario_database(args) as (url, env):
        env["BOUWSTROOM_SMTP_RETRY_BASE_S"] = "1"
        first = fl.Smtp(args.source, fl.mail_dir(tmp, "smtpkill"), delay=delay)
        port = first.url.rsplit(":", 1)[1]
        fl.add_alerts(url, *fl.alert_ids(url), "smtpkill", n)
        node = fl.Node(args.binary, env, tmp, "smtpkill", first.url, 3000, parallel)
        second = None
        try:
            fl.need(fl.wait_for(lambda: len(first.message_ids()) >= n // 4, 120, 0.02), f"{n // 4} alerts sent "
                    "before the kill", len(first.message_ids()))
            first.proc.kill()
            first.proc.wait()
            t_kill = time.monotonic()
            at_kill = fl.unrecorded(url, "smtpkill")
            from_first = set(first.message_ids())
            check(len(at_kill) > 0, "alerts still waiting at the kill", len(at_kill))
            time.sleep(3)
            second = fl.Smtp(args.source, fl.mail_dir(tmp, "smtpkill"), delay=delay, port=port)
            check(fl.wait_for(lambda: len(second.message_ids()) > 0, 120, 0.05), "sending resumes")
            recovery = time.monotonic() - t_kill
            done = fl.wait_for(lambda: fl.n_sent(url, "smtpkill") == n, 120 + n * delay / parallel * 10, 0.2)
            check(done, f"all {n} recorded sent", fl.n_sent(url, "smtpkill"))
            time.sleep(1.5)
            check(node.alive(), "the server stayed up")
        finally:
            eq(node.stop(), 0, "the server stops cleanly")
            if second:
                second.stop()
        received, lost, copies, dup = fl.mail_tally([s for s in (first, second) if s], "smtpkill", n)
        fl.need(received - copies >= n, f"{n} alerts received", received)
        eq(lost, 0, "every alert received")
        outside = [m for m in dup if m not in from_first or m not in at_kill]
        check(not outside, "second copies only of messages the dead relay had received without its 250 being "
              "recorded (RFC 1047)", outside[:5])
        print(f"   {copies} second copies, all in the RFC 1047 window")
        fl.row("SMTP relay killed", f"{n} mails, {parallel} parallel", "kill -9 SMTP relay, back after 3 s",
               received - copies, lost, f"{copies} (RFC 1047)", fl.retries(url, "smtpkill", n), fl.fmt_s(recovery))


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
