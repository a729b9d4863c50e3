/*
 * `bouwstroom user add --admin EMAIL …`: the first administrator, or a user with a role.
 *
 * The password comes from standard input (one line) or is generated; only its Argon2id hash
 * is stored. A TOTP secret is generated and its otpauth:// URI printed once. Hashing runs
 * before the loop does any work (it blocks for about 0.1 s); the insert is one statement
 * through the async store.
 */
#include "user_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "alloc.h"
#include "auth.h"
#include "engine.h"
#include "server_key.h"

static const char user_usage[] =
    "usage: bouwstroom user add EMAIL (--admin | --role ROLE) [--name NAME] [--organisation NAME]\n"
    "                           [--organisation-kind KIND] [--all-municipalities] [--generate-password]\n"
    "  ROLE: beheerder, projectleider, medewerker, management, raad, extern (--admin: beheerder and\n"
    "  administrator of the installation). --all-municipalities: the role in every municipality the\n"
    "  import created as well. Reads the password as one line from standard input unless\n"
    "  --generate-password is given.\n"
    "       bouwstroom user invite|disable|reset-2fa|erase …, bouwstroom token create|revoke … (see --help)\n";

#define DEFAULT_ORGANISATION "Beheer"

static bool copy_opt(char *dst, size_t size, const char *src, const char *what) {
    size_t n = strlen(src);
    if (n >= size) {
        fprintf(stderr, "bouwstroom user add: %s is too long (at most %zu bytes)\n", what, size - 1);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) {
            fprintf(stderr, "bouwstroom user add: %s contains a control character\n", what);
            return false;
        }
    memcpy(dst, src, n + 1);
    return true;
}

/* Reads one line (the password) from standard input: the line ending (\n or \r\n) is not
 * part of it. Returns its length, 0 when empty or at end of input, -1 when too long. */
static long read_password_line(char *buf, size_t size) {
    if (isatty(STDIN_FILENO)) fprintf(stderr, "password (one line; input is echoed): ");
    if (!fgets(buf, (int)size, stdin)) return 0;
    size_t n = strlen(buf);
    bool had_newline = n > 0 && buf[n - 1] == '\n';
    if (had_newline) buf[--n] = 0;
    if (n > 0 && buf[n - 1] == '\r') buf[--n] = 0;
    if (!had_newline && !feof(stdin)) return -1; /* the line did not fit */
    if (strlen(buf) != n) return -1;             /* a NUL byte inside */
    return (long)n;
}

/* --role ROLE or --organisation-kind KIND (opt) with its value v, checked against its list.
 * Returns 0, or 2 after a message. */
static int set_choice(bs_user_add *u, const char *opt, const char *v) {
    bool role = strcmp(opt, "--role") == 0;
    static const char *const roles[] = {"beheerder", "projectleider", "medewerker", "management",
                                        "raad",      "extern",        NULL};
    static const char *const kinds[] = {"gemeente",  "ontwikkelaar", "woningcorporatie", "belegger",
                                        "provincie", "rijk",         "overig",           NULL};
    const char *const *list = role ? roles : kinds;
    bool ok = false;
    for (size_t k = 0; list[k] && !ok; k++) ok = strcmp(list[k], v) == 0;
    if (!ok) {
        fprintf(stderr, "bouwstroom user add: %s '%s' is not one of %s\n", opt, v,
                role ? "beheerder, projectleider, medewerker, management, raad, extern"
                     : "gemeente, ontwikkelaar, woningcorporatie, belegger, provincie, rijk, overig");
        return 2;
    }
    snprintf(role ? u->role : u->org_kind, sizeof u->role, "%s", v);
    return 0;
}

/* The options and the EMAIL after "add" into u and *email. Returns 0, or 2 after a message. */
static int parse_add_args(int argc, char **argv, bs_user_add *u, const char **email) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--admin") == 0) {
            u->admin = true;
        } else if (strcmp(a, "--generate-password") == 0) {
            u->generated = true;
        } else if (strcmp(a, "--all-municipalities") == 0) {
            u->all_municipalities = true;
        } else if (strcmp(a, "--role") == 0 || strcmp(a, "--organisation-kind") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bouwstroom user add: %s needs a value\n%s", a, user_usage);
                return 2;
            }
            if (set_choice(u, a, argv[++i]) != 0) return 2;
        } else if (strcmp(a, "--name") == 0 || strcmp(a, "--organisation") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bouwstroom user add: %s needs a value\n%s", a, user_usage);
                return 2;
            }
            bool org = strcmp(a, "--organisation") == 0;
            const char *v = argv[++i];
            if (org && !*v) {
                fprintf(stderr, "bouwstroom user add: --organisation must not be empty\n");
                return 2;
            }
            if (!copy_opt(org ? u->organisation : u->name, org ? sizeof u->organisation : sizeof u->name, v,
                          org ? "--organisation" : "--name"))
                return 2;
        } else if (a[0] == '-') {
            fprintf(stderr, "bouwstroom user add: unknown option '%s'\n%s", a, user_usage);
            return 2;
        } else if (*email) {
            fprintf(stderr, "bouwstroom user add: only one EMAIL may be given\n%s", user_usage);
            return 2;
        } else {
            *email = a;
        }
    }
    return 0;
}

