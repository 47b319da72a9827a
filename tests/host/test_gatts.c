/* SPDX-License-Identifier: MIT */
/*
 * test_gatts.c: the GATT server's request handlers (src/host/gatts*.c),
 * PDU by PDU through the whole host (fake_ctrl ACL on CID 0x0004): one
 * table per request with rows for too short, trailing bytes, bad handles
 * and ranges, permissions and security, and the good case; then long
 * reads and writes, the Prepare queue limits, notifications, indications
 * and the read/write hooks (IRQ 3 and 4).
 */
#include "gatts_fixture.h"

static const uint8_t fx_hello[] = "hello";

static void fill_values(void)
{
    BH_CHECK_EQ(bh_ble_gatts_write(12, fx_hello, 5, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(14, (const uint8_t *)"d", 1, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(16, (const uint8_t *)"enc", 3, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(20, (const uint8_t *)"x", 1, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(23, (const uint8_t *)"w", 1, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(26, (const uint8_t *)"b", 1, false), 0);
}

static void setup_db(void)
{
    fx_setup();
    fx_register();
    fill_values();
    fake_ctrl_clear_sent();
    fx_clear_events();
}

#define RUN(table) fx_run_table((table), sizeof(table) / sizeof((table)[0]))

static const struct fx_case read_req_cases[] = {
    {"short", "0a 0c", "01 0a 00 00 04"},
    {"trailing", "0a 0c 00 ff", "01 0a 00 00 04"},
    {"handle zero", "0a 00 00", "01 0a 00 00 01"},
    {"beyond db", "0a 1b 00", "01 0a 1b 00 01"},
    {"value", "0a 0c 00", "0b 68 65 6c 6c 6f"},
    {"service decl", "0a 0a 00", "0b aa aa"},
    {"chr decl", "0a 0b 00", "0b 1a 0c 00 01 a0"},
    {"cccd", "0a 0d 00", "0b 00 00"},
    {"descriptor", "0a 0e 00", "0b 64"},
    {"not permitted", "0a 12 00", "01 0a 12 00 02"},
    {"insufficient encryption", "0a 10 00", "01 0a 10 00 0f"},
    {"device name", "0a 03 00", "0b 62 6c 65 68 6f 73 74"},
    {"appearance", "0a 05 00", "0b 00 00"},
    {"service changed", "0a 08 00", "01 0a 08 00 02"},
};

static void test_gatts_read_req_table(void)
{
    setup_db();
    RUN(read_req_cases);
    fx_teardown();
}

static const struct fx_case read_blob_cases[] = {
    {"short", "0c 0c 00 00", "01 0c 00 00 04"},
    {"trailing", "0c 0c 00 00 00 00", "01 0c 00 00 04"},
    {"handle zero", "0c 00 00 00 00", "01 0c 00 00 01"},
    {"beyond db", "0c 30 00 00 00", "01 0c 30 00 01"},
    {"offset", "0c 0c 00 02 00", "0d 6c 6c 6f"},
    {"offset at end", "0c 0c 00 05 00", "0d"},
    {"invalid offset", "0c 0c 00 06 00", "01 0c 0c 00 07"},
    {"attribute not long", "0c 0d 00 00 00", "01 0c 0d 00 0b"},
    {"declaration not long", "0c 0b 00 01 00", "01 0c 0b 00 0b"},
    {"not permitted", "0c 12 00 00 00", "01 0c 12 00 02"},
    {"insufficient encryption", "0c 10 00 00 00", "01 0c 10 00 0f"},
};

static void test_gatts_read_blob_req_table(void)
{
    setup_db();
    RUN(read_blob_cases);
    fx_teardown();
}

static const struct fx_case find_info_cases[] = {
    {"short", "04 01 00 09", "01 04 00 00 04"},
    {"trailing", "04 01 00 09 00 00", "01 04 00 00 04"},
    {"start zero", "04 00 00 09 00", "01 04 00 00 01"},
    {"start after end", "04 05 00 04 00", "01 04 05 00 01"},
    {"beyond db", "04 30 00 ff ff", "01 04 30 00 0a"},
    {"gap", "04 01 00 09 00", "05 01 0100 0028 0200 0328 0300 002a 0400 0328 0500 012a"},
    {"stops at 128-bit", "04 13 00 15 00", "05 01 1300 0328"},
    {"128-bit", "04 14 00 14 00", "05 02 1400 00112233445566778899aabbccddeeff"},
};

static void test_gatts_find_information_req_table(void)
{
    setup_db();
    RUN(find_info_cases);
    fx_teardown();
}

static const struct fx_case find_by_type_cases[] = {
    {"short", "06 01 00 ff ff", "01 06 00 00 04"},
    {"start zero", "06 00 00 ff ff 00 28 aa aa", "01 06 00 00 01"},
    {"start after end", "06 02 00 01 00 00 28 aa aa", "01 06 02 00 01"},
    {"service", "06 01 00 ff ff 00 28 aa aa", "07 0a 00 17 00"},
    {"gap service", "06 01 00 ff ff 00 28 00 18", "07 01 00 05 00"},
    {"128-bit service", "06 01 00 ff ff 00 28 f0e1d2c3b4a5968778695a4b3c2d1e0f", "07 18 00 1a 00"},
    {"not found", "06 01 00 ff ff 00 28 cd ab", "01 06 01 00 0a"},
    {"outside range", "06 0b 00 ff ff 00 28 aa aa", "01 06 0b 00 0a"},
};

static void test_gatts_find_by_type_value_req_table(void)
{
    setup_db();
    RUN(find_by_type_cases);
    fx_teardown();
}

static const struct fx_case read_by_type_cases[] = {
    {"short", "08 01 00 ff ff 03", "01 08 00 00 04"},
    {"bad type length", "08 01 00 ff ff 03 28 00", "01 08 00 00 04"},
    {"start zero", "08 00 00 ff ff 03 28", "01 08 00 00 01"},
    {"start after end", "08 05 00 04 00 03 28", "01 08 05 00 01"},
    {"not found", "08 01 00 ff ff 99 99", "01 08 01 00 0a"},
    {"declarations", "08 01 00 09 00 03 28",
     "09 07 0200 0a 0300 002a 0400 02 0500 012a 0700 20 0800 052a"},
    {"by uuid", "08 01 00 ff ff 01 a0", "09 07 0c00 68656c6c6f"},
    {"not permitted", "08 01 00 ff ff 03 a0", "01 08 12 00 02"},
    {"insufficient encryption", "08 01 00 ff ff 02 a0", "01 08 10 00 0f"},
    {"128-bit form of 0x2800", "08 01 00 ff ff fb349b5f8000008000100000 00280000",
     "09 04 0100 0018 0600 0118 0a00 aaaa"},
    {"128-bit type", "08 01 00 ff ff 00112233445566778899aabbccddeeff", "09 03 1400 78"},
};

static void test_gatts_read_by_type_req_table(void)
{
    setup_db();
    RUN(read_by_type_cases);
    fx_teardown();
}

static const struct fx_case read_by_group_cases[] = {
    {"short", "10 01 00 ff ff 00", "01 10 00 00 04"},
    {"bad type length", "10 01 00 ff ff 00 28 00", "01 10 00 00 04"},
    {"start zero", "10 00 00 ff ff 00 28", "01 10 00 00 01"},
    {"start after end", "10 05 00 04 00 00 28", "01 10 05 00 01"},
    {"secondary unsupported", "10 01 00 ff ff 01 28", "01 10 01 00 10"},
    {"characteristic unsupported", "10 01 00 ff ff 03 28", "01 10 01 00 10"},
    {"all", "10 01 00 ff ff 00 28", "11 06 0100 0500 0018 0600 0900 0118 0a00 1700 aaaa"},
    {"128-bit", "10 18 00 ff ff 00 28", "11 14 1800 1a00 f0e1d2c3b4a5968778695a4b3c2d1e0f"},
    {"none after", "10 1b 00 ff ff 00 28", "01 10 1b 00 0a"},
    {"beyond db", "10 30 00 ff ff 00 28", "01 10 30 00 0a"},
};

static void test_gatts_read_by_group_type_req_table(void)
{
    setup_db();
    RUN(read_by_group_cases);
    fx_teardown();
}

static const struct fx_case read_multiple_cases[] = {
    {"short", "0e 0c 00", "01 0e 00 00 04"},
    {"odd", "0e 0c 00 0e 00 01", "01 0e 00 00 04"},
    {"two", "0e 0c 00 0e 00", "0f 68656c6c6f 64"},
    {"handle zero", "0e 0c 00 00 00", "01 0e 00 00 01"},
    {"beyond db", "0e 0c 00 40 00", "01 0e 40 00 01"},
    {"not permitted", "0e 0c 00 12 00", "01 0e 12 00 02"},
    {"insufficient encryption", "0e 10 00 0c 00", "01 0e 10 00 0f"},
    {"variable short", "20 0c 00", "01 20 00 00 04"},
    {"variable", "20 0c 00 0e 00", "21 0500 68656c6c6f 0100 64"},
    {"variable not permitted", "20 0c 00 12 00", "01 20 12 00 02"},
};

static void test_gatts_read_multiple_req_table(void)
{
    setup_db();
    RUN(read_multiple_cases);
    fx_teardown();
}

static const struct fx_case write_cases[] = {
    {"short", "12 0c", "01 12 00 00 04"},
    {"handle zero", "12 00 00 01", "01 12 00 00 01"},
    {"beyond db", "12 30 00 01", "01 12 30 00 01"},
    {"declaration", "12 0b 00 01", "01 12 0b 00 03"},
    {"read-only value", "12 10 00 01", "01 12 10 00 03"},
    {"read-only descriptor", "12 0e 00 01", "01 12 0e 00 03"},
    {"insufficient authentication", "12 17 00 01", "01 12 17 00 05"},
    {"value", "12 0c 00 41 42", "13"},
    {"cccd", "12 0d 00 01 00", "13"},
    {"cccd length", "12 0d 00 01", "01 12 0d 00 0d"},
    {"cccd indicate on notify-only", "12 0d 00 02 00", "01 12 0d 00 fd"},
    {"device name", "12 03 00 41 42", "13"},
    {"write command", "52 0c 00 5a", ""},
    {"write command not permitted", "52 10 00 01", ""},
    {"write command short", "52 0c", ""},
    {"signed write dropped", "d2 0c 00 01 00 00 00 00 00 00 00 00 00 00 00 00", ""},
};

static void test_gatts_write_req_table(void)
{
    const uint8_t *v;
    size_t len;
    const uint8_t *name;

    setup_db();
    RUN(write_cases);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_HEX(v, len, "5a"); /* the write command came last */
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 12), 2);
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 13), 0); /* never for a CCCD */
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 0), 2);
    BH_CHECK_EQ(bh_gatts_cccd(fx_conn(), 13), 1);
    BH_CHECK_HEX(name, bh_ble_gap_get_name(&name), "41 42");
    BH_CHECK_EQ(bh_gatts_stats()->rx_write_cmd_dropped, 2);
    fx_teardown();
}

