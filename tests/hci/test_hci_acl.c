/* SPDX-License-Identifier: MIT */
/* test_hci_acl.c: ACL flow control, fragmentation and reassembly. */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_hci.h"
#include "fake_ctrl.h"

static struct {
    unsigned frames;
    uint16_t handle;
    uint16_t len;
    uint8_t data[300];
    struct bh_buf *kept[8];
    unsigned n_kept;
    bool keep;
} rx;

static unsigned tx_ready_calls;
static uint16_t refill_handle; /* nonzero: on_tx_ready queues one frame there, once */

/* What the drained handler was told. */
static struct {
    unsigned calls;
    uint16_t handle[8];
} drained;

static struct bh_buf *frame(uint16_t n, uint8_t seed);

static void on_acl(uint16_t handle, struct bh_buf *buf)
{
    rx.frames++;
    rx.handle = handle;
    rx.len = buf->len;
    memcpy(rx.data, buf->data, buf->len);
    if (rx.keep && rx.n_kept < 8) {
        rx.kept[rx.n_kept++] = bh_buf_ref(buf);
    }
}

static void on_tx_ready(void)
{
    uint16_t h = refill_handle;

    tx_ready_calls++;
    if (h != 0) {
        refill_handle = 0;
        BH_CHECK_EQ(bh_hci_acl_send(h, frame(10, 0)), 0);
    }
}

static void on_drained(uint16_t handle)
{
    if (drained.calls < 8) {
        drained.handle[drained.calls] = handle;
    }
    drained.calls++;
}

/* Up with 4 buffers of 27 bytes (the fake's defaults). */
static void setup(void)
{
    memset(&rx, 0, sizeof(rx));
    memset(&drained, 0, sizeof(drained));
    tx_ready_calls = 0;
    refill_handle = 0;
    fake_ctrl_init();
    fake_ctrl_up();
    fake_ctrl_clear_sent();
    bh_hci_set_acl_handler(on_acl);
    bh_hci_set_acl_tx_ready_handler(on_tx_ready);
    bh_hci_set_acl_drained_handler(on_drained);
}

static void teardown(void)
{
    for (unsigned i = 0; i < rx.n_kept; i++) {
        bh_buf_unref(rx.kept[i]);
    }
    bh_hci_down();
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_rx_pool()), BH_CONFIG_ACL_RX_BUF_COUNT);
}

/* An L2CAP frame of n payload bytes 0,1,2,... on CID 0x0004. */
static struct bh_buf *frame(uint16_t n, uint8_t seed)
{
    struct bh_buf *b = bh_hci_acl_buf_alloc(0);

    BH_CHECK(b != NULL);
    bh_buf_add_le16(b, n);
    bh_buf_add_le16(b, 0x0004);
    for (uint16_t i = 0; i < n; i++) {
        bh_buf_add_u8(b, (uint8_t)(seed + i));
    }
    return b;
}

static void test_hci_acl_frame_fragmented_to_controller_length(void)
{
    const struct fake_pkt *p;

    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0); /* 60 bytes: 27 + 27 + 6 */
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    p = fake_ctrl_sent(0);
    BH_CHECK_EQ(p->type, 0x02);
    BH_CHECK_HEX(p->data, 8, "40 00 1b 00 38 00 04 00"); /* PB 00: first, non-flushable */
    BH_CHECK_EQ(p->len, 31);
    p = fake_ctrl_sent(1);
    BH_CHECK_HEX(p->data, 5, "40 10 1b 00 17"); /* PB 01: continuation; payload byte 23 */
    BH_CHECK_EQ(p->len, 31);
    p = fake_ctrl_sent(2);
    BH_CHECK_HEX(p->data, 10, "40 10 06 00 32 33 34 35 36 37");
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 0);
    BH_CHECK_EQ(bh_hci_stats()->acl_tx_frags, 3);
    fake_ctrl_ncp(0x0040, 3);
    BH_CHECK_EQ(tx_ready_calls, 1);
    teardown();
}

static void test_hci_acl_credits_limit_fragments_in_flight(void)
{
    setup();
    for (int i = 0; i < 3; i++) {
        BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0);
    }
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4); /* 4 controller buffers */
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 2);
    fake_ctrl_ncp(0x0040, 2);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 6);
    fake_ctrl_ncp(0x0040, 4);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 9);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 0);
    fake_ctrl_ncp(0x0040, 3);
    teardown();
}

