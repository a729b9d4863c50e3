#!/usr/bin/python3
"""PostgreSQL stopped and started mid-delivery, under writes: alerts are being sent (their 250s
recorded in batches) and 4 writers correct step dates when the cluster stops (`pg_ctl stop -m
fast`; the full run also `-m immediate`, a crash that recovery replays, with fsync=on). While it
is down, the 250s of the sends in flight cannot be recorded: they are kept, and nothing new is
sent until they are (97 second copies after a 10 s outage before the durable queue); writes are
refused with 503 (nothing accepted, nothing lost). After the start the same server records the
kept outcomes and serves again, without a restart. Every alert is received exactly once, every
acknowledged write is stored. Minimum load: 30 alerts and 100 acknowledged writes (short), 300
and 1,000 (full), sends in flight at every stop."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import bsit, check, eq  # noqa: E402

WRITERS = 4


def outage(cluster, url, smtp, w, mode, down_s, parallel, batch):
    """One stop of the cluster in mode for down_s seconds while the alerts of batch are being sent;
    returns the recovery time (stop → first mail received and first write acknowledged after the
    start, whichever is later)."""
    start = len(smtp.message_ids())
    fl.add_alerts(url, *fl.alert_ids(url), "pg", *batch)
    fl.need(fl.wait_for(lambda: len(smtp.message_ids()) >= start + 3, 60, 0.02), f"{mode}: sends in flight at the stop",
            len(smtp.message_ids()) - start)
    t_stop = time.monotonic()
    r = bsit.pg_ctl(cluster.data, "-m", mode, "-w", "stop")
    eq(r.returncode, 0, f"{mode}: pg_ctl stop " + r.stderr)
    down_at = len(smtp.message_ids())
    time.sleep(down_s)  # the sends in flight end with 250s that cannot be recorded now
    during = len(smtp.message_ids())
    check(during - down_at <= 2 * parallel, f"{mode}: no new sends while outcomes are unrecorded (in flight at most)",
          f"{during - down_at} received while the database was down")
    cluster.start()
    t_up = time.monotonic()
    mail_ok = fl.wait_for(lambda: len(smtp.message_ids()) > during, 120, 0.05)
    t_mail = time.monotonic()
    check(mail_ok, f"{mode}: sending resumes after the start")
    write_ok = w.wait_acked_after(t_up, 1, 120)
    check(write_ok, f"{mode}: writes are acknowledged again after the start")
    first = w.first_ack_after(t_up)
    return max(t_mail, first or t_mail) - t_stop


def run(args, tmp):
    cluster = fl.scenario_cluster(args.source)
    if not cluster:
        check(False, "a private cluster to stop")
        return
    n, delay, parallel = (30, 0.3, 2) if args.short else (300, 0.1, 8)
    modes = [("fast", 2)] if args.short else [("fast", 10), ("immediate", 10)]
    min_writes = 100 if args.short else 1000
    print(f"== PostgreSQL stopped while 250s are recorded and writes come in: {delay} s per message, "
          f"{parallel} in parallel, 1 s lease; {n} alerts; {', '.join(f'{m} for {s} s' for m, s in modes)}")
    with fl.scenario_database(args) as (url, env):
        smtp = fl.Smtp(args.source, fl.mail_dir(tmp, "pg"), delay=delay)
        node = fl.Node(args.binary, env, tmp, "pg", smtp.url, 1000, parallel)
        w = fl.Writers("pg", fl.write_targets(bsit.Api(node.base), WRITERS), [node.base], bsit.DEFAULT_TOKEN,
                       pause_s=0.02)
        w.start()
        recoveries = []
        try:
            per = n // len(modes)  # each outage with a batch of its own, so sends are in flight at every stop
            for k, (mode, down_s) in enumerate(modes):
                recoveries.append(outage(cluster, url, smtp, w, mode, down_s, parallel, (per, k * per)))
            fl.wait_for(lambda: w.n_acked() >= min_writes, 300, 0.1)
            w.stop()
            done = fl.wait_for(lambda: fl.n_sent(url, "pg") == n, 60 + n * delay / parallel * 10, 0.2)
            check(done, f"all {n} recorded sent after the outage(s)", fl.n_sent(url, "pg"))
            time.sleep(1.5)
            check(node.alive(), "the server stayed up")
        finally:
            w.stop()
            node.stop()
            smtp.stop()
            cluster.start()
        lost, dup, unacked = fl.check_writes(url, w)
        fl.need(w.n_acked() >= min_writes, f"≥ {min_writes} acknowledged writes", w.n_acked())
        eq(lost, [], "every acknowledged write is stored (0 lost)")
        eq(dup, [], "no write stored twice")
        received, lost_m, copies, dupm = fl.mail_tally([smtp], "pg", n)
        fl.need(received - copies >= n, f"{n} alerts received", received)
        eq(lost_m, 0, "every alert received")
        check(not dupm, "exactly one mail per alert (same Message-ID)", f"{copies} second copies, e.g. {dupm[:3]}")
        fault = " + ".join(f"pg stop -m {m} {s} s" for m, s in modes)
        fl.row("PostgreSQL stop/start", f"{n} mails, {WRITERS} writers", fault,
               f"{received - copies} mails, {w.n_acked()} writes", f"{lost_m} mails, {len(lost)} writes",
               f"{copies} mails, {len(dup)} writes", f"{w.errors} writes, {fl.retries(url, 'pg', n)} sends",
               fl.fmt_s(max(recoveries)))


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
