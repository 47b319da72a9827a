/* SPDX-License-Identifier: MIT */
/*
 * test_att.c: the ATT bearer (src/host/att.c) through the whole host:
 * dispatch of unknown opcodes, MTU exchange, unsolicited responses and
 * confirmations, the one-request rules, the transaction timeouts that kill
 * the bearer, and responses owed while the transmit pool is empty.
 */
#include "gatts_fixture.h"

#include "host/gattc.h"

static void setup(void)
{
    fx_setup();
    fx_register();
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"hello", 5, false), 0);
    fake_ctrl_clear_sent();
    fx_clear_events();
}

static const struct fx_case unknown_cases[] = {
    {"unknown request", "3f 01 02", "01 3f 00 00 06"},
    {"unknown request, no params", "30", "01 30 00 00 06"},
    {"unknown command dropped", "7f 01 02", ""},
    {"unknown signed command dropped", "ff", ""},
    {"empty pdu dropped", "", ""},
};

static void test_att_unknown_opcode_table(void)
{
    uint32_t unsup, dropped;

    setup();
    unsup = bh_att_stats()->rx_unsupported;
    dropped = bh_att_stats()->rx_dropped;
    fx_run_table(unknown_cases, sizeof(unknown_cases) / sizeof(unknown_cases[0]));
    BH_CHECK_EQ(bh_att_stats()->rx_unsupported - unsup, 2);
    BH_CHECK_EQ(bh_att_stats()->rx_dropped - dropped, 3);
    fx_teardown();
}

static const struct fx_case mtu_bad_cases[] = {
    {"short", "02 17", "01 02 00 00 04"},
    {"trailing", "02 17 00 00", "01 02 00 00 04"},
};

static void test_att_exchange_mtu_req(void)
{
    uint32_t invalid;

    setup();
    invalid = bh_att_stats()->rx_invalid_pdu;
    fx_run_table(mtu_bad_cases, 2);
    BH_CHECK_EQ(bh_att_stats()->rx_invalid_pdu - invalid, 2);
    BH_CHECK_EQ(bh_att_mtu(fx_conn()), 23);
    fx_send("02 00 02"); /* client 512, ours 256 */
    FX_EXPECT("03 00 01");
    BH_CHECK_EQ(bh_att_mtu(fx_conn()), 256);
    BH_CHECK_EQ(fx_count(BH_IRQ_MTU_EXCHANGED, 0), 1);
    BH_CHECK_EQ(fx_last(BH_IRQ_MTU_EXCHANGED)->a, 256);
    BH_CHECK_EQ(fx_last(BH_IRQ_MTU_EXCHANGED)->conn, FX_CONN);
    fx_teardown();
}

static void test_att_exchange_mtu_small_and_preferred(void)
{
    setup();
    fx_send("02 10 00"); /* below 23: taken as 23 */
    FX_EXPECT("03 00 01");
    BH_CHECK_EQ(bh_att_mtu(fx_conn()), 23);
    BH_CHECK_EQ(fx_last(BH_IRQ_MTU_EXCHANGED)->a, 23);
    BH_CHECK_EQ(bh_att_set_preferred_mtu(22), -EINVAL);
    BH_CHECK_EQ(bh_att_set_preferred_mtu(BH_CONFIG_ATT_MTU_MAX + 1), -EINVAL);
    BH_CHECK_EQ(bh_ble_set_preferred_mtu(100), 0);
    fx_send("02 f4 00");
    FX_EXPECT("03 64 00");
    BH_CHECK_EQ(bh_att_mtu(fx_conn()), 100);
    BH_CHECK_EQ(bh_att_set_preferred_mtu(BH_CONFIG_ATT_MTU_DEFAULT), 0);
    fx_teardown();
}

static const struct fx_case unsolicited_cases[] = {
    {"read response", "0b 00", ""}, {"error response", "01 0a 03 00 0a", ""},
    {"write response", "13", ""},   {"mtu response", "03 17 00", ""},
    {"confirmation", "1e", ""},
};

static void test_att_unsolicited_rsp_and_cfm_dropped(void)
{
    uint32_t unexpected;

    setup();
    unexpected = bh_att_stats()->rx_unexpected_rsp;
    fx_run_table(unsolicited_cases, sizeof(unsolicited_cases) / sizeof(unsolicited_cases[0]));
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 5);
    fx_teardown();
}