static void test_gatts_remote_write_truncated_to_capacity(void)
{
    const uint8_t *v;
    size_t len;

    setup_db();
    fx_send("12 0c 00 000102030405060708090a0b0c0d0e0f1011121314");
    FX_EXPECT("13");
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 20);
    /* append mode: writes are concatenated up to capacity, a read drains */
    BH_CHECK_EQ(bh_ble_gatts_set_buffer(12, 4, true), 0);
    fx_send("12 0c 00 01 02 03");
    FX_EXPECT("13");
    fx_send("12 0c 00 04 05 06");
    FX_EXPECT("13");
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_HEX(v, len, "01 02 03 04");
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 0);
    fx_teardown();
}

static const struct fx_case prepare_cases[] = {
    {"prepare short", "16 0c 00 00", "01 16 00 00 04"},
    {"prepare handle zero", "16 00 00 00 00 01", "01 16 00 00 01"},
    {"prepare beyond db", "16 30 00 00 00 01", "01 16 30 00 01"},
    {"prepare not permitted", "16 0b 00 00 00 01", "01 16 0b 00 03"},
    {"prepare insufficient authentication", "16 17 00 00 00 01", "01 16 17 00 05"},
    {"execute short", "18", "01 18 00 00 04"},
    {"execute trailing", "18 01 00", "01 18 00 00 04"},
    {"execute bad flags", "18 02", "01 18 00 00 04"},
    {"execute empty queue", "18 01", "19"},
    {"prepare", "16 0c 00 00 00 41 42", "17 0c 00 00 00 41 42"},
    {"cancel", "18 00", "19"},
    {"prepare at bad offset", "16 0c 00 0a 00 41", "17 0c 00 0a 00 41"},
    {"execute invalid offset", "18 01", "01 18 0c 00 07"},
    {"queue was cleared", "18 01", "19"},
    {"prepare 18 bytes", "16 0c 00 00 00 000102030405060708090a0b0c0d0e0f1011",
     "17 0c 00 00 00 000102030405060708090a0b0c0d0e0f1011"},
    {"prepare past capacity", "16 0c 00 12 00 41 42 43", "17 0c 00 12 00 41 42 43"},
    {"execute invalid length", "18 01", "01 18 0c 00 0d"},
};

