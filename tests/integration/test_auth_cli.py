#!/usr/bin/python3
"""Integration test of `bouwstroom user add --admin` against PostgreSQL.

* a password on standard input: the row has is_admin, an Argon2id hash ("$argon2id$") that the
  reference library (libsodium's crypto_pwhash_str_verify, called here through ctypes) accepts
  for that password and refuses for another, the plaintext nowhere in the row, a base32 TOTP
  secret that equals the one in the printed otpauth:// URI (printed once), an organisation of
  kind 'gemeente' (reused by name for a second administrator);
* the same e-mail again (also in other capitals) → nonzero exit, a clear one-line message, no
  second row and no stray organisation;
* an empty password, a missing --admin or a malformed address → refused, nothing written;
* --generate-password prints a password once, and its hash verifies.

Usage: test_auth_cli.py --binary BOUWSTROOM --source SRC
"""
import argparse
import base64
import ctypes
import ctypes.util
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bsit import check, eq, finish, fresh_database, psql  # noqa: E402

PASSWORD = "Vier-kleine-Huizen 2026!"


def open_sealed(lib, source, sealed):
    """crypto_secretbox_open_easy of a "v1:" sealed TOTP key with the key in var/server.key."""
    key = bytes.fromhex(open(os.path.join(source, "var", "server.key")).read().strip())
    raw = base64.b64decode(sealed[3:])
    nonce, box = raw[:24], raw[24:]
    out = ctypes.create_string_buffer(len(box) - 16)
    rc = lib.crypto_secretbox_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce, key)
    return out.raw.decode() if rc == 0 else ""


def sodium():
    name = ctypes.util.find_library("sodium") or "libsodium.so.23"
    lib = ctypes.CDLL(name)
    if lib.sodium_init() < 0:
        raise RuntimeError("sodium_init failed")
    lib.crypto_pwhash_str_verify.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong]
    return lib


def verifies(lib, hash_, password):
    pw = password.encode()
    return lib.crypto_pwhash_str_verify(hash_.encode(), pw, len(pw)) == 0


