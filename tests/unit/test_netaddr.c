/*
 * Client addresses, trusted proxies and the connection caps (api/netaddr.c,
 * api/conn_limit.c): parsing addresses and CIDR blocks, the client address behind trusted
 * proxies (X-Forwarded-For read from the right, nginx's real_ip_recursive), and the counts
 * per address and in total.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "conn_limit.h"
#include "netaddr.h"

static bs_netaddr addr(const char *s) {
    bs_netaddr a;
    assert_int_equal(bs_netaddr_parse(s, strlen(s), &a, NULL), 0);
    return a;
}

static const char *text(const bs_netaddr *a) {
    static char buf[BS_NETADDR_TEXT];
    bs_netaddr_format(a, buf, sizeof buf);
    return buf;
}

static void test_parse(void **state) {
    (void)state;
    bs_netaddr a = addr("192.0.2.1");
    assert_int_equal(a.family, AF_INET);
    assert_string_equal(text(&a), "192.0.2.1");
    a = addr("2001:DB8::1");
    assert_int_equal(a.family, AF_INET6);
    assert_string_equal(text(&a), "2001:db8::1");
    a = addr("::ffff:192.0.2.1"); /* an IPv4-mapped address is the IPv4 address */
    assert_int_equal(a.family, AF_INET);
    assert_true(bs_netaddr_equal(&a, &(bs_netaddr){0}) == false);
    bs_netaddr b = addr("192.0.2.1");
    assert_true(bs_netaddr_equal(&a, &b));
    bs_err e = {0};
    const char *bad[] = {"", "192.0.2", "192.0.2.1:80", "example.test", " 192.0.2.1", "[::1]", "::1/128"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(bs_netaddr_parse(bad[i], strlen(bad[i]), &a, &e), BS_EINVAL);
    assert_int_equal(a.family, 0);
    assert_string_equal(text(&a), "");
    struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:10.1.2.3", &sa6.sin6_addr);
    assert_int_equal(bs_netaddr_from_sockaddr((struct sockaddr *)&sa6, &a), 0);
    assert_string_equal(text(&a), "10.1.2.3");
}

static void test_cidr_list(void **state) {
    (void)state;
    bs_cidr_list l;
    bs_err e = {0};
    assert_int_equal(bs_cidr_list_parse("10.0.0.0/8, 192.168.1.10 ::1,fd00::/8\t::ffff:172.16.0.0/108", &l, &e), 0);
    assert_int_equal(l.n, 5);
    const char *in[] = {"10.0.0.1", "10.255.255.255", "192.168.1.10", "::1", "fd12::7", "172.16.0.1", "172.31.9.9"};
    const char *out[] = {"11.0.0.1", "192.168.1.11", "::2", "fe00::1", "172.32.0.1", "9.255.255.255"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        bs_netaddr a = addr(in[i]);
        assert_true(bs_cidr_list_contains(&l, &a));
    }
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        bs_netaddr a = addr(out[i]);
        assert_false(bs_cidr_list_contains(&l, &a));
    }
    bs_cidr_list_free(&l);
    assert_int_equal(l.n, 0);
    /* bits after the prefix are ignored; /0 is everything of its family */
    assert_int_equal(bs_cidr_list_parse("10.1.2.3/8 0.0.0.0/0", &l, &e), 0);
    bs_netaddr a = addr("10.200.0.1"), v6 = addr("2001:db8::1");
    assert_true(bs_cidr_list_contains(&l, &a));
    a = addr("8.8.8.8");
    assert_true(bs_cidr_list_contains(&l, &a));
    assert_false(bs_cidr_list_contains(&l, &v6));
    bs_cidr_list_free(&l);
    /* empty lists */
    assert_int_equal(bs_cidr_list_parse(NULL, &l, &e), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(bs_cidr_list_parse(" , ", &l, &e), 0);
    assert_int_equal(l.n, 0);
    assert_false(bs_cidr_list_contains(&l, &a));
    /* errors name the entry and leave the list empty */
    const char *bad[] = {"10.0.0.0/33",   "10.0.0.0/",         "10.0.0.0/8x",       "::/129",
                         "proxy.example", "10.0.0.1 nonsense", "::ffff:10.0.0.0/95"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(bs_cidr_list_parse(bad[i], &l, &e), BS_EINVAL);
        assert_int_equal(l.n, 0);
        assert_null(l.items);
    }
    assert_non_null(strstr(e.msg, "::ffff:10.0.0.0/95"));
}

/* The client of a request from peer with the X-Forwarded-For headers xff (n of them). */
static const char *client(const char *trusted, const char *peer, const char *const *xff, size_t n) {
    bs_cidr_list l;
    assert_int_equal(bs_cidr_list_parse(trusted, &l, NULL), 0);
    bs_netaddr p = addr(peer), out;
    bs_client_address(&p, &l, xff, n, &out);
    bs_cidr_list_free(&l);
    return text(&out);
}

