/* SPDX-License-Identifier: MIT */
/*
 * test_h4.c: the H4 streaming parser (src/hci/h4.c) against byte splits,
 * garbage, oversize and zero-length packets.
 */
#include <errno.h>

#include "bh_test.h"
#include "hci/h4.h"

#define REC_MAX 16
#define REC_BYTES 1024

/* What the callback saw: every packet's type, length and bytes in order. */
struct rec {
    unsigned count;
    uint8_t type[REC_MAX];
    uint16_t len[REC_MAX];
    uint8_t bytes[REC_BYTES];
    size_t used;
};

static void rec_cb(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len)
{
    struct rec *r = ctx;

    BH_CHECK(r->count < REC_MAX);
    BH_CHECK(r->used + len <= REC_BYTES);
    r->type[r->count] = type;
    r->len[r->count] = len;
    r->count++;
    memcpy(r->bytes + r->used, pkt, len);
    r->used += len;
}

static void check_same(const struct rec *a, const struct rec *b)
{
    BH_CHECK_EQ(a->count, b->count);
    BH_CHECK_EQ(a->used, b->used);
    BH_CHECK_MEM(a->type, b->type, a->count);
    BH_CHECK_MEM(a->len, b->len, a->count * sizeof(a->len[0]));
    BH_CHECK_MEM(a->bytes, b->bytes, a->used);
}

#define ACCEPT_ALL                                                                                 \
    (uint8_t)(BH_H4_ACCEPT(BH_H4_CMD) | BH_H4_ACCEPT(BH_H4_ACL) | BH_H4_ACCEPT(BH_H4_SCO) |        \
              BH_H4_ACCEPT(BH_H4_EVT) | BH_H4_ACCEPT(BH_H4_ISO))
#define ACCEPT_HOST (uint8_t)(BH_H4_ACCEPT(BH_H4_EVT) | BH_H4_ACCEPT(BH_H4_ACL))

/* One packet of every type, including a zero-length event and an ISO packet
 * whose RFU length bits are set. */
static const char stream_hex[] = "01 03 0c 00"                   /* CMD Reset */
                                 "04 0e 04 01 03 0c 00"          /* EVT Command Complete */
                                 "02 40 20 05 00 01 00 04 00 0a" /* ACL, 5 bytes */
                                 "03 01 00 02 aa bb"             /* SCO, 2 bytes */
                                 "04 ff 00"                      /* EVT, zero length */
                                 "05 60 00 03 c0 11 22 33"       /* ISO, len 3 | RFU bits */
                                 "02 41 00 00 00";               /* ACL, zero length */

static const char *const expect_pkts[] = {
    "03 0c 00",
    "0e 04 01 03 0c 00",
    "40 20 05 00 01 00 04 00 0a",
    "01 00 02 aa bb",
    "ff 00",
    "60 00 03 c0 11 22 33",
    "41 00 00 00",
};
static const uint8_t expect_types[] = {1, 4, 2, 3, 4, 5, 2};

static size_t stream(uint8_t *out, size_t cap)
{
    int n = bh_test_hex(stream_hex, out, cap);
    BH_CHECK(n > 0);
    return (size_t)n;
}

/* Feed `s` in up to three pieces cut at a and b; the parse must never fail. */
static void feed3(struct rec *r, const uint8_t *s, size_t n, size_t a, size_t b)
{
    static uint8_t buf[64];
    struct bh_h4 h;

    memset(r, 0, sizeof(*r));
    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_ALL, rec_cb, r);
    BH_CHECK_EQ(bh_h4_feed(&h, s, a), 0);
    BH_CHECK_EQ(bh_h4_feed(&h, s + a, b - a), 0);
    BH_CHECK_EQ(bh_h4_feed(&h, s + b, n - b), 0);
    BH_CHECK_EQ(h.stats.packets, r->count);
    BH_CHECK_EQ(h.stats.bad_type, 0);
    BH_CHECK_EQ(h.stats.oversize, 0);
}

