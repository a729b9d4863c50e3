#!/usr/bin/python3
"""Backup and restore (docs/operations.md "Backups"): a cluster (fsync=on) archives its WAL
(archive_mode, archive_command); 8 writers correct step dates over HTTP while a base backup is
taken (pg_basebackup, hot) and after it; the writers stop, the current WAL segment is switched
and archived, and then the database machine dies (every process killed, never started again).
A new cluster is made from the base backup and the archive (`scripts/pg.sh restore`: recovery to
the end of the archive) and a server on it serves again. Every write acknowledged before the
last archived segment is in the restored database. Minimum load: 300 acknowledged writes
(short), 1,000 (full), half of them after the base backup (restored from the archive alone)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from faultlib import bsit, check, eq  # noqa: E402

WRITERS = 8


def archive_on(c, archive):
    c.as_owner("mkdir", "-p", archive)
    c.sql("ALTER SYSTEM SET archive_mode = on", db="postgres")
    c.sql(f"ALTER SYSTEM SET archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'", db="postgres")
    c.stop()  # archive_mode takes a restart
    c.start()
    eq(c.sql("SHOW archive_mode"), "on", "archiving on")


def run(args, tmp):
    minimum = 300 if args.short else 1000
    c = fl.Cluster(args.source, "faults-backup")
    restored = fl.Cluster(args.source, "faults-restore")
    for x in (c, restored):
        x.wipe()
    try:
        c.start(durable=True)
        archive, base = os.path.join(c.dir, "archive"), os.path.join(c.dir, "base")
        archive_on(c, archive)
        env = fl.prepare(args.binary, args.source, c.url)
        node = fl.Node(args.binary, env, tmp, "backup")
        w = fl.Writers("bk", fl.write_targets(bsit.Api(node.base), WRITERS), [node.base], bsit.DEFAULT_TOKEN)
        w.start()
        try:
            fl.need(w.wait_acked(minimum // 4, 300), f"{minimum // 4} writes before the base backup", w.n_acked())
            c.as_owner(os.path.join(fl.pg_bin(), "pg_basebackup"), "-d", f"host={c.socket}", "-D", base, "-c", "fast")
            t_backup = time.monotonic()
            fl.need(w.wait_acked_after(t_backup, minimum // 2, 300), f"{minimum // 2} writes after the base backup",
                    w.acked_after(t_backup))
            fl.need(w.wait_acked(minimum, 300), f"≥ {minimum} acknowledged writes", w.n_acked())
        finally:
            w.stop()
            node.stop()
        segment = c.sql("SELECT pg_walfile_name(pg_switch_wal())")
        archived = fl.wait_for(lambda: c.sql("SELECT last_archived_wal FROM pg_stat_archiver") >= segment, 120, 0.1)
        check(archived, f"the last segment ({segment}) archived", c.sql("SELECT last_archived_wal FROM pg_stat_archiver"))
        c.kill_machine()
        t_lost = time.monotonic()
        restored.restore_from(base, archive)
        env = dict(env, BOUWSTROOM_DATABASE_URL=restored.url)
        node = fl.Node(args.binary, env, tmp, "restored")
        try:
            api = bsit.Api(node.base)
            pid, key = w.targets[0]
            st, _, _ = api.json("PATCH", f"/api/v1/projects/{pid}/steps/{key}",
                                {"planned_finish": "2040-01-01", "reason": "after the restore"})
            eq(st, 200, "the restored database takes writes")
            recovery = time.monotonic() - t_lost
        finally:
            node.stop()
        lost, dup, unacked = fl.check_writes(restored.url, w)
        eq(lost, [], "every acknowledged write is in the restored database (0 lost)")
        eq(dup, [], "no write stored twice")
        print(f"   {w.acked_after(t_backup)} of {w.n_acked()} writes were restored from the WAL archive alone")
        fl.row("backup + WAL archive, restore", f"{WRITERS} writers, PATCH",
               "hot base backup, machine lost, restore", w.n_acked(), len(lost), len(dup), w.errors,
               fl.fmt_s(recovery))
    finally:
        for x in (c, restored):
            x.wipe()


if __name__ == "__main__":
    sys.exit(fl.main(run, __doc__))