static void test_gatts_prepare_execute_table(void)
{
    const uint8_t *v;
    size_t len;

    setup_db();
    RUN(prepare_cases);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_HEX(v, len, "68 65 6c 6c 6f"); /* nothing was applied */
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 0), 0);
    fx_teardown();
}

static void test_gatts_long_write_prepare_execute(void)
{
    char pdu[128];
    uint8_t want[60];
    const uint8_t *v;
    size_t len;

    setup_db();
    BH_CHECK_EQ(bh_ble_gatts_set_buffer(12, 60, false), 0);
    for (unsigned i = 0; i < 60; i++) {
        want[i] = (uint8_t)i;
    }
    for (unsigned off = 0; off < 60; off += 18) {
        unsigned n = off + 18 <= 60 ? 18 : 60 - off;
        int k = snprintf(pdu, sizeof(pdu), "16 0c 00 %02x 00", off);
        for (unsigned i = 0; i < n; i++) {
            k += snprintf(pdu + k, sizeof(pdu) - (size_t)k, " %02x", off + i);
        }
        fx_send(pdu);
        pdu[0] = '1';
        pdu[1] = '7'; /* the response echoes the request */
        FX_EXPECT(pdu);
    }
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 0), 0);
    fx_send("18 01");
    FX_EXPECT("19");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_WRITE, 12), 1);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 60);
    BH_CHECK_MEM(v, want, 60);
    fx_teardown();
}

