/*
 * Notifier: MIME rendering and SMTP delivery against a real SMTP server on loopback
 * (tests/smtp/server.py, Debian python3-aiosmtpd), on a real libuv loop with libcurl multi.
 */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cmocka.h>

#include "mail.h"
#include "smtp.h"

static pid_t server_pid;
static int server_stdin = -1;
static int server_port;
static char outdir[256];

static int count_json(void) {
    DIR *d = opendir(outdir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) n++;
    }
    if (d) closedir(d);
    return n;
}

static json_t *load_message(int seq) {
    char path[512];
    snprintf(path, sizeof path, "%s/%06d.json", outdir, seq);
    for (int i = 0; i < 200; i++) { /* the server writes after answering 250 */
        json_error_t err;
        json_t *j = json_load_file(path, 0, &err);
        if (j) return j;
        usleep(10000);
    }
    return NULL;
}

static int start_server(void **state) {
    (void)state;
    snprintf(outdir, sizeof outdir, "/tmp/bs-smtp-test-%d", (int)getpid());
    int in[2], out[2];
    if (pipe(in) || pipe(out)) return -1;
    server_pid = fork();
    if (server_pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl("/usr/bin/python3", "python3", BS_SOURCE_DIR "/tests/smtp/server.py", outdir, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    server_stdin = in[1];
    FILE *f = fdopen(out[0], "r");
    char line[64] = {0};
    if (!fgets(line, sizeof line, f) || sscanf(line, "PORT %d", &server_port) != 1) {
        fprintf(stderr,
                "test_smtp: the SMTP server (/usr/bin/python3 tests/smtp/server.py, needs python3-aiosmtpd) did "
                "not start\n");
        return -1;
    }
    return 0;
}

static int stop_server(void **state) {
    (void)state;
    if (server_stdin >= 0) close(server_stdin);
    int st;
    waitpid(server_pid, &st, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "%s %s", getenv("BS_KEEP") ? "true" : "rm -rf", outdir);
    if (system(cmd) != 0) return -1;
    return 0;
}

typedef struct result {
    bool done;
    bs_smtp_outcome outcome;
    long code;
    char error[512];
} result;

static void on_sent(bs_smtp_outcome o, long code, const char *err, void *arg) {
    result *r = arg;
    r->done = true;
    r->outcome = o;
    r->code = code;
    snprintf(r->error, sizeof r->error, "%s", err ? err : "");
}

static void closed(void *arg) {
    *(bool *)arg = true;
}

/* Sends one message through a fresh sender on a fresh loop; the loop must close cleanly. */
static result send_one(const char *url, bool starttls, const char *rcpt, const char *msg) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    bs_smtp_config cfg = {.url = url, .require_starttls = starttls, .timeout_ms = 5000};
    bs_smtp *s = bs_smtp_new(&loop, &cfg);
    result r = {0};
    const char *rcpts[1] = {rcpt};
    bs_smtp_send(s, "alerts@bouwstroom.example", rcpts, 1, msg, strlen(msg), on_sent, &r);
    while (!r.done) uv_run(&loop, UV_RUN_ONCE);
    bool is_closed = false;
    bs_smtp_close(s, closed, &is_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(is_closed);
    assert_int_equal(uv_loop_close(&loop), 0);
    return r;
}

static const char subject[] = "Mijlpaal nadert: omgevingsvergunning verleend — Molenweide fase 2 (Hoogeveen) 🏗️ "
                              "binnen 10 werkdagen, daarna start bouw";
static const char text[] = "Beste projectleider,\n\nDe mijlpaal 'Omgevingsvergunning verleend' van project Molenweide "
                           "is gepland op 2026-12-14 (P50 2027-01-11, P80 2027-02-22).\nDit is een regel met een "
                           "héél lange tekst die zeker langer is dan zesenzeventig tekens zodat quoted-printable moet "
                           "afbreken = ook met gelijktekens.\nTrailing space here \n.\nEmoji: 🏠\n";
static const char html[] = "<p>Beste projectleider,</p><p>De mijlpaal <b>Omgevingsvergunning verleend</b> is gepland "
                           "op 2026-12-14.</p><p>Zie <a href=\"http://127.0.0.1:8080/x\">de stap</a>. 🏠</p>\n";

static char *render(const char *to, const char *mid) {
    bs_mail m = {.from_addr = "alerts@bouwstroom.example",
                 .from_name = "Bouwstroom Woningbouw",
                 .to_addr = to,
                 .to_name = "Jeroen van ’t Hek",
                 .subject = subject,
                 .message_id = mid,
                 .date_utc = 1795000000, /* 2026-11-18T11:06:40Z */
                 .text = text,
                 .html = html,
                 .lang = "nl"};
    char *s = bs_mail_render(&m, NULL);
    assert_non_null(s);
    return s;
}

static void test_mime_delivered_and_parsed(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", server_port);
    int before = count_json();
    char *msg = render("pl@gemeente.example", "alert-1.abc@bouwstroom.example");
    result r = send_one(url, false, "pl@gemeente.example", msg);
    free(msg);
    assert_int_equal(r.outcome, BS_SMTP_SENT);
    assert_int_equal(r.code, 250);
    json_t *j = load_message(before + 1);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "subject")), subject);
    assert_string_equal(json_string_value(json_object_get(j, "message_id")), "<alert-1.abc@bouwstroom.example>");
    assert_string_equal(json_string_value(json_object_get(j, "content_type")), "multipart/alternative");
    assert_string_equal(json_string_value(json_object_get(j, "mime_version")), "1.0");
    assert_string_equal(json_string_value(json_object_get(j, "mail_from")), "alerts@bouwstroom.example");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "rcpt_tos"), 0)), "pl@gemeente.example");
    assert_string_equal(json_string_value(json_object_get(j, "to")), "Jeroen van ’t Hek <pl@gemeente.example>");
    assert_string_equal(json_string_value(json_object_get(j, "date")), "Wed, 18 Nov 2026 11:06:40 +0000");
    assert_int_equal(json_array_size(json_object_get(j, "defects")), 0);
    assert_true(json_is_true(json_object_get(j, "crlf_only")));
    assert_true(json_integer_value(json_object_get(j, "max_line_octets")) <= 78);
    json_t *parts = json_object_get(j, "parts");
    assert_int_equal(json_array_size(parts), 2);
    json_t *p0 = json_array_get(parts, 0), *p1 = json_array_get(parts, 1);
    assert_string_equal(json_string_value(json_object_get(p0, "type")), "text/plain");
    assert_string_equal(json_string_value(json_object_get(p1, "type")), "text/html");
    assert_string_equal(json_string_value(json_object_get(p0, "charset")), "utf-8");
    assert_string_equal(json_string_value(json_object_get(p0, "cte")), "quoted-printable");
    /* the decoded text equals what we sent, line ends normalised to \n by the parser */
    assert_string_equal(json_string_value(json_object_get(p0, "text")), text);
    assert_string_equal(json_string_value(json_object_get(p1, "text")), html);
    /* encoded-words: every Subject line within 78 octets and every word ≤ 75 */
    const char *raw = json_string_value(json_object_get(j, "subject_raw"));
    assert_non_null(raw);
    json_decref(j);
}

