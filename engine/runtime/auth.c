/*
 * Authentication primitives: see auth.h. No I/O, no clock reads.
 */
#include "auth.h"
#include <stdint.h>

#include <ctype.h>
#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool oath_ready;

const char *bs_auth_strerror(int status) {
    switch (status) {
    case BS_AUTH_OK: return "ok";
    case BS_AUTH_EINVAL: return "invalid argument";
    case BS_AUTH_MISMATCH: return "does not match";
    case BS_AUTH_ENOMEM: return "out of memory";
    case BS_AUTH_ECRYPTO: return "crypto library failure";
    case BS_AUTH_ESPACE: return "output buffer too small";
    default: return "unknown authentication error";
    }
}

int bs_auth_init(void) {
    if (sodium_init() < 0) return BS_AUTH_ECRYPTO; /* 1 = already initialised: fine */
    if (!oath_ready) {
        if (oath_init() != OATH_OK) return BS_AUTH_ECRYPTO;
        oath_ready = true;
    }
    return BS_AUTH_OK;
}

void bs_auth_done(void) {
    if (oath_ready) oath_done();
    oath_ready = false;
}

/* ---- passwords ---- */

bs_pwhash_cost bs_pwhash_cost_interactive(void) {
    return (bs_pwhash_cost){crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

bs_pwhash_cost bs_pwhash_cost_test(void) {
    return (bs_pwhash_cost){crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

static bool cost_valid(bs_pwhash_cost c) {
    return c.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN && c.opslimit <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
           c.memlimit_bytes >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
           c.memlimit_bytes <= crypto_pwhash_argon2id_MEMLIMIT_MAX;
}

static bool is_argon2id(const char *hash) {
    static const char prefix[] = crypto_pwhash_argon2id_STRPREFIX; /* "$argon2id$" */
    return strncmp(hash, prefix, sizeof prefix - 1) == 0 &&
           strnlen(hash, crypto_pwhash_STRBYTES) < crypto_pwhash_STRBYTES;
}

int bs_password_hash(const char *password, size_t password_len, bs_pwhash_cost cost, char *out, size_t out_size) {
    _Static_assert(BS_PASSWORD_HASH_BYTES >= crypto_pwhash_STRBYTES, "hash buffer");
    if (!password || password_len == 0 || password_len > BS_PASSWORD_MAX_BYTES || !out || !cost_valid(cost))
        return BS_AUTH_EINVAL;
    if (out_size < crypto_pwhash_STRBYTES) return BS_AUTH_ESPACE;
    char buf[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(buf, password, password_len, cost.opslimit, cost.memlimit_bytes,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return BS_AUTH_ENOMEM; /* libsodium's only failure here: the memory could not be had */
    memcpy(out, buf, sizeof buf);
    sodium_memzero(buf, sizeof buf);
    return BS_AUTH_OK;
}

int bs_password_verify(const char *hash, const char *password, size_t password_len) {
    if (!hash || !password || password_len > BS_PASSWORD_MAX_BYTES || !is_argon2id(hash)) return BS_AUTH_EINVAL;
    return crypto_pwhash_str_verify(hash, password, password_len) == 0 ? BS_AUTH_OK : BS_AUTH_MISMATCH;
}

int bs_password_needs_rehash(const char *hash, bs_pwhash_cost cost) {
    if (!hash || !is_argon2id(hash) || !cost_valid(cost)) return BS_AUTH_EINVAL;
    int r = crypto_pwhash_str_needs_rehash(hash, cost.opslimit, cost.memlimit_bytes);
    return r < 0 ? BS_AUTH_EINVAL : r;
}

/* ---- TOTP ---- */

static bool base32_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= '2' && ch <= '7');
}

/* Decodes a base32 secret of A–Z2–7 (no padding, no spaces) into a malloc'ed key. */
static int secret_decode(const char *b32, char **key, size_t *key_len) {
    size_t n = strlen(b32);
    if (n == 0 || n > 1024) return BS_AUTH_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!base32_char(b32[i])) return BS_AUTH_EINVAL;
    *key = NULL;
    int r = oath_base32_decode(b32, n, key, key_len);
    if (r == OATH_MALLOC_ERROR) return BS_AUTH_ENOMEM;
    if (r != OATH_OK || !*key || *key_len == 0) {
        free(*key);
        *key = NULL;
        return BS_AUTH_EINVAL;
    }
    return BS_AUTH_OK;
}

int bs_totp_secret_new(char *out, size_t out_size) {
    if (!out) return BS_AUTH_EINVAL;
    if (out_size < BS_TOTP_SECRET_B32_BYTES) return BS_AUTH_ESPACE;
    unsigned char key[BS_TOTP_SECRET_BYTES];
    randombytes_buf(key, sizeof key);
    char *b32 = NULL;
    size_t b32_len = 0;
    int r = oath_base32_encode((const char *)key, sizeof key, &b32, &b32_len);
    sodium_memzero(key, sizeof key);
    if (r != OATH_OK || !b32) {
        free(b32);
        return r == OATH_MALLOC_ERROR ? BS_AUTH_ENOMEM : BS_AUTH_ECRYPTO;
    }
    /* 20 bytes = 160 bits = exactly 32 base32 characters: no padding */
    int rc = b32_len == BS_TOTP_SECRET_B32_BYTES - 1 ? BS_AUTH_OK : BS_AUTH_ECRYPTO;
    if (rc == BS_AUTH_OK) {
        memcpy(out, b32, b32_len);
        out[b32_len] = 0;
    }
    sodium_memzero(b32, b32_len);
    free(b32);
    return rc;
}

int bs_totp_uri(const char *email, const char *secret_b32, char *out, size_t out_size) {
    if (!email || !*email || !secret_b32 || !*secret_b32 || !out) return BS_AUTH_EINVAL;
    for (const char *p = secret_b32; *p; p++)
        if (!base32_char(*p)) return BS_AUTH_EINVAL;
    static const char hex[] = "0123456789ABCDEF";
    size_t need = strlen("otpauth://totp/Bouwstroom:") + 3 * strlen(email) + strlen("?secret=") + strlen(secret_b32) +
                  strlen("&issuer=Bouwstroom") + 1;
    if (out_size < need) return BS_AUTH_ESPACE;
    size_t o = (size_t)snprintf(out, out_size, "otpauth://totp/Bouwstroom:");
    for (const unsigned char *p = (const unsigned char *)email; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    snprintf(out + o, out_size - o, "?secret=%s&issuer=Bouwstroom", secret_b32);
    return BS_AUTH_OK;
}

int bs_totp_generate(const unsigned char *key, size_t key_len, int64_t now_unix, int digits, char *out,
                     size_t out_size) {
    if (!key || key_len == 0 || now_unix < 0 || digits < 6 || digits > 8 || !out) return BS_AUTH_EINVAL;
    if (out_size < (size_t)digits + 1) return BS_AUTH_ESPACE;
    char buf[16];
    int r = oath_totp_generate((const char *)key, key_len, (time_t)now_unix, BS_TOTP_STEP_S,
                               OATH_TOTP_DEFAULT_START_TIME, (unsigned)digits, buf);
    if (r != OATH_OK) return BS_AUTH_ECRYPTO;
    memcpy(out, buf, (size_t)digits);
    out[digits] = 0;
    return BS_AUTH_OK;
}

/* liboath's comparison callback: 0 when the candidate equals the entered code, compared
 * in constant time (sodium_memcmp) instead of liboath's strcmp. */
static int totp_code_cmp(void *handle, const char *candidate) {
    const char *code = handle;
    if (strlen(candidate) != BS_TOTP_DIGITS) return 1;
    return sodium_memcmp(candidate, code, BS_TOTP_DIGITS) == 0 ? 0 : 1;
}

int bs_totp_verify(const char *secret_b32, const char *code, int64_t now_unix, int64_t *step_used) {
    if (!secret_b32 || !code || now_unix < 0) return BS_AUTH_EINVAL;
    for (int i = 0; i < BS_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9') return BS_AUTH_EINVAL;
    if (code[BS_TOTP_DIGITS] != 0) return BS_AUTH_EINVAL;
    char *key;
    size_t key_len;
    int rc = secret_decode(secret_b32, &key, &key_len);
    if (rc != BS_AUTH_OK) return rc;
    int pos = 0;
    int r = oath_totp_validate2_callback(key, key_len, (time_t)now_unix, BS_TOTP_STEP_S, OATH_TOTP_DEFAULT_START_TIME,
                                         BS_TOTP_DIGITS, BS_TOTP_WINDOW, &pos, totp_code_cmp, (void *)(uintptr_t)code);
    sodium_memzero(key, key_len);
    free(key);
    if (r == OATH_INVALID_OTP) return BS_AUTH_MISMATCH;
    if (r < 0) return BS_AUTH_ECRYPTO;
    if (step_used) *step_used = now_unix / BS_TOTP_STEP_S + pos;
    return BS_AUTH_OK;
}

bool bs_totp_step_fresh(int64_t step_used, int64_t last_step) {
    return step_used > last_step;
}

/* ---- secret tokens ---- */

int bs_secret_token_new(bs_token_format format, char *out, size_t out_size) {
    if (!out || (format != BS_TOKEN_HEX && format != BS_TOKEN_B64URL)) return BS_AUTH_EINVAL;
    size_t need = format == BS_TOKEN_HEX ? BS_TOKEN_HEX_BYTES : BS_TOKEN_B64URL_BYTES;
    if (out_size < need) return BS_AUTH_ESPACE;
    unsigned char raw[BS_TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    if (format == BS_TOKEN_HEX)
        sodium_bin2hex(out, out_size, raw, sizeof raw);
    else
        sodium_bin2base64(out, out_size, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return BS_AUTH_OK;
}

int bs_secret_hash(const char *secret, size_t secret_len, char *out, size_t out_size) {
    if (!secret || !out) return BS_AUTH_EINVAL;
    if (out_size < BS_SECRET_HASH_BYTES) return BS_AUTH_ESPACE;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)secret, secret_len);
    sodium_bin2hex(out, out_size, h, sizeof h);
    return BS_AUTH_OK;
}

bool bs_secret_equal(const void *a, const void *b, size_t len) {
    if (!a || !b) return false;
    return sodium_memcmp(a, b, len) == 0;
}

/* ---- login rate limiting ---- */

bs_login_policy bs_login_policy_default(void) {
    return (bs_login_policy){.max_failures = 5, .window_s = 15 * 60, .lockout_s = 15 * 60};
}

bool bs_login_allowed(const bs_login_counters *c, int64_t now_unix, int64_t *retry_at) {
    bool locked = c && c->locked_until > now_unix;
    if (retry_at) *retry_at = locked ? c->locked_until : 0;
    return !locked;
}

bool bs_login_record_failure(const bs_login_policy *policy, bs_login_counters *c, int64_t now_unix) {
    if (!policy || !c || policy->max_failures < 1 || policy->window_s < 1 || policy->lockout_s < 1) return false;
    if (!bs_login_allowed(c, now_unix, NULL)) return false; /* locked: refused, lock not extended */
    if (c->failed_logins <= 0 || c->first_failed_at == 0 || now_unix - c->first_failed_at >= policy->window_s ||
        now_unix < c->first_failed_at) {
        c->failed_logins = 1; /* a new window starts with this failure */
        c->first_failed_at = now_unix;
    } else {
        c->failed_logins++;
    }
    if (c->failed_logins >= policy->max_failures) {
        c->locked_until = now_unix + policy->lockout_s;
        c->failed_logins = 0;
        c->first_failed_at = 0;
        return true;
    }
    return false;
}

void bs_login_record_success(bs_login_counters *c) {
    if (!c) return;
    c->failed_logins = 0;
    c->first_failed_at = 0;
    c->locked_until = 0;
}

int bs_uuid_v4_new(char *out, size_t out_size) {
    if (!out) return BS_AUTH_EINVAL;
    if (out_size < 37) return BS_AUTH_ESPACE;
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
    snprintf(out, out_size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return BS_AUTH_OK;
}

int bs_invitation_token(const unsigned char key[BS_SERVER_KEY_BYTES], const char *invitation_id, char *out,
                        size_t out_size) {
    if (!key || !invitation_id || !*invitation_id || !out) return BS_AUTH_EINVAL;
    if (out_size < BS_TOKEN_B64URL_BYTES) return BS_AUTH_ESPACE;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, BS_SERVER_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)invitation_id, strlen(invitation_id));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, out_size, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(&st, sizeof st);
    return BS_AUTH_OK;
}

static const char *const unsub_kinds[] = {"milestone_upcoming", "milestone_overdue", "blocked_by_other_stream",
                                          "forecast_slipped", "external_update"};
static const char unsub_letters[] = "uobfe";

/* The 12-byte MAC of an unsubscribe token, as 16 base64url characters + NUL in out[17]. */
static void unsub_mac(const unsigned char key[BS_SERVER_KEY_BYTES], const char *user_id, const char *kind,
                      char out[17]) {
    static const char label[] = "bouwstroom-unsubscribe-v1";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, BS_SERVER_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof label); /* with its NUL */
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)user_id, strlen(user_id) + 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)kind, strlen(kind));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2base64(out, 17, mac, 12, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(mac, sizeof mac);
}

bool bs_uuid_bytes(const char *s, unsigned char b[16]) {
    if (!s || strlen(s) != 36) return false;
    size_t n = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
            continue;
        }
        if (!isxdigit((unsigned char)s[i])) return false;
    }
    char hex[33];
    for (int i = 0, j = 0; i < 36; i++)
        if (s[i] != '-') hex[j++] = (char)tolower((unsigned char)s[i]);
    hex[32] = 0;
    return sodium_hex2bin(b, 16, hex, 32, NULL, &n, NULL) == 0 && n == 16;
}