static void test_hci_acl_handles_served_round_robin(void)
{
    setup();
    fake_ctrl_set_auto(false);
    BH_CHECK_EQ(bh_hci_acl_send(0x0001, frame(100, 0)), 0); /* 104: 4 fragments, takes all */
    BH_CHECK_EQ(bh_hci_acl_send(0x0001, frame(20, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0002, frame(20, 0)), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    fake_ctrl_clear_sent();
    fake_ctrl_ncp(0x0001, 4);
    /* The freed buffers are shared: handle 2 is served before handle 1's second frame
     * takes every one. */
    BH_CHECK_EQ(fake_ctrl_sent_count(), 2);
    BH_CHECK_EQ(fake_ctrl_sent(0)->data[0] | fake_ctrl_sent(1)->data[0], 0x03);
    fake_ctrl_ncp(0x0001, 1);
    fake_ctrl_ncp(0x0002, 1);
    teardown();
}

static void test_hci_acl_completed_beyond_in_flight_not_trusted(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(10, 0)), 0);
    fake_ctrl_ncp(0x0040, 5); /* only 1 in flight */
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 1);
    fake_ctrl_ncp(0x0099, 1); /* unknown handle */
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 2);
    /* Still exactly 4 buffers: 5 frames of one fragment, 4 go. */
    fake_ctrl_clear_sent();
    for (int i = 0; i < 5; i++) {
        BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(10, 0)), 0);
    }
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    /* Malformed: count field says 2 handles, carries 1. */
    fake_ctrl_inject_hex("04 13 05 02 40 00 01 00");
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    teardown();
}

static void test_hci_acl_disconnect_returns_buffers_and_drops_queue(void)
{
    setup();
    for (int i = 0; i < 3; i++) {
        BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0);
    }
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT - 2);
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 0);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    /* All 4 controller buffers are free again for another link. */
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(100, 0)), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    fake_ctrl_ncp(0x0041, 4);
    teardown();
}

static void test_hci_acl_shared_buffer_left_unchanged(void)
{
    struct bh_buf *b, *keep;
    uint8_t before[64];

    setup();
    b = frame(56, 7);
    keep = bh_buf_ref(b);
    memcpy(before, b->data, b->len);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, b), 0);
    BH_CHECK_MEM(keep->data, before, 60);
    bh_buf_unref(keep);
    fake_ctrl_ncp(0x0040, 3);
    teardown();
}

static void test_hci_acl_send_rejects_bad_input_and_consumes(void)
{
    struct bh_buf *b;

    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0F00, frame(4, 0)), -EINVAL);
    b = bh_buf_alloc(bh_hci_acl_pool(), 0); /* no headroom for the ACL header */
    bh_buf_add_u8(b, 1);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, b), -EINVAL);
    b = bh_hci_acl_buf_alloc(0); /* empty */
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, b), -EINVAL);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, NULL), -EINVAL);
    bh_hci_down();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(4, 0)), -ENETDOWN);
    teardown();
}

static void test_hci_acl_rx_fragments_reassembled(void)
{
    setup();
    /* L2CAP length 8 on CID 4, split 5 + 4 + 3. */
    fake_ctrl_inject_hex("02 40 20 05 00 08 00 04 00 a0");
    BH_CHECK_EQ(rx.frames, 0);
    fake_ctrl_inject_hex("02 40 10 04 00 a1 a2 a3 a4");
    fake_ctrl_inject_hex("02 40 10 03 00 a5 a6 a7");
    BH_CHECK_EQ(rx.frames, 1);
    BH_CHECK_EQ(rx.handle, 0x0040);
    BH_CHECK_HEX(rx.data, rx.len, "08 00 04 00 a0 a1 a2 a3 a4 a5 a6 a7");
    /* A whole frame in one packet; header itself split across fragments too. */
    fake_ctrl_inject_hex("02 41 20 02 00 01 00");
    fake_ctrl_inject_hex("02 41 10 03 00 05 00 ee");
    BH_CHECK_EQ(rx.frames, 2);
    BH_CHECK_HEX(rx.data, rx.len, "01 00 05 00 ee");
    teardown();
}

static void test_hci_acl_rx_bad_flags_dropped_and_counted(void)
{
    setup();
    fake_ctrl_inject_hex("02 40 10 02 00 aa bb"); /* continuation, no start */
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 1);
    fake_ctrl_inject_hex("02 40 20 05 00 08 00 04 00 a0"); /* start... */
    fake_ctrl_inject_hex("02 40 20 05 00 01 00 04 00 b0"); /* ...another start: old dropped */
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 2);
    BH_CHECK_EQ(rx.frames, 1);
    BH_CHECK_HEX(rx.data, rx.len, "01 00 04 00 b0");
    fake_ctrl_inject_hex("02 40 60 05 00 01 00 04 00 b0"); /* broadcast flag */
    fake_ctrl_inject_hex("02 40 30 05 00 01 00 04 00 b0"); /* PB 11 reserved */
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 4);
    BH_CHECK_EQ(rx.frames, 1);
    teardown();
}

