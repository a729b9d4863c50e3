/*
 * Bouwstroom runtime: authentication primitives (docs/security.md §6).
 *
 * Password hashing (Argon2id, libsodium), TOTP second factor (RFC 6238, liboath),
 * random secret tokens and their stored hashes (libsodium), and the login rate limiter
 * as a pure function over stored counters.
 *
 * No I/O and no clock reads: every time is an argument, in seconds since the Unix epoch
 * (1970-01-01T00:00:00Z, "unix seconds"). Randomness comes from libsodium's
 * randombytes_buf (the operating system's CSPRNG).
 *
 * Not wired yet: nothing in the API checks a password, a TOTP code or a token; see
 * docs/security.md.
 *
 * Error currency: functions return BS_AUTH_OK (0) or a negative bs_auth_status;
 * bs_auth_strerror names it. Results go to out-parameters.
 */
#ifndef BS_AUTH_H
#define BS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bs_auth_status {
    BS_AUTH_OK = 0,
    BS_AUTH_EINVAL = -1,   /* an argument is invalid (NULL, empty, too long, malformed) */
    BS_AUTH_MISMATCH = -2, /* password / code / secret does not match */
    BS_AUTH_ENOMEM = -3,   /* out of memory (also: Argon2id could not get its memlimit) */
    BS_AUTH_ECRYPTO = -4,  /* the crypto library failed to initialise or failed */
    BS_AUTH_ESPACE = -5,   /* the output buffer is too small */
} bs_auth_status;

/* Returns a static one-line English description of status (never NULL). */
const char *bs_auth_strerror(int status);

/* Initialises libsodium (sodium_init) and liboath (oath_init). Call once at start-up,
 * before any other function here; safe to call again (idempotent). Returns BS_AUTH_OK,
 * or BS_AUTH_ECRYPTO when a library cannot initialise (no usable random source). */
int bs_auth_init(void);

/* Releases liboath's global state (oath_done). Call once at exit after bs_auth_init. */
void bs_auth_done(void);

/* ---- passwords: Argon2id (libsodium crypto_pwhash_str, "Password hashing" in the
 * libsodium documentation; RFC 9106 Argon2id, version 0x13) ---- */

/* Longest password accepted, in bytes (bounds the hashing work an attacker can ask for). */
#define BS_PASSWORD_MAX_BYTES 1024
/* Size of a buffer holding an encoded hash including its NUL (crypto_pwhash_STRBYTES). */
#define BS_PASSWORD_HASH_BYTES 128

/* Argon2id cost: opslimit = passes over memory, memlimit_bytes = memory in bytes. */
typedef struct bs_pwhash_cost {
    unsigned long long opslimit;
    size_t memlimit_bytes;
} bs_pwhash_cost;

/* Production cost: libsodium's "interactive" limits (opslimit 2, 64 MiB; about 0.1 s). */
bs_pwhash_cost bs_pwhash_cost_interactive(void);
/* Test cost: libsodium's minimum limits (opslimit 1, 8 KiB). Never for real passwords. */
bs_pwhash_cost bs_pwhash_cost_test(void);

/* Hashes password (password_len bytes, 1..BS_PASSWORD_MAX_BYTES, any bytes) with Argon2id
 * at cost and a fresh random salt into out (out_size >= BS_PASSWORD_HASH_BYTES) as a
 * NUL-terminated PHC string "$argon2id$v=19$m=…,t=…,p=1$salt$hash" (the salt and the cost
 * are inside; nothing else needs storing). CPU- and memory-heavy: do not call it on the
 * event loop thread with the interactive cost while serving (use the thread pool).
 * Errors: BS_AUTH_EINVAL (NULL, empty or too long password, cost outside libsodium's
 * limits), BS_AUTH_ESPACE (out too small), BS_AUTH_ENOMEM (the memlimit could not be
 * allocated). */
int bs_password_hash(const char *password, size_t password_len, bs_pwhash_cost cost, char *out, size_t out_size);

/* Verifies password against an encoded hash from bs_password_hash (the cost is read from
 * the hash; crypto_pwhash_str_verify, constant time in the password). Returns BS_AUTH_OK
 * when it matches, BS_AUTH_MISMATCH when not, BS_AUTH_EINVAL for NULL / too long
 * arguments or a hash that is not a "$argon2id$" string. */
int bs_password_verify(const char *hash, const char *password, size_t password_len);

/* Whether hash was made with a cost other than cost (or another algorithm), so that it
 * should be recomputed with bs_password_hash after the next successful verify
 * (crypto_pwhash_str_needs_rehash). Returns 1 = rehash, 0 = current, BS_AUTH_EINVAL for a
 * NULL or malformed hash. */
