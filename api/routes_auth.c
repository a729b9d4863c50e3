/*
 * Routes of authentication and access: login / logout / me, API tokens,
 * invitations of external developers, project members, project settings (confidentiality,
 * developer organisation), organisation settings, the audit log and aggregates.
 * The gate (api/authz.c) has already decided who may call each of these.
 */
#include <ctype.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "alloc.h"

#include "api_internal.h"
#include "handlers.h"
#include "auth.h"
#include "authz.h"
#include "paging.h"
#include "routes_auth_sql.h"

#define SESSION_HOURS 8
#define INVITATION_DAYS 14

static const char *const conf_levels[] = {"prive",
                                          "intern_ambtelijk",
                                          "intern_bestuurlijk",
                                          "intern_raad",
                                          "extern_woonregio",
                                          "extern_mede_overheden",
                                          "openbaar",
                                          NULL};

/* Sends column 0 of row 0 (JSON text) with status; 404 naming field when there is no row. */
typedef struct simple_ctx {
    bs_req *req;
    int status;
    const char *field;
} simple_ctx;

static void send_col0(const PGresult *res, const char *err, void *arg) {
    simple_ctx *c = arg;
    bs__send_row0(c->req, res, err, c->status, "Not found", c->field, "No such resource");
    free(c);
}

static simple_ctx *simple(bs_req *req, int status, const char *field) {
    simple_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->status = status;
    c->field = field;
    return c;
}

/* ---- passwords in request bodies ---- */

/* The "password" member of doc, a string of min..BS_PASSWORD_MAX_BYTES bytes, as a malloc'd
 * copy in *out (its length in *len; the caller wipes and frees it). false after a 422
 * problem naming password. */
static bool take_password(bs_req *req, json_t *doc, size_t min, char **out, size_t *len) {
    json_t *pw = json_object_get(doc, "password");
    if (!json_is_string(pw) || json_string_length(pw) < min || json_string_length(pw) > BS_PASSWORD_MAX_BYTES) {
        char d[80];
        snprintf(d, sizeof d, "password must be a string of %zu to %d bytes", min, BS_PASSWORD_MAX_BYTES);
        bs__fail(req, BS_EINVAL, "password", "%s", d);
        return false;
    }
    *len = json_string_length(pw);
    *out = bs_malloc(*len + 1);
    memcpy(*out, json_string_value(pw), *len + 1);
    return true;
}

/* ---- POST /api/v1/login ---- */

/* The login limiter (docs/security.md §6): besides each account's counters (users, 0009),
 * counters per client address and per unknown e-mail address in login_limits (migration
 * 0025), shared by every node and changed by one statement each under the row's lock.
 * Failed logins per client address (bs_req_client: behind a trusted proxy, the address its
 * X-Forwarded-For names): 20 failures within 15 minutes lock the address for 15 minutes,
 * whatever e-mail addresses it tries (the per-account lockout does not see guesses spread
 * over many or unknown addresses). Unknown e-mail addresses lock like known accounts (5
 * failures → 429 for 15 minutes, bs_login_policy_default), so that the answers do not tell
 * which addresses have an account. */
static const bs_login_policy addr_policy = {.max_failures = 20, .window_s = 900, .lockout_s = 900};

/* The key of an e-mail address's counters: lower-cased (ASCII), as accounts are compared. */
static void email_key(const char *email, char *key, size_t len) {
    snprintf(key, len, "%s", email);
    for (char *k = key; *k; k++) *k = (char)tolower((unsigned char)*k);
}

/* Records one failure of the counter (kind, key) of login_limits under pol at now
 * (SQL_LIMIT_FAILURE); cb gets the lock's end (Unix seconds, 0 = not locked) in column 0. */
static void limit_failure(bs_api *api, const char *kind, const char *key, const bs_login_policy *pol, int64_t now,
                          bs_store_cb cb, void *arg) {
    char now_s[24], max[16], window[24], lockout[24];
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    snprintf(max, sizeof max, "%d", pol->max_failures);
    snprintf(window, sizeof window, "%lld", (long long)pol->window_s);
    snprintf(lockout, sizeof lockout, "%lld", (long long)pol->lockout_s);
    const char *p[6] = {kind, key, now_s, max, window, lockout};
    bs_store_exec(api->store, &SQL_LIMIT_FAILURE, p, cb, arg);
}

/* The lock's end in column 0 of a counter statement's answer (0: none or no row). */
static int64_t locked_end(const PGresult *res) {
    return res && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? atoll(PQgetvalue(res, 0, 0)) : 0;
}

/* The 429 answer to a locked login: of the account (code "locked") or of the client
 * address (code "rate_limited"), with Retry-After in seconds. */
static void send_too_many(bs_req *req, int64_t retry_s, bool address) {
    char rs[24], d[160];
    snprintf(rs, sizeof rs, "%lld", (long long)retry_s);
    snprintf(d, sizeof d, "Too many failed logins%s; try again in %s seconds", address ? " from this address" : "", rs);
    const char *h[] = {"Retry-After", rs, NULL};
    bs__fail_ex(req, BS_ERATE, address ? "rate_limited" : "locked",
                address ? "Too many failed logins" : "Account locked for a while", "email", h, "%s", d);
}

/* The answer after a wrong credential was counted against the client address. */
static void address_counted(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_req *req = arg;
    if (err) return bs__problem_db(req, err);
    bs__fail_as(req, BS_EUNAUTH, "invalid_credentials", "Login failed", "password",
                "The e-mail address, password or second-factor code is wrong");
}

/* Answers 401 invalid_credentials once the failure is counted against req's client address
 * (a failure that cannot be counted is answered 503: the limiter fails closed). */
static void fail_credentials(bs_api *api, bs_req *req, int64_t now) {
    limit_failure(api, "login_address", bs_req_client(req), &addr_policy, now, address_counted, req);
}

typedef struct login_job {
    bs_api *api;
    bs_req *req;
    uv_work_t work;
    char email[256];
    char *password;
    size_t password_len;
    char code[16];
    bool has_code;
    /* from the store */
    bool found;
    char user_id[40];
    char hash[BS_PASSWORD_HASH_BYTES];
    char secret[BS_TOTP_SECRET_B32_BYTES];
    bool has_secret, confirmed, municipal;
    int64_t last_step;
    bs_login_counters cnt;
    int verify_rc;
    int64_t now;
    char *actor;
    char token[BS_TOKEN_B64URL_BYTES];
} login_job;

static void login_free(login_job *j) {
    if (j->password) {
        sodium_memzero(j->password, j->password_len);
        free(j->password);
    }
    free(j->actor);
    sodium_memzero(j->token, sizeof j->token);
    free(j);
}

/* A fixed Argon2id hash of a random password, verified when the e-mail address is
 * unknown so that the answer takes as long as for a known one. */
static char dummy_hash[BS_PASSWORD_HASH_BYTES];