static void test_hci_acl_rx_too_long_skipped_whole(void)
{
    setup();
    /* Announces 1000 bytes: more than any buffer. Its continuations are skipped
     * silently; the next start is fine. */
    fake_ctrl_inject_hex("02 40 20 05 00 e8 03 04 00 00");
    fake_ctrl_inject_hex("02 40 10 02 00 00 00");
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_too_long, 1);
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 0);
    /* More data than announced. */
    fake_ctrl_inject_hex("02 40 20 07 00 01 00 04 00 01 02 03");
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_too_long, 2);
    BH_CHECK_EQ(rx.frames, 0);
    fake_ctrl_inject_hex("02 40 20 05 00 01 00 04 00 09");
    BH_CHECK_EQ(rx.frames, 1);
    /* ACL length field disagreeing with the packet cannot happen through H4
     * framing; a zero-length continuation outside a frame is just bad flags. */
    fake_ctrl_inject_hex("02 40 10 00 00");
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 1);
    teardown();
}

static void test_hci_acl_rx_pool_exhaustion_drops_and_counts(void)
{
    setup();
    rx.keep = true;
    for (int i = 0; i < BH_CONFIG_ACL_RX_BUF_COUNT; i++) {
        fake_ctrl_inject_hex("02 40 20 05 00 01 00 04 00 01");
    }
    BH_CHECK_EQ(rx.frames, BH_CONFIG_ACL_RX_BUF_COUNT);
    fake_ctrl_inject_hex("02 40 20 05 00 02 00 04 00 01");
    fake_ctrl_inject_hex("02 40 10 01 00 02");
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_no_buf, 1);
    BH_CHECK_EQ(bh_hci_stats()->acl_rx_bad_flags, 0);
    BH_CHECK_EQ(rx.frames, BH_CONFIG_ACL_RX_BUF_COUNT);
    teardown();
}

/* ---- in flight and drained (Core 5.4 Vol 4 Part E 4.1.1, 7.7.19) ------------------------- */

static void test_hci_acl_in_flight_follows_fragments_and_completions(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0); /* 3 fragments */
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0); /* 1: all 4 buffers used */
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0); /* waits for a buffer */
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 3);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 1);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0041), 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0042), 0); /* never used */
    fake_ctrl_ncp(0x0040, 2);
    /* 0x0040 gave back 2; one of them carried 0x0041's waiting frame at once. */
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 2);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0041), 0);
    fake_ctrl_ncp(0x0041, 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 1);
    /* One event for two handles; the handle's top flag bits are ignored. */
    fake_ctrl_inject_hex("04 13 09 02 40 30 01 00 41 00 01 00");
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 0);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 0);
    teardown();
}

/* A count beyond what is in flight is a controller error: counted, and only
 * what we sent is taken back, so the counters cannot wrap and the credits
 * never exceed the controller's buffers. */
static void test_hci_acl_completed_beyond_in_flight_clamped(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0); /* 3 in flight */
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0); /* 1 in flight */
    fake_ctrl_ncp(0x0040, 0xFFFF);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 1);
    BH_CHECK_EQ(drained.calls, 1); /* everything 0x0040 sent is back */
    BH_CHECK_EQ(drained.handle[0], 0x0040);
    /* 3 buffers free, not more: 0x0041 still holds one. */
    fake_ctrl_clear_sent();
    for (int i = 0; i < 4; i++) {
        BH_CHECK_EQ(bh_hci_acl_send(0x0042, frame(10, 0)), 0);
    }
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0042), 3);
    /* Nothing in flight: the count is ignored, no wrap to 0xFFFF. */
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 2);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    fake_ctrl_ncp(0x0041, 2);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 3);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4); /* the one freed buffer took 0x0042's last frame */
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0042), 4);
    fake_ctrl_ncp(0x0042, 4);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 3);
    teardown();
}

static void test_hci_acl_drained_once_when_queue_and_in_flight_empty(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0); /* 6 fragments, 4 buffers */
    fake_ctrl_ncp(0x0040, 4);
    /* Nothing in flight for a moment, but fragments were still queued. */
    BH_CHECK_EQ(drained.calls, 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 2);
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0);
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(drained.calls, 0);
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(drained.calls, 1);
    BH_CHECK_EQ(drained.handle[0], 0x0040);
    /* A late count for the drained link does not repeat it. */
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(drained.calls, 1);
    fake_ctrl_ncp(0x0041, 1);
    BH_CHECK_EQ(drained.calls, 2);
    BH_CHECK_EQ(drained.handle[1], 0x0041);
    /* The same handle twice in one event: one call, for the second entry. */
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(30, 0)), 0); /* 34 bytes: 2 fragments */
    fake_ctrl_inject_hex("04 13 09 02 40 00 01 00 40 00 01 00");
    BH_CHECK_EQ(drained.calls, 3);
    BH_CHECK_EQ(drained.handle[2], 0x0040);
    teardown();
}