static void test_gatts_prepare_queue_full(void)
{
    char pdu[128];
    unsigned entries = 0;

    setup_db();
    /* 23-byte PDUs queue 6 + 18 bytes each: 21 fit in 512, the 22nd does not. */
    for (;;) {
        uint8_t b[64];
        int n;
        snprintf(pdu, sizeof(pdu), "16 0c 00 %02x 00 000102030405060708090a0b0c0d0e0f1011",
                 entries * 18 & 0xFF);
        fx_send(pdu);
        n = fx_recv(b, sizeof(b));
        BH_CHECK(n > 0);
        if (b[0] == BH_ATT_OP_ERROR_RSP) {
            BH_CHECK_HEX(b, n, "01 16 0c 00 09");
            break;
        }
        entries++;
        BH_CHECK(entries < 40);
    }
    BH_CHECK_EQ(entries, BH_CONFIG_GATTS_PREP_WRITE_MAX / 24);
    fx_send("18 01");
    FX_EXPECT("01 18 0c 00 0d"); /* 20-byte capacity: too long */
    fx_teardown();
}

static void test_gatts_long_read_blob(void)
{
    uint8_t val[50], b[64];
    int n;

    setup_db();
    for (unsigned i = 0; i < sizeof(val); i++) {
        val[i] = (uint8_t)(0x80 + i);
    }
    BH_CHECK_EQ(bh_ble_gatts_write(12, val, sizeof(val), false), 0); /* grows capacity */
    fx_send("0a 0c 00");
    n = fx_recv(b, sizeof(b));
    BH_CHECK_EQ(n, 23);
    BH_CHECK_MEM(&b[1], val, 22);
    fx_send("0c 0c 00 16 00");
    n = fx_recv(b, sizeof(b));
    BH_CHECK_EQ(n, 23);
    BH_CHECK_EQ(b[0], BH_ATT_OP_READ_BLOB_RSP);
    BH_CHECK_MEM(&b[1], &val[22], 22);
    fx_send("0c 0c 00 2c 00");
    n = fx_recv(b, sizeof(b));
    BH_CHECK_EQ(n, 7);
    BH_CHECK_MEM(&b[1], &val[44], 6);
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_READ_REQUEST, 12), 3);
    fx_teardown();
}

