/*
 * `bouwstroom user add --admin EMAIL [--name NAME] [--organisation NAME] [--generate-password]`
 * creates the first administrator (or a user with a role). See user_cmd.c and docs/security.md.
 */
#ifndef BS_USER_CMD_H
#define BS_USER_CMD_H

#include <stdbool.h>

#include "auth.h"
#include "store.h"

/* What `user add` will insert; filled by bs_cli_user_prepare before the loop starts. */
typedef struct bs_user_add {
    char email[255];
    char name[256];
    char organisation[256];
    bool admin;
    char role[32];                        /* organisation role (beheerder for --admin) */
    char org_kind[32];                    /* kind of a new organisation */
    bool all_municipalities;              /* the role in every imported municipality too */
    bool generated;                       /* the password was generated (print it once) */
    char password[BS_TOKEN_B64URL_BYTES]; /* only when generated; wiped after printing */
    char password_hash[BS_PASSWORD_HASH_BYTES];
    char totp_secret[BS_TOTP_SECRET_B32_BYTES];
    char totp_sealed[BS_TOTP_SEALED_BYTES]; /* what is stored: sealed with the server key */
} bs_user_add;

/* Parses argv (argv[0] = "add", then the options), reads the password (one line on
 * standard input; an empty one is refused) unless --generate-password is given, and hashes
 * it with Argon2id at the interactive cost (blocking, about 0.1 s: done before the loop
 * runs) and makes a TOTP secret. Returns 0 when u is ready, else the exit code (2 usage,
 * 1 other) after a one-line message on stderr. */
int bs_cli_user_prepare(int argc, char **argv, bs_user_add *u);

/* Inserts the organisation (reused by name when one of kind 'gemeente' exists) and the user
 * in one statement on the store (async, on the loop); prints the result, the generated
 * password and the otpauth:// URI once on stdout. done receives the exit code (0 ok,
 * 1 failure, e.g. the e-mail address exists: one-line message on stderr). u must stay
 * alive until done. */
void bs_cli_user_add_run(bs_store *store, bs_user_add *u, void (*done)(int rc, void *arg), void *arg);

#endif
