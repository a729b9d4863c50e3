/*
 * `bouwstroom user invite|disable|reset-2fa` and `bouwstroom token create|revoke`.
 *
 * Command-line administration runs after the migrations, on a blocking libpq connection of
 * its own (a CLI process serves nobody else, so blocking is fine here; the server never
 * uses this file). Every change is one transaction that first sets the audit actor
 * (bouwstroom.actor = {"label": "cli:<command>"}), so the audit log records it.
 */
#include "access_cmd.h"

#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "engine.h"
#include "server_key.h"
#include "store.h"

static const char access_usage[] =
    "usage: bouwstroom user invite EMAIL --project ID [--organisation NAME] [--organisation-kind KIND] [--name NAME]\n"
    "       bouwstroom user disable EMAIL\n"
    "       bouwstroom user erase EMAIL        (AVG/GDPR art. 17: name and address removed everywhere)\n"
    "       bouwstroom user reset-2fa EMAIL\n"
    "       bouwstroom token create EMAIL [--scope read,write,admin] [--label TEXT] [--expires-days N]\n"
    "       bouwstroom token revoke ID\n"
    "  token create prints only the token on standard output (shown once; stored as SHA-256)\n";

static const char *opt(int argc, char **argv, const char *name) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

/* The first argument that is not an option or an option's value. */
static const char *positional(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            i++;
            continue;
        }
        return argv[i];
    }
    return NULL;
}

/* Runs sql with params in one transaction under the actor label; returns the result
 * (caller PQclear) or NULL after printing the error. */
static PGresult *exec_tx(PGconn *c, const char *label, const char *sql, int n, const char *const *params) {
    char actor[128];
    snprintf(actor, sizeof actor, "{\"label\":\"cli:%s\"}", label);
    char *begin = bs_store_begin_as(actor); /* BEGIN and the audit actor, as the API's writes */
    PGresult *r = PQexec(c, begin);
    free(begin);
    bool begun = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!begun) {
        fprintf(stderr, "bouwstroom %s: %s", label, PQerrorMessage(c));
        return NULL;
    }
    r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bouwstroom %s: %s", label, PQerrorMessage(c));
        PQclear(r);
        PQclear(PQexec(c, "ROLLBACK"));
        return NULL;
    }
    PGresult *cr = PQexec(c, "COMMIT");
    bool ok = PQresultStatus(cr) == PGRES_COMMAND_OK;
    PQclear(cr);
    if (!ok) {
        fprintf(stderr, "bouwstroom %s: commit failed: %s", label, PQerrorMessage(c));
        PQclear(r);
        return NULL;
    }
    return r;
}

