/* SPDX-License-Identifier: MIT */
/*
 * test_gattc_disc.c: GATT client discovery (src/host/gattc_disc.c) against
 * scripted ATT responses: services (all, by UUID), characteristics with
 * their end handles and UUID filter, descriptors with Find Information
 * semantics, and tables of hostile responses (bad lengths, handles that go
 * backwards or do not advance, errors naming another request), each of
 * which must end the procedure with a status and no over-read or loop.
 */
#include "gattc_harness.h"

#define C40 0x0040

struct disc_case {
    const char *name;
    const char *rsp;     /* the peer's answer to the first request */
    const char *next;    /* the request that must follow, or NULL for none */
    const char *evts[5]; /* events after the answer, NULL-terminated */
    uint32_t bad;        /* rx_bad_rsp increments */
    bool att_drops;      /* att.c itself drops it as no answer to our request */
};

typedef int (*disc_start_fn)(struct bh_conn *c);

static void run_disc_cases(const struct disc_case *cases, size_t n, disc_start_fn start,
                           const char *req)
{
    for (size_t i = 0; i < n; i++) {
        const struct disc_case *k = &cases[i];

        fprintf(stderr, "  case: %s\n", k->name);
        h_setup();
        h_connect(C40);
        BH_CHECK_EQ(start(h_conn(C40)), 0);
        h_expect_att(C40, req);
        uint32_t unexpected = bh_att_stats()->rx_unexpected_rsp;
        h_rx_att(C40, k->rsp);
        if (k->att_drops) {
            /* the real bearer drops it; the request is still outstanding */
            h_expect_no_events();
            h_expect_no_att();
            BH_CHECK_EQ(bh_att_stats()->rx_unexpected_rsp - unexpected, 1);
            h_disconnect(C40);
            h_skip_events();
            h_teardown();
            continue;
        }
        h_expect_event_list(k->evts);
        if (k->next != NULL) {
            h_expect_att(C40, k->next);
        } else {
            h_expect_no_att();
        }
        BH_CHECK_EQ(bh_gattc_stats()->rx_bad_rsp, k->bad);
        h_disconnect(C40);
        h_skip_events();
        h_teardown();
    }
}

/* ---- primary services ------------------------------------------------------------ */

#define SVC_BAD {"c40 svc_done 101", NULL}, 1

static const struct disc_case svc_all_cases[] = {
    {"two 16-bit groups", "11 06 0100 0500 0018 0600 0900 0118", "10 0a00 ffff 0028",
     {"c40 svc 0001-0005 1800", "c40 svc 0006-0009 1801", NULL}, 0, false},
    {"128-bit group", "11 14 0100 0500 9ecadc240ee5a9e093f3a3b50100406e", "10 0600 ffff 0028",
     {"c40 svc 0001-0005 6e400001b5a3f393e0a9e50e24dcca9e", NULL}, 0, false},
    {"group ends at ffff", "11 06 0100 ffff 0018", NULL,
     {"c40 svc 0001-ffff 1800", "c40 svc_done 0", NULL}, 0, false},
    {"attribute not found", "01 10 0100 0a", NULL, {"c40 svc_done 0", NULL}, 0, false},
    {"other error", "01 10 0100 05", NULL, {"c40 svc_done 5", NULL}, 0, false},
    {"error code zero", "01 10 0100 00", NULL, SVC_BAD, false},
    {"error names another request", "01 08 0100 0a", NULL, SVC_BAD, true},
    {"error too short", "01 10 0100", NULL, SVC_BAD, false},
    {"error trailing byte", "01 10 0100 0a 00", NULL, SVC_BAD, false},
    {"wrong response opcode", "09 07 0200 02 0300 002a", NULL, SVC_BAD, true},
    {"no length", "11", NULL, SVC_BAD, false},
    {"empty list", "11 06", NULL, SVC_BAD, false},
    {"length 5", "11 05 0100 0500 00", NULL, SVC_BAD, false},
    {"list not a multiple", "11 06 0100 0500 0018 00", NULL, SVC_BAD, false},
    {"length 20, 16-bit entry", "11 14 0100 0500 0018", NULL, SVC_BAD, false},
    {"handle zero", "11 06 0000 0500 0018", NULL, SVC_BAD, false},
    {"end before start", "11 06 0500 0100 0018", NULL, SVC_BAD, false},
    {"groups overlap", "11 06 0100 0500 0018 0500 0900 0118", NULL, SVC_BAD, false},
    {"groups go backwards", "11 06 0600 0900 0018 0100 0500 0118", NULL, SVC_BAD, false},
};