static void verify_work(uv_work_t *w) {
    login_job *j = w->data;
    if (j->found && j->hash[0])
        j->verify_rc = bs_password_verify(j->hash, j->password, j->password_len);
    else {
        if (!dummy_hash[0]) {
            char pw[BS_TOKEN_HEX_BYTES];
            bs_secret_token_new(BS_TOKEN_HEX, pw, sizeof pw);
            bs_password_hash(pw, strlen(pw), bs_pwhash_cost_interactive(), dummy_hash, sizeof dummy_hash);
        }
        bs_password_verify(dummy_hash, j->password, j->password_len);
        j->verify_rc = BS_AUTH_MISMATCH;
    }
}

/* Answers a refused login (code: BS_E*; problem and title as bs_err's) and frees j. */
static void login_problem(login_job *j, int code, const char *problem, const char *title, const char *field,
                          const char *detail) {
    bs__fail_as(j->req, code, problem, title, field, "%s", detail);
    login_free(j);
}

/* A wrong credential was counted against the account or the unknown e-mail address (column
 * 0: the lock's end): 429 when that locked it, else 401 once the client address counted it
 * too. Frees j. */
static void failure_recorded(const PGresult *res, const char *err, void *arg) {
    login_job *j = arg;
    int64_t locked = err ? 0 : locked_end(res);
    if (err)
        bs__problem_db(j->req, err);
    else if (locked > j->now)
        send_too_many(j->req, locked - j->now, false);
    else
        fail_credentials(j->api, j->req, j->now);
    login_free(j);
}

/* Counts a wrong credential: against the account (users, audited as the user), or against
 * the unknown e-mail address (login_limits), under the default policy. */
static void record_failure(login_job *j) {
    bs_login_policy pol = bs_login_policy_default();
    if (!j->found) {
        char key[256];
        email_key(j->email, key, sizeof key);
        limit_failure(j->api, "login_email", key, &pol, j->now, failure_recorded, j);
        return;
    }
    char now_s[24], max[16], window[24], lockout[24];
    snprintf(now_s, sizeof now_s, "%lld", (long long)j->now);
    snprintf(max, sizeof max, "%d", pol.max_failures);
    snprintf(window, sizeof window, "%lld", (long long)pol.window_s);
    snprintf(lockout, sizeof lockout, "%lld", (long long)pol.lockout_s);
    const char *p[5] = {j->user_id, now_s, max, window, lockout};
    bs__store_write_actor(j->api, j->actor, &SQL_LOGIN_FAILURE_RECORD, p, failure_recorded, j);
}

static void session_created(const PGresult *res, const char *err, void *arg) {
    login_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        login_free(j);
        return;
    }
    char cookie[200];
    snprintf(cookie, sizeof cookie, "bs_session=%s; Path=/; Max-Age=%d; HttpOnly; Secure; SameSite=Strict", j->token,
             SESSION_HOURS * 3600);
    const char *h[] = {"Set-Cookie", cookie, "Cache-Control", "no-store", NULL};
    const char *t = PQgetvalue(res, 0, 0);
    bs_req_respond(j->req, 200, JSON_CT, t, strlen(t), h);
    sodium_memzero(cookie, sizeof cookie);
    login_free(j);
}

static void create_session(login_job *j, int64_t step) {
    bs_secret_token_new(BS_TOKEN_B64URL, j->token, sizeof j->token);
    char hash[BS_SECRET_HASH_BYTES], st[24], hours[8];
    bs_secret_hash(j->token, strlen(j->token), hash, sizeof hash);
    snprintf(st, sizeof st, "%lld", (long long)step);
    snprintf(hours, sizeof hours, "%d", SESSION_HOURS);
    const char *p[5] = {j->user_id, hash, step >= 0 ? st : NULL, bs_req_client(j->req), hours};
    bs__store_write_actor(j->api, j->actor, &SQL_LOGIN_SESSION_CREATE, p, session_created, j);
}

static void enrolment_saved(const PGresult *res, const char *err, void *arg) {
    (void)res;
    login_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        login_free(j);
        return;
    }
    char uri[1024];
    if (bs_totp_uri(j->email, j->secret, uri, sizeof uri) != BS_AUTH_OK) {
        login_problem(j, BS_EINTERNAL, "internal", "Internal error", NULL, "could not build the TOTP URI");
        return;
    }
    bs_err e;
    bs_err_problem(&e, BS_EUNAUTH, "totp_enrolment_required", "Second factor required: enrol an authenticator",
                   "totp_code",
                   "Municipal roles need a TOTP second factor (RFC 6238). Add otpauth_uri to an authenticator app "
                   "and log in again with totp_code.");
    json_t *ext = json_object();
    json_object_set_new(ext, "otpauth_uri", json_string(uri));
    json_object_set_new(ext, "secret", json_string(j->secret));
    const char *h[] = {"Cache-Control", "no-store", NULL};
    bs__fail_doc(j->req, &e, ext, h);
    sodium_memzero(uri, sizeof uri);
    login_free(j);
}

static void verified(uv_work_t *w, int status) {
    (void)status;
    login_job *j = w->data;
    if (j->verify_rc != BS_AUTH_OK) {
        record_failure(j); /* an unknown address is answered like a known account: 429 once locked */
        return;
    }
    bool need_totp = j->municipal || j->confirmed;
    if (!need_totp) {
        create_session(j, -1);
        return;
    }
    if (!j->has_secret || !j->confirmed) {
        /* enrolment: a secret is made at the first login (or was made by user add / reset-2fa);
         * it is shown only to a caller who knows the password, until a code confirms it */
        if (j->has_secret && j->has_code) {
            int64_t step = -1;
            if (bs_totp_verify(j->secret, j->code, j->now, &step) == BS_AUTH_OK &&
                bs_totp_step_fresh(step, j->last_step)) {
                create_session(j, step);
                return;
            }
            record_failure(j);
            return;
        }
        if (!j->has_secret) {
            bs_totp_secret_new(j->secret, sizeof j->secret);
            j->has_secret = true;
        }
        char sealed[BS_TOTP_SEALED_BYTES];
        if (!j->api->server_key ||
            bs_totp_secret_seal(j->api->server_key, j->secret, sealed, sizeof sealed) != BS_AUTH_OK)
            snprintf(sealed, sizeof sealed, "%s", j->secret); /* no server key: stored as it is */
        const char *p[2] = {j->user_id, sealed};
        bs__store_write_actor(j->api, j->actor, &SQL_TOTP_SECRET_SAVE, p, enrolment_saved, j);
        sodium_memzero(sealed, sizeof sealed);
        return;
    }
    if (!j->has_code) {
        login_problem(j, BS_EUNAUTH, "totp_required", "Second factor required", "totp_code",
                      "Send the 6-digit code of your authenticator app as totp_code");
        return;
    }
    int64_t step = -1;
    if (bs_totp_verify(j->secret, j->code, j->now, &step) != BS_AUTH_OK || !bs_totp_step_fresh(step, j->last_step)) {
        record_failure(j);
        return;
    }
    create_session(j, step);
}