/* Checks that the arguments go together (an EMAIL, exactly one of --admin and --role) and
 * completes u: the role of --admin, the default organisation kind, the e-mail address.
 * Returns 0, or 2 after a message. */
static int complete_add_args(bs_user_add *u, const char *email) {
    if (!email) {
        fprintf(stderr, "bouwstroom user add: EMAIL is required\n%s", user_usage);
        return 2;
    }
    if (u->admin && u->role[0]) {
        fprintf(stderr, "bouwstroom user add: give --admin or --role ROLE, not both (--admin is beheerder)\n%s",
                user_usage);
        return 2;
    }
    if (!u->admin && !u->role[0]) {
        fprintf(stderr, "bouwstroom user add: give --admin or --role ROLE\n%s", user_usage);
        return 2;
    }
    if (u->admin) snprintf(u->role, sizeof u->role, "beheerder");
    if (!u->org_kind[0])
        snprintf(u->org_kind, sizeof u->org_kind, "%s", strcmp(u->role, "extern") == 0 ? "ontwikkelaar" : "gemeente");
    if (!copy_opt(u->email, sizeof u->email, email, "EMAIL")) return 2;
    if (!bs_email_valid(u->email)) {
        fprintf(stderr,
                "bouwstroom user add: email: '%s' is not an e-mail address (a plain ASCII mailbox, "
                "RFC 5321 §4.1.2)\n",
                u->email);
        return 2;
    }
    return 0;
}

/* The password, generated (kept in u to print once) or read as one line from standard input,
 * hashed into u->password_hash; the line read is wiped. Returns 0, or 1 after a message. */
static int hash_password(bs_user_add *u) {
    char line[BS_PASSWORD_MAX_BYTES + 2];
    const char *pw;
    size_t pw_len;
    int r = BS_AUTH_OK;
    if (u->generated) {
        r = bs_secret_token_new(BS_TOKEN_B64URL, u->password, sizeof u->password);
        pw = u->password;
        pw_len = strlen(u->password);
    } else {
        long n = read_password_line(line, sizeof line);
        if (n < 0) {
            sodium_memzero(line, sizeof line);
            fprintf(stderr, "bouwstroom user add: password too long (at most %d bytes) or not one line\n",
                    BS_PASSWORD_MAX_BYTES);
            return 1;
        }
        if (n == 0) {
            fprintf(stderr, "bouwstroom user add: empty password refused (give one line on standard input, or "
                            "--generate-password)\n");
            return 1;
        }
        pw = line;
        pw_len = (size_t)n;
    }
    if (r == BS_AUTH_OK)
        r = bs_password_hash(pw, pw_len, bs_pwhash_cost_interactive(), u->password_hash, sizeof u->password_hash);
    sodium_memzero(line, sizeof line);
    if (r != BS_AUTH_OK) {
        fprintf(stderr, "bouwstroom user add: %s\n", bs_auth_strerror(r));
        return 1;
    }
    return 0;
}

/* A new TOTP secret, and the same sealed with the server key (var/server.key): that is what
 * is stored. Returns 0, or 1 after a message. */
static int new_totp_secret(bs_user_add *u) {
    int r = bs_totp_secret_new(u->totp_secret, sizeof u->totp_secret);
    if (r == BS_AUTH_OK) {
        unsigned char key[BS_SERVER_KEY_BYTES];
        char kpath[4096];
        bs_err kerr = {0};
        snprintf(kpath, sizeof kpath, "%s/var/server.key", bs_home());
        if (bs_server_key_load(kpath, key, &kerr) != 0) {
            fprintf(stderr, "bouwstroom user add: server key: %s\n", kerr.msg);
            sodium_memzero(u, sizeof *u);
            return 1;
        }
        r = bs_totp_secret_seal(key, u->totp_secret, u->totp_sealed, sizeof u->totp_sealed);
        sodium_memzero(key, sizeof key);
    }
    if (r != BS_AUTH_OK) {
        fprintf(stderr, "bouwstroom user add: %s\n", bs_auth_strerror(r));
        return 1;
    }
    return 0;
}