static int start_svc_all(struct bh_conn *c)
{
    return bh_gattc_disc_svcs(c, NULL);
}

static void test_gattc_disc_svc_all_table(void)
{
    run_disc_cases(svc_all_cases, BH_ARRAY_SIZE(svc_all_cases), start_svc_all,
                   "10 0100 ffff 0028");
}

/* Three responses, then Attribute Not Found: every group once, in order. */
static void test_gattc_disc_svc_all_across_responses_reports_all(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), NULL), 0);
    h_expect_no_events();
    h_expect_att(C40, "10 0100 ffff 0028");
    h_rx_att(C40, "11 06 0100 0700 0018 0800 0b00 0118");
    h_expect_att(C40, "10 0c00 ffff 0028");
    h_rx_att(C40, "11 14 0c00 2000 9ecadc240ee5a9e093f3a3b50100406e");
    h_expect_att(C40, "10 2100 ffff 0028");
    h_rx_att(C40, "11 06 2100 2400 0f18");
    h_expect_att(C40, "10 2500 ffff 0028");
    h_rx_att(C40, "01 10 2500 0a");
    h_expect_no_att();
    h_expect_events("c40 svc 0001-0007 1800", "c40 svc 0008-000b 1801",
                    "c40 svc 000c-0020 6e400001b5a3f393e0a9e50e24dcca9e",
                    "c40 svc 0021-0024 180f", "c40 svc_done 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* A server repeating its first answer must not hold us in a loop. */
static void test_gattc_disc_svc_repeated_response_fails(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), NULL), 0);
    h_expect_att(C40, "10 0100 ffff 0028");
    h_rx_att(C40, "11 06 0100 0500 0018");
    h_expect_att(C40, "10 0600 ffff 0028");
    h_rx_att(C40, "11 06 0100 0500 0018");
    h_expect_no_att();
    h_expect_events("c40 svc 0001-0005 1800", "c40 svc_done 101", NULL);
    BH_CHECK_EQ(bh_gattc_stats()->rx_bad_rsp, 1);
    h_disconnect(C40);
    h_teardown();
}

static const struct bh_uuid uuid_180d = {.type = 2, .data = {0x0d, 0x18}};

static const struct disc_case svc_uuid_cases[] = {
    {"two groups", "07 0100 0500 0900 0b00", "06 0c00 ffff 0028 0d18",
     {"c40 svc 0001-0005 180d", "c40 svc 0009-000b 180d", NULL}, 0, false},
    {"group ends at ffff", "07 0100 ffff", NULL,
     {"c40 svc 0001-ffff 180d", "c40 svc_done 0", NULL}, 0, false},
    {"attribute not found", "01 06 0100 0a", NULL, {"c40 svc_done 0", NULL}, 0, false},
    {"empty list", "07", NULL, SVC_BAD, false},
    {"3 bytes", "07 0100 05", NULL, SVC_BAD, false},
    {"5 bytes", "07 0100 0500 00", NULL, SVC_BAD, false},
    {"end before start", "07 0500 0100", NULL, SVC_BAD, false},
    {"goes backwards", "07 0600 0700 0100 0200", NULL, SVC_BAD, false},
    {"error names another request", "01 10 0100 0a", NULL, SVC_BAD, true},
};

static int start_svc_uuid(struct bh_conn *c)
{
    return bh_gattc_disc_svcs(c, &uuid_180d);
}

static void test_gattc_disc_svc_uuid_table(void)
{
    run_disc_cases(svc_uuid_cases, BH_ARRAY_SIZE(svc_uuid_cases), start_svc_uuid,
                   "06 0100 ffff 0028 0d18");
}