static void login_user_loaded(const PGresult *res, const char *err, void *arg) {
    login_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        login_free(j);
        return;
    }
    j->now = bs_clock_now(j->api->clock);
    int64_t address_locked = atoll(PQgetvalue(res, 0, 9));
    if (address_locked > j->now) {
        send_too_many(j->req, address_locked - j->now, true);
        login_free(j);
        return;
    }
    if (PQgetisnull(res, 0, 1)) {
        /* unknown (or not yet activated) address: its counters lock it like an account */
        j->cnt.locked_until = atoll(PQgetvalue(res, 0, 10));
    } else {
        j->found = true;
        snprintf(j->user_id, sizeof j->user_id, "%s", PQgetvalue(res, 0, 0));
        snprintf(j->hash, sizeof j->hash, "%s", PQgetvalue(res, 0, 1));
        j->has_secret = !PQgetisnull(res, 0, 2);
        if (j->has_secret) {
            /* the key is sealed with the server key (bs_totp_secret_seal) */
            const char *stored = PQgetvalue(res, 0, 2);
            int orc = j->api->server_key ? bs_totp_secret_open(j->api->server_key, stored, j->secret, sizeof j->secret)
                      : strncmp(stored, "v1:", 3) == 0
                          ? BS_AUTH_MISMATCH
                          : (snprintf(j->secret, sizeof j->secret, "%s", stored), BS_AUTH_OK);
            if (orc != BS_AUTH_OK) {
                fprintf(stderr, "login: the TOTP key of %s cannot be opened (server key missing or changed)\n",
                        j->email);
                bs__fail_as(j->req, BS_EUNAVAILABLE, NULL, "Second factor unavailable", NULL,
                            "The server cannot read second-factor keys; ask an administrator");
                login_free(j);
                return;
            }
        }
        j->confirmed = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        j->last_step = atoll(PQgetvalue(res, 0, 4));
        j->cnt.failed_logins = atoi(PQgetvalue(res, 0, 5));
        j->cnt.first_failed_at = atoll(PQgetvalue(res, 0, 6));
        j->cnt.locked_until = atoll(PQgetvalue(res, 0, 7));
        j->municipal = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
        j->actor = bs__actor_json(j->req, j->user_id, j->email);
    }
    int64_t retry = 0;
    if (!bs_login_allowed(&j->cnt, j->now, &retry)) {
        send_too_many(j->req, retry - j->now, false);
        login_free(j);
        return;
    }
    j->work.data = j;
    uv_queue_work(j->api->loop, &j->work, verify_work, verified);
}

void bs__login(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"email", "password", "totp_code", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *email, *code;
    char *password = NULL;
    size_t password_len = 0;
    if (!bs__str_field(req, doc, "email", true, 254, &email) ||
        !bs__str_field(req, doc, "totp_code", false, 8, &code) ||
        !take_password(req, doc, 1, &password, &password_len)) {
        json_decref(doc);
        return;
    }
    login_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    snprintf(j->email, sizeof j->email, "%s", email);
    j->password = password;
    j->password_len = password_len;
    j->has_code = code != NULL;
    if (code) snprintf(j->code, sizeof j->code, "%s", code);
    json_decref(doc);
    char key[256];
    email_key(j->email, key, sizeof key);
    const char *p[3] = {j->email, bs_req_client(req), key};
    bs_store_exec(api->store, &SQL_LOGIN_USER_LOAD, p, login_user_loaded, j);
}

/* ---- POST /api/v1/logout, GET /api/v1/me ---- */

static void logged_out(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_req *req = arg;
    if (err) return bs__problem_db(req, err);
    const char *h[] = {"Set-Cookie", "bs_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict", NULL};
    bs_req_respond(req, 204, NULL, "", 0, h);
}

void bs__logout(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    const bs_principal *pr = bs__principal(req);
    const char *p[1] = {pr->session_hash};
    bs__store_write(api, req, &SQL_SESSION_REVOKE, p, logged_out, req);
}

void bs__me(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {pr->user_id, pr->via_token ? pr->token_id : NULL, pr->via_token ? "token" : "session"};
    bs_store_exec(api->store, &SQL_ME_LOAD, p, send_col0, simple(req, 200, "id"));
}

/* ---- API tokens ---- */

typedef struct token_ctx {
    bs_req *req;
    char token[BS_TOKEN_B64URL_BYTES + 4];
} token_ctx;

static void api_token_created(const PGresult *res, const char *err, void *arg) {
    token_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else {
        json_t *o = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        json_object_set_new(o, "token", json_string(c->token));
        const char *h[] = {"Cache-Control", "no-store", NULL};
        char *t = bs_json_dumps(o, JSON_COMPACT);
        bs_req_respond(c->req, 201, JSON_CT, t, strlen(t), h);
        free(t);
        json_decref(o);
    }
    sodium_memzero(c->token, sizeof c->token);
    free(c);
}

/* Civil day of the UTC instant 00:00 Europe/Amsterdam of day d: CEST (UTC+2) when d lies
 * after the last Sunday of March and at most the last Sunday of October (at local midnight
 * the switch of that Sunday, 01:00 UTC, has not happened yet), else CET (UTC+1); EU
 * Directive 2000/84/EC. Returns seconds since the epoch. */
