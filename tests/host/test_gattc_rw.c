/* SPDX-License-Identifier: MIT */
/*
 * test_gattc_rw.c: GATT client reads, long reads, writes with and without
 * response (truncated to ATT_MTU-3) and the MTU exchange
 * (src/host/gattc_rw.c), against scripted ATT responses.
 */
#include "gattc_harness.h"

#define C40 0x0040

/* Hex of n bytes counting up from first ("00 01 02 ..."); four rotating
 * buffers so a test can hold a few at once. */
static const char *pat(unsigned first, unsigned n)
{
    static char bufs[4][1600];
    static unsigned k;
    char *s = bufs[k++ % 4];
    size_t o = 0;

    s[0] = '\0';
    for (unsigned i = 0; i < n; i++) {
        o += (size_t)snprintf(s + o, sizeof(bufs[0]) - o, "%02x", (first + i) & 0xff);
    }
    return s;
}

static char line[2][1700];

/* "<prefix> <pattern>" into one of two lines. */
static const char *cat(unsigned which, const char *prefix, const char *hex)
{
    snprintf(line[which], sizeof(line[0]), "%s %s", prefix, hex);
    return line[which];
}

/* ---- read ------------------------------------------------------------------------ */

static void test_gattc_read_error_gives_only_done(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_ble_gattc_read(C40, 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, "01 0a 0300 02");
    h_expect_events("c40 read_done 0003 2", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* A Read Response longer than ATT_MTU-1 (22 here) breaks the protocol. */
static void test_gattc_read_rsp_longer_than_mtu_fails(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, cat(0, "0b", pat(0, 23)));
    h_expect_events("c40 read_done 0003 101", NULL);
    BH_CHECK_EQ(bh_gattc_stats()->rx_bad_rsp, 1);
    /* exactly 22 bytes is fine, and a single read does not continue */
    BH_CHECK_EQ(bh_gattc_read(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, cat(0, "0b", pat(0, 22)));
    h_expect_events(cat(1, "c40 read 0003", pat(0, 22)), "c40 read_done 0003 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_teardown();
}

/* Core 5.4 Vol 3 Part G 4.8.3: Read Blob while the part fills ATT_MTU-1. */
static void test_gattc_read_long_continues_with_blob(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, cat(0, "0b", pat(0, 22)));
    h_expect_events(cat(1, "c40 read 0003", pat(0, 22)), NULL);
    h_expect_att(C40, "0c 0300 1600");
    h_rx_att(C40, cat(0, "0d", pat(22, 22)));
    h_expect_events(cat(1, "c40 read 0003", pat(22, 22)), NULL);
    h_expect_att(C40, "0c 0300 2c00");
    h_rx_att(C40, "0d 2c2d2e");
    h_expect_events("c40 read 0003 2c2d2e", "c40 read_done 0003 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_teardown();
}

/* A value that is an exact multiple of the part size ends with Invalid
 * Offset or Attribute Not Long on the next blob: still a success. */
static void test_gattc_read_long_exact_multiple_ends_ok(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, cat(0, "0b", pat(0, 22)));
    h_expect_att(C40, "0c 0300 1600");
    h_rx_att(C40, "01 0c 0300 07");
    h_expect_events(cat(1, "c40 read 0003", pat(0, 22)), "c40 read_done 0003 0", NULL);
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0005), 0);
    h_expect_att(C40, "0a 0500");
    h_rx_att(C40, cat(0, "0b", pat(0, 22)));
    h_expect_att(C40, "0c 0500 1600");
    h_rx_att(C40, "01 0c 0500 0b");
    h_expect_events(cat(1, "c40 read 0005", pat(0, 22)), "c40 read_done 0005 0", NULL);
    /* on the first Read the same codes are real errors */
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0007), 0);
    h_expect_att(C40, "0a 0700");
    h_rx_att(C40, "01 0a 0700 0b");
    h_expect_events("c40 read_done 0007 b", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* A server that never sends a short part cannot keep us reading: values
 * are at most 512 bytes (Core 5.4 Vol 3 Part F 3.2.9). */
static void test_gattc_read_long_bounded_at_512(void)
{
    unsigned parts = 0;

    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    for (;;) {
        h_rx_att(C40, cat(0, parts == 0 ? "0b" : "0d", pat(parts, 22)));
        parts++;
        if (parts * 22 >= 512) {
            break;
        }
        char req[32];
        snprintf(req, sizeof(req), "0c 0300 %02x%02x", (parts * 22) & 0xff, (parts * 22) >> 8);
        h_expect_att(C40, req);
    }
    h_expect_no_att();
    BH_CHECK_EQ(parts, 24);
    for (unsigned i = 0; i < 24; i++) {
        BH_CHECK(strncmp(h.evts[h.next_evt + i], "c40 read 0003 ", 14) == 0);
    }
    BH_CHECK_EQ(h.n_evts - h.next_evt, 25);
    BH_CHECK(strcmp(h.evts[h.next_evt + 24], "c40 read_done 0003 0") == 0);
    h_skip_events();
    h_disconnect(C40);
    h_teardown();
}

/* ---- write --------------------------------------------------------------------------- */

static void test_gattc_write_rsp_reports_status(void)
{
    static const uint8_t v[] = {0xaa, 0xbb};

    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0003, v, sizeof(v), 1), 0);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0005, v, sizeof(v), 1), 0);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0007, v, 0, 1), 0);
    h_expect_att(C40, "12 0300 aabb");
    h_rx_att(C40, "13");
    h_expect_att(C40, "12 0500 aabb");
    h_rx_att(C40, "01 12 0500 03");
    h_expect_att(C40, "12 0700");
    h_rx_att(C40, "13 00");
    h_expect_events("c40 write_done 0003 0", "c40 write_done 0005 3", "c40 write_done 0007 101",
                    NULL);
    h_disconnect(C40);
    h_teardown();
}