/* A link whose fragments all completed while a frame of it still waits
 * for a buffer (the round robin gave the freed one to another link) is
 * not drained. */
static void test_hci_acl_drained_not_reported_while_frames_wait(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(56, 0)), 0); /* 3 of 4 buffers */
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(10, 0)), 0); /* the 4th */
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(10, 0)), 0);
    fake_ctrl_clear_sent();
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    BH_CHECK_EQ(fake_ctrl_sent(0)->data[0], 0x41); /* 0x0041's turn */
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 0);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 1);
    BH_CHECK_EQ(drained.calls, 0);
    fake_ctrl_ncp(0x0041, 1); /* now 0x0040's frame goes */
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 0);
    BH_CHECK_EQ(drained.calls, 0);
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(drained.calls, 1);
    BH_CHECK_EQ(drained.handle[0], 0x0040);
    fake_ctrl_ncp(0x0041, 3);
    BH_CHECK_EQ(drained.calls, 2);
    BH_CHECK_EQ(drained.handle[1], 0x0041);
    teardown();
}

/* The tx-ready handler runs before the drained one and may queue more: the
 * link is then not drained. */
static void test_hci_acl_drained_not_reported_after_refill(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(10, 0)), 0);
    refill_handle = 0x0040;
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(tx_ready_calls, 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 1);
    BH_CHECK_EQ(drained.calls, 0);
    fake_ctrl_ncp(0x0040, 1);
    BH_CHECK_EQ(drained.calls, 1);
    teardown();
}

/* Disconnection Complete: the controller flushed the link's buffers (Vol 4
 * Part E 4.3). Counts reset, credits return, no drained call; other links
 * keep theirs. A failed Disconnection Complete changes nothing. */
static void test_hci_acl_disconnection_resets_counts(void)
{
    setup();
    BH_CHECK_EQ(bh_hci_acl_send(0x0041, frame(10, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0040, frame(56, 0)), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 3);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 1);
    fake_ctrl_inject_hex("04 05 04 0c 40 00 13"); /* status Command Disallowed */
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 3);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 1);
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0040), 0);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0040), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 1);
    BH_CHECK_EQ(drained.calls, 0);
    /* Its 3 buffers serve another link. */
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_hci_acl_send(0x0042, frame(56, 0)), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    /* A late completion for the gone link is not a credit. */
    fake_ctrl_ncp(0x0040, 3);
    BH_CHECK_EQ(bh_hci_stats()->ncp_bad, 1);
    BH_CHECK_EQ(drained.calls, 0);
    BH_CHECK_EQ(bh_hci_acl_send(0x0043, frame(10, 0)), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0043), 1);
    /* HCI going down forgets every link. */
    bh_hci_down();
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0041), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(0x0042), 0);
    BH_CHECK_EQ(bh_hci_acl_queued(0x0043), 0);
    BH_CHECK_EQ(drained.calls, 0);
    teardown();
}

BH_TEST_MAIN(BH_TEST(test_hci_acl_frame_fragmented_to_controller_length),
             BH_TEST(test_hci_acl_credits_limit_fragments_in_flight),
             BH_TEST(test_hci_acl_handles_served_round_robin),
             BH_TEST(test_hci_acl_completed_beyond_in_flight_not_trusted),
             BH_TEST(test_hci_acl_disconnect_returns_buffers_and_drops_queue),
             BH_TEST(test_hci_acl_shared_buffer_left_unchanged),
             BH_TEST(test_hci_acl_send_rejects_bad_input_and_consumes),
             BH_TEST(test_hci_acl_rx_fragments_reassembled),
             BH_TEST(test_hci_acl_rx_bad_flags_dropped_and_counted),
             BH_TEST(test_hci_acl_rx_too_long_skipped_whole),
             BH_TEST(test_hci_acl_rx_pool_exhaustion_drops_and_counts),
             BH_TEST(test_hci_acl_in_flight_follows_fragments_and_completions),
             BH_TEST(test_hci_acl_completed_beyond_in_flight_clamped),
             BH_TEST(test_hci_acl_drained_once_when_queue_and_in_flight_empty),
             BH_TEST(test_hci_acl_drained_not_reported_while_frames_wait),
             BH_TEST(test_hci_acl_drained_not_reported_after_refill),
             BH_TEST(test_hci_acl_disconnection_resets_counts))