/* ATT carries 16- and 128-bit UUIDs only: a 32-bit one goes out widened. */
static void test_gattc_disc_svc_uuid32_sent_as_128(void)
{
    static const struct bh_uuid u32 = {.type = 4, .data = {0x41, 0x42, 0x31, 0x32}};
    static const struct bh_uuid bad = {.type = 3};

    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), &bad), -EINVAL);
    BH_CHECK_EQ(bh_gattc_disc_svcs(h_conn(C40), &u32), 0);
    h_expect_att(C40, "06 0100 ffff 0028 fb349b5f80000080 00100000 41423132");
    h_rx_att(C40, "07 0100 0300");
    h_expect_events("c40 svc 0001-0003 32314241", NULL);
    h_expect_att(C40, "06 0400 ffff 0028 fb349b5f80000080 00100000 41423132");
    h_rx_att(C40, "01 06 0400 0a");
    h_expect_events("c40 svc_done 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* ---- characteristics ------------------------------------------------------------- */

#define CHR_BAD {"c40 chr_done 101", NULL}, 1

static const struct disc_case chr_cases[] = {
    {"first held until the next", "09 07 0200 02 0300 002a 0400 0a 0500 012a",
     "08 0500 0900 0328", {"c40 chr end=0003 val=0003 props=02 2a00", NULL}, 0, false},
    {"128-bit held", "09 15 0200 10 0300 9ecadc240ee5a9e093f3a3b50200406e",
     "08 0300 0900 0328", {NULL}, 0, false},
    {"declaration at range end", "09 07 0200 02 0300 002a 0900 08 0a00 012a", NULL,
     {"c40 chr end=0008 val=0003 props=02 2a00", "c40 chr end=0009 val=000a props=08 2a01",
      "c40 chr_done 0", NULL}, 0, false},
    {"attribute not found", "01 08 0100 0a", NULL, {"c40 chr_done 0", NULL}, 0, false},
    {"other error", "01 08 0100 02", NULL, {"c40 chr_done 2", NULL}, 0, false},
    {"error names another request", "01 10 0100 0a", NULL, CHR_BAD, true},
    {"wrong response opcode", "11 06 0100 0500 0018", NULL, CHR_BAD, true},
    {"no length", "09", NULL, CHR_BAD, false},
    {"empty list", "09 07", NULL, CHR_BAD, false},
    {"length 6", "09 06 0200 02 0300 00", NULL, CHR_BAD, false},
    {"list not a multiple", "09 07 0200 02 0300 002a 00", NULL, CHR_BAD, false},
    {"length 21, 16-bit entry", "09 15 0200 02 0300 002a", NULL, CHR_BAD, false},
    {"declaration before start", "09 07 0000 02 0100 002a", NULL, CHR_BAD, false},
    {"declaration beyond end", "09 07 0a00 02 0b00 002a", NULL, CHR_BAD, false},
    {"value before declaration", "09 07 0300 02 0200 002a", NULL, CHR_BAD, false},
    {"value is the declaration", "09 07 0300 02 0300 002a", NULL, CHR_BAD, false},
    {"duplicate declaration", "09 07 0200 02 0300 002a 0200 02 0300 002a", NULL, CHR_BAD, false},
    {"backwards", "09 07 0400 02 0500 002a 0200 02 0300 002a", NULL, CHR_BAD, false},
};

static int start_chr(struct bh_conn *c)
{
    return bh_gattc_disc_chrs(c, 0x0001, 0x0009, NULL);
}

static void test_gattc_disc_chr_table(void)
{
    run_disc_cases(chr_cases, BH_ARRAY_SIZE(chr_cases), start_chr, "08 0100 0900 0328");
}

/* API.md 1.3: each characteristic ends before the next declaration; the
 * last one ends at the query's end, even across responses. */
static void test_gattc_disc_chr_end_handles_across_responses(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 0x0001, 0x0010, NULL), 0);
    h_expect_att(C40, "08 0100 1000 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a 0400 12 0500 372a");
    h_expect_events("c40 chr end=0003 val=0003 props=02 2a00", NULL);
    h_expect_att(C40, "08 0500 1000 0328");
    h_rx_att(C40, "09 15 0800 0a 0900 9ecadc240ee5a9e093f3a3b50200406e");
    h_expect_events("c40 chr end=0007 val=0005 props=12 2a37", NULL);
    h_expect_att(C40, "08 0900 1000 0328");
    h_rx_att(C40, "01 08 0900 0a");
    h_expect_events("c40 chr end=0010 val=0009 props=0a 6e400002b5a3f393e0a9e50e24dcca9e",
                    "c40 chr_done 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_teardown();
}

