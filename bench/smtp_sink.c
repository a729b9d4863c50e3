/*
 * A counting SMTP sink and a blaster, for the alert delivery benchmark (scripts/bench_alerts.sh).
 *
 *   smtp_sink serve PORT_FILE      listen on 127.0.0.1 (ephemeral port written to PORT_FILE),
 *                                  accept mail, count it, print "received N" on SIGTERM/SIGINT
 *   smtp_sink blast PORT N CONNS [FILE]
 *                                  send N messages (FILE: an RFC 5322 message, e.g. a rendered alert;
 *                                  default a tiny one) over CONNS persistent connections as fast as
 *                                  the server answers; prints messages/s — the server's own limit
 *
 * Minimal RFC 5321 server side: 220 greeting, EHLO/HELO, MAIL, RCPT, DATA (354 … CRLF.CRLF → 250),
 * RSET, NOOP, QUIT. Not a real MTA: it stores nothing.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

static uv_loop_t *loop;
static long received;

typedef struct conn {
    uv_tcp_t tcp;
    char line[8192];
    size_t len;
    int in_data;
    /* blaster */
    long to_send, sent;
    int step;
} conn;

static void on_close(uv_handle_t *h) {
    free(h);
}

static void write_str(conn *c, const char *s) {
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)s, (unsigned)strlen(s));
    uv_try_write((uv_stream_t *)&c->tcp, &b, 1); /* replies are tiny: the socket buffer takes them */
}

static void alloc_cb(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
    (void)h;
    static char slab[65536];
    (void)sz;
    *buf = uv_buf_init(slab, sizeof slab);
}

static void server_line(conn *c, const char *l) {
    if (getenv("SINK_DEBUG") && !c->in_data) fprintf(stderr, "C: %s\n", l);
    if (c->in_data) {
        if (strcmp(l, ".") == 0) {
            c->in_data = 0;
            received++;
            write_str(c, "250 2.0.0 ok\r\n");
        }
        return;
    }
    if (!strncasecmp(l, "EHLO", 4))
        write_str(c, "250-sink\r\n250 PIPELINING\r\n");
    else if (!strncasecmp(l, "HELO", 4) || !strncasecmp(l, "MAIL", 4) || !strncasecmp(l, "RCPT", 4) ||
             !strncasecmp(l, "RSET", 4) || !strncasecmp(l, "NOOP", 4))
        write_str(c, "250 ok\r\n");
    else if (!strncasecmp(l, "DATA", 4)) {
        c->in_data = 1;
        write_str(c, "354 go\r\n");
    } else if (!strncasecmp(l, "QUIT", 4)) {
        write_str(c, "221 bye\r\n");
        uv_close((uv_handle_t *)&c->tcp, on_close);
    } else
        write_str(c, "500 what\r\n");
}

static void feed(conn *c, const char *data, ssize_t n, void (*handle)(conn *, const char *)) {
    for (ssize_t i = 0; i < n; i++) {
        char ch = data[i];
        if (ch == '\n') {
            if (c->len && c->line[c->len - 1] == '\r') c->len--;
            c->line[c->len] = 0;
            handle(c, c->line);
            c->len = 0;
            if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
        } else if (c->len + 1 < sizeof c->line) {
            c->line[c->len++] = ch;
        }
    }
}

static void server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    conn *c = (conn *)s;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_close);
        return;
    }
    feed(c, buf->base, n, server_line);
}

static void on_conn(uv_stream_t *srv, int status) {
    if (status) return;
    conn *c = calloc(1, sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(srv, (uv_stream_t *)&c->tcp)) {
        uv_close((uv_handle_t *)&c->tcp, on_close);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    write_str(c, "220 sink ESMTP\r\n");
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, server_read);
}

static void on_signal(uv_signal_t *s, int sig) {
    (void)sig;
    printf("received %ld\n", received);
    fflush(stdout);
    uv_stop(s->loop);
}

/* ---- blaster: MAIL, RCPT, DATA, message, '.', repeated; one command at a time ---- */

static long blast_done;
static char *msg_body; /* owned: the message, dot-stuffed, CRLF, ending in ".\r\n" */
static const char tiny_msg[] =
    "From: bench@bouwstroom.test\r\nTo: pl@example.nl\r\nSubject: bench\r\nMessage-ID: <x@bench>\r\n\r\n"
    "Mijlpaal nadert: omgevingsvergunning verleend.\r\n";