static void test_gatts_read_request_hook_rejects(void)
{
    setup_db();
    fx.read_rsp = BH_ATT_ERR_INSUFFICIENT_AUTHORIZATION;
    fx_send("0a 0c 00");
    FX_EXPECT("01 0a 0c 00 08");
    fx_send("08 01 00 ff ff 01 a0");
    FX_EXPECT("01 08 0c 00 08");
    fx.read_rsp = 0;
    fx_send("0a 0c 00");
    FX_EXPECT("0b 68 65 6c 6c 6f");
    /* declarations and CCCDs do not ask the application */
    fx_clear_events();
    fx_send("0a 0d 00");
    FX_EXPECT("0b 00 00");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_READ_REQUEST, 0), 0);
    fx_teardown();
}

/* The handler may store a fresh value before it is served (API.md 1.4). */
static void hook_write_fresh(const struct bh_ble_event *ev)
{
    if (ev->irq == BH_IRQ_GATTS_READ_REQUEST) {
        BH_CHECK_EQ(bh_ble_gatts_write(ev->gatts.handle, (const uint8_t *)"new", 3, false), 0);
    }
}

static void test_gatts_read_request_hook_may_update(void)
{
    setup_db();
    fx.hook = hook_write_fresh;
    fx_send("0a 0c 00");
    FX_EXPECT("0b 6e 65 77");
    fx.hook = NULL;
    fx_teardown();
}

static void test_gatts_security_satisfied_by_link(void)
{
    struct bh_conn *c;

    setup_db();
    c = fx_conn();
    c->encrypted = true;
    fx_send("0a 10 00");
    FX_EXPECT("0b 65 6e 63");
    fx_send("12 17 00 01");
    FX_EXPECT("01 12 17 00 05"); /* encrypted, not authenticated */
    c->authenticated = true;
    fx_send("12 17 00 01");
    FX_EXPECT("13");
    fx_teardown();
}

static void test_gatts_notify_truncated_to_mtu(void)
{
    uint8_t val[30], b[64];
    int n;

    setup_db();
    for (unsigned i = 0; i < sizeof(val); i++) {
        val[i] = (uint8_t)i;
    }
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 12, BH_GATTS_NOTIFY, val, sizeof(val)), 0);
    n = fx_recv(b, sizeof(b));
    BH_CHECK_EQ(n, 23);
    BH_CHECK_HEX(b, 3, "1b 0c 00");
    BH_CHECK_MEM(&b[3], val, 20);
    /* NULL: the stored value; the local value was not changed */
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 12, BH_GATTS_NOTIFY, NULL, 0), 0);
    FX_EXPECT("1b 0c 00 68 65 6c 6c 6f");
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 99, BH_GATTS_NOTIFY, NULL, 0), -EINVAL);
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(0x0041, 12, BH_GATTS_NOTIFY, NULL, 0), -ENOTCONN);
    fx_teardown();
}

static void test_gatts_send_update_honours_cccd(void)
{
    setup_db();
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"a", 1, true), 0);
    FX_EXPECT(""); /* not subscribed */
    fx_send("12 0d 00 01 00");
    FX_EXPECT("13");
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"b", 1, true), 0);
    FX_EXPECT("1b 0c 00 62");
    fx_send("12 15 00 02 00"); /* indications on 0x0014 */
    FX_EXPECT("13");
    BH_CHECK_EQ(bh_ble_gatts_write(20, (const uint8_t *)"i", 1, true), 0);
    FX_EXPECT("1d 14 00 69");
    BH_CHECK(bh_att_indication_pending(fx_conn()));
    fx_send("1e");
    FX_EXPECT("");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 20), 1);
    BH_CHECK_EQ(fx_last(BH_IRQ_GATTS_INDICATE_DONE)->b, 0);
    fx_send("12 0d 00 00 00"); /* unsubscribe */
    FX_EXPECT("13");
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"c", 1, true), 0);
    FX_EXPECT("");
    fx_teardown();
}