static int64_t amsterdam_midnight(bs_day d) {
    int y, m, dd;
    bs_date_to_ymd(d, &y, &m, &dd);
    bs_day sun[2];
    for (int i = 0; i < 2; i++) {
        bs_day last = bs_date_from_ymd(y, i == 0 ? 3 : 10, 31);
        int wd = (int)(((last % 7) + 7 + 3) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
        sun[i] = last - (wd + 1) % 7;
    }
    int offset = d > sun[0] && d <= sun[1] ? 7200 : 3600;
    return (int64_t)d * 86400 - offset;
}

/* Parses expires_at: an RFC 3339 date-time with an offset ("2027-01-31T17:00:00Z",
 * "…+01:00", fractions of seconds ignored) or a date "YYYY-MM-DD", meaning valid through
 * that civil day in Europe/Amsterdam (the token expires at the following local midnight).
 * Returns 0 with *out (seconds since the epoch), -1 when malformed. */
static int parse_expires_at(const char *s, int64_t *out) {
    int y, mo, d, h, mi, se, n = 0;
    if (strlen(s) == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 || s[4] != '-' || s[7] != '-' ||
            !bs_date_valid(y, mo, d))
            return -1;
        *out = amsterdam_midnight(bs_date_from_ymd(y, mo, d) + 1);
        return 0;
    }
    if (strlen(s) < 20 || sscanf(s, "%4d-%2d-%2d%*1[Tt]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19 ||
        s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' || !bs_date_valid(y, mo, d) || h > 23 || mi > 59 ||
        se > 60 || h < 0 || mi < 0 || se < 0)
        return -1;
    const char *z = s + 19;
    if (*z == '.') {
        z++;
        if (*z < '0' || *z > '9') return -1;
        while (*z >= '0' && *z <= '9') z++;
    }
    int64_t off = 0;
    if ((*z == 'Z' || *z == 'z') && z[1] == 0) {
        off = 0;
    } else if ((*z == '+' || *z == '-') && strlen(z) == 6 && z[3] == ':') {
        int oh, om, k = 0;
        if (sscanf(z + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59 || oh < 0 || om < 0)
            return -1;
        off = (int64_t)(oh * 3600 + om * 60) * (*z == '-' ? -1 : 1);
    } else {
        return -1;
    }
    *out = (int64_t)bs_date_from_ymd(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
    return 0;
}

/* POST /api/v1/api-tokens {"name"? (or "label"), "scopes"?, "expires_at"? | "expires_in_days"?}.
 * Scopes ⊆ the caller's (default: the caller's). The expiry lies after now and at most
 * bs_api.token_max_days calendar days after it, by the server's clock; without one the
 * token gets the maximum. Errors: 422 naming the field. docs/api.md, docs/security.md §6. */
void bs__create_api_token(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"name", "label", "scopes", "expires_at", "expires_in_days", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const bs_principal *pr = bs__principal(req);
    const char *label, *name;
    if (!bs__str_field(req, doc, "label", false, 200, &label) || !bs__str_field(req, doc, "name", false, 200, &name)) {
        json_decref(doc);
        return;
    }
    if (name && label && strcmp(name, label) != 0) {
        bs__fail(req, BS_EINVAL, "name", "give name or label (its older synonym), not both");
        json_decref(doc);
        return;
    }
    if (name) label = name;
    json_t *sc = json_object_get(doc, "scopes"), *exp = json_object_get(doc, "expires_in_days"),
           *at = json_object_get(doc, "expires_at");
    char scopes[64] = "{";
    if (sc) {
        size_t i;
        json_t *v;
        if (!json_is_array(sc) || json_array_size(sc) == 0) {
            bs__fail(req, BS_EINVAL, "scopes", "scopes must be a non-empty array of read, write, admin");
            json_decref(doc);
            return;
        }
        json_array_foreach(sc, i, v) {
            const char *s = json_string_value(v);
            bool own =
                s && ((strcmp(s, "read") == 0 && pr->scope_read) || (strcmp(s, "write") == 0 && pr->scope_write) ||
                      (strcmp(s, "admin") == 0 && pr->scope_admin));
            if (!own) {
                bs__fail(req, BS_EINVAL, "scopes",
                         "each scope must be read, write or admin, and one the caller holds itself");
                json_decref(doc);
                return;
            }
            char probe[16];
            snprintf(probe, sizeof probe, "%s", s);
            if (strstr(scopes, probe)) continue; /* each scope once */
            size_t l = strlen(scopes);
            snprintf(scopes + l, sizeof scopes - l, "%s%s", l > 1 ? "," : "", s);
        }
    } else {
        snprintf(scopes + 1, sizeof scopes - 1, "%s%s%s", pr->scope_read ? "read" : "",
                 pr->scope_write ? (pr->scope_read ? ",write" : "write") : "", pr->scope_admin ? ",admin" : "");
    }
    strncat(scopes, "}", sizeof scopes - strlen(scopes) - 1);
    int max_days = api->token_max_days > 0 ? api->token_max_days : BS_TOKEN_MAX_DAYS_DEFAULT;
    int64_t now = bs_clock_now(api->clock), until = now + (int64_t)max_days * 86400, expires = until;
    char d[300], nb[32], mb[32];
    if (at && exp) {
        bs__fail(req, BS_EINVAL, "expires_at", "give expires_at or expires_in_days, not both");
        json_decref(doc);
        return;
    }
    if (exp) {
        if (!json_is_integer(exp) || json_integer_value(exp) < 1 || json_integer_value(exp) > max_days) {
            snprintf(d, sizeof d, "expires_in_days must be 1 to %d (the installation's maximum)", max_days);
            bs__fail(req, BS_EINVAL, "expires_in_days", "%s", d);
            json_decref(doc);
            return;
        }
        expires = now + (int64_t)json_integer_value(exp) * 86400;
    } else if (at) {
        if (!json_is_string(at) || parse_expires_at(json_string_value(at), &expires) != 0) {
            bs__fail(req, BS_EINVAL, "expires_at",
                     "expires_at must be an RFC 3339 date-time with an offset (2027-01-31T17:00:00Z) or a date "
                     "YYYY-MM-DD (valid through that day, Europe/Amsterdam)");
            json_decref(doc);
            return;
        }
        if (expires <= now || expires > until) {
            snprintf(d, sizeof d, "expires_at must lie after now (%s) and at most %d days later (%s)",
                     bs_clock_format(now, nb, sizeof nb), max_days, bs_clock_format(until, mb, sizeof mb));
            bs__fail_as(req, BS_EINVAL, expires <= now ? "in_past" : "too_late", "Invalid expiry", "expires_at", "%s",
                        d);
            json_decref(doc);
            return;
        }
    }
    char when[32];
    snprintf(when, sizeof when, "%lld", (long long)expires);
    token_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    char raw[BS_TOKEN_B64URL_BYTES];
    bs_secret_token_new(BS_TOKEN_B64URL, raw, sizeof raw);
    snprintf(c->token, sizeof c->token, "bs_%s", raw);
    char hash[BS_SECRET_HASH_BYTES];
    bs_secret_hash(c->token, strlen(c->token), hash, sizeof hash);
    const char *p[5] = {hash, pr->user_id, label ? label : "", scopes, when};
    bs__store_write(api, req, &SQL_API_TOKEN_INSERT, p, api_token_created, c);
    json_decref(doc);
}

void bs__list_api_tokens(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {bs__principal(req)->user_id, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_API_TOKEN_LIST, p, bs__page_query_done, pg);
}

void bs__revoke_api_token(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->ref;
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {id, pr->user_id, pr->is_admin ? "t" : "f"};
    bs__store_write(api, req, &SQL_API_TOKEN_REVOKE, p, send_col0, simple(req, 204, "id"));
}

/* ---- invitations ---- */

typedef struct invite_ctx {
    bs_api *api;
    bs_req *req;
    uv_work_t work;
    char token[BS_TOKEN_B64URL_BYTES];
    char *password;
    size_t password_len;
    char hash[BS_PASSWORD_HASH_BYTES];
    int rc;
} invite_ctx;

static void invite_free(invite_ctx *c) {
    if (c->password) {
        sodium_memzero(c->password, c->password_len);
        free(c->password);
    }
    sodium_memzero(c->token, sizeof c->token);
    free(c);
}

static void invited(const PGresult *res, const char *err, void *arg) {
    invite_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQgetisnull(res, 0, 0)) {
        const char *why = PQgetvalue(res, 0, 1);
        if (strcmp(why, "organisation") == 0)
            bs__fail(
                c->req, BS_EINVAL, "organisation_id",
                "give organisation_id of a partner organisation (ontwikkelaar, woningcorporatie, belegger, overig) "
                "or organisation_name to create one");
        else if (strcmp(why, "municipal") == 0)
            bs__fail(c->req, BS_EINVAL, "email",
                     "this address belongs to a user of a municipality, province or the state, or to an "
                     "administrator; add them as a member instead");
        else if (strcmp(why, "both") == 0)
            bs__fail(c->req, BS_EINVAL, "organisation_name", "give organisation_id or organisation_name, not both");
        else if (strcmp(why, "municipal_name") == 0)
            bs__fail(c->req, BS_EINVAL, "organisation_name",
                     "this is the name of a municipality, province or the state, not of a partner organisation");
        else if (strcmp(why, "other_developer") == 0)
            bs__fail_as(c->req, BS_ECONFLICT, NULL, "Another developer", "organisation_id",
                        "the project's private stream belongs to another organisation");
        else
            bs__fail_as(c->req, BS_ECONFLICT, NULL, "Already a member", "email",
                        "this user is a member of the project already");
    } else {
        json_t *o = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
        if (json_is_true(json_object_get(o, "invitation"))) {
            /* a new user: the secret that sets the password (also mailed) */
            char url[512];
            snprintf(url, sizeof url, "%s/invitation#token=%s", bs__public_base(c->api, c->req), c->token);
            json_object_set_new(o, "token", json_string(c->token));
            json_object_set_new(o, "accept_url", json_string(url));
        }
        char *t = bs_json_dumps(o, JSON_COMPACT);
        const char *h[] = {"Cache-Control", "no-store", NULL};
        bs_req_respond(c->req, 201, JSON_CT, t, strlen(t), h);
        free(t);
        json_decref(o);
    }
    invite_free(c);
}

void bs__invite(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    static const char *const allowed[] = {"email", "name", "organisation_id", "organisation_name", "organisation_kind",
                                          NULL};
    static const char *const kinds[] = {"ontwikkelaar", "woningcorporatie", "belegger", "overig", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *email, *name, *org, *org_name, *org_kind;
    if (!bs__str_field(req, doc, "email", true, 254, &email) || !bs__str_field(req, doc, "name", false, 200, &name) ||
        !bs__uuid_field(req, doc, "organisation_id", false, &org) ||
        !bs__str_field(req, doc, "organisation_name", false, 200, &org_name) ||
        !bs__str_field(req, doc, "organisation_kind", false, 32, &org_kind) ||
        !bs__one_of(req, "organisation_kind", org_kind, kinds)) {
        json_decref(doc);
        return;
    }
    if (!bs_email_valid(email)) { /* RFC 5321 §4.1.2 Mailbox, plain ASCII */
        bs__fail(req, BS_EINVAL, "email", "email must be a plain ASCII mailbox (RFC 5321 §4.1.2) like name@example.nl");
        json_decref(doc);
        return;
    }
    invite_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    /* the secret is derived from the server key and the invitation id (the notifier can mail
     * it later); without a server key it is random and only this response carries it */
    char inv_id[40], hash[BS_SECRET_HASH_BYTES], days[8], now[24];
    bs_uuid_v4_new(inv_id, sizeof inv_id);
    if (api->server_key)
        bs_invitation_token(api->server_key, inv_id, c->token, sizeof c->token);
    else
        bs_secret_token_new(BS_TOKEN_B64URL, c->token, sizeof c->token);
    bs_secret_hash(c->token, strlen(c->token), hash, sizeof hash);
    snprintf(days, sizeof days, "%d", INVITATION_DAYS);
    snprintf(now, sizeof now, "%lld", (long long)bs_clock_now(api->clock));
    const char *p[13] = {project,
                         email,
                         org,
                         org_name,
                         org_kind,
                         name,
                         bs__principal(req)->user_id,
                         hash,
                         days,
                         inv_id,
                         api->mail_domain ? api->mail_domain : "localhost",
                         now,
                         api->server_key ? "true" : "false"};
    bs__store_write(api, req, &SQL_INVITATION_CREATE, p, invited, c);
    json_decref(doc);
}

static void accepted(const PGresult *res, const char *err, void *arg) {
    invite_ctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (PQntuples(res) == 0)
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Invitation not found", "token",
                    "The invitation is unknown, expired or accepted already");
    else {
        const char *t = PQgetvalue(res, 0, 0);
        bs_req_respond(c->req, 200, JSON_CT, t, strlen(t), NULL);
    }
    invite_free(c);
}

static void accept_hashed(uv_work_t *w, int status) {
    (void)status;
    invite_ctx *c = w->data;
    if (c->rc != BS_AUTH_OK) {
        bs__fail(c->req, BS_EINTERNAL, NULL, "%s", bs_auth_strerror(c->rc));
        invite_free(c);
        return;
    }
    char th[BS_SECRET_HASH_BYTES];
    bs_secret_hash(c->token, strlen(c->token), th, sizeof th);
    const char *p[3] = {th, c->hash, bs_req_client(c->req)};
    /* The actor of the audit rows is the invited user (known only from the invitation): the
     * statement sets bouwstroom.actor itself; the audit triggers are AFTER ROW triggers,
     * which run at the end of the statement, after this set_config. */
    bs__store_write(c->api, c->req, &SQL_INVITATION_ACCEPT, p, accepted, c);
}

static void accept_work(uv_work_t *w) {
    invite_ctx *c = w->data;
    c->rc = bs_password_hash(c->password, c->password_len, bs_pwhash_cost_interactive(), c->hash, sizeof c->hash);
}

void bs__accept_invitation(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"token", "password", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *token;
    char *password = NULL;
    size_t password_len = 0;
    if (!bs__str_field(req, doc, "token", true, 64, &token) || !take_password(req, doc, 12, &password, &password_len)) {
        json_decref(doc);
        return;
    }
    invite_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    snprintf(c->token, sizeof c->token, "%s", token);
    c->password = password;
    c->password_len = password_len;
    json_decref(doc);
    c->work.data = c;
    uv_queue_work(api->loop, &c->work, accept_work, accept_hashed);
}

/* ---- password reset by mail: POST /api/v1/password-reset, …/password-reset/confirm ----
 * The request always answers 202 with the same body (known, unknown or disabled address);
 * only an active user with a password gets a mail. The secret is bs_invitation_token of
 * "password-reset:<id>" under the server key (only its SHA-256 is stored; the notifier
 * recomputes it when it sends the mail), valid RESET_MINUTES, once. Requests are limited
 * per e-mail address and per client address (login_limits, shared by every node, like failed
 * logins). */
#define RESET_MINUTES 30
static const bs_login_policy reset_addr_policy = {.max_failures = 10, .window_s = 900, .lockout_s = 900};
static const bs_login_policy reset_email_policy = {.max_failures = 3, .window_s = 900, .lockout_s = 900};

static void reset_requested(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_req *req = arg;
    if (err) {
        bs__problem_db(req, err);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("accepted"));
    json_object_set_new(o, "detail",
                        json_string("If the address belongs to an active account, a message with a reset "
                                    "secret is on its way; the secret is valid for 30 minutes and works once."));
    bs__respond_json(req, 202, o);
}

typedef struct reset_request {
    bs_api *api;
    bs_req *req;
    char email[256];
    int64_t now;
} reset_request;

/* The request was counted (SQL_RESET_LIMIT: columns 0 and 1 the locks' ends of the client
 * and the e-mail address before it): 429, or the reset secret made and its mail queued. */
static void reset_limited(const PGresult *res, const char *err, void *arg) {
    reset_request *r = arg;
    bs_api *api = r->api;
    bs_req *req = r->req;
    int64_t addr_locked = err ? 0 : atoll(PQgetvalue(res, 0, 0)), email_locked = err ? 0 : atoll(PQgetvalue(res, 0, 1));
    if (err) {
        bs__problem_db(req, err);
    } else if (addr_locked > r->now || email_locked > r->now) {
        char rs[24], d[160];
        snprintf(rs, sizeof rs, "%lld", (long long)((addr_locked > r->now ? addr_locked : email_locked) - r->now));
        snprintf(d, sizeof d, "Too many password reset requests %s; try again in %s seconds",
                 addr_locked > r->now ? "from this client" : "for this address", rs);
        const char *h[] = {"Retry-After", rs, NULL};
        bs__fail_ex(req, BS_ERATE, NULL, NULL, "email", h, "%s", d);
    } else {
        char id[40], secret[BS_TOKEN_B64URL_BYTES], label[64], hash[BS_SECRET_HASH_BYTES], now_s[24], mins[8];
        bs_uuid_v4_new(id, sizeof id);
        snprintf(label, sizeof label, "password-reset:%s", id);
        if (api->server_key)
            bs_invitation_token(api->server_key, label, secret, sizeof secret);
        else
            bs_secret_token_new(BS_TOKEN_B64URL, secret, sizeof secret); /* never mailed: no key */
        bs_secret_hash(secret, strlen(secret), hash, sizeof hash);
        sodium_memzero(secret, sizeof secret);
        snprintf(now_s, sizeof now_s, "%lld", (long long)r->now);
        snprintf(mins, sizeof mins, "%d", RESET_MINUTES);
        const char *p[8] = {r->email,
                            id,
                            hash,
                            now_s,
                            mins,
                            bs_req_client(req),
                            api->server_key ? "true" : "false",
                            api->mail_domain ? api->mail_domain : "localhost"};
        bs__store_write(api, req, &SQL_PASSWORD_RESET_REQUEST, p, reset_requested, req);
    }
    free(r);
}

void bs__request_reset(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"email", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *email;
    if (!bs__str_field(req, doc, "email", true, 254, &email)) {
        json_decref(doc);
        return;
    }
    reset_request *r = bs_calloc(1, sizeof *r);
    r->api = api;
    r->req = req;
    r->now = bs_clock_now(api->clock);
    snprintf(r->email, sizeof r->email, "%s", email);
    json_decref(doc);
    char key[256], now_s[24], amax[16], emax[16], window[24], lockout[24];
    email_key(r->email, key, sizeof key);
    snprintf(now_s, sizeof now_s, "%lld", (long long)r->now);
    snprintf(amax, sizeof amax, "%d", reset_addr_policy.max_failures);
    snprintf(emax, sizeof emax, "%d", reset_email_policy.max_failures);
    snprintf(window, sizeof window, "%lld", (long long)reset_addr_policy.window_s);
    snprintf(lockout, sizeof lockout, "%lld", (long long)reset_addr_policy.lockout_s);
    const char *p[7] = {bs_req_client(req), key, now_s, amax, emax, window, lockout};
    bs_store_exec(api->store, &SQL_RESET_LIMIT, p, reset_limited, r);
}

typedef struct reset_ctx {
    bs_api *api;
    bs_req *req;
    uv_work_t work;
    char secret_hash[BS_SECRET_HASH_BYTES];
    char user_id[40], email[256], now_s[24];
    char *password;
    size_t password_len;
    char hash[BS_PASSWORD_HASH_BYTES];
    int rc;
} reset_ctx;

static void reset_free(reset_ctx *c) {
    if (c->password) {
        sodium_memzero(c->password, c->password_len);
        free(c->password);
    }
    sodium_memzero(c->hash, sizeof c->hash);
    free(c);
}

static void reset_unknown_counted(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_req *req = arg;
    if (err) return bs__problem_db(req, err);
    bs__fail_as(req, BS_ENOTFOUND, NULL, "Reset secret not found", "secret",
                "The reset secret is unknown, expired or used already; request a new one");
}

/* An unknown secret: 404 once it is counted against the client address (guessing secrets
 * counts like failed logins). */
static void reset_unknown(reset_ctx *c) {
    limit_failure(c->api, "login_address", bs_req_client(c->req), &addr_policy, bs_clock_now(c->api->clock),
                  reset_unknown_counted, c->req);
}

static void reset_done(const PGresult *res, const char *err, void *arg) {
    reset_ctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (PQntuples(res) == 0)
        reset_unknown(c);
    else {
        const char *t = PQgetvalue(res, 0, 0);
        const char *h[] = {"Cache-Control", "no-store", NULL};
        bs_req_respond(c->req, 200, JSON_CT, t, strlen(t), h);
    }
    reset_free(c);
}

static void reset_hashed(uv_work_t *w, int status) {
    (void)status;
    reset_ctx *c = w->data;
    if (c->rc != BS_AUTH_OK) {
        bs__fail(c->req, BS_EINTERNAL, NULL, "%s", bs_auth_strerror(c->rc));
        reset_free(c);
        return;
    }
    /* one transaction, audited as the user: the secret used (checked again: once, unexpired),
     * the password set, the lockout counters cleared, every session and the user's other
     * reset secrets ended. The second factor is untouched. */
    char *actor = bs__actor_json(c->req, c->user_id, c->email);
    const char *p[3] = {c->secret_hash, c->hash, c->now_s};
    bs__store_write_actor(c->api, actor, &SQL_PASSWORD_RESET_USE, p, reset_done, c);
    free(actor);
}

static void reset_work(uv_work_t *w) {
    reset_ctx *c = w->data;
    c->rc = bs_password_hash(c->password, c->password_len, bs_pwhash_cost_interactive(), c->hash, sizeof c->hash);
}

static void reset_found(const PGresult *res, const char *err, void *arg) {
    reset_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        reset_free(c);
        return;
    }
    if (PQntuples(res) == 0) {
        reset_unknown(c);
        reset_free(c);
        return;
    }
    snprintf(c->user_id, sizeof c->user_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(c->email, sizeof c->email, "%s", PQgetvalue(res, 0, 1));
    c->work.data = c;
    uv_queue_work(c->api->loop, &c->work, reset_work, reset_hashed); /* Argon2id off the loop */
}

/* The client address is not locked (SQL_LIMIT_LOCKED, column 0): the secret is looked up. */
static void confirm_allowed(const PGresult *res, const char *err, void *arg) {
    bs_req *req = arg;
    bs_api *api = bs_req_get_data(req);
    static const char *const allowed[] = {"secret", "password", NULL};
    int64_t now = bs_clock_now(api->clock), locked = err ? 0 : locked_end(res);
    if (err) return bs__problem_db(req, err);
    if (locked > now) return send_too_many(req, locked - now, true);
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *secret;
    char *password = NULL;
    size_t password_len = 0;
    /* the password policy of invitations: 12 to BS_PASSWORD_MAX_BYTES bytes */
    if (!bs__str_field(req, doc, "secret", true, 64, &secret) ||
        !take_password(req, doc, 12, &password, &password_len)) {
        json_decref(doc);
        return;
    }
    reset_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    c->password = password;
    c->password_len = password_len;
    bs_secret_hash(secret, strlen(secret), c->secret_hash, sizeof c->secret_hash);
    snprintf(c->now_s, sizeof c->now_s, "%lld", (long long)now);
    json_decref(doc);
    const char *p[2] = {c->secret_hash, c->now_s};
    bs_store_exec(api->store, &SQL_PASSWORD_RESET_CHECK, p, reset_found, c);
}

void bs__confirm_reset(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char now_s[24];
    snprintf(now_s, sizeof now_s, "%lld", (long long)bs_clock_now(api->clock));
    bs_req_set_data(req, api);
    const char *p[3] = {"login_address", bs_req_client(req), now_s};
    bs_store_exec(api->store, &SQL_LIMIT_LOCKED, p, confirm_allowed, req);
}

/* ---- members ---- */

void bs__list_members(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {project, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_MEMBER_LIST, p, bs__page_query_done, pg);
}

static void member_added(const PGresult *res, const char *err, void *arg) {
    simple_ctx *c = arg;
    if (!err && PQntuples(res) == 1 && PQgetisnull(res, 0, 0)) {
        bool user = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        if (!user)
            bs__fail_as(c->req, BS_EINVAL, "unknown_reference", "Unknown reference", "user_id", "No such user");
        else
            bs__fail_as(c->req, BS_ECONFLICT, NULL, "Already a member", "user_id", "This user is a member already");
        free(c);
        return;
    }
    send_col0(res, err, arg);
}

void bs__add_member(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    static const char *const allowed[] = {"user_id", "role", NULL};
    static const char *const roles[] = {"projectleider", "medewerker", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *user, *role;
    if (!bs__uuid_field(req, doc, "user_id", true, &user) || !bs__str_field(req, doc, "role", true, 32, &role) ||
        !bs__one_of(req, "role", role, roles)) {
        json_decref(doc);
        return;
    }
    const char *p[4] = {project, user, role, bs__principal(req)->user_id};
    bs__store_write(api, req, &SQL_MEMBER_ADD, p, member_added, simple(req, 201, "user_id"));
    json_decref(doc);
}

/* ---- PATCH /api/v1/projects/{id}: confidentiality, developer organisation ---- */

static void project_patched(const PGresult *res, const char *err, void *arg) {
    simple_ctx *c = arg;
    if (!err && PQntuples(res) == 1 && PQgetisnull(res, 0, 0)) {
        const char *why = PQgetvalue(res, 0, 1);
        if (strcmp(why, "hard") == 0)
            bs__fail(c->req, BS_EINVAL, "confidentiality",
                     "a plan with a hard planning status (1A, 1B, 2A, 2B) is at least extern_mede_overheden");
        else
            bs__fail(c->req, BS_EINVAL, "developer_organisation_id",
                     "the developer organisation must be a partner organisation (ontwikkelaar, woningcorporatie, "
                     "belegger, overig)");
        free(c);
        return;
    }
    send_col0(res, err, arg);
}

void bs__patch_project(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    static const char *const allowed[] = {"confidentiality", "developer_organisation_id", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *conf, *dev;
    for (size_t i = 0; allowed[i]; i++)
        if (json_is_null(json_object_get(doc, allowed[i]))) {
            char d[160];
            snprintf(d, sizeof d, "%s cannot be null: leave it out to keep the current value", allowed[i]);
            bs__fail(req, BS_EINVAL, allowed[i], "%s", d);
            json_decref(doc);
            return;
        }
    if (!bs__str_field(req, doc, "confidentiality", false, 32, &conf) ||
        !bs__one_of(req, "confidentiality", conf, conf_levels) ||
        !bs__uuid_field(req, doc, "developer_organisation_id", false, &dev)) {
        json_decref(doc);
        return;
    }
    if (!conf && !dev) {
        bs__fail_as(req, BS_EREQUIRED, NULL, "Nothing to change", "body",
                    "give confidentiality and/or developer_organisation_id");
        json_decref(doc);
        return;
    }
    const char *p[4] = {project, conf, dev, bs__principal(req)->user_id};
    /* prive: only members see the project, so a leader who sets it becomes a member
     * (projectleider) and keeps access; hard plans stay at least extern mede-overheden */
    bs__store_write(api, req, &SQL_PROJECT_PATCH, p, project_patched, simple(req, 200, "id"));
    json_decref(doc);
}

/* ---- organisations: GET and PATCH /api/v1/organisations/{id} (settings), GET /api/v1/users ---- */

/* Answers (allowed, json) of SQL_ORGANISATION_GET / _PATCH: no row or allowed NULL: 404; allowed false: 403. */
static void org_answered(const PGresult *res, const char *err, void *arg) {
    simple_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Organisation not found", "id", "No organisation with this id");
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail(c->req, BS_EFORBIDDEN, "id", "Only a beheerder of the organisation manages its settings");
    } else {
        const char *text = PQgetvalue(res, 0, 1);
        bs_req_respond(c->req, c->status, JSON_CT, text, strlen(text), NULL);
    }
    free(c);
}

/* GET /api/v1/organisations/{id}: the organisation and its settings, for its beheerders and administrators. */
void bs__get_org(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {path->ref, pr->is_admin ? "t" : "f", pr->beheerder_orgs};
    bs_store_exec(api->store, &SQL_ORGANISATION_GET, p, org_answered, simple(req, 200, "id"));
}

/* The calendar options of a PATCH (engine/core/calendar.h bs_calendar_options): an object with goede_vrijdag
 * (boolean) and bevrijdingsdag (never, lustrum, yearly), each optional. Sets *gv ("true"/"false") and *bd, or
 * leaves them NULL; false after a 422 naming the offending member (calendar.goede_vrijdag, …). */
static bool decode_calendar(bs_req *req, json_t *cal, const char **gv, const char **bd) {
    static const char *const rules[] = {"never", "lustrum", "yearly", NULL};
    *gv = *bd = NULL;
    if (!cal) return true;
    if (!json_is_object(cal)) {
        bs__fail(req, BS_EINVAL, "calendar", "calendar must be an object with goede_vrijdag and/or bevrijdingsdag");
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)cal, k, v) {
        if (strcmp(k, "goede_vrijdag") == 0) {
            if (!json_is_boolean(v)) {
                bs__fail(req, BS_EINVAL, "calendar.goede_vrijdag", "calendar.goede_vrijdag must be true or false");
                return false;
            }
            *gv = json_is_true(v) ? "true" : "false";
        } else if (strcmp(k, "bevrijdingsdag") == 0) {
            *bd = json_string_value(v);
            if (!*bd) {
                bs__fail(req, BS_EINVAL, "calendar.bevrijdingsdag",
                         "calendar.bevrijdingsdag must be one of never, lustrum, yearly");
                return false;
            }
            if (!bs__one_of(req, "calendar.bevrijdingsdag", *bd, rules)) return false;
        } else {
            char f[80];
            snprintf(f, sizeof f, "calendar.%.60s", k);
            bs__fail(req, BS_EINVAL, f, "unknown calendar option %.60s: give goede_vrijdag and/or bevrijdingsdag", k);
            return false;
        }
    }
    return true;
}

/* Name, region and provincie decide who sees which plans (docs/security.md): only an administrator of the
 * installation changes them; a beheerder changes the organisation's settings. */
static bool org_identity_allowed(bs_req *req, json_t *doc) {
    static const char *const identity[] = {"name", "region", "provincie", NULL};
    if (bs__principal(req)->is_admin) return true;
    for (size_t i = 0; identity[i]; i++)
        if (json_object_get(doc, identity[i])) {
            bs__fail(req, BS_EFORBIDDEN, identity[i],
                     "Only an administrator of the installation changes an organisation's %s", identity[i]);
            return false;
        }
    return true;
}

/* PATCH /api/v1/organisations/{id}: name, region, provincie (administrators of the installation), and the
 * settings stale_after_months and calendar (also the organisation's beheerders). */
void bs__patch_org(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->ref;
    static const char *const allowed[] = {"name", "region", "provincie", "stale_after_months", "calendar", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *name, *region, *prov, *gv, *bd;
    if (!org_identity_allowed(req, doc) || !bs__str_field(req, doc, "name", false, 200, &name) ||
        !bs__str_field(req, doc, "region", false, 200, &region) ||
        !bs__str_field(req, doc, "provincie", false, 100, &prov) ||
        !decode_calendar(req, json_object_get(doc, "calendar"), &gv, &bd)) {
        json_decref(doc);
        return;
    }
    /* months without a progress report before the stale_progress check flags a project */
    json_t *sm = json_object_get(doc, "stale_after_months");
    char months[16];
    if (sm && (!json_is_integer(sm) || json_integer_value(sm) < 1 || json_integer_value(sm) > 120)) {
        json_decref(doc);
        return bs__fail(req, BS_EINVAL, "stale_after_months",
                        "stale_after_months must be a whole number of months from 1 to 120");
    }
    if (sm) snprintf(months, sizeof months, "%d", (int)json_integer_value(sm));
    const bs_principal *pr = bs__principal(req);
    const char *p[9] = {
        id, name, region, prov, sm ? months : NULL, gv, bd, pr->is_admin ? "t" : "f", pr->beheerder_orgs};
    bs__store_write(api, req, &SQL_ORGANISATION_PATCH, p, org_answered, simple(req, 200, "id"));
    json_decref(doc);
}

/* GET /api/v1/users?organisation_id=: one page of the organisation's users with their role there and their active
 * sessions, for its beheerders and administrators of the installation. */
void bs__list_org_users(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char org[64];
    bool has;
    if (!bs__text_param(req, "organisation_id", org, sizeof org, &has)) return;
    if (!has || !bs_is_uuid(org))
        return bs__fail(req, BS_EBADPARAM, "organisation_id", "give organisation_id, the organisation's id (a UUID)");
    for (char *c = org; *c; c++) *c = (char)tolower((unsigned char)*c);
    const bs_principal *pr = bs__principal(req);
    if (!pr->is_admin && !(pr->beheerder_orgs && strstr(pr->beheerder_orgs, org)))
        return bs__fail(req, BS_EFORBIDDEN, "organisation_id", "Only a beheerder of the organisation lists its users");
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    bs__page_keep(pg, "organisation_id", org);
    const char *p[3] = {org, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_ORG_USER_LIST, p, bs__page_query_done, pg);
}

/* GET /api/v1/users/{id}/sessions: one page of the user's active sessions, newest first, the caller's own marked
 * current; whoever may end them (DELETE below) reads them, the client address only the user themself. */
void bs__list_user_sessions(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_principal *pr = bs__principal(req);
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    pg->nf_title = "Not found";
    pg->nf_field = "id";
    pg->nf_detail = "No such user";
    const char *p[7] = {path->ref,
                        pr->user_id,
                        pr->is_admin ? "t" : "f",
                        pr->beheerder_orgs,
                        pr->session_hash[0] ? pr->session_hash : NULL,
                        pg->limit,
                        pg->offset};
    bs_store_exec(api->store, &SQL_USER_SESSIONS_LIST, p, bs__page_query_done, pg);
}

/* Answers (visible, allowed, json) of SQL_USER_SESSIONS_REVOKE. */
static void sessions_revoked(const PGresult *res, const char *err, void *arg) {
    simple_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail(c->req, BS_ENOTFOUND, "id", "No such user");
    } else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
        bs__fail(c->req, BS_EFORBIDDEN, "id",
                 "Only an administrator of the installation ends an administrator's sessions");
    } else {
        const char *text = PQgetvalue(res, 0, 2);
        bs_req_respond(c->req, 200, JSON_CT, text, strlen(text), NULL);
    }
    free(c);
}

/* DELETE /api/v1/users/{id}/sessions: ends every active session of the user (their next call with one answers
 * 401). Yourself, an administrator of the installation, or a beheerder of one of the user's organisations (not
 * for an administrator of the installation); anyone else gets 404. API tokens stay (DELETE /api-tokens/{id}). */
void bs__revoke_user_sessions(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_principal *pr = bs__principal(req);
    const char *p[4] = {path->ref, pr->user_id, pr->is_admin ? "t" : "f", pr->beheerder_orgs};
    bs__store_write(api, req, &SQL_USER_SESSIONS_REVOKE, p, sessions_revoked, simple(req, 200, "id"));
}

/* ---- GET /api/v1/projects/{id}/audit ---- */

void bs__project_audit(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {project, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_PROJECT_AUDIT_LIST, p, bs__page_query_done, pg);
}

/* ---- GET /api/v1/reports/aggregate ---- */

/* Counts of projects and homes_remaining per group_by (planstatus, gemeente, provincie, confidentiality) over every
 * project the caller has any access to, aggregate-only ones under the k = 5 rule (merged cell: key null, merged
 * true; confidential_withheld). 400 naming group_by; 503 when the store fails. */

void bs__aggregate(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char by[32];
    bool has;
    if (!bs__text_param(req, "group_by", by, sizeof by, &has)) return;
    if (!has) snprintf(by, sizeof by, "planstatus");
    static const char *const groups[] = {"planstatus", "gemeente", "provincie", "confidentiality", NULL};
    bool ok = false;
    for (size_t i = 0; groups[i] && !ok; i++) ok = strcmp(by, groups[i]) == 0;
    if (!ok)
        return bs__fail(req, BS_EBADPARAM, "group_by",
                        "group_by must be one of planstatus, gemeente, provincie, confidentiality");
    /* the cells of bs_dashboard (migration 0036): the k = 5 rule of the dashboards (docs/security.md §3b) */
    const char *p[2] = {bs__principal(req)->user_id, by};
    bs_store_exec(api->store, &SQL_REPORT_AGGREGATE, p, send_col0, simple(req, 200, NULL));
}

/* ---- router ---- */
