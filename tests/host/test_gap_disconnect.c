/* SPDX-License-Identifier: MIT */
/*
 * test_gap_disconnect.c: a local Disconnect (gap_conn.c) never overtakes
 * ACL data the host already gave the link. Against fake_ctrl with two
 * controller ACL buffers: the command waits for the host queue to empty
 * and for Number Of Completed Packets (Core 5.4 Vol 4 Part E 7.7.19) to
 * return every buffer, at most BH_CONFIG_DISCONNECT_DRAIN_MS; an idle link
 * is disconnected at once; a peer's disconnection ends the wait cleanly;
 * a full command queue is retried; shutdown drains within its own bound.
 */
#include "hostA_util.h"

#include "host/gap_spec.h"

#define HD_HANDLE 0x0040

/* ha_setup() with a controller of `credits` LE ACL buffers of 27 bytes. */
static void hd_setup(unsigned credits)
{
    char rp[16];

    fake_ctrl_init();
    memset(&ha, 0, sizeof(ha));
    bh_ble_set_event_cb(ha_cb, NULL);
    snprintf(rp, sizeof(rp), "00 1b 00 %02x", credits);
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_BUFFER_SIZE, rp);
    fake_ctrl_set_reply(BH_HCI_OP_LE_READ_MAXIMUM_DATA_LENGTH, "00 fb 00 48 08 fb 00 48 08");
    BH_CHECK_EQ(bh_ble_init(), 0);
    BH_CHECK_EQ(bh_hci_info()->acl_num, credits);
    ha.h4_errors = bh_hci_stats()->h4_errors;
    ha_clear();
}

/* A connected peripheral link with nothing of ours on the air yet. */
static struct bh_conn *hd_link(void)
{
    struct bh_conn *c = ha_conn_up(HD_HANDLE, BH_GAP_ROLE_PERIPHERAL);

    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(HD_HANDLE), 0);
    return c;
}

/* One L2CAP frame of n bytes (tag, tag+1, ...) on the ATT channel. */
static void hd_send(struct bh_conn *c, uint16_t n, uint8_t tag)
{
    struct bh_buf *buf = bh_l2cap_buf_alloc();

    BH_CHECK(buf != NULL);
    for (uint16_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)(tag + i);

        BH_CHECK_EQ(bh_buf_add_mem(buf, &b, 1), 0);
    }
    BH_CHECK_EQ(bh_l2cap_send(c, BH_L2CAP_CID_ATT, buf), 0);
}

/* Index in fake_ctrl's record of the first packet of this H4 type (and
 * command opcode, for commands), or -1. */
static int hd_first(uint8_t type, uint16_t op)
{
    for (unsigned i = 0; i < fake_ctrl_sent_count(); i++) {
        const struct fake_pkt *p = fake_ctrl_sent(i);

        if (p->type != type) {
            continue;
        }
        if (type != BH_H4_CMD || (p->len >= 3 && (p->data[0] | p->data[1] << 8) == op)) {
            return (int)i;
        }
    }
    return -1;
}

static unsigned hd_acl_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < fake_ctrl_sent_count(); i++) {
        n += fake_ctrl_sent(i)->type == BH_H4_ACL;
    }
    return n;
}

/* Every ACL packet in the record comes before the (single) Disconnect. */
static void hd_check_acl_before_disconnect(unsigned acl_expected)
{
    int disc = hd_first(BH_H4_CMD, BH_HCI_OP_DISCONNECT);

    BH_CHECK(disc >= 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 1);
    BH_CHECK_EQ(hd_acl_count(), acl_expected);
    for (unsigned i = (unsigned)disc; i < fake_ctrl_sent_count(); i++) {
        BH_CHECK(fake_ctrl_sent(i)->type != BH_H4_ACL);
    }
}

/* Silence the controller and fill the HCI command queue; returns how
 * many commands that took (the first of them is in flight). */