static void test_gatts_indications_one_at_a_time(void)
{
    uint32_t unexpected;

    setup_db();
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 20, BH_GATTS_INDICATE, NULL, 0), 0);
    FX_EXPECT("1d 14 00 78");
    /* stored-value indications queue; one with its own value is refused */
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 12, BH_GATTS_INDICATE, NULL, 0), 0);
    BH_CHECK_EQ(
        bh_ble_gatts_notify_indicate(FX_CONN, 20, BH_GATTS_INDICATE, (const uint8_t *)"z", 1),
        -EBUSY);
    FX_EXPECT("");
    fx_send("1e 00"); /* malformed: not a confirmation */
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 0), 0);
    BH_CHECK(bh_att_indication_pending(fx_conn()));
    fx_send("1e");
    FX_EXPECT("1d 0c 00 68 65 6c 6c 6f");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 20), 1);
    fx_send("1e");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 12), 1);
    unexpected = bh_att_stats()->rx_unexpected_rsp;
    fx_send("1e"); /* nothing outstanding: dropped and counted */
    FX_EXPECT("");
    BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 1);
    fx_teardown();
}

static void test_gatts_indication_failed_by_disconnect(void)
{
    setup_db();
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 20, BH_GATTS_INDICATE, NULL, 0), 0);
    FX_EXPECT("1d 14 00 78");
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    fake_ctrl_pump();
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 20), 1);
    BH_CHECK(fx_last(BH_IRQ_GATTS_INDICATE_DONE)->b != 0);
    fx_teardown();
}

static void test_gatts_service_changed_on_reregistration(void)
{
    setup_db();
    fx_send("12 09 00 02 00"); /* subscribe to Service Changed */
    FX_EXPECT("13");
    fx_send("12 0d 00 01 00"); /* and to 0x000C: forgotten by the re-registration */
    FX_EXPECT("13");
    fx_register();
    FX_EXPECT("1d 08 00 01 00 ff ff");
    BH_CHECK_EQ(bh_gatts_cccd(fx_conn(), 13), 0);
    BH_CHECK_EQ(bh_gatts_cccd(fx_conn(), 9), 2);
    fx_send("1e");
    BH_CHECK_EQ(fx_count(BH_IRQ_GATTS_INDICATE_DONE, 0), 0); /* ours, not the app's */
    fx_teardown();
}

BH_TEST_MAIN(
    BH_TEST(test_gatts_read_req_table), BH_TEST(test_gatts_read_blob_req_table),
    BH_TEST(test_gatts_find_information_req_table),
    BH_TEST(test_gatts_find_by_type_value_req_table), BH_TEST(test_gatts_read_by_type_req_table),
    BH_TEST(test_gatts_read_by_group_type_req_table), BH_TEST(test_gatts_read_multiple_req_table),
    BH_TEST(test_gatts_write_req_table), BH_TEST(test_gatts_remote_write_truncated_to_capacity),
    BH_TEST(test_gatts_prepare_execute_table), BH_TEST(test_gatts_long_write_prepare_execute),
    BH_TEST(test_gatts_prepare_queue_full), BH_TEST(test_gatts_long_read_blob),
    BH_TEST(test_gatts_read_request_hook_rejects), BH_TEST(test_gatts_read_request_hook_may_update),
    BH_TEST(test_gatts_security_satisfied_by_link), BH_TEST(test_gatts_notify_truncated_to_mtu),
    BH_TEST(test_gatts_send_update_honours_cccd), BH_TEST(test_gatts_indications_one_at_a_time),
    BH_TEST(test_gatts_indication_failed_by_disconnect),
    BH_TEST(test_gatts_service_changed_on_reregistration))