static void test_h4_whole_stream_gives_every_packet(void)
{
    uint8_t s[128];
    size_t n = stream(s, sizeof(s));
    struct rec r;
    size_t off = 0;

    feed3(&r, s, n, n, n);
    BH_CHECK_EQ(r.count, sizeof(expect_pkts) / sizeof(expect_pkts[0]));
    for (unsigned i = 0; i < r.count; i++) {
        BH_CHECK_EQ(r.type[i], expect_types[i]);
        BH_CHECK_HEX(r.bytes + off, r.len[i], expect_pkts[i]);
        off += r.len[i];
    }
}

static void test_h4_any_single_split_gives_same_packets(void)
{
    uint8_t s[128];
    size_t n = stream(s, sizeof(s));
    struct rec whole, split;

    feed3(&whole, s, n, n, n);
    for (size_t a = 0; a <= n; a++) {
        feed3(&split, s, n, a, n);
        check_same(&whole, &split);
    }
}

static void test_h4_any_pair_of_splits_gives_same_packets(void)
{
    uint8_t s[128];
    size_t n = stream(s, sizeof(s));
    struct rec whole, split;

    feed3(&whole, s, n, n, n);
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b++) {
            feed3(&split, s, n, a, b);
            check_same(&whole, &split);
        }
    }
}

static void test_h4_one_byte_at_a_time_gives_same_packets(void)
{
    uint8_t s[128];
    size_t n = stream(s, sizeof(s));
    uint8_t buf[64];
    struct rec whole, bytes;
    struct bh_h4 h;

    feed3(&whole, s, n, n, n);
    memset(&bytes, 0, sizeof(bytes));
    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_ALL, rec_cb, &bytes);
    for (size_t i = 0; i < n; i++) {
        BH_CHECK_EQ(bh_h4_feed(&h, s + i, 1), 0);
    }
    check_same(&whole, &bytes);
}

static void test_h4_garbage_before_and_between_is_dropped_and_counted(void)
{
    uint8_t s[64];
    uint8_t buf[32];
    struct rec r = {0};
    struct bh_h4 h;
    /* 00, ff, 07 are never indicators; 01 and 03 are not accepted by a host. */
    int n = bh_test_hex("00 ff 07 01 04 0e 01 aa 03 ff 02 40 00 01 00 bb", s, sizeof(s));

    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, s, 3), -EPROTO); /* 00 ff 07 */
    BH_CHECK_EQ(h.stats.bad_type, 3);
    BH_CHECK_EQ(bh_h4_feed(&h, s + 3, 5), -EPROTO); /* 01, then the event */
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_EQ(bh_h4_feed(&h, s + 8, (size_t)n - 8), -EPROTO); /* 03 ff, then ACL */
    BH_CHECK_EQ(h.stats.bad_type, 6);
    BH_CHECK_EQ(h.stats.packets, 2);
    BH_CHECK_EQ(r.count, 2);
    BH_CHECK_EQ(r.type[0], BH_H4_EVT);
    BH_CHECK_HEX(r.bytes, r.len[0], "0e 01 aa");
    BH_CHECK_EQ(r.type[1], BH_H4_ACL);
    BH_CHECK_HEX(r.bytes + 3, r.len[1], "40 00 01 00 bb");
    /* Clean input afterwards reports no error. */
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x0f, 0x00}, 3), 0);
    BH_CHECK_EQ(r.count, 3);
}

static void test_h4_oversize_acl_is_skipped_whole_keeping_framing(void)
{
    static uint8_t s[5 + 0xFFFF + 4];
    uint8_t buf[16];
    struct rec r = {0};
    struct bh_h4 h;

    /* ACL with length 0xFFFF whose payload holds bytes that look like indicators. */
    s[0] = BH_H4_ACL;
    s[1] = 0x40;
    s[2] = 0x00;
    s[3] = 0xff;
    s[4] = 0xff;
    memset(s + 5, BH_H4_EVT, 0xFFFF);
    memcpy(s + 5 + 0xFFFF, (const uint8_t[]){0x04, 0x13, 0x01, 0x77}, 4);

    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, s, 5), -EMSGSIZE);
    BH_CHECK_EQ(h.stats.oversize, 1);
    BH_CHECK_EQ(bh_h4_feed(&h, s + 5, 1000), 0);
    BH_CHECK_EQ(bh_h4_feed(&h, s + 1005, sizeof(s) - 1005), 0);
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_EQ(r.type[0], BH_H4_EVT);
    BH_CHECK_HEX(r.bytes, r.len[0], "13 01 77");
    BH_CHECK_EQ(h.stats.bad_type, 0);
    BH_CHECK_EQ(h.stats.packets, 1);
}

