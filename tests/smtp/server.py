#!/usr/bin/python3
"""A real SMTP server on loopback for the notifier tests (Debian python3-aiosmtpd).

Usage: server.py DIR [--starttls-required] [--delay SECONDS] [--hold-file PATH] [--port N]
Prints "PORT <n>" once listening (on N, else on a free port).
--delay: after a message is written to DIR, wait this long before the 250 reply to the final
dot (a slow relay; the message counts as received even when the client goes away meanwhile).
--hold-file: while PATH exists, RCPT TO is not answered (a stalled relay: nothing is received
until the file is removed). Each accepted message is written to DIR as
<seq>.eml (raw) and <seq>.json (envelope, decoded headers, MIME structure, longest line).
Recipient rules, by local part:
  fail550*   -> 550 5.1.1 (permanent)
  temp451*   -> 451 4.3.0 on the first attempt for that address, accepted afterwards
  anything else is accepted.
"""
import asyncio
import email
import email.policy
import json
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir, delay=0.0, hold_file=None):
        self.outdir = outdir
        self.delay = delay
        self.hold_file = hold_file
        self.seen451 = set()
        self.seq = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        while self.hold_file and os.path.exists(self.hold_file):
            await asyncio.sleep(0.05)
        local = address.split("@")[0]
        if local.startswith("fail550"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("temp451") and address not in self.seen451:
            self.seen451.add(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in (msg.walk() if msg.is_multipart() else [msg]):
            if part.is_multipart():
                continue
            parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                          "cte": part.get("Content-Transfer-Encoding"),
                          "text": part.get_content().replace("\r\n", "\n")})
        info = {
            "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "message_id": msg.get("Message-ID"), "subject": str(msg.get("Subject")),
            "subject_raw": msg.get_all("Subject")[0] if msg.get_all("Subject") else None,
            "date": msg.get("Date"), "from": str(msg.get("From")), "to": str(msg.get("To")),
            "content_type": msg.get_content_type(), "mime_version": msg.get("MIME-Version"),
            "defects": [str(d) for d in msg.defects] + [str(d) for p in msg.walk() for d in p.defects],
            "parts": parts,
            "max_line_octets": max((len(l) for l in raw.split(b"\r\n")), default=0),
            "crlf_only": b"\n" not in raw.replace(b"\r\n", b""),
        }
        with self.lock:
            self.seq += 1
            base = os.path.join(self.outdir, "%06d" % self.seq)
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.tmp", "w") as f:
            json.dump(info, f, ensure_ascii=False)
        os.rename(base + ".json.tmp", base + ".json")
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 queued as %06d" % self.seq


def main():
    outdir = sys.argv[1]
    opts = sys.argv[2:]
    delay = float(opts[opts.index("--delay") + 1]) if "--delay" in opts else 0.0
    hold_file = opts[opts.index("--hold-file") + 1] if "--hold-file" in opts else None
    port = int(opts[opts.index("--port") + 1]) if "--port" in opts else 0
    os.makedirs(outdir, exist_ok=True)
    if not port:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
    ctl = Controller(Handler(outdir, delay, hold_file), hostname="127.0.0.1", port=port, decode_data=False,
                     data_size_limit=10 * 1024 * 1024)
    ctl.start()
    print("PORT %d" % port, flush=True)
    try:
        sys.stdin.read()  # run until the test closes our stdin
    finally:
        ctl.stop()


if __name__ == "__main__":
    main()