int bs_password_needs_rehash(const char *hash, bs_pwhash_cost cost);

/* ---- TOTP: RFC 6238 (HMAC-SHA-1, T0 = 0, X = 30 s, 6 digits) on RFC 4226 HOTP, via
 * liboath (oath_totp_generate / oath_totp_validate2). Secrets are exchanged in base32
 * (RFC 4648 §6), as in the "Key Uri Format" of Google Authenticator. ---- */

#define BS_TOTP_STEP_S 30           /* time step X, seconds */
#define BS_TOTP_DIGITS 6            /* code length for users */
#define BS_TOTP_WINDOW 1            /* accepted steps before and after the current one */
#define BS_TOTP_SECRET_BYTES 20     /* raw key length (160 bits, RFC 4226 §4 R6) */
#define BS_TOTP_SECRET_B32_BYTES 33 /* base32 of 20 bytes: 32 characters, no padding, + NUL */

/* Writes a new random 20-byte key, base32-encoded (32 characters A–Z2–7, no padding,
 * NUL-terminated), into out (out_size >= BS_TOTP_SECRET_B32_BYTES). This string is what
 * is stored (users.totp_secret) and provisioned. Errors: BS_AUTH_EINVAL, BS_AUTH_ESPACE,
 * BS_AUTH_ENOMEM. */
int bs_totp_secret_new(char *out, size_t out_size);

/* Writes the provisioning URI
 *   otpauth://totp/Bouwstroom:<email>?secret=<secret_b32>&issuer=Bouwstroom
 * into out (NUL-terminated), the e-mail percent-encoded (RFC 3986: everything but
 * ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX, so "@" is "%40"). Show it once, as
 * text or QR code. Errors: BS_AUTH_EINVAL (NULL or empty arguments, a secret with
 * characters outside A–Z2–7), BS_AUTH_ESPACE (out too small; with a secret from
 * bs_totp_secret_new, 3 × strlen(email) + 100 bytes always suffice). */
int bs_totp_uri(const char *email, const char *secret_b32, char *out, size_t out_size);

/* Computes the TOTP code of a raw key (key_len bytes) at now_unix (seconds since the
 * epoch, >= 0) with digits 6, 7 or 8 into out (out_size >= digits + 1), zero-padded:
 * RFC 6238 §4 with HMAC-SHA-1, T0 = 0, X = 30 (oath_totp_generate). Used by the tests
 * (RFC 6238 appendix B vectors) and by clients in tests. Errors: BS_AUTH_EINVAL,
 * BS_AUTH_ESPACE, BS_AUTH_ECRYPTO. */
int bs_totp_generate(const unsigned char *key, size_t key_len, int64_t now_unix, int digits, char *out,
                     size_t out_size);

/* Checks a 6-digit code against the base32 secret at now_unix (seconds since the epoch),
 * accepting the current time step and BS_TOTP_WINDOW steps on either side (clock drift
 * and typing time; RFC 6238 §5.2). On success returns BS_AUTH_OK and sets *step_used
 * (if not NULL) to the time step that matched, floor(now_unix / 30) + offset. Replay:
 * RFC 6238 §5.2 requires refusing a second use of a code; the caller stores the last
 * accepted step (users.totp_last_step) and refuses unless bs_totp_step_fresh says so.
 * Returns BS_AUTH_MISMATCH when the code matches no step of the window, BS_AUTH_EINVAL
 * for NULL arguments, a code that is not exactly 6 ASCII digits, a malformed secret or a
 * negative time. */
int bs_totp_verify(const char *secret_b32, const char *code, int64_t now_unix, int64_t *step_used);

/* Replay guard: true when step_used (from bs_totp_verify) is later than last_step, the
 * last step accepted for this user (use -1 when there is none). A code of an already
 * used or earlier step must be refused even though it verifies. */
bool bs_totp_step_fresh(int64_t step_used, int64_t last_step);

/* ---- secret tokens (API bearer tokens, session ids): 32 random bytes
 * (randombytes_buf); only their SHA-256 (crypto_hash_sha256, FIPS 180-4) is stored. ---- */

#define BS_TOKEN_BYTES 32
#define BS_TOKEN_HEX_BYTES 65    /* 64 hex digits + NUL */
#define BS_TOKEN_B64URL_BYTES 44 /* 43 base64url characters (RFC 4648 §5, no padding) + NUL */
#define BS_SECRET_HASH_BYTES 65  /* SHA-256 as 64 lowercase hex digits + NUL */