static void test_client_address(void **state) {
    (void)state;
    const char *one[] = {"203.0.113.7"};
    /* an untrusted peer's header is its own text: ignored */
    assert_string_equal(client("10.0.0.0/8", "198.51.100.1", one, 1), "198.51.100.1");
    assert_string_equal(client("", "198.51.100.1", one, 1), "198.51.100.1");
    /* a trusted proxy's: the entry it appended */
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", one, 1), "203.0.113.7");
    /* no header from a trusted proxy: the proxy itself */
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", NULL, 0), "10.0.0.1");
    /* a chain of trusted proxies is passed over; what the client wrote itself is not believed */
    const char *chain[] = {"1.1.1.1, 203.0.113.7, 10.0.0.2"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", chain, 1), "203.0.113.7");
    assert_string_equal(client("10.0.0.1", "10.0.0.1", chain, 1), "10.0.0.2"); /* 10.0.0.2 not trusted */
    /* every entry trusted: the leftmost */
    const char *all[] = {"10.0.0.3,10.0.0.2"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", all, 1), "10.0.0.3");
    /* several headers are one list, in order */
    const char *two[] = {"1.1.1.1", "203.0.113.7"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", two, 2), "203.0.113.7");
    /* ports, brackets, white space and empty elements */
    const char *v6[] = {"[2001:db8::1]:443"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", v6, 1), "2001:db8::1");
    const char *port[] = {" 203.0.113.7:5555 , "};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", port, 1), "203.0.113.7");
    const char *bare6[] = {"2001:db8::2"};
    assert_string_equal(client("::1", "::1", bare6, 1), "2001:db8::2");
    /* an unreadable entry stops the walk at the last trusted hop */
    const char *junk[] = {"203.0.113.7, unknown"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", junk, 1), "10.0.0.1");
    const char *junk2[] = {"unknown, 10.0.0.2"};
    assert_string_equal(client("10.0.0.0/8", "10.0.0.1", junk2, 1), "10.0.0.2");
    /* an IPv4-mapped peer is trusted as its IPv4 address */
    assert_string_equal(client("10.0.0.0/8", "::ffff:10.0.0.1", one, 1), "203.0.113.7");
}

static void test_conn_limits(void **state) {
    (void)state;
    bs_conn_limits *l = bs_conn_limits_new(5, 2);
    bs_netaddr a = addr("192.0.2.1"), b = addr("192.0.2.2"), p = addr("10.0.0.1");
    assert_int_equal(bs_conn_admit(l, &a, false), BS_CONN_ADMIT);
    assert_int_equal(bs_conn_admit(l, &a, false), BS_CONN_ADMIT);
    assert_int_equal(bs_conn_admit(l, &a, false), BS_CONN_OVER_CLIENT);
    assert_int_equal(bs_conn_open_from(l, &a), 2);
    assert_int_equal(bs_conn_admit(l, &b, false), BS_CONN_ADMIT);
    /* a trusted proxy is exempt from the per-address cap, not from the total */
    assert_int_equal(bs_conn_admit(l, &p, true), BS_CONN_ADMIT);
    assert_int_equal(bs_conn_admit(l, &p, true), BS_CONN_ADMIT);
    assert_int_equal(bs_conn_open(l), 5);
    assert_int_equal(bs_conn_admit(l, &p, true), BS_CONN_OVER_TOTAL);
    assert_int_equal(bs_conn_admit(l, &b, false), BS_CONN_OVER_TOTAL);
    /* a closed connection frees its place */
    bs_conn_release(l, &a);
    assert_int_equal(bs_conn_open_from(l, &a), 1);
    assert_int_equal(bs_conn_admit(l, &b, false), BS_CONN_ADMIT);
    assert_int_equal(bs_conn_admit(l, &b, false), BS_CONN_OVER_CLIENT);
    assert_int_equal(bs_conn_max_total(l), 5);
    assert_int_equal(bs_conn_max_per_client(l), 2);
    /* freed while connections are open: gone with the last of them (ASan: no leak) */
    bs_conn_limits_free(l);
    bs_conn_release(l, &a);
    bs_conn_release(l, &b);
    bs_conn_release(l, &b);
    bs_conn_release(l, &p);
    bs_conn_release(l, &p);
    /* many addresses, one table */
    l = bs_conn_limits_new(3000, 1);
    char s[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(s, sizeof s, "10.%d.%d.1", i / 256, i % 256);
        bs_netaddr x = addr(s);
        assert_int_equal(bs_conn_admit(l, &x, false), BS_CONN_ADMIT);
        assert_int_equal(bs_conn_admit(l, &x, false), BS_CONN_OVER_CLIENT);
    }
    assert_int_equal(bs_conn_open(l), 3000);
    for (int i = 0; i < 3000; i++) {
        snprintf(s, sizeof s, "10.%d.%d.1", i / 256, i % 256);
        bs_netaddr x = addr(s);
        bs_conn_release(l, &x);
        assert_int_equal(bs_conn_open_from(l, &x), 0);
    }
    assert_int_equal(bs_conn_open(l), 0);
    bs_conn_limits_free(l);
    /* the ceiling the open-files limit allows */
    assert_int_equal(bs_conn_total_ceiling(1024, 64), 1024 - BS_CONN_RESERVED_FDS - 64);
    assert_int_equal(bs_conn_total_ceiling(100, 64), 16);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_cidr_list),
        cmocka_unit_test(test_client_address),
        cmocka_unit_test(test_conn_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