static unsigned hd_fill_cmd_queue(void)
{
    static const uint8_t p[2] = {0x40, 0x00};
    unsigned n = 0;

    fake_ctrl_set_auto(false);
    while (bh_hci_cmd_send(BH_HCI_OP_LE_READ_REMOTE_FEATURES, p, 2, NULL, NULL) == 0) {
        n++;
    }
    BH_CHECK_EQ(n, BH_CONFIG_HCI_CMD_COUNT);
    return n;
}

/* Answer n of them, one Command Status each, oldest first. */
static void hd_answer_cmds(unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        fake_ctrl_cmd_status(BH_HCI_OP_LE_READ_REMOTE_FEATURES, 1, 0x00);
    }
}

static void test_gap_disconnect_waits_for_queue_and_completed_packets(void)
{
    struct bh_conn *c;

    hd_setup(2);
    c = hd_link();
    /* Two frames fill the controller; a frame of three fragments (64
     * bytes with its L2CAP header) and a short one wait in the host
     * queue: 6 ACL packets in all. */
    hd_send(c, 10, 0x00);
    hd_send(c, 10, 0x10);
    hd_send(c, 60, 0x20);
    hd_send(c, 5, 0x80);
    BH_CHECK_EQ(hd_acl_count(), 2);
    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 2);
    BH_CHECK_EQ(bh_ble_gap_disconnect(HD_HANDLE), 0);
    BH_CHECK_EQ(c->state, BH_CONN_STATE_DISCONNECTING);
    BH_CHECK_EQ(bh_ble_gap_disconnect(HD_HANDLE), -EALREADY);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    BH_CHECK_EQ(bh_gap_stats()->disc_held, 1);
    /* Each credit back lets one more fragment out; no Disconnect while
     * anything is queued or in the controller. */
    for (unsigned sent = 2; sent < 6; sent++) {
        fake_ctrl_ncp(HD_HANDLE, 1);
        BH_CHECK_EQ(hd_acl_count(), sent + 1);
        BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    }
    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 0);
    fake_ctrl_ncp(HD_HANDLE, 1);
    BH_CHECK_EQ(bh_hci_acl_in_flight(HD_HANDLE), 1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    /* The last packet completed: now, with the application's reason. */
    fake_ctrl_ncp(HD_HANDLE, 1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 13");
    hd_check_acl_before_disconnect(6);
    BH_CHECK_EQ(bh_gap_stats()->disc_undrained, 0);
    BH_CHECK_EQ(ha.n, 0);
    ha_disconn_complete(HD_HANDLE, 0x16);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    /* The bound no longer fires. */
    fake_ctrl_advance(2 * BH_CONFIG_DISCONNECT_DRAIN_MS);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 1);
    ha_teardown();
}

