/*
 * Bouwstroom runtime: the server key (32 random bytes kept outside the database), from which
 * invitation secrets are derived (bs_invitation_token), so that the database holds only
 * their hashes while the notifier can still mail them.
 */
#ifndef BS_SERVER_KEY_H
#define BS_SERVER_KEY_H

#include <stddef.h>

#include "auth.h"
#include "err.h"

/* Loads the key into key[32]: from BOUWSTROOM_SERVER_KEY (64 hex digits) when set, else
 * from the file path (64 hex digits, one line). A missing file is created with a new random
 * key, mode 0600 (O_CREAT | O_EXCL: concurrent starters agree on one key). Returns 0, or a
 * BS_E* code with err filled: BS_EINVAL (BOUWSTROOM_SERVER_KEY is not 64 hex digits),
 * BS_EMALFORMED (the file's content is not), BS_EIO (the file cannot be read or created, the
 * directory is not writable). */
int bs_server_key_load(const char *path, unsigned char key[BS_SERVER_KEY_BYTES], bs_err *err);

#endif