typedef enum bs_token_format {
    BS_TOKEN_HEX,    /* 64 lowercase hex digits */
    BS_TOKEN_B64URL, /* 43 characters A–Z a–z 0–9 - _ (cookie- and URL-safe) */
} bs_token_format;

/* Writes a new token of 32 random bytes in format into out, NUL-terminated (out_size >=
 * BS_TOKEN_HEX_BYTES or BS_TOKEN_B64URL_BYTES). Hand it to the client once; store only
 * bs_secret_hash of it. Errors: BS_AUTH_EINVAL (NULL, unknown format), BS_AUTH_ESPACE. */
int bs_secret_token_new(bs_token_format format, char *out, size_t out_size);

/* Writes SHA-256 of the secret's secret_len bytes as 64 lowercase hex digits + NUL into
 * out (out_size >= BS_SECRET_HASH_BYTES). This is what the store keeps and looks tokens
 * up by. Errors: BS_AUTH_EINVAL (NULL), BS_AUTH_ESPACE. */
int bs_secret_hash(const char *secret, size_t secret_len, char *out, size_t out_size);

/* Constant-time equality of two len-byte buffers (sodium_memcmp: the time depends on len
 * only, not on where they differ). True when equal; false for NULL arguments. */
bool bs_secret_equal(const void *a, const void *b, size_t len);

/* ---- invitation secrets derived from a server key: the database keeps only their hash,
 * and the notifier can still mail them later (it recomputes them from the key) ---- */

#define BS_SERVER_KEY_BYTES 32

/* Writes a new random UUID (version 4, RFC 9562 §5.4) as 36 lowercase characters + NUL into
 * out (out_size >= 37). Errors: BS_AUTH_EINVAL, BS_AUTH_ESPACE. */
int bs_uuid_v4_new(char *out, size_t out_size);

/* The 16 bytes of a UUID's text s (36 characters, hex digits in any case, RFC 9562 §4) into b.
 * Returns false (b undefined) when s is NULL or not such a text. */
bool bs_uuid_bytes(const char *s, unsigned char b[16]);

/* The secret of invitation invitation_id: HMAC-SHA-256 (RFC 2104; libsodium
 * crypto_auth_hmacsha256) of the id's text under the 32-byte server key, as 43 base64url
 * characters (RFC 4648 §5, no padding) + NUL in out (out_size >= BS_TOKEN_B64URL_BYTES).
 * The same key and id always give the same secret; without the key it cannot be computed.
 * Errors: BS_AUTH_EINVAL (NULL, empty id), BS_AUTH_ESPACE. */
int bs_invitation_token(const unsigned char key[BS_SERVER_KEY_BYTES], const char *invitation_id, char *out,
                        size_t out_size);

/* ---- one-click unsubscribe links of alert mails (RFC 8058): the link is the credential ----
 *
 * A token names a user and one alert rule kind and carries a MAC under the server key:
 * 22 base64url characters of the user's UUID (16 bytes), one letter for the kind (u
 * milestone_upcoming, o milestone_overdue, b blocked_by_other_stream, f forecast_slipped, e
 * external_update), then the first 12 bytes (96 bits) of HMAC-SHA-256 under the server key
 * of "bouwstroom-unsubscribe-v1\0" <user id, lower case> "\0" <kind>, as 16 base64url
 * characters: 39 characters in all, short enough that the List-Unsubscribe header line of a
 * mail stays within 78 characters for a short public URL. */
#define BS_UNSUBSCRIBE_TOKEN_BYTES 40 /* 39 characters + NUL */

/* Writes the unsubscribe token of (user_id, kind) into out (out_size >=
 * BS_UNSUBSCRIBE_TOKEN_BYTES). Errors: BS_AUTH_EINVAL (NULL, not a UUID, unknown kind),
 * BS_AUTH_ESPACE. */
int bs_unsubscribe_token(const unsigned char key[BS_SERVER_KEY_BYTES], const char *user_id, const char *kind, char *out,
                         size_t out_size);

/* Checks token against key (the MAC compared in constant time) and writes the user id (36
 * characters + NUL, user_id_size >= 37) and the kind's name (kind_size >= 32). Errors:
 * BS_AUTH_EINVAL (malformed: wrong length, characters, kind letter), BS_AUTH_MISMATCH (a
 * well-formed token whose MAC is wrong: forged or altered), BS_AUTH_ESPACE. */
int bs_unsubscribe_token_check(const unsigned char key[BS_SERVER_KEY_BYTES], const char *token, char *user_id,
                               size_t user_id_size, char *kind, size_t kind_size);

/* TOTP keys at rest: sealed with the server key (libsodium crypto_secretbox_easy,
 * XSalsa20-Poly1305, a fresh random 24-byte nonce) as "v1:" + base64(nonce ‖ box), so a copy
 * of the database alone does not give the second factor away. */
