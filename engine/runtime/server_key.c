/*
 * Bouwstroom runtime: the server key file (see server_key.h).
 */
#include "server_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int from_hex(const char *hex, unsigned char key[BS_SERVER_KEY_BYTES], const char *what, int code, bs_err *err) {
    size_t bin_len = 0;
    const char *end = NULL;
    if (sodium_hex2bin(key, BS_SERVER_KEY_BYTES, hex, strlen(hex), " \r\n", &bin_len, &end) != 0 ||
        bin_len != BS_SERVER_KEY_BYTES || (end && *end && !strchr(" \r\n", *end))) {
        return bs_err_set(err, code, NULL, "%s: not 64 hexadecimal digits", what);
    }
    return 0;
}

int bs_server_key_load(const char *path, unsigned char key[BS_SERVER_KEY_BYTES], bs_err *err) {
    const char *env = getenv("BOUWSTROOM_SERVER_KEY");
    if (env && *env) return from_hex(env, key, "BOUWSTROOM_SERVER_KEY", BS_EINVAL, err);
    for (int attempt = 0; attempt < 2; attempt++) {
        FILE *f = fopen(path, "r");
        if (f) {
            char line[160] = "";
            if (!fgets(line, sizeof line, f)) line[0] = 0;
            fclose(f);
            int rc = from_hex(line, key, path, BS_EMALFORMED, err);
            sodium_memzero(line, sizeof line);
            return rc;
        }
        if (errno != ENOENT) break;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = 0;
            mkdir(dir, 0700); /* var/ may not exist yet; an existing one is fine */
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue; /* another starter made it: read theirs */
            break;
        }
        unsigned char k[BS_SERVER_KEY_BYTES];
        char hex[2 * BS_SERVER_KEY_BYTES + 2];
        randombytes_buf(k, sizeof k);
        sodium_bin2hex(hex, sizeof hex, k, sizeof k);
        size_t n = strlen(hex);
        hex[n] = '\n';
        bool ok = write(fd, hex, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0;
        close(fd);
        sodium_memzero(hex, sizeof hex);
        if (!ok) {
            unlink(path);
            break;
        }
        memcpy(key, k, sizeof k);
        sodium_memzero(k, sizeof k);
        return 0;
    }
    return bs_err_set(err, BS_EIO, NULL, "%s: %s", path, strerror(errno));
}