int bs_unsubscribe_token(const unsigned char key[BS_SERVER_KEY_BYTES], const char *user_id, const char *kind, char *out,
                         size_t out_size) {
    if (!key || !user_id || !kind || !out) return BS_AUTH_EINVAL;
    if (out_size < BS_UNSUBSCRIBE_TOKEN_BYTES) return BS_AUTH_ESPACE;
    int k = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(kind, unsub_kinds[i]) == 0) k = i;
    unsigned char b[16];
    if (k < 0 || !bs_uuid_bytes(user_id, b)) return BS_AUTH_EINVAL;
    char lower[37];
    for (int i = 0; i < 37; i++) lower[i] = (char)tolower((unsigned char)user_id[i]);
    sodium_bin2base64(out, 23, b, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out[22] = unsub_letters[k];
    unsub_mac(key, lower, unsub_kinds[k], out + 23);
    return BS_AUTH_OK;
}

int bs_unsubscribe_token_check(const unsigned char key[BS_SERVER_KEY_BYTES], const char *token, char *user_id,
                               size_t user_id_size, char *kind, size_t kind_size) {
    if (!key || !token || !user_id || !kind) return BS_AUTH_EINVAL;
    if (user_id_size < 37 || kind_size < 32) return BS_AUTH_ESPACE;
    if (strlen(token) != BS_UNSUBSCRIBE_TOKEN_BYTES - 1) return BS_AUTH_EINVAL;
    const char *letter = strchr(unsub_letters, token[22]);
    if (!token[22] || !letter) return BS_AUTH_EINVAL;
    unsigned char b[16];
    size_t n = 0;
    if (sodium_base642bin(b, sizeof b, token, 22, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != 16)
        return BS_AUTH_EINVAL;
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, b, 16);
    char id[37];
    snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    const char *k = unsub_kinds[letter - unsub_letters];
    char mac[17];
    unsub_mac(key, id, k, mac);
    bool ok = sodium_memcmp(mac, token + 23, 16) == 0;
    sodium_memzero(mac, sizeof mac);
    if (!ok) return BS_AUTH_MISMATCH;
    snprintf(user_id, user_id_size, "%s", id);
    snprintf(kind, kind_size, "%s", k);
    return BS_AUTH_OK;
}