/* The filter hides other characteristics but their declarations still end
 * the one before. */
static void test_gattc_disc_chr_uuid_filter_keeps_end_handles(void)
{
    static const struct bh_uuid u2a01 = {.type = 2, .data = {0x01, 0x2a}};
    static const struct bh_uuid u2a01_128 = {
        .type = 16,
        .data = {0xfb, 0x34, 0x9b, 0x5f, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10, 0x00, 0x00, 0x01,
                 0x2a, 0x00, 0x00}};

    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 0x0001, 0x0009, &u2a01), 0);
    h_expect_att(C40, "08 0100 0900 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a 0400 02 0500 012a 0600 02 0700 022a");
    h_expect_att(C40, "08 0700 0900 0328");
    h_rx_att(C40, "01 08 0700 0a");
    h_expect_events("c40 chr end=0005 val=0005 props=02 2a01", "c40 chr_done 0", NULL);
    /* the same UUID written as 128 bits matches too (Core Vol 3 Part B 2.5.1) */
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 0x0001, 0x0009, &u2a01_128), 0);
    h_expect_att(C40, "08 0100 0900 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a 0400 02 0500 012a 0900 02 0a00 002a");
    h_expect_events("c40 chr end=0008 val=0005 props=02 2a01", "c40 chr_done 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

/* An error other than Attribute Not Found drops the held characteristic. */
static void test_gattc_disc_chr_error_drops_held(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 0x0001, 0x0009, NULL), 0);
    h_expect_att(C40, "08 0100 0900 0328");
    h_rx_att(C40, "09 07 0200 02 0300 002a");
    h_expect_att(C40, "08 0300 0900 0328");
    h_rx_att(C40, "01 08 0300 0f");
    h_expect_events("c40 chr_done f", NULL);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 0, 5, NULL), -EINVAL);
    BH_CHECK_EQ(bh_gattc_disc_chrs(h_conn(C40), 6, 5, NULL), -EINVAL);
    h_disconnect(C40);
    h_teardown();
}

/* ---- descriptors ------------------------------------------------------------------- */

#define DSC_BAD {"c40 dsc_done 101", NULL}, 1

static const struct disc_case dsc_cases[] = {
    {"16-bit pairs", "05 01 0400 0229 0500 0329", "04 0600 0700",
     {"c40 dsc 0004 2902", "c40 dsc 0005 2903", NULL}, 0, false},
    {"reaches the end", "05 01 0400 0229 0700 0329", NULL,
     {"c40 dsc 0004 2902", "c40 dsc 0007 2903", "c40 dsc_done 0", NULL}, 0, false},
    {"128-bit pair", "05 02 0400 9ecadc240ee5a9e093f3a3b50300406e", "04 0500 0700",
     {"c40 dsc 0004 6e400003b5a3f393e0a9e50e24dcca9e", NULL}, 0, false},
    {"attribute not found", "01 04 0400 0a", NULL, {"c40 dsc_done 0", NULL}, 0, false},
    {"other error", "01 04 0400 02", NULL, {"c40 dsc_done 2", NULL}, 0, false},
    {"error names another request", "01 08 0400 0a", NULL, DSC_BAD, true},
    {"wrong response opcode", "07 0400 0500", NULL, DSC_BAD, true},
    {"no format", "05", NULL, DSC_BAD, false},
    {"format 0", "05 00 0400 0229", NULL, DSC_BAD, false},
    {"format 3", "05 03 0400 0229", NULL, DSC_BAD, false},
    {"empty list", "05 01", NULL, DSC_BAD, false},
    {"format 1, list not a multiple", "05 01 0400 0229 00", NULL, DSC_BAD, false},
    {"format 2, 16-bit entry", "05 02 0400 0229", NULL, DSC_BAD, false},
    {"handle before start", "05 01 0300 0229", NULL, DSC_BAD, false},
    {"handle beyond end", "05 01 0800 0229", NULL, DSC_BAD, false},
    {"backwards", "05 01 0500 0229 0400 0329", NULL, DSC_BAD, false},
    {"duplicate", "05 01 0400 0229 0400 0329", NULL, DSC_BAD, false},
};