#define BS_TOTP_SEALED_BYTES 128 /* buffer for a sealed key, NUL included */

/* Seals the base32 key secret_b32 under key into out (out_size >= BS_TOTP_SEALED_BYTES).
 * Errors: BS_AUTH_EINVAL (NULL, a key longer than 64 characters), BS_AUTH_ESPACE. */
int bs_totp_secret_seal(const unsigned char key[BS_SERVER_KEY_BYTES], const char *secret_b32, char *out,
                        size_t out_size);

/* Opens a stored key: "v1:…" is decrypted with key; anything else is taken as a plaintext
 * base32 key (stored before sealing existed). Writes the base32 key into out (out_size >=
 * BS_TOTP_SECRET_B32_BYTES + 32). Errors: BS_AUTH_EINVAL (NULL), BS_AUTH_MISMATCH (sealed
 * under another key, or altered), BS_AUTH_ESPACE. */
int bs_totp_secret_open(const unsigned char key[BS_SERVER_KEY_BYTES], const char *stored, char *out, size_t out_size);

/* ---- login rate limiting: a pure function over the counters stored per user
 * (users.failed_logins, first_failed_at, locked_until) ----
 *
 * Policy: failures are counted in a window that starts at the first failure; when
 * max_failures failures fall within window_s seconds of the first, the account is locked
 * for lockout_s seconds from the last failure and the counters start over. A failure
 * after the window has passed starts a new window. A successful login resets the
 * counters. While locked, attempts are refused without checking the password and do not
 * extend the lock (so an attacker cannot keep an account locked forever by guessing
 * faster; they can keep it locked by one attempt per lockout, which the audit log shows).
 * Default: 5 failures in 15 minutes → locked for 15 minutes (OWASP Authentication
 * Cheat Sheet, "Account lockout"). The server applies this rule in SQL, bs_login_step
 * (migration 0025), one statement per failure under the row's lock so that every node's
 * failures count; tests/unit/test_login_limits.c holds the two to each other. */

typedef struct bs_login_policy {
    int max_failures;  /* failures within the window that lock; >= 1 */
    int64_t window_s;  /* seconds from the first failure in which they count; >= 1 */
    int64_t lockout_s; /* seconds an account stays locked; >= 1 */
} bs_login_policy;

/* The stored counters; times in seconds since the epoch, 0 = none (SQL NULL). */
typedef struct bs_login_counters {
    int failed_logins;
    int64_t first_failed_at;
    int64_t locked_until;
} bs_login_counters;

/* 5 failures in 900 s → locked 900 s. */
bs_login_policy bs_login_policy_default(void);

/* Whether a login attempt at now_unix may proceed (true) or is refused because the
 * account is locked (false; *retry_at, if not NULL, is set to locked_until, the first
 * second at which an attempt is allowed again; 0 when allowed). */
bool bs_login_allowed(const bs_login_counters *c, int64_t now_unix, int64_t *retry_at);

/* Records a failed attempt at now_unix into *c (in/out) under policy. Returns true when
 * this failure locked the account (c->locked_until = now_unix + lockout_s, counters
 * reset), false otherwise. A failure while locked (bs_login_allowed false) changes
 * nothing and returns false. Invalid arguments (NULL, policy values < 1) change nothing. */
bool bs_login_record_failure(const bs_login_policy *policy, bs_login_counters *c, int64_t now_unix);

/* Records a successful login: clears every counter (an expired lock included). */
void bs_login_record_success(bs_login_counters *c);

/* ---- e-mail addresses ---- */

/* Whether s is a plain ASCII mailbox as RFC 5321 §4.1.2 defines `Mailbox`:
 *   Mailbox    = Local-part "@" Domain
 *   Local-part = Dot-string / Quoted-string
 *   Dot-string = Atom *("." Atom), Atom = 1*atext (RFC 5322 §3.2.3 atext)
 *   Quoted-string = DQUOTE *(qtextSMTP / "\" %d32-126) DQUOTE, qtextSMTP = %d32-33 / %d35-91 / %d93-126
 *   Domain     = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str] (letters, digits,
 *                hyphens inside), at least two labels (a dot), each label at most 63 octets
 * Address literals ("[192.0.2.1]") and non-ASCII (RFC 6531) are refused, as are a local part
 * over 64 octets and a path over 254 octets (RFC 5321 §4.5.3.1). Pure; NULL = false. The one
 * validator for every address that enters Bouwstroom (API, CLI). */
bool bs_email_valid(const char *s);

#endif