def run(binary, env, args, stdin):
    return subprocess.run([binary] + args, env=env, input=stdin, capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    lib = sodium()
    with fresh_database() as url:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        add = ["user", "add", "--admin", "Beheerder@Voorbeeldstad.nl", "--name", "Bea Heerder",
               "--organisation", "Gemeente Voorbeeldstad"]

        r = run(args.binary, env, add, PASSWORD + "\n")
        eq(r.returncode, 0, "user add: exit code (stderr: " + r.stderr[-300:] + ")")
        check(PASSWORD not in r.stdout and PASSWORD not in r.stderr, "user add: the password is not echoed", r.stdout)
        uris = re.findall(r"otpauth://\S+", r.stdout)
        eq(len(uris), 1, "user add: one otpauth URI printed")
        row = psql(url, "SELECT u.is_admin, u.password_hash, coalesce(u.totp_secret, ''), u.name, o.kind, o.name, "
                        "u.failed_logins, u.totp_last_step IS NULL, u.locked_until IS NULL, u.disabled_at IS NULL "
                        "FROM users u JOIN organisations o ON o.id = u.organisation_id "
                        "WHERE lower(u.email) = 'beheerder@voorbeeldstad.nl'").split("|")
        eq(len(row), 10, "user add: one row")
        if len(row) == 10:
            is_admin, hash_, secret, name, kind, org, failed, no_step, no_lock, enabled = row
            eq(is_admin, "t", "is_admin")
            check(hash_.startswith("$argon2id$v=19$"), "hash is Argon2id", hash_[:20])
            check(verifies(lib, hash_, PASSWORD), "libsodium verifies the stored hash with the password", hash_[:40])
            check(not verifies(lib, hash_, PASSWORD + "x"), "libsodium refuses another password", "")
            # the reference implementation (libargon2, phc-winner-argon2, through Debian's
            # python3-argon2) verifies the same PHC string independently of libsodium
            import argon2.low_level
            check(argon2.low_level.verify_secret(hash_.encode(), PASSWORD.encode(), argon2.low_level.Type.ID),
                  "the reference libargon2 verifies the stored hash", hash_[:40])
            try:
                argon2.low_level.verify_secret(hash_.encode(), (PASSWORD + "x").encode(), argon2.low_level.Type.ID)
                check(False, "the reference libargon2 refuses another password", "verified")
            except argon2.exceptions.VerifyMismatchError:
                check(True, "the reference libargon2 refuses another password", "")
            # the stored TOTP key is sealed with the server key (var/server.key under BOUWSTROOM_HOME):
            # "v1:" + base64(nonce 24 ‖ secretbox); opened here with libsodium directly
            check(secret.startswith("v1:") and not re.search(r"[A-Z2-7]{32}", secret),
                  "TOTP key stored sealed, not in base32", secret[:12])
            sealed = secret
            secret = open_sealed(lib, args.source, sealed)
            check(re.fullmatch(r"[A-Z2-7]{32}", secret) is not None, "TOTP secret: 32 base32 characters", secret)
            eq(len(base64.b32decode(secret)) if secret else 0, 20, "TOTP secret: 20 bytes")
            check(secret not in psql(url, "SELECT u::text FROM users u"), "the base32 key is nowhere in the row", "")
            eq((name, kind, org), ("Bea Heerder", "gemeente", "Gemeente Voorbeeldstad"), "name and organisation")
            eq((failed, no_step, no_lock, enabled), ("0", "t", "t", "t"), "fresh login counters")
            whole = psql(url, "SELECT u::text FROM users u")
            check(PASSWORD not in whole, "no plaintext password anywhere in the row", "")
            if uris:
                u = urllib.parse.urlsplit(uris[0])
                q = urllib.parse.parse_qs(u.query)
                eq((u.scheme, u.netloc), ("otpauth", "totp"), "URI scheme")
                eq(urllib.parse.unquote(u.path), "/Bouwstroom:Beheerder@Voorbeeldstad.nl", "URI label")
                check("%40" in u.path, "URI label is percent-encoded", u.path)
                eq(q.get("secret"), [secret], "URI secret = stored secret")
                eq(q.get("issuer"), ["Bouwstroom"], "URI issuer")

        # the same address again, in other capitals: refused, nothing written
        n_orgs = psql(url, "SELECT count(*) FROM organisations")
        r = run(args.binary, env, ["user", "add", "--admin", "beheerder@voorbeeldstad.NL", "--organisation",
                                   "Andere gemeente"], "anders\n")
        check(r.returncode != 0, "existing e-mail: nonzero exit", str(r.returncode))
        check("exists already" in r.stderr and "beheerder@voorbeeldstad.NL" in r.stderr,
              "existing e-mail: clear message", r.stderr)
        eq(len(r.stderr.strip().splitlines()), 1 + r.stderr.count("migrate:"), "existing e-mail: one-line message")
        check("otpauth://" not in r.stdout, "existing e-mail: no URI printed", r.stdout)
        eq(psql(url, "SELECT count(*) FROM users"), "1", "existing e-mail: still one user")
        eq(psql(url, "SELECT count(*) FROM organisations"), n_orgs, "existing e-mail: no organisation created")

        # an empty password (empty line, and no input at all): refused, nothing written
        for what, stdin in (("empty line", "\n"), ("no input", "")):
            r = run(args.binary, env, ["user", "add", "--admin", "leeg@voorbeeldstad.nl"], stdin)
            check(r.returncode != 0, f"empty password ({what}): nonzero exit", str(r.returncode))
            check("empty password" in r.stderr, f"empty password ({what}): message", r.stderr)
        eq(psql(url, "SELECT count(*) FROM users WHERE email = 'leeg@voorbeeldstad.nl'"), "0",
           "empty password: no user")

        # usage errors
        r = run(args.binary, env, ["user", "add", "zonder-admin@voorbeeldstad.nl"], PASSWORD + "\n")
        eq(r.returncode, 2, "without --admin: usage exit")
        check("--admin" in r.stderr, "without --admin: message", r.stderr)
        r = run(args.binary, env, ["user", "add", "--admin", "geen-adres"], PASSWORD + "\n")
        eq(r.returncode, 2, "malformed address: usage exit")
        check("not an e-mail address" in r.stderr, "malformed address: message", r.stderr)
        r = run(args.binary, env, ["user", "remove"], "")
        eq(r.returncode, 2, "unknown subcommand: usage exit")

        # a generated password for a second administrator of the same organisation
        r = run(args.binary, env, ["user", "add", "--admin", "tweede@voorbeeldstad.nl", "--generate-password",
                                   "--organisation", "Gemeente Voorbeeldstad"], "")
        eq(r.returncode, 0, "generated password: exit code (stderr: " + r.stderr[-300:] + ")")
        m = re.search(r"password \(shown once[^)]*\): (\S+)", r.stdout)
        check(m is not None, "generated password printed", r.stdout)
        check("existing organisation" in r.stdout, "organisation reused by name", r.stdout)
        eq(psql(url, "SELECT count(*) FROM organisations WHERE name = 'Gemeente Voorbeeldstad'"), "1",
           "one organisation of that name")
        if m:
            h = psql(url, "SELECT password_hash FROM users WHERE email = 'tweede@voorbeeldstad.nl'")
            check(verifies(lib, h, m.group(1)), "generated password verifies", h[:40])
            check(m.group(1) not in psql(url, "SELECT u::text FROM users u"), "generated password not stored", "")

        # a change of a secret alone is audited, with the secret redacted
        r = run(args.binary, env, ["user", "reset-2fa", "tweede@voorbeeldstad.nl"], "")
        eq(r.returncode, 0, "reset-2fa: exit code (stderr: " + r.stderr[-300:] + ")")
        row = psql(url, "SELECT actor_label, action, new ->> 'totp_secret', old ->> 'totp_secret' FROM audit_log "
                        "WHERE entity = 'users' AND action = 'UPDATE' ORDER BY id DESC LIMIT 1")
        eq(row, "cli:user reset-2fa|UPDATE|[redacted]|[redacted]", "reset-2fa is in the audit log, secret redacted")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