static struct bh_buf *pdu(const char *hex)
{
    uint8_t b[64];
    int n = bh_test_hex(hex, b, sizeof(b));
    struct bh_buf *buf = bh_att_buf_alloc();

    BH_CHECK(buf != NULL && n > 0);
    BH_CHECK_EQ(bh_buf_add_mem(buf, b, (uint16_t)n), 0);
    return buf;
}

static void test_att_client_one_request_and_matching(void)
{
    uint32_t unexpected;

    setup();
    unexpected = bh_att_stats()->rx_unexpected_rsp;
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 03 00")), 0);
    FX_EXPECT("0a 03 00");
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 05 00")), -EBUSY);
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("52 03 00 41")), 0); /* commands pass */
    FX_EXPECT("52 03 00 41");
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("1b 03 00")), -EINVAL); /* not a request */
    fx_send("13");             /* another request's response: dropped */
    fx_send("01 12 03 00 01"); /* error for another request: dropped */
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 2);
    fx_send("01 0a 03 00 0a"); /* matches: the request is over */
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 2);
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 05 00")), 0);
    FX_EXPECT("0a 05 00");
    fx_send("0b 41");
    fx_send("0b 41"); /* a second answer is unsolicited */
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 3);
    /* the server side is independent: a peer request is answered meanwhile */
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 05 00")), 0);
    FX_EXPECT("0a 05 00");
    fx_send("0a 0c 00");
    FX_EXPECT("0b 68 65 6c 6c 6f");
    fx_send("0b 41");
    fx_teardown();
}

static void test_att_client_timeout_kills_bearer(void)
{
    uint32_t timeouts, dropped;

    setup();
    timeouts = bh_att_stats()->timeouts;
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 03 00")), 0);
    FX_EXPECT("0a 03 00");
    fake_ctrl_advance(BH_ATT_TIMEOUT_MS - 1);
    BH_CHECK(!bh_att_is_dead(fx_conn()));
    fake_ctrl_advance(1);
    BH_CHECK(bh_att_is_dead(fx_conn()));
    BH_CHECK_EQ(bh_att_stats()->timeouts - timeouts, 1);
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 03 00")), -EPIPE);
    dropped = bh_att_stats()->rx_dropped;
    fx_send("0a 0c 00"); /* nothing is answered on a dead bearer */
    fx_send("0b 41");
    FX_EXPECT("");
    BH_CHECK_EQ(bh_att_stats()->rx_dropped - dropped, 2);
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 12, BH_GATTS_NOTIFY, NULL, 0), -EPIPE);
    fx_teardown();
}

static void test_att_indication_timeout_kills_bearer(void)
{
    setup();
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 20, BH_GATTS_INDICATE, NULL, 0), 0);
    FX_EXPECT("1d 14 00");
    BH_CHECK(bh_att_indication_pending(fx_conn()));
    fake_ctrl_advance(BH_ATT_TIMEOUT_MS);
    BH_CHECK(bh_att_is_dead(fx_conn()));
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 20), 1);
    BH_CHECK(fx_last(BH_IRQ_GATTS_INDICATE_DONE)->b != 0);
    fx_send("1e 00"); /* malformed, and too late anyway */
    fx_send("1e");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 20), 1);
    fx_send("0a 0c 00");
    FX_EXPECT("");
    fx_teardown();
}

static void test_att_peer_indication_confirmed(void)
{
    uint32_t dropped;

    setup();
    fx_send("1d 0c 00 41");
    FX_EXPECT("1e");
    fx_send("1b 0c 00 41");
    FX_EXPECT("");
    fx_send("23 0c 00 01 00 41 0d 00 01 00 42");
    FX_EXPECT("");
    dropped = bh_att_stats()->rx_dropped;
    fx_send("1d 0c"); /* short: dropped, not confirmed */
    fx_send("1b 0c");
    fx_send("23 0c 00 05 00 41 0d 00"); /* lies about a length */
    FX_EXPECT("");
    BH_CHECK_EQ(bh_att_stats()->rx_dropped - dropped, 3);
    fx_teardown();
}

/* Take every ACL transmit buffer. */
static unsigned drain_tx(struct bh_buf **held, unsigned cap)
{
    unsigned n = 0;

    while (n < cap && (held[n] = bh_hci_acl_buf_alloc(0)) != NULL) {
        n++;
    }
    BH_CHECK(n < cap);
    return n;
}