static int start_dsc(struct bh_conn *c)
{
    return bh_gattc_disc_dscs(c, 0x0003, 0x0007);
}

static void test_gattc_disc_dsc_table(void)
{
    run_disc_cases(dsc_cases, BH_ARRAY_SIZE(dsc_cases), start_dsc, "04 0400 0700");
}

/* API.md 1.3: over a whole service every attribute after start is reported,
 * declarations and values included (ble_irq_calls expects 3 results). */
static void test_gattc_disc_dsc_whole_service_reports_every_attribute(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0x0001, 0x0004), 0);
    h_expect_att(C40, "04 0200 0400");
    h_rx_att(C40, "05 01 0200 0328 0300 372a 0400 0229");
    h_expect_events("c40 dsc 0002 2803", "c40 dsc 0003 2a37", "c40 dsc 0004 2902",
                    "c40 dsc_done 0", NULL);
    h_expect_no_att();
    h_disconnect(C40);
    h_teardown();
}

/* Nothing after start: done at once, no request, but never inside the call. */
static void test_gattc_disc_dsc_empty_range_done_without_request(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0x0005, 0x0005), 0);
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0xffff, 0xffff), 0);
    h_expect_no_events();
    fake_ctrl_pump();
    h_expect_no_att();
    h_expect_events("c40 dsc_done 0", "c40 dsc_done 0", NULL);
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0x0006, 0x0005), -EINVAL);
    h_disconnect(C40);
    h_teardown();
}

/* A long response: 4 descriptors in one MTU-sized Find Information. */
static void test_gattc_disc_dsc_across_responses(void)
{
    h_setup();
    h_connect(C40);
    BH_CHECK_EQ(bh_gattc_disc_dscs(h_conn(C40), 0x0010, 0x0020), 0);
    h_expect_att(C40, "04 1100 2000");
    h_rx_att(C40, "05 01 1100 0229 1200 0129 1300 0429 1400 0529");
    h_expect_att(C40, "04 1500 2000");
    h_rx_att(C40, "05 01 1f00 0229");
    h_expect_att(C40, "04 2000 2000");
    h_rx_att(C40, "01 04 2000 0a");
    h_expect_events("c40 dsc 0011 2902", "c40 dsc 0012 2901", "c40 dsc 0013 2904",
                    "c40 dsc 0014 2905", "c40 dsc 001f 2902", "c40 dsc_done 0", NULL);
    h_disconnect(C40);
    h_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gattc_disc_svc_all_table),
             BH_TEST(test_gattc_disc_svc_all_across_responses_reports_all),
             BH_TEST(test_gattc_disc_svc_repeated_response_fails),
             BH_TEST(test_gattc_disc_svc_uuid_table),
             BH_TEST(test_gattc_disc_svc_uuid32_sent_as_128), BH_TEST(test_gattc_disc_chr_table),
             BH_TEST(test_gattc_disc_chr_end_handles_across_responses),
             BH_TEST(test_gattc_disc_chr_uuid_filter_keeps_end_handles),
             BH_TEST(test_gattc_disc_chr_error_drops_held), BH_TEST(test_gattc_disc_dsc_table),
             BH_TEST(test_gattc_disc_dsc_whole_service_reports_every_attribute),
             BH_TEST(test_gattc_disc_dsc_empty_range_done_without_request),
             BH_TEST(test_gattc_disc_dsc_across_responses))