/* API.md 1.3: longer values are silently truncated to ATT_MTU-3. */
static void test_gattc_write_truncated_to_mtu_minus_3(void)
{
    uint8_t v[30];

    for (unsigned i = 0; i < sizeof(v); i++) {
        v[i] = (uint8_t)i;
    }
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0003, v, sizeof(v), 1), 0);
    h_expect_att(C40, cat(0, "12 0300", pat(0, 20)));
    /* a Write Command goes out beside the outstanding request */
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0009, v, sizeof(v), 0), 0);
    h_expect_att(C40, cat(1, "52 0900", pat(0, 20)));
    h_rx_att(C40, "13");
    h_expect_events("c40 write_done 0003 0", NULL);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0009, v, 5, 0), 0);
    h_expect_att(C40, "52 0900 0001020304");
    h_expect_no_events();
    h_disconnect(C40);
    h_teardown();
}

/* ---- MTU exchange ---------------------------------------------------------------------- */

/* We offer our preferred MTU; the link gets min(ours, theirs) and IRQ 21.
 * Values then truncate to the new MTU-3 (and go out in ACL fragments). */
static void test_gattc_mtu_exchange_applies_minimum(void)
{
    uint8_t v[200];
    char want[8];

    for (unsigned i = 0; i < sizeof(v); i++) {
        v[i] = (uint8_t)i;
    }
    h_setup();
    h_connect(C40);
    snprintf(want, sizeof(want), "02 %02x%02x", bh_att_preferred_mtu() & 0xff,
             bh_att_preferred_mtu() >> 8);
    BH_CHECK(bh_att_preferred_mtu() > 158);
    BH_CHECK_EQ(bh_ble_gattc_exchange_mtu(C40), 0);
    h_expect_att(C40, want);
    h_rx_att(C40, "03 9e00");
    h_expect_events("c40 mtu 158", NULL);
    BH_CHECK_EQ(bh_att_mtu(h_conn(C40)), 158);
    BH_CHECK_EQ(bh_ble_gattc_exchange_mtu(C40), -EALREADY);
    BH_CHECK_EQ(bh_ble_gattc_write(C40, 0x0003, v, sizeof(v), 0), 0);
    h_expect_att(C40, cat(0, "52 0300", pat(0, 155)));
    /* a long read now takes parts of 157 bytes */
    BH_CHECK_EQ(bh_gattc_read_long(h_conn(C40), 0x0003), 0);
    h_expect_att(C40, "0a 0300");
    h_rx_att(C40, cat(0, "0b", pat(0, 157)));
    h_expect_att(C40, "0c 0300 9d00");
    h_rx_att(C40, "0d 01");
    h_expect_events(cat(1, "c40 read 0003", pat(0, 157)), "c40 read 0003 01",
                    "c40 read_done 0003 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* A Server Rx MTU below 23 counts as 23; a malformed response or an Error
 * Response ends the exchange without IRQ 21 (as NimBLE's binding). */
static void test_gattc_mtu_exchange_odd_answers(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_exchange_mtu(h_conn(C40)), 0);
    h_expect_att(C40, "02 0001");
    h_rx_att(C40, "03 0a00");
    h_expect_events("c40 mtu 23", NULL);
    BH_CHECK_EQ(bh_att_mtu(h_conn(C40)), 23);
    h_disconnect(C40);

    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_exchange_mtu(h_conn(C40)), 0);
    h_expect_att(C40, "02 0001");
    h_rx_att(C40, "03 9e00 00");
    BH_CHECK_EQ(bh_gattc_stats()->rx_bad_rsp, 1);
    BH_CHECK_EQ(bh_att_mtu(h_conn(C40)), 23);
    h_disconnect(C40);

    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_exchange_mtu(h_conn(C40)), 0);
    h_expect_att(C40, "02 0001");
    h_rx_att(C40, "01 02 0000 06");
    h_expect_no_events();
    BH_CHECK_EQ(bh_gattc_procs_in_use(), 0);
    h_disconnect(C40);
    h_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gattc_read_error_gives_only_done),
             BH_TEST(test_gattc_read_rsp_longer_than_mtu_fails),
             BH_TEST(test_gattc_read_long_continues_with_blob),
             BH_TEST(test_gattc_read_long_exact_multiple_ends_ok),
             BH_TEST(test_gattc_read_long_bounded_at_512),
             BH_TEST(test_gattc_write_rsp_reports_status),
             BH_TEST(test_gattc_write_truncated_to_mtu_minus_3),
             BH_TEST(test_gattc_mtu_exchange_applies_minimum),
             BH_TEST(test_gattc_mtu_exchange_odd_answers))
