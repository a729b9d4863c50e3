/*
 * Bouwstroom notifier: SMTP submission with libcurl, off the loop thread.
 *
 * libcurl's SMTP client blocks in its DONE phase (it waits for the reply to the end of the
 * data with a blocking poll, even under the multi interface), so each send runs on the
 * libuv thread pool and reports back on the loop (smtp.c). Nothing blocks the loop.
 */
#ifndef BS_SMTP_H
#define BS_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct bs_smtp_config {
    const char *url;      /* "smtp://host:port" (or "smtps://" for implicit TLS) */
    const char *username; /* NULL = no AUTH */
    const char *password;
    bool require_starttls; /* CURLUSESSL_ALL: refuse to send in plaintext (no silent fallback) */
    bool insecure_tls;     /* skip certificate verification (tests only) */
    long timeout_ms;       /* whole transaction; 0 = 30 s */
} bs_smtp_config;

typedef enum bs_smtp_outcome {
    BS_SMTP_SENT = 0, /* the server accepted the message (250 after DATA) */
    BS_SMTP_RETRY,    /* 4xx reply, connection or TLS error: try again later (RFC 5321 §4.2.1) */
    BS_SMTP_FAILED,   /* 5xx reply: permanent; keep the error (RFC 5321 §4.2.1) */
} bs_smtp_outcome;

/* Result of one send: reply_code is the last SMTP reply code (0 when none was received),
 * error a one-line description (NULL when sent). */
typedef void (*bs_smtp_cb)(bs_smtp_outcome outcome, long reply_code, const char *error, void *arg);

typedef struct bs_smtp bs_smtp;

/* Creates a sender on loop. The config strings are copied. NULL when out of memory. */
bs_smtp *bs_smtp_new(uv_loop_t *loop, const bs_smtp_config *cfg);

/* Sends message (len bytes, CRLF lines, complete RFC 5322 message) from envelope sender
 * `from` to the n recipients. Everything is copied; cb is called exactly once, on the loop. */
void bs_smtp_send(bs_smtp *s, const char *from, const char *const *rcpts, int n, const char *message, size_t len,
                  bs_smtp_cb cb, void *arg);

/* Number of sends in flight. */
int bs_smtp_in_flight(const bs_smtp *s);

/* Refuses new sends (BS_SMTP_RETRY, "sender closed"), lets the sends already running finish
 * (bounded by timeout_ms; their callbacks still run), closes the pooled connections, frees the
 * sender and then calls done (may be NULL). */
void bs_smtp_close(bs_smtp *s, void (*done)(void *arg), void *arg);

#endif