int bs_cli_user_prepare(int argc, char **argv, bs_user_add *u) {
    memset(u, 0, sizeof *u);
    if (argc < 1 || strcmp(argv[0], "add") != 0) {
        fprintf(stderr, "bouwstroom user: unknown or missing subcommand\n%s", user_usage);
        return 2;
    }
    const char *email = NULL;
    strcpy(u->organisation, DEFAULT_ORGANISATION);
    if (parse_add_args(argc, argv, u, &email) != 0 || complete_add_args(u, email) != 0) return 2;
    int r = bs_auth_init();
    if (r != BS_AUTH_OK) {
        fprintf(stderr, "bouwstroom user add: %s\n", bs_auth_strerror(r));
        return 1;
    }
    if (hash_password(u) != 0 || new_totp_secret(u) != 0) {
        sodium_memzero(u, sizeof *u); /* a generated password, the hash, the TOTP secret */
        return 1;
    }
    return 0;
}

typedef struct add_job {
    bs_user_add *u;
    void (*done)(int rc, void *arg);
    void *arg;
} add_job;

/* One statement, so the organisation is created only together with the user. An address
 * taken already yields no row; a concurrent insert of the same address fails on the unique
 * index users_email (lower(email)). */
static const char add_sql[] =
    "WITH actor AS (SELECT set_config('bouwstroom.actor', '{\"label\":\"cli:user add\"}', true) AS a), "
    "taken AS (SELECT 1 FROM users WHERE lower(email) = lower($1)), "
    "existing AS (SELECT id FROM organisations WHERE name = $3 AND kind = $7 ORDER BY created_at, id LIMIT 1), "
    "created AS (INSERT INTO organisations (name, kind) SELECT $3, $7 "
    "  WHERE NOT EXISTS (SELECT 1 FROM existing) AND NOT EXISTS (SELECT 1 FROM taken) RETURNING id), "
    "org AS (SELECT id FROM existing UNION ALL SELECT id FROM created), "
    "ins AS (INSERT INTO users (organisation_id, email, name, password_hash, totp_secret, is_admin, activated_at) "
    "  SELECT org.id, $1, $2, $4, $5, $6::boolean, now() FROM org WHERE NOT EXISTS (SELECT 1 FROM taken) "
    "  RETURNING id, organisation_id), "
    "home AS (INSERT INTO organisation_members (organisation_id, user_id, role) "
    "  SELECT organisation_id, id, $8 FROM ins RETURNING 1), "
    "allm AS (INSERT INTO organisation_members (organisation_id, user_id, role) "
    "  SELECT o.id, ins.id, $8 FROM ins, organisations o "
    "  WHERE $9::boolean AND o.import_key LIKE 'gemeente:%' AND o.id <> ins.organisation_id RETURNING 1) "
    "SELECT ins.id, ins.organisation_id IN (SELECT id FROM created), (SELECT count(*) FROM allm), "
    "  (SELECT a FROM actor) IS NOT NULL, (SELECT count(*) FROM home) FROM ins";

static void added(const PGresult *res, const char *err, void *arg) {
    add_job *j = arg;
    bs_user_add *u = j->u;
    int rc = 0;
    if (err && strstr(err, "users_email")) {
        fprintf(stderr, "bouwstroom user add: a user with e-mail address %s exists already\n", u->email);
        rc = 1;
    } else if (err) {
        fprintf(stderr, "bouwstroom user add: %s\n", err);
        rc = 1;
    } else if (PQntuples(res) != 1) {
        fprintf(stderr, "bouwstroom user add: a user with e-mail address %s exists already\n", u->email);
        rc = 1;
    } else {
        char uri[1024];
        int r = bs_totp_uri(u->email, u->totp_secret, uri, sizeof uri);
        bool new_org = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        printf("user added: %s (id %s), %s of %s organisation '%s'\n", u->email, PQgetvalue(res, 0, 0),
               u->admin ? "administrator and beheerder" : u->role, new_org ? "new" : "existing", u->organisation);
        if (u->all_municipalities)
            printf("role %s in %s imported municipalities as well\n", u->role, PQgetvalue(res, 0, 2));
        if (u->generated) printf("password (shown once, store it now): %s\n", u->password);
        if (r == BS_AUTH_OK)
            printf("second factor: add this to an authenticator app (shown once):\n%s\n", uri);
        else
            fprintf(stderr, "bouwstroom user add: TOTP URI: %s\n", bs_auth_strerror(r));
        fflush(stdout);
        sodium_memzero(uri, sizeof uri);
        if (r != BS_AUTH_OK) rc = 1;
    }
    sodium_memzero(u->password, sizeof u->password);
    void (*done)(int, void *) = j->done;
    void *darg = j->arg;
    free(j);
    done(rc, darg);
}

void bs_cli_user_add_run(bs_store *store, bs_user_add *u, void (*done)(int rc, void *arg), void *arg) {
    add_job *j = bs_malloc(sizeof *j);
    *j = (add_job){u, done, arg};
    const char *params[9] = {u->email,         u->name,        u->organisation,
                             u->password_hash, u->totp_sealed, u->admin ? "true" : "false",
                             u->org_kind,      u->role,        u->all_municipalities ? "true" : "false"};
    bs_store_query(store, add_sql, 9, params, added, j);
}