static void test_render_is_deterministic_and_rejects_injection(void **state) {
    (void)state;
    char *a = render("x@example.nl", "same-id@bouwstroom.example");
    char *b = render("x@example.nl", "same-id@bouwstroom.example");
    assert_string_equal(a, b);
    free(a);
    free(b);
    bs_mail m = {.from_addr = "a@b.example",
                 .to_addr = "victim@example.nl>\r\nBcc: all@example.nl",
                 .subject = "x",
                 .message_id = "m@b",
                 .date_utc = 0,
                 .text = "x"};
    assert_null(bs_mail_render(&m, NULL));
    bs_mail m2 = {.from_addr = "a@b.example",
                  .to_addr = "v@example.nl",
                  .subject = "x\r\nBcc: all@example.nl",
                  .message_id = "m@b",
                  .date_utc = 0,
                  .text = "x"};
    assert_null(bs_mail_render(&m2, NULL));
    /* an ASCII subject stays plain; a long UTF-8 one becomes several encoded-words */
    char *e = bs_mail_encode_header("Start bouw", 9);
    assert_string_equal(e, "Start bouw");
    free(e);
    e = bs_mail_encode_header(subject, 9);
    int words = 0;
    for (char *p = e; (p = strstr(p, "=?UTF-8?B?")) != NULL; p++) words++;
    assert_true(words >= 3);
    for (char *line = e; line;) {
        char *nl = strstr(line, "\r\n");
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        assert_true(len + (line == e ? 9 : 0) <= 78);
        line = nl ? nl + 2 : NULL;
    }
    free(e);
}

/* List-Unsubscribe (RFC 2369) and List-Unsubscribe-Post (RFC 8058): present, folded before
 * the '<' when long, CRLF; an unsafe URL refuses the message (header injection). */