static int user_disable(PGconn *c, const char *email) {
    const char *p[1] = {email};
    PGresult *r = exec_tx(c, "user disable",
                          "WITH u AS (UPDATE users SET disabled_at = COALESCE(disabled_at, now()) "
                          "  WHERE lower(email) = lower($1) RETURNING id), "
                          "s AS (UPDATE sessions SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
                          "  AND revoked_at IS NULL RETURNING 1), "
                          "t AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
                          "  AND revoked_at IS NULL RETURNING 1), "
                          "f AS (UPDATE feed_tokens SET revoked_at = now() WHERE (user_id IN (SELECT id FROM u) "
                          "  OR created_by IN (SELECT id FROM u)) AND revoked_at IS NULL RETURNING 1) "
                          "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM s), (SELECT count(*) FROM t), "
                          "(SELECT count(*) FROM f)",
                          1, p);
    if (!r) return 1;
    int rc = 0;
    if (strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
        fprintf(stderr, "bouwstroom user disable: no user with e-mail address %s\n", email);
        rc = 1;
    } else {
        printf("user disabled: %s (sessions ended: %s, API tokens revoked: %s, feed tokens revoked: %s)\n", email,
               PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
    }
    PQclear(r);
    return rc;
}

/* `bouwstroom user erase EMAIL`: erasure of a person (AVG/GDPR art. 17) through the SQL
 * function bs_erase_user (migration 0016, docs/security.md §8a). Prints the pseudonym. */
static int user_erase(PGconn *c, const char *email) {
    const char *p[1] = {email};
    PGresult *r =
        exec_tx(c, "user erase",
                "SELECT bs_erase_user(id) FROM users WHERE lower(email) = lower($1) AND erased_at IS NULL", 1, p);
    if (!r) return 1;
    int rc = 0;
    if (PQntuples(r) == 0) {
        fprintf(stderr, "bouwstroom user erase: no user with e-mail address %s\n", email);
        rc = 1;
    } else {
        printf("user erased: now %s (name and address removed; sessions, tokens, follows and feeds ended)\n",
               PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

static int user_reset_2fa(PGconn *c, const char *email) {
    const char *p[1] = {email};
    PGresult *r =
        exec_tx(c, "user reset-2fa",
                "WITH u AS (UPDATE users SET totp_secret = NULL, totp_confirmed = false, totp_last_step = NULL "
                "  WHERE lower(email) = lower($1) RETURNING id), "
                "s AS (UPDATE sessions SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
                "  AND revoked_at IS NULL RETURNING 1) "
                "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM s)",
                1, p);
    if (!r) return 1;
    int rc = 0;
    if (strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
        fprintf(stderr, "bouwstroom user reset-2fa: no user with e-mail address %s\n", email);
        rc = 1;
    } else {
        printf("second factor reset for %s (sessions ended: %s); the next login enrols a new authenticator\n", email,
               PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return rc;
}

static int user_invite(PGconn *c, int argc, char **argv, const char *email) {
    const char *project = opt(argc, argv, "--project"), *org = opt(argc, argv, "--organisation"),
               *kind = opt(argc, argv, "--organisation-kind"), *name = opt(argc, argv, "--name");
    if (!project) {
        fprintf(stderr, "bouwstroom user invite: --project ID is required\n%s", access_usage);
        return 2;
    }
    if (!bs_email_valid(email)) {
        fprintf(stderr,
                "bouwstroom user invite: email: '%s' is not an e-mail address (a plain ASCII mailbox, "
                "RFC 5321 §4.1.2)\n",
                email);
        return 2;
    }
    if (kind && strcmp(kind, "ontwikkelaar") != 0 && strcmp(kind, "woningcorporatie") != 0 &&
        strcmp(kind, "belegger") != 0 && strcmp(kind, "overig") != 0) {
        fprintf(stderr, "bouwstroom user invite: --organisation-kind must be ontwikkelaar, woningcorporatie, belegger "
                        "or overig\n");
        return 2;
    }
    /* the secret derives from the server key (the running server's notifier mails it); only
     * its hash is stored */
    char token[BS_TOKEN_B64URL_BYTES], hash[BS_SECRET_HASH_BYTES], inv_id[40], key_path[4096];
    bs_err kerr = {0};
    unsigned char key[BS_SERVER_KEY_BYTES];
    snprintf(key_path, sizeof key_path, "%s/var/server.key", bs_home());
    if (bs_server_key_load(key_path, key, &kerr) != 0) {
        fprintf(stderr, "bouwstroom user invite: server key: %s\n", kerr.msg);
        return 1;
    }
    bs_uuid_v4_new(inv_id, sizeof inv_id);
    bs_invitation_token(key, inv_id, token, sizeof token);
    sodium_memzero(key, sizeof key);
    bs_secret_hash(token, strlen(token), hash, sizeof hash);
    const char *mail_from = getenv("BOUWSTROOM_MAIL_FROM");
    const char *domain = mail_from && strchr(mail_from, '@') ? strchr(mail_from, '@') + 1 : "localhost";
    const char *p[8] = {project, email, org, kind ? kind : "ontwikkelaar", name ? name : "", hash, inv_id, domain};
    PGresult *r = exec_tx(
        c, "user invite",
        "WITH proj AS (SELECT id, developer_organisation_id FROM projects WHERE id::text = $1), "
        "existing AS (SELECT u.id, u.organisation_id, o.kind, u.password_hash IS NOT NULL AS activated, "
        "  u.is_admin OR EXISTS (SELECT 1 FROM organisation_members om JOIN organisations mo ON mo.id = om.organisation_id "
        "    WHERE om.user_id = u.id AND (om.role <> 'extern' OR mo.kind IN ('gemeente','provincie','rijk'))) AS municipal "
        "  FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE lower(u.email) = lower($2)), "
        "named AS (SELECT id FROM organisations WHERE name = $3 AND kind NOT IN ('gemeente','provincie','rijk') "
        "  ORDER BY created_at LIMIT 1), "
        "neworg AS (INSERT INTO organisations (name, kind) SELECT $3, $4 WHERE $3::text IS NOT NULL "
        "  AND NOT EXISTS (SELECT 1 FROM named) AND NOT EXISTS (SELECT 1 FROM existing) "
        "  AND EXISTS (SELECT 1 FROM proj) RETURNING id), "
        "org AS (SELECT COALESCE((SELECT organisation_id FROM existing), (SELECT id FROM named), (SELECT id FROM neworg), "
        "  (SELECT developer_organisation_id FROM proj)) AS id), "
        "why AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM proj) THEN 'no such project' "
        "  WHEN EXISTS (SELECT 1 FROM existing WHERE kind IN ('gemeente','provincie','rijk') OR municipal) "
        "    THEN 'the address belongs to a municipal user or an administrator (add them as a member instead)' "
        "  WHEN (SELECT id FROM org) IS NULL THEN 'give --organisation NAME (the partner organisation)' "
        "  WHEN (SELECT developer_organisation_id FROM proj) <> (SELECT id FROM org) "
        "    THEN 'the private stream belongs to another organisation' "
        "  WHEN EXISTS (SELECT 1 FROM project_members pm JOIN existing e ON e.id = pm.user_id "
        "    WHERE pm.project_id = (SELECT id FROM proj)) THEN 'already a member of the project' END AS v), "
        "newuser AS (INSERT INTO users (organisation_id, email, name) SELECT org.id, $2, $5 FROM org, why "
        "  WHERE why.v IS NULL AND NOT EXISTS (SELECT 1 FROM existing) RETURNING id, organisation_id), "
        "u AS (SELECT id, organisation_id FROM existing, why WHERE why.v IS NULL "
        "  UNION ALL SELECT id, organisation_id FROM newuser), "
        "om AS (INSERT INTO organisation_members (organisation_id, user_id, role) SELECT organisation_id, id, 'extern' "
        "  FROM u ON CONFLICT DO NOTHING RETURNING 1), "
        "pm AS (INSERT INTO project_members (project_id, user_id, role) SELECT (SELECT id FROM proj), id, 'extern' FROM u "
        "  RETURNING 1), "
        "dev AS (UPDATE projects SET developer_organisation_id = (SELECT organisation_id FROM u) "
        "  WHERE id = (SELECT id FROM proj) AND developer_organisation_id IS NULL AND EXISTS (SELECT 1 FROM u) RETURNING 1), "
        "inv AS (INSERT INTO invitations (id, token_hash, user_id, project_id, expires_at) "
        "  SELECT $7::uuid, $6, id, (SELECT id FROM proj), now() + interval '14 days' FROM u "
        "  WHERE NOT EXISTS (SELECT 1 FROM existing WHERE activated) "
        "  RETURNING id, user_id, project_id, expires_at), "
        "mail AS (INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id) "
        "  SELECT inv.project_id, 'invitation:' || $7, 'invitation', 0, inv.user_id, now(), false, "
        "  jsonb_build_object('project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, "
        "    'step_key', 'invitation', 'invitation_id', inv.id, 'expires_at', inv.expires_at, "
        "    'invited_by', p.gemeente, 'organisation', (SELECT name FROM organisations WHERE id = "
        "    (SELECT organisation_id FROM u))), 'invitation.' || $7 || '@' || $8 "
        "  FROM inv JOIN projects p ON p.id = inv.project_id RETURNING 1) "
        "SELECT (SELECT v FROM why), (SELECT id FROM u), (SELECT expires_at FROM inv), "
        "  (SELECT count(*) FROM pm) + (SELECT count(*) FROM dev) + (SELECT count(*) FROM om) >= 0, "
        "  CASE WHEN EXISTS (SELECT 1 FROM mail) THEN pg_notify('bs_alerts', '') END",
        8, p);
    int rc = 0;
    if (!r) {
        rc = 1;
    } else if (!PQgetisnull(r, 0, 0)) {
        fprintf(stderr, "bouwstroom user invite: %s\n", PQgetvalue(r, 0, 0));
        rc = 1;
    } else {
        printf("invited: %s (user %s) to project %s as external developer of its private stream\n", email,
               PQgetvalue(r, 0, 1), project);
        if (PQgetisnull(r, 0, 2))
            printf("%s has an account already: added as a member, no invitation needed\n", email);
        else {
            printf("invitation token (shown once, valid until %s; also mailed to %s by the server's notifier): %s\n",
                   PQgetvalue(r, 0, 2), email, token);
            printf("accept: POST /api/v1/invitations/accept {\"token\": \"%s\", \"password\": \"…\"}\n", token);
            const char *pub = getenv("BOUWSTROOM_PUBLIC_URL"); /* the web app's page, as the mail links it */
            printf("or open: %s/invitation#token=%s\n", pub && *pub ? pub : "http://127.0.0.1:8080", token);
        }
    }
    if (r) PQclear(r);
    sodium_memzero(token, sizeof token);
    return rc;
}

static int token_create(PGconn *c, int argc, char **argv, const char *email) {
    const char *scope = opt(argc, argv, "--scope"), *label = opt(argc, argv, "--label"),
               *days = opt(argc, argv, "--expires-days");
    char scopes[64];
    snprintf(scopes, sizeof scopes, "{%s}", scope ? scope : "read,write");
    for (const char *s = scope ? scope : ""; *s;) {
        size_t l = strcspn(s, ",");
        if (!((l == 4 && strncmp(s, "read", 4) == 0) || (l == 5 && strncmp(s, "write", 5) == 0) ||
              (l == 5 && strncmp(s, "admin", 5) == 0))) {
            fprintf(stderr, "bouwstroom token create: --scope is a comma-separated list of read, write, admin\n");
            return 2;
        }
        s += l + (s[l] == ',');
    }
    if (days && (atoi(days) < 1 || atoi(days) > 3650)) {
        fprintf(stderr, "bouwstroom token create: --expires-days must be 1 to 3650\n");
        return 2;
    }
    char raw[BS_TOKEN_B64URL_BYTES], token[BS_TOKEN_B64URL_BYTES + 4], hash[BS_SECRET_HASH_BYTES];
    bs_secret_token_new(BS_TOKEN_B64URL, raw, sizeof raw);
    snprintf(token, sizeof token, "bs_%s", raw);
    bs_secret_hash(token, strlen(token), hash, sizeof hash);
    const char *p[5] = {email, hash, label ? label : "cli", scopes, days};
    PGresult *r = exec_tx(c, "token create",
                          "INSERT INTO api_tokens (token_hash, user_id, label, scopes, expires_at) "
                          "SELECT $2, id, $3, $4::text[], now() + make_interval(days => $5::int) FROM users "
                          "WHERE lower(email) = lower($1) AND disabled_at IS NULL RETURNING id",
                          5, p);
    int rc = 0;
    if (!r) {
        rc = 1;
    } else if (PQntuples(r) == 0) {
        fprintf(stderr, "bouwstroom token create: no enabled user with e-mail address %s\n", email);
        rc = 1;
    } else {
        fprintf(stderr, "token %s created for %s, scopes %s (shown once below; stored as SHA-256 only)\n",
                PQgetvalue(r, 0, 0), email, scopes);
        printf("%s\n", token);
    }
    if (r) PQclear(r);
    sodium_memzero(token, sizeof token);
    sodium_memzero(raw, sizeof raw);
    return rc;
}

static int token_revoke(PGconn *c, const char *id) {
    char hash[BS_SECRET_HASH_BYTES];
    bs_secret_hash(id, strlen(id), hash, sizeof hash);
    const char *p[2] = {id, hash};
    PGresult *r = exec_tx(c, "token revoke",
                          "UPDATE api_tokens SET revoked_at = now() WHERE (id::text = $1 OR token_hash = $2) "
                          "AND revoked_at IS NULL RETURNING id",
                          2, p);
    int rc = 0;
    if (!r) {
        rc = 1;
    } else if (PQntuples(r) == 0) {
        fprintf(stderr, "bouwstroom token revoke: no active token with this id or value\n");
        rc = 1;
    } else {
        printf("token revoked: %s\n", PQgetvalue(r, 0, 0));
    }
    if (r) PQclear(r);
    return rc;
}

bool bs_cli_access_handles(const char *command, int argc, char **argv) {
    if (strcmp(command, "token") == 0) return true;
    return strcmp(command, "user") == 0 && argc >= 1 && strcmp(argv[0], "add") != 0;
}

int bs_cli_access_check(const char *command, int argc, char **argv) {
    bool user = strcmp(command, "user") == 0;
    const char *sub = argc >= 1 ? argv[0] : "";
    bool known = user ? (strcmp(sub, "invite") == 0 || strcmp(sub, "disable") == 0 || strcmp(sub, "reset-2fa") == 0 ||
                         strcmp(sub, "erase") == 0)
                      : (strcmp(sub, "create") == 0 || strcmp(sub, "revoke") == 0);
    if (!known) {
        fprintf(stderr, "bouwstroom %s: unknown or missing subcommand '%s'\n%s", command, sub, access_usage);
        return 2;
    }
    if (!positional(argc, argv)) {
        fprintf(stderr, "bouwstroom %s %s: %s is required\n%s", command, sub,
                strcmp(sub, "revoke") == 0 ? "ID" : "EMAIL", access_usage);
        return 2;
    }
    return 0;
}

int bs_cli_access_run(const char *conninfo, const char *command, int argc, char **argv) {
    int rc = bs_cli_access_check(command, argc, argv);
    if (rc) return rc;
    if (bs_auth_init() != BS_AUTH_OK) {
        fprintf(stderr, "bouwstroom %s: no usable random source\n", command);
        return 1;
    }
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bouwstroom %s: %s", command, PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    const char *sub = argv[0], *arg = positional(argc, argv);
    if (strcmp(command, "user") == 0) {
        if (strcmp(sub, "disable") == 0)
            rc = user_disable(c, arg);
        else if (strcmp(sub, "reset-2fa") == 0)
            rc = user_reset_2fa(c, arg);
        else if (strcmp(sub, "erase") == 0)
            rc = user_erase(c, arg);
        else
            rc = user_invite(c, argc, argv, arg);
    } else {
        rc = strcmp(sub, "create") == 0 ? token_create(c, argc, argv, arg) : token_revoke(c, arg);
    }
    PQfinish(c);
    return rc;
}
