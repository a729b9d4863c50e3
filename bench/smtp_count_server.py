#!/usr/bin/python3
"""A local SMTP server that only counts (Debian python3-aiosmtpd, no mailbox writes).

Usage: smtp_count_server.py PORT_FILE. Writes its port to PORT_FILE; on SIGTERM prints
"received N". Used by scripts/bench_alerts.sh: its own limit is measured with
`smtp_sink blast`, then Bouwstroom's delivery rate is compared with it in the same run.
"""
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Count:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        return "250 2.0.0 counted"


def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    h = Count()
    ctl = Controller(h, hostname="127.0.0.1", port=port)
    ctl.start()
    with open(sys.argv[1], "w") as f:
        f.write(f"{port}\n")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    done.wait()
    ctl.stop()
    print(f"received {h.n}", flush=True)


if __name__ == "__main__":
    main()