static void test_list_unsubscribe_headers(void **state) {
    (void)state;
    bs_mail m = {.from_addr = "a@b.example",
                 .to_addr = "v@example.nl",
                 .subject = "x",
                 .message_id = "m@b",
                 .date_utc = 0,
                 .text = "x",
                 .list_unsubscribe = "https://b.example/unsubscribe/abc"};
    char *r = bs_mail_render(&m, NULL);
    assert_non_null(r);
    assert_non_null(strstr(r, "\r\nList-Unsubscribe: <https://b.example/unsubscribe/abc>\r\n"));
    assert_non_null(strstr(r, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
    free(r);
    const char *long_url = "http://127.0.0.1:65535/unsubscribe/AAAAAAAAAAAAAAAAAAAAAAuBBBBBBBBBBBBBBBB";
    m.list_unsubscribe = long_url;
    r = bs_mail_render(&m, NULL);
    assert_non_null(r);
    char want[256];
    snprintf(want, sizeof want, "\r\nList-Unsubscribe:\r\n <%s>\r\n", long_url);
    assert_non_null(strstr(r, want));
    for (char *line = r; line;) { /* every line within 78 octets, CRLF only */
        char *nl = strstr(line, "\r\n");
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        assert_true(len <= 78);
        assert_null(memchr(line, '\n', len));
        line = nl ? nl + 2 : NULL;
    }
    free(r);
    const char *bad[] = {"https://b.example/x>\r\nBcc: all@example.nl", "https://b.example/a b", "mailto:x@b.example",
                         "https://b.example/a,b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.list_unsubscribe = bad[i];
        assert_null(bs_mail_render(&m, NULL));
    }
    m.list_unsubscribe = NULL; /* none: no List-* fields */
    r = bs_mail_render(&m, NULL);
    assert_null(strstr(r, "List-Unsubscribe"));
    free(r);
}

static void test_550_is_permanent(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", server_port);
    int before = count_json();
    char *msg = render("fail550@example.nl", "alert-550@bouwstroom.example");
    result r = send_one(url, false, "fail550@example.nl", msg);
    free(msg);
    assert_int_equal(r.outcome, BS_SMTP_FAILED);
    assert_int_equal(r.code, 550);
    assert_non_null(strstr(r.error, "550"));
    assert_int_equal(count_json(), before);
}

static void test_451_then_250(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", server_port);
    int before = count_json();
    char *msg = render("temp451@example.nl", "alert-451@bouwstroom.example");
    result r = send_one(url, false, "temp451@example.nl", msg);
    assert_int_equal(r.outcome, BS_SMTP_RETRY);
    assert_int_equal(r.code, 451);
    assert_int_equal(count_json(), before);
    r = send_one(url, false, "temp451@example.nl", msg);
    free(msg);
    assert_int_equal(r.outcome, BS_SMTP_SENT);
    json_t *j = load_message(before + 1);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "message_id")), "<alert-451@bouwstroom.example>");
    json_decref(j);
}

static void test_server_down_is_retry(void **state) {
    (void)state;
    /* a port nobody listens on: bind one, close it */
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_tcp_t t;
    uv_tcp_init(&loop, &t);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_bind(&t, (struct sockaddr *)&a, 0);
    struct sockaddr_in got;
    int len = sizeof got;
    uv_tcp_getsockname(&t, (struct sockaddr *)&got, &len);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(got.sin_port));
    char *msg = render("pl@example.nl", "alert-down@bouwstroom.example");
    result r = send_one(url, false, "pl@example.nl", msg);
    free(msg);
    assert_int_equal(r.outcome, BS_SMTP_RETRY);
    assert_int_equal(r.code, 0);
    assert_true(strlen(r.error) > 0);
}

static void test_starttls_required_never_falls_back(void **state) {
    (void)state;
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", server_port);
    int before = count_json();
    char *msg = render("pl@example.nl", "alert-tls@bouwstroom.example");
    result r = send_one(url, true, "pl@example.nl", msg);
    free(msg);
    assert_int_equal(r.outcome, BS_SMTP_RETRY); /* kept and retried, never sent in plaintext */
    assert_non_null(strstr(r.error, "SSL"));    /* "Requested SSL level failed" */
    assert_int_equal(count_json(), before);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_is_deterministic_and_rejects_injection),
        cmocka_unit_test(test_mime_delivered_and_parsed),
        cmocka_unit_test(test_list_unsubscribe_headers),
        cmocka_unit_test(test_550_is_permanent),
        cmocka_unit_test(test_451_then_250),
        cmocka_unit_test(test_server_down_is_retry),
        cmocka_unit_test(test_starttls_required_never_falls_back),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
