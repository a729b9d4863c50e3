/*
 * Unit tests of the ZGW adapter's pure parts: RSIN 11-test, the HS256 JWT, the centroid,
 * the RD → WGS84 conversion (PROJ), the backoff with jitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "outbox.h"
#include "queue_policy.h"
#include "zgw.h"

static void test_rsin(void **state) {
    (void)state;
    assert_true(bs_zgw_rsin_valid("002220647")); /* the RSIN in the ZGW examples */
    assert_true(bs_zgw_rsin_valid("111222333")); /* 9+8+7+12+10+8+9+6-3 = 66 = 6·11 */
    assert_false(bs_zgw_rsin_valid("111222334"));
    assert_false(bs_zgw_rsin_valid("000000000")); /* all zeros is not a number */
    assert_false(bs_zgw_rsin_valid("12345678"));
    assert_false(bs_zgw_rsin_valid("00222064a"));
    assert_false(bs_zgw_rsin_valid(NULL));
}

static void test_jwt(void **state) {
    (void)state;
    /* expected value computed independently with Python's hmac/hashlib (sorted compact claims) */
    char *jwt = bs_zgw_jwt("bouwstroom", "geheim", "u", "U", 1700000000LL);
    assert_non_null(jwt);
    assert_string_equal(jwt, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                             "eyJjbGllbnRfaWQiOiJib3V3c3Ryb29tIiwiaWF0IjoxNzAwMDAwMDAwLCJpc3MiOiJib3V3c3Ryb29tIiwidXNl"
                             "cl9pZCI6InUiLCJ1c2VyX3JlcHJlc2VudGF0aW9uIjoiVSJ9."
                             "3rYScF1_5JLCjNnEFc2EdeTd3R-gkmS5tOBXYgrG1CE");
    free(jwt);
}

static void test_centroid(void **state) {
    (void)state;
    json_t *sq = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[4,0],[4,2],[0,2],[0,0]]]}", 0, NULL);
    double x, y;
    assert_int_equal(bs_zgw_centroid(sq, &x, &y), 0);
    assert_true(fabs(x - 2) < 1e-9 && fabs(y - 1) < 1e-9);
    json_decref(sq);
    /* an L: two 1×1 squares and one more → centroid of three unit squares */
    json_t *mp = json_loads("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[0,0],[2,0],[2,1],[0,1],[0,0]]],"
                            "[[[0,1],[1,1],[1,2],[0,2],[0,1]]]]}",
                            0, NULL);
    assert_int_equal(bs_zgw_centroid(mp, &x, &y), 0);
    assert_true(fabs(x - (1.0 * 2 + 0.5) / 3) < 1e-9);
    assert_true(fabs(y - (0.5 * 2 + 1.5) / 3) < 1e-9);
    json_decref(mp);
    json_t *ls = json_loads("{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,1]]}", 0, NULL);
    assert_int_equal(bs_zgw_centroid(ls, &x, &y), -1);
    json_decref(ls);
}

static void test_rd_to_wgs84(void **state) {
    (void)state;
    double lon, lat;
    /* the RD origin, Onze Lieve Vrouwetoren Amersfoort: 52.15517°N 5.38721°E in WGS84
     * (Kadaster, RDNAPTRANS reference point; about 1 m without the correction grid) */
    assert_int_equal(bs_zgw_to_wgs84("EPSG:28992", 155000, 463000, &lon, &lat), 0);
    assert_true(fabs(lat - 52.15517) < 1e-4);
    assert_true(fabs(lon - 5.38721) < 1e-4);
    assert_int_equal(bs_zgw_to_wgs84("EPSG:4326", 5.1, 52.1, &lon, &lat), 0);
    assert_true(lon == 5.1 && lat == 52.1);
    assert_int_equal(bs_zgw_to_wgs84("EPSG:3857", 0, 0, &lon, &lat), -1);
    bs_zgw_proj_free();
}

static void test_backoff(void **state) {
    (void)state;
    /* equal jitter: [d/2, d) with d = min(cap, base·2^(attempt−1)) */
    assert_int_equal(bs_queue_backoff_ms(1, 1000, 60000, 0.0), 500);
    assert_int_equal(bs_queue_backoff_ms(1, 1000, 60000, 0.5), 750);
    assert_int_equal(bs_queue_backoff_ms(3, 1000, 60000, 0.0), 2000);
    assert_int_equal(bs_queue_backoff_ms(30, 1000, 60000, 0.0), 30000);
    assert_true(bs_queue_backoff_ms(30, 1000, 60000, 0.999) < 60000);
    assert_int_equal(bs_queue_backoff_ms(0, 1000, 60000, 0.0), 500);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsin),        cmocka_unit_test(test_jwt),     cmocka_unit_test(test_centroid),
        cmocka_unit_test(test_rd_to_wgs84), cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