/* Loads the message to send: CRLF line ends, dot-stuffed (RFC 5321 §4.5.2), final ".". */
static void load_message(const char *path) {
    char *raw = NULL;
    size_t n = 0;
    if (path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            exit(1);
        }
        fseek(f, 0, SEEK_END);
        n = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        raw = malloc(n + 1);
        n = fread(raw, 1, n, f);
        fclose(f);
    } else {
        n = strlen(tiny_msg);
        raw = malloc(n + 1);
        memcpy(raw, tiny_msg, n);
    }
    raw[n] = 0;
    msg_body = malloc(2 * n + 8);
    size_t o = 0;
    int bol = 1;
    for (size_t i = 0; i < n; i++) {
        if (bol && raw[i] == '.') msg_body[o++] = '.';
        if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) msg_body[o++] = '\r';
        msg_body[o++] = raw[i];
        bol = raw[i] == '\n';
    }
    if (!bol) {
        msg_body[o++] = '\r';
        msg_body[o++] = '\n';
    }
    memcpy(msg_body + o, ".\r\n", 4); /* with its NUL */
    free(raw);
}

/* step: the reply we wait for — 0 greeting, 1 EHLO, 2 MAIL, 3 RCPT, 4 DATA, 5 message, 6 QUIT */
static void blast_line(conn *c, const char *l) {
    if (strlen(l) > 3 && l[3] == '-') return; /* multi-line reply continues */
    switch (c->step) {
    case 0: write_str(c, "EHLO blaster\r\n"); break;
    case 1:
    case 5:
        if (c->step == 5) {
            c->sent++;
            blast_done++;
            if (c->sent >= c->to_send) {
                write_str(c, "QUIT\r\n");
                c->step = 6;
                return;
            }
        }
        write_str(c, "MAIL FROM:<bench@bouwstroom.test>\r\n");
        c->step = 2;
        return;
    case 2: write_str(c, "RCPT TO:<pl@example.nl>\r\n"); break;
    case 3: write_str(c, "DATA\r\n"); break;
    case 4: write_str(c, msg_body); break;
    default: uv_close((uv_handle_t *)&c->tcp, on_close); return;
    }
    c->step++;
}

static void blast_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    conn *c = (conn *)s;
    if (n < 0) {
        if (!uv_is_closing((uv_handle_t *)s)) uv_close((uv_handle_t *)s, on_close);
        return;
    }
    feed(c, buf->base, n, blast_line);
}

static void blast_connected(uv_connect_t *req, int status) {
    conn *c = req->data;
    free(req);
    if (status) {
        fprintf(stderr, "connect: %s\n", uv_strerror(status));
        exit(1);
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, blast_read);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    loop = uv_default_loop();
    if (argc == 3 && strcmp(argv[1], "serve") == 0) {
        uv_tcp_t srv;
        uv_tcp_init(loop, &srv);
        struct sockaddr_in a;
        uv_ip4_addr("127.0.0.1", 0, &a);
        uv_tcp_bind(&srv, (struct sockaddr *)&a, 0);
        uv_listen((uv_stream_t *)&srv, 1024, on_conn);
        struct sockaddr_in got;
        int len = sizeof got;
        uv_tcp_getsockname(&srv, (struct sockaddr *)&got, &len);
        FILE *f = fopen(argv[2], "w");
        fprintf(f, "%d\n", ntohs(got.sin_port));
        fclose(f);
        uv_signal_t si, st;
        uv_signal_init(loop, &si);
        uv_signal_init(loop, &st);
        uv_signal_start(&si, on_signal, SIGINT);
        uv_signal_start(&st, on_signal, SIGTERM);
        uv_run(loop, UV_RUN_DEFAULT);
        return 0;
    }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "blast") == 0) {
        load_message(argc == 6 ? argv[5] : NULL);
        int port = atoi(argv[2]), conns = atoi(argv[4]);
        long n = atol(argv[3]);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < conns; i++) {
            conn *c = calloc(1, sizeof *c);
            c->to_send = n / conns + (i < n % conns ? 1 : 0);
            uv_tcp_init(loop, &c->tcp);
            struct sockaddr_in a;
            uv_ip4_addr("127.0.0.1", port, &a);
            uv_connect_t *req = malloc(sizeof *req);
            req->data = c;
            uv_tcp_connect(req, &c->tcp, (struct sockaddr *)&a, blast_connected);
        }
        uv_run(loop, UV_RUN_DEFAULT);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("blast: %ld messages over %d connections in %.3f s: %.0f messages/s\n", blast_done, conns, el,
               (double)blast_done / el);
        return 0;
    }
    fprintf(stderr, "usage: smtp_sink serve PORT_FILE | smtp_sink blast PORT N CONNS\n");
    return 2;
}