static void test_att_response_owed_when_no_buffer(void)
{
    struct bh_buf *held[32];
    unsigned n;
    uint32_t dropped;

    setup();
    n = drain_tx(held, 32);
    fx_send("0a 0c 00");
    FX_EXPECT("");
    dropped = bh_att_stats()->rx_dropped;
    fx_send("0a 05 00"); /* the client may not ask twice (3.3.2): dropped */
    BH_CHECK_EQ(bh_att_stats()->rx_dropped - dropped, 1);
    fx_send("1d 0c 00 41"); /* its confirmation is owed too */
    FX_EXPECT("");
    /* One buffer is enough: it comes back once the frame is handed to the
     * controller, and then carries the owed confirmation. */
    bh_buf_unref(held[--n]);
    fake_ctrl_pump();
    FX_EXPECT("0b 68 65 6c 6c 6f");
    FX_EXPECT("1e");
    FX_EXPECT("");
    while (n > 0) {
        bh_buf_unref(held[--n]);
    }
    fx_send("0a 0c 00"); /* and the bearer carries on */
    FX_EXPECT("0b 68 65 6c 6c 6f");
    fx_teardown();
}

static void test_att_owed_response_dropped_with_link(void)
{
    struct bh_buf *held[32];
    unsigned n;

    setup();
    n = drain_tx(held, 32);
    fx_send("0a 0c 00");
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    fake_ctrl_pump();
    while (n > 0) {
        bh_buf_unref(held[--n]);
    }
    fake_ctrl_pump();
    FX_EXPECT("");
    fx_teardown(); /* the copy went back to its pool */
}

static void test_att_bearers_are_per_link(void)
{
    uint8_t b[64];

    setup();
    fx_connect(0x0041);
    fake_ctrl_clear_sent();
    fx_send_on(0x0041, "02 00 01");
    BH_CHECK_EQ(fx_recv_on(0x0041, b, sizeof(b)), 3);
    BH_CHECK_EQ(bh_att_mtu(bh_conn_lookup(0x0041)), 256);
    BH_CHECK_EQ(bh_att_mtu(fx_conn()), 23);
    BH_CHECK_EQ(bh_att_client_send(bh_conn_lookup(0x0041), pdu("0a 03 00")), 0);
    BH_CHECK_EQ(bh_att_client_send(fx_conn(), pdu("0a 03 00")), 0);
    FX_EXPECT("0a 03 00");
    fake_ctrl_inject_hex("04 05 04 00 41 00 13");
    fake_ctrl_pump();
    fx_send("0b 41");
    fx_teardown();
}

/* Hostile input: every opcode with short random parameters, on a live
 * database. Nothing may crash or read out of bounds (ASan), the bearer
 * stays usable, and the pools come back full. */
static void test_att_random_pdus_survive(void)
{
    uint32_t x = 0x12345678;
    char hex[3 * 40 + 1];
    uint8_t b[600];

    setup();
    for (unsigned op = 0; op < 256; op++) {
        for (unsigned len = 0; len < 24; len += 3) {
            int k = snprintf(hex, sizeof(hex), "%02x", op);
            for (unsigned i = 0; i < len; i++) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                /* small handles hit the database more often */
                unsigned byte = (i % 2 == 1 && (x & 0x300) != 0) ? 0 : (x & 0xFF);
                k += snprintf(hex + k, sizeof(hex) - (size_t)k, " %02x", byte);
            }
            fx_send(hex);
            while (fx_recv(b, sizeof(b)) >= 0) {
            }
        }
    }
    BH_CHECK(!bh_att_is_dead(fx_conn()));
    fx_send("0a 0c 00");
    FX_EXPECT("0b 68 65 6c 6c 6f");
    fx_teardown();
}

BH_TEST_MAIN(BH_TEST(test_att_unknown_opcode_table), BH_TEST(test_att_exchange_mtu_req),
             BH_TEST(test_att_exchange_mtu_small_and_preferred),
             BH_TEST(test_att_unsolicited_rsp_and_cfm_dropped),
             BH_TEST(test_att_client_one_request_and_matching),
             BH_TEST(test_att_client_timeout_kills_bearer),
             BH_TEST(test_att_indication_timeout_kills_bearer),
             BH_TEST(test_att_peer_indication_confirmed),
             BH_TEST(test_att_response_owed_when_no_buffer),
             BH_TEST(test_att_owed_response_dropped_with_link),
             BH_TEST(test_att_bearers_are_per_link), BH_TEST(test_att_random_pdus_survive))