static void test_h4_packet_exactly_buffer_size_fits_one_more_does_not(void)
{
    uint8_t buf[5];
    struct rec r = {0};
    struct bh_h4 h;

    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x3e, 0x03, 1, 2, 3}, 6), 0);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x3e, 0x04, 1, 2, 3, 4}, 7), -EMSGSIZE);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x10, 0x00}, 3), 0);
    BH_CHECK_EQ(r.count, 2);
    BH_CHECK_HEX(r.bytes, r.len[0], "3e 03 01 02 03");
    BH_CHECK_HEX(r.bytes + 5, r.len[1], "10 00");
    BH_CHECK_EQ(h.stats.oversize, 1);
}

static void test_h4_buffer_smaller_than_header_never_writes_past_it(void)
{
    uint8_t buf[3] = {0xee, 0xee, 0xee};
    struct rec r = {0};
    struct bh_h4 h;

    /* Only buf[0..1] are given to the parser; buf[2] must stay untouched. */
    bh_h4_init(&h, buf, 2, ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x02, 0x01, 0x00, 0x00, 0x00}, 5), -EMSGSIZE);
    BH_CHECK_EQ(buf[2], 0xee);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x05, 0x00}, 3), 0);
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_HEX(r.bytes, r.len[0], "05 00");
    BH_CHECK_EQ(buf[2], 0xee);
}

static void test_h4_zero_length_event_is_delivered_with_header(void)
{
    uint8_t buf[8];
    struct rec r = {0};
    struct bh_h4 h;

    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x1a}, 2), 0);
    BH_CHECK_EQ(r.count, 0);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x00}, 1), 0);
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_EQ(r.type[0], BH_H4_EVT);
    BH_CHECK_HEX(r.bytes, r.len[0], "1a 00");
}

static void test_h4_reset_forgets_partial_packet(void)
{
    uint8_t buf[16];
    struct rec r = {0};
    struct bh_h4 h;

    bh_h4_init(&h, buf, sizeof(buf), ACCEPT_HOST, rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x0e, 0x04, 0x01}, 4), 0);
    bh_h4_reset(&h);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x04, 0x0f, 0x01, 0x00}, 4), 0);
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_HEX(r.bytes, r.len[0], "0f 01 00");
}

static void test_h4_iso_length_ignores_rfu_bits(void)
{
    uint8_t buf[16];
    struct rec r = {0};
    struct bh_h4 h;

    /* Length field 0xc001: 1 byte of data, the RFU bits must not count. */
    bh_h4_init(&h, buf, sizeof(buf), BH_H4_ACCEPT(BH_H4_ISO), rec_cb, &r);
    BH_CHECK_EQ(bh_h4_feed(&h, (const uint8_t[]){0x05, 0x01, 0x00, 0x01, 0xc0, 0x99, 0x05}, 7), 0);
    BH_CHECK_EQ(r.count, 1);
    BH_CHECK_HEX(r.bytes, r.len[0], "01 00 01 c0 99");
    BH_CHECK_EQ(h.stats.oversize, 0);
}

BH_TEST_MAIN(BH_TEST(test_h4_whole_stream_gives_every_packet),
             BH_TEST(test_h4_any_single_split_gives_same_packets),
             BH_TEST(test_h4_any_pair_of_splits_gives_same_packets),
             BH_TEST(test_h4_one_byte_at_a_time_gives_same_packets),
             BH_TEST(test_h4_garbage_before_and_between_is_dropped_and_counted),
             BH_TEST(test_h4_oversize_acl_is_skipped_whole_keeping_framing),
             BH_TEST(test_h4_packet_exactly_buffer_size_fits_one_more_does_not),
             BH_TEST(test_h4_buffer_smaller_than_header_never_writes_past_it),
             BH_TEST(test_h4_zero_length_event_is_delivered_with_header),
             BH_TEST(test_h4_reset_forgets_partial_packet),
             BH_TEST(test_h4_iso_length_ignores_rfu_bits))