static void test_gap_disconnect_in_flight_only_waits_for_completion(void)
{
    struct bh_conn *c;

    hd_setup(2);
    c = hd_link();
    /* Nothing queued in the host, one packet still in the controller. */
    hd_send(c, 4, 0x00);
    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(HD_HANDLE), 1);
    BH_CHECK_EQ(bh_gap_disconnect(HD_HANDLE, BH_HCI_ERR_REMOTE_USER_TERMINATED_CONN), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    /* Completed packets for another handle change nothing. */
    fake_ctrl_ncp(0x0041, 1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    fake_ctrl_ncp(HD_HANDLE, 1);
    hd_check_acl_before_disconnect(1);
    ha_disconn_complete(HD_HANDLE, 0x16);
    ha_teardown();
}

static void test_gap_disconnect_no_credits_sent_at_drain_bound(void)
{
    struct bh_conn *c;

    hd_setup(2);
    c = hd_link();
    hd_send(c, 10, 0x00);
    hd_send(c, 10, 0x10);
    hd_send(c, 10, 0x20);
    BH_CHECK_EQ(bh_ble_gap_disconnect(HD_HANDLE), 0);
    /* The controller never returns a buffer: the bound, to the ms. */
    fake_ctrl_advance(BH_CONFIG_DISCONNECT_DRAIN_MS - 1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    BH_CHECK_EQ(c->state, BH_CONN_STATE_DISCONNECTING);
    fake_ctrl_advance(1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 13");
    hd_check_acl_before_disconnect(2);
    BH_CHECK_EQ(bh_gap_stats()->disc_undrained, 1);
    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 1);
    /* Disconnection Complete flushes what was left (Vol 4 Part E 4.3). */
    ha_disconn_complete(HD_HANDLE, 0x16);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(bh_hci_acl_queued(HD_HANDLE), 0);
    BH_CHECK_EQ(bh_hci_acl_in_flight(HD_HANDLE), 0);
    ha_teardown();
}

static void test_gap_disconnect_idle_link_at_once(void)
{
    struct bh_conn *c;
    unsigned fill;

    hd_setup(2);
    c = hd_link();
    /* Sent and completed earlier: the link is idle. */
    hd_send(c, 4, 0x00);
    fake_ctrl_ncp(HD_HANDLE, 1);
    ha_clear();
    /* Sent within the call, before any bh_process(). */
    BH_CHECK_EQ(bh_gap_disconnect(HD_HANDLE, BH_HCI_ERR_REMOTE_POWER_OFF), 0);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 15");
    BH_CHECK_EQ(c->state, BH_CONN_STATE_DISCONNECTING);
    BH_CHECK_EQ(bh_gap_stats()->disc_held, 0);
    ha_disconn_complete(HD_HANDLE, 0x16);
    /* An immediate Disconnect the command queue cannot take fails the
     * call and leaves the link up, as before. */
    c = hd_link();
    fill = hd_fill_cmd_queue();
    BH_CHECK_EQ(bh_gap_disconnect(HD_HANDLE, BH_HCI_ERR_REMOTE_USER_TERMINATED_CONN), -ENOBUFS);
    BH_CHECK_EQ(c->state, BH_CONN_STATE_CONNECTED);
    hd_answer_cmds(fill);
    fake_ctrl_set_auto(true);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    ha_disconn_complete(HD_HANDLE, 0x13);
    ha_teardown();
}

static void test_gap_disconnect_peer_disconnect_during_wait_is_clean(void)
{
    struct bh_conn *c;

    hd_setup(2);
    c = hd_link();
    hd_send(c, 10, 0x00);
    hd_send(c, 10, 0x10);
    hd_send(c, 10, 0x20);
    BH_CHECK_EQ(bh_ble_gap_disconnect(HD_HANDLE), 0);
    fake_ctrl_advance(BH_CONFIG_DISCONNECT_DRAIN_MS / 2);
    /* The peer goes first (Remote User Terminated Connection). */
    ha_disconn_complete(HD_HANDLE, 0x13);
    BH_CHECK_EQ(ha.n, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    BH_CHECK(bh_conn_lookup(HD_HANDLE) == NULL);
    BH_CHECK_EQ(bh_buf_pool_free_count(bh_hci_acl_pool()), BH_CONFIG_ACL_TX_BUF_COUNT);
    /* Nothing left armed: no deadline at all, and no Disconnect later. */
    BH_CHECK_EQ(bh_process(), BH_FOREVER);
    fake_ctrl_advance(2 * BH_CONFIG_DISCONNECT_DRAIN_MS);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    /* A new link on the same handle starts afresh: an idle disconnect is
     * immediate, and late completions for the old link do nothing. */
    c = hd_link();
    fake_ctrl_ncp(HD_HANDLE, 2);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    BH_CHECK_EQ(c->state, BH_CONN_STATE_CONNECTED);
    hd_send(c, 4, 0x00);
    BH_CHECK_EQ(bh_gap_disconnect(HD_HANDLE, BH_HCI_ERR_REMOTE_POWER_OFF), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    fake_ctrl_ncp(HD_HANDLE, 1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 15");
    hd_check_acl_before_disconnect(1);
    ha_disconn_complete(HD_HANDLE, 0x16);
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown();
}

static void test_gap_disconnect_full_command_queue_retried(void)
{
    struct bh_conn *c;
    unsigned fill;

    hd_setup(2);
    c = hd_link();
    hd_send(c, 4, 0x00);
    BH_CHECK_EQ(bh_ble_gap_disconnect(HD_HANDLE), 0);
    /* The link drains while the command queue is full. */
    fill = hd_fill_cmd_queue();
    fake_ctrl_ncp(HD_HANDLE, 1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    BH_CHECK_EQ(c->state, BH_CONN_STATE_DISCONNECTING);
    /* One command answered frees a slot; the retry takes it, and the
     * Disconnect goes out once the five before it are answered. */
    hd_answer_cmds(1);
    fake_ctrl_advance(20);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    hd_answer_cmds(fill - 2);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
    hd_answer_cmds(1);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 13");
    BH_CHECK_EQ(bh_gap_stats()->disc_undrained, 0);
    fake_ctrl_set_auto(true);
    fake_ctrl_cmd_status(BH_HCI_OP_DISCONNECT, 1, 0x00);
    ha_disconn_complete(HD_HANDLE, 0x16);
    BH_CHECK_EQ(ha.n, 1);
    ha_teardown();
}

/* Shutdown: the wait hook plays the controller, completing the packets
 * first and answering the Disconnect, once it came, with its completion. */
static void deinit_hook(void *ctx, uint32_t timeout_ms)
{
    static const uint8_t ncp[] = {0x04, 0x13, 0x05, 0x01, 0x40, 0x00, 0x02, 0x00};
    static const uint8_t dc[] = {0x04, 0x05, 0x04, 0x00, 0x40, 0x00, 0x16};
    unsigned *step = ctx;

    (void)timeout_ms;
    if (*step == 0 && bh_hci_acl_in_flight(HD_HANDLE) == 2) {
        BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_DISCONNECT), 0);
        bh_hci_rx_push(ncp, sizeof(ncp));
        bh_port_wake();
        *step = 1;
    } else if (*step == 1 && fake_ctrl_last_cmd(BH_HCI_OP_DISCONNECT) != NULL) {
        bh_hci_rx_push(dc, sizeof(dc));
        bh_port_wake();
        *step = 2;
    }
}

static void test_gap_disconnect_all_drains_before_disconnect(void)
{
    struct bh_conn *c;
    unsigned step = 0;

    hd_setup(2);
    c = hd_link();
    hd_send(c, 10, 0x00);
    hd_send(c, 10, 0x10);
    fake_port_set_wait_hook(deinit_hook, &step);
    BH_CHECK_EQ(bh_ble_deinit(), 0);
    fake_port_set_wait_hook(NULL, NULL);
    BH_CHECK_EQ(step, 2);
    hd_check_acl_before_disconnect(2);
    HA_CHECK_CMD(BH_HCI_OP_DISCONNECT, "40 00 15");
    BH_CHECK(fake_port_now() < BH_CONFIG_DISCONNECT_DRAIN_MS);
    BH_CHECK_EQ(ha.n, 1);
    /* Again, with a controller that never completes anything: the drain
     * takes at most half of deinit's bound, then Disconnect goes out. */
    BH_CHECK_EQ(bh_ble_init(), 0);
    c = hd_link();
    hd_send(c, 10, 0x00);
    BH_CHECK_EQ(bh_gap_disconnect_all(400), -ETIMEDOUT);
    hd_check_acl_before_disconnect(1);
    BH_CHECK_EQ(bh_gap_stats()->disc_undrained, 1);
    BH_CHECK(bh_conn_at(0) == NULL);
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gap_disconnect_waits_for_queue_and_completed_packets),
             BH_TEST(test_gap_disconnect_in_flight_only_waits_for_completion),
             BH_TEST(test_gap_disconnect_no_credits_sent_at_drain_bound),
             BH_TEST(test_gap_disconnect_idle_link_at_once),
             BH_TEST(test_gap_disconnect_peer_disconnect_during_wait_is_clean),
             BH_TEST(test_gap_disconnect_full_command_queue_retried),
             BH_TEST(test_gap_disconnect_all_drains_before_disconnect))