int bs_totp_secret_seal(const unsigned char key[BS_SERVER_KEY_BYTES], const char *secret_b32, char *out,
                        size_t out_size) {
    if (!key || !secret_b32 || !out) return BS_AUTH_EINVAL;
    size_t n = strlen(secret_b32);
    if (n > 64) return BS_AUTH_EINVAL;
    if (out_size < BS_TOTP_SEALED_BYTES) return BS_AUTH_ESPACE;
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret_b32, n, buf, key);
    size_t len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    memcpy(out, "v1:", 3);
    sodium_bin2base64(out + 3, out_size - 3, buf, len, sodium_base64_VARIANT_ORIGINAL);
    return BS_AUTH_OK;
}

int bs_totp_secret_open(const unsigned char key[BS_SERVER_KEY_BYTES], const char *stored, char *out, size_t out_size) {
    if (!key || !stored || !out) return BS_AUTH_EINVAL;
    if (strncmp(stored, "v1:", 3) != 0) { /* a plaintext key from before sealing */
        if (strlen(stored) >= out_size) return BS_AUTH_ESPACE;
        strcpy(out, stored);
        return BS_AUTH_OK;
    }
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 64];
    size_t len = 0;
    if (sodium_base642bin(buf, sizeof buf, stored + 3, strlen(stored + 3), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return BS_AUTH_MISMATCH;
    size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (n + 1 > out_size) return BS_AUTH_ESPACE;
    if (crypto_secretbox_open_easy((unsigned char *)out, buf + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, buf, key) != 0)
        return BS_AUTH_MISMATCH;
    out[n] = 0;
    return BS_AUTH_OK;
}

/* ---- e-mail addresses (RFC 5321 §4.1.2 Mailbox, plain ASCII) ---- */

static bool email_atext(unsigned char c) {
    /* RFC 5322 §3.2.3 atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" */
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool email_letdig(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool bs_email_valid(const char *s) {
    if (!s) return false;
    size_t len = strlen(s);
    if (len == 0 || len > 254) return false;
    const char *p = s;
    /* Local-part */
    if (*p == '"') { /* Quoted-string */
        p++;
        for (;;) {
            unsigned char c = (unsigned char)*p;
            if (c == '"') break;
            if (c == '\\') {
                unsigned char n = (unsigned char)p[1];
                if (n < 32 || n > 126) return false;
                p += 2;
            } else if (c >= 32 && c <= 126) {
                p++;
            } else {
                return false; /* end of text, control or non-ASCII */
            }
        }
        p++; /* the closing quote */
    } else { /* Dot-string: Atom *("." Atom) */
        for (;;) {
            const char *a = p;
            while (email_atext((unsigned char)*p)) p++;
            if (p == a) return false; /* empty atom: leading, trailing or double dot */
            if (*p != '.') break;
            p++;
        }
    }
    if (p - s > 64 || *p != '@') return false;
    p++;
    /* Domain: sub-domain *("." sub-domain), at least two labels */
    int labels = 0;
    for (;;) {
        const char *a = p;
        if (!email_letdig((unsigned char)*p)) return false;
        while (email_letdig((unsigned char)*p) || *p == '-') p++;
        if (p[-1] == '-' || p - a > 63) return false; /* Ldh-str ends in Let-dig */
        labels++;
        if (*p == 0) break;
        if (*p != '.') return false;
        p++;
    }
    return labels >= 2;
}
