#!/usr/bin/python3
"""Primary failover: PostgreSQL's own streaming replication, two private clusters (fsync=on) on
this machine, Bouwstroom connected through a libpq multi-host URL with
target_session_attrs=read-write (docs/operations.md "Failover").

1. Synchronous replication. 8 writers correct step dates over HTTP. The primary's machine dies
   (every process of the cluster killed with kill -9 at once; it is never started again), the
   replica is promoted (`scripts/pg.sh promote`: pg_ctl promote, then synchronous_standby_names
   reset, which pg_basebackup had copied from the primary and which would make every write wait
   for a standby that no longer exists). The same server process, never restarted, finds the new
   primary by itself and serves again; every write it acknowledged is on the new primary.
2. The check can fail: the new primary gets an asynchronous replica; the replica's WAL receiver
   is stopped (SIGSTOP: it receives nothing more; `pg_wal_replay_pause()` would not do, WAL would
   still arrive and be replayed at promotion), writes go on and are acknowledged by the primary
   alone, then the primary dies, the stopped WAL receiver is killed with it (whatever sat in its
   socket is gone), and the replica is promoted. The checker must report the acknowledged writes
   that are missing (> 0), each acknowledged after the last point the replica was known to have.

Minimum load: 300 acknowledged writes per part (short), 1,000 (full), of which a fifth after the
promotion.
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import bsit, check, eq  # noqa: E402

WRITERS = 8
T0 = time.monotonic()


def phase(what):
    print(f"   [{time.monotonic() - T0:5.1f} s] {what}", flush=True)


def multi_host_url(*clusters):
    hosts = ",".join(c.socket for c in clusters)
    user = "postgres" if os.getuid() == 0 else os.environ.get("USER", "postgres")
    return f"postgresql:///bouwstroom?host={hosts}&user={user}&target_session_attrs=read-write"


def lsn(c, expr):
    return c.sql(f"SELECT ({expr}) - '0/0'::pg_lsn")


def caught_up(primary, replica):
    """Waits until the replica has received (flushed) all WAL the primary has written so far."""
    target = int(lsn(primary, "pg_current_wal_lsn()"))
    return fl.wait_for(lambda: int(lsn(replica, "pg_last_wal_receive_lsn()") or 0) >= target, 60, 0.05)


def auto_conf(c):
    with open(os.path.join(c.data, "postgresql.auto.conf")) as fh:
        return fh.read()


def load(w, n_before):
    fl.need(w.wait_acked(n_before, 300), f"{n_before} writes acknowledged before the primary dies", w.n_acked())


def after_failover(w, node, t_kill, n_after):
    fl.need(w.wait_acked_after(t_kill, n_after, 300), f"{n_after} writes acknowledged after the promotion",
            w.acked_after(t_kill))
    first = w.first_ack_after(t_kill)
    check(node.alive(), "the server process was never restarted and is still serving")
    return None if first is None else first - t_kill


def sync_part(args, tmp, primary, replica, minimum):
    print("== synchronous replication: the primary dies under writes, the replica is promoted")
    primary.start(durable=True)
    phase("primary started")
    # set on the primary before the base backup, as an installation would: the copy inherits it
    primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '\"{replica.name}\"'", db="postgres")
    primary.sql("SELECT pg_reload_conf()", db="postgres")
    replica.standby_of(primary)
    phase("replica made (pg_basebackup) and started")
    check(fl.wait_for(lambda: primary.sql("SELECT sync_state FROM pg_stat_replication") == "sync", 60),
          "the replica is a synchronous standby")
    check(f"synchronous_standby_names = '\"{replica.name}\"'" in auto_conf(replica),
          "the replica inherited synchronous_standby_names (the trap promote must clear)")
    url = multi_host_url(primary, replica)
    env = fl.prepare(args.binary, args.source, url)
    phase("migrated, sample imported")
    node = fl.Node(args.binary, env, tmp, "fo-sync")
    w = fl.Writers("fs", fl.write_targets(bsit.Api(node.base), WRITERS), [node.base], bsit.DEFAULT_TOKEN)
    w.start()
    try:
        load(w, minimum * 4 // 5)
        phase(f"{w.n_acked()} writes acknowledged")
        primary.kill_machine()
        t_kill = time.monotonic()
        acked_at_kill = w.n_acked()
        phase("primary killed")
        replica.promote()
        phase("replica promoted")
        eq(replica.sql("SHOW synchronous_standby_names"), "", "the promoted replica waits for no standby")
        recovery = after_failover(w, node, t_kill, minimum // 5)
        phase(f"{w.acked_after(t_kill)} writes acknowledged after the promotion")
    finally:
        w.stop()
        rc = node.stop()
    eq(rc, 0, "the server stops cleanly after the failover")
    lost, dup, unacked = fl.check_writes(replica.url, w)
    fl.need(w.n_acked() >= minimum, f"≥ {minimum} acknowledged writes", w.n_acked())
    eq(lost, [], "every write acknowledged under synchronous replication is on the promoted replica (0 lost)")
    eq(dup, [], "no write stored twice")
    print(f"   {acked_at_kill} acknowledged before the primary died; {unacked} stored without an answer")
    fl.row("primary failover, synchronous", f"{WRITERS} writers, PATCH", "kill -9 primary cluster, promote replica",
           w.n_acked(), len(lost), len(dup), w.errors, fl.fmt_s(recovery))


def async_part(args, tmp, primary, replica, minimum):
    print("== asynchronous replication, the replica's WAL receiver stopped: the check must find the loss")
    replica.standby_of(primary)
    phase("second replica made and started")
    check(fl.wait_for(lambda: primary.sql("SELECT sync_state FROM pg_stat_replication") == "async", 60),
          "the new replica is an asynchronous standby")
    url = multi_host_url(primary, replica)
    env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
    node = fl.Node(args.binary, env, tmp, "fo-async")
    w = fl.Writers("fa", fl.write_targets(bsit.Api(node.base), WRITERS), [node.base], bsit.DEFAULT_TOKEN)
    w.start()
    try:
        fl.need(w.wait_acked(minimum * 2 // 5, 300), f"{minimum * 2 // 5} writes acknowledged", w.n_acked())
        t_known = time.monotonic()  # every write acknowledged before this is on the replica once it caught up
        check(caught_up(primary, replica), "the replica caught up")
        receiver = [pid for pid, cmd in replica.children() if "walreceiver" in cmd]
        eq(len(receiver), 1, "the replica's WAL receiver")
        os.kill(receiver[0], signal.SIGSTOP)
        t_pause = time.monotonic()
        phase("WAL receiver stopped")
        fl.need(w.wait_acked_after(t_pause, minimum * 2 // 5, 300), f"{minimum * 2 // 5} writes acknowledged by "
                "the primary alone", w.acked_after(t_pause))
        primary.kill_machine()
        os.kill(receiver[0], signal.SIGKILL)  # its postmaster restarts the replica's processes
        t_kill = time.monotonic()
        phase("primary killed, WAL receiver killed")
        replica.promote()
        phase("replica promoted")
        recovery = after_failover(w, node, t_kill, minimum // 5)
        phase("writes resumed")
    finally:
        w.stop()
        node.stop()
    phase("writers and server stopped")
    lost, dup, unacked = fl.check_writes(replica.url, w)
    acked_at = dict(w.acked)
    early = [r for r in lost if acked_at[r] <= t_known]
    check(len(lost) > 0, "the checker reports the acknowledged writes lost with the primary (> 0)", len(lost))
    eq(early, [], "every write reported lost was acknowledged after the replica was last known to have everything")
    eq(dup, [], "no write stored twice")
    between = w.acked_after(t_pause) - w.acked_after(t_kill)
    print(f"   {len(lost)} acknowledged writes lost, of {between} acknowledged while the WAL receiver was stopped: "
          "detected and reported")
    fl.row("failover check can fail: async, WAL receiver stopped", f"{WRITERS} writers, PATCH",
           "SIGSTOP walreceiver, kill -9 primary, promote", w.n_acked(), f"{len(lost)} (expected > 0)", len(dup),
           w.errors, fl.fmt_s(recovery))


def run(args, tmp):
    minimum = 300 if args.short else 1000
    first = fl.Cluster(args.source, "faults-primary")
    second = fl.Cluster(args.source, "faults-replica")
    third = fl.Cluster(args.source, "faults-replica2")
    for c in (first, second, third):
        c.wipe()
    try:
        sync_part(args, tmp, first, second, minimum)
        # the promoted replica is the primary now; it gets a replica of its own
        async_part(args, tmp, second, third, minimum)
    finally:
        for c in (first, second, third):
            c.wipe()
            phase(f"{c.name} wiped")


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
