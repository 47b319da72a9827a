/* SPDX-License-Identifier: MIT */
/*
 * test_gap_privacy.c: LE privacy (gap_privacy.c) through bh_ble.h against
 * fake_ctrl: config(addr_mode=2) sets a resolvable private address made
 * from our IRK, advertising uses it (own address type random), it rotates
 * on the fake clock (disable / set / enable while advertising, never LE Set
 * Random Address while advertising or scanning), a central connecting
 * before our disable stops the restart, application calls wait for a
 * rotation in progress; a bonded peer's RPA is resolved to its identity
 * (IRQ 1/2, conn->id_addr); NRPA format; switching back to public/static.
 */
#include "hostA_util.h"

#include "crypto/bh_crypto.h"
#include "host/gap_spec.h"
#include "host/keys.h"

#define T_RPA BH_CONFIG_GAP_RPA_TIMEOUT_MS

/* Advance the clock, then let every answer of the fake controller in: a
 * command sent from a timer's work item is answered into the receive ring
 * after that bh_process() pass, and each answer may send the next step. */
static void advance(uint32_t ms)
{
    fake_ctrl_advance(ms);
    for (int i = 0; i < 8; i++) {
        fake_ctrl_pump();
    }
}

/* The address of the last LE Set Random Address, little-endian. */
static void last_random_addr(uint8_t addr[6])
{
    const struct fake_pkt *p = fake_ctrl_last_cmd(BH_HCI_OP_LE_SET_RANDOM_ADDRESS);

    BH_CHECK(p != NULL);
    BH_CHECK_EQ(p->len, 9);
    memcpy(addr, &p->data[3], 6);
}

/* addr (little-endian) is an RPA that resolves with our IRK. */
static bool is_our_rpa(const uint8_t addr[6])
{
#if BH_CONFIG_SMP
    uint8_t msb[6];

    bh_crypto_swap(msb, addr, 6);
    return (msb[0] & 0xC0) == 0x40 && bh_crypto_rpa_matches(bh_keys_own_irk(), msb);
#else
    (void)addr;
    return false; /* no IRK without the Security Manager */
#endif
}

static uint16_t sent_op(unsigned i)
{
    const struct fake_pkt *p = fake_ctrl_sent(i);

    BH_CHECK(p->type == BH_H4_CMD);
    return (uint16_t)(p->data[0] | p->data[1] << 8);
}

/* Config(addr_mode=2) in a build without the Security Manager: no IRK. */
static bool rpa_unsupported(void)
{
    if (BH_CONFIG_SMP) {
        return false;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), -EOPNOTSUPP);
    return true;
}

static void test_gap_privacy_rpa_mode_sets_resolvable_address(void)
{
    uint8_t a[6], type, mac[6];

    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 1);
    last_random_addr(a);
    BH_CHECK(is_our_rpa(a));
    BH_CHECK_MEM(bh_gap_random_addr(), a, 6);
    BH_CHECK_EQ(bh_gap_own_addr_type(), BH_GAP_OWN_ADDR_RANDOM);
    BH_CHECK_EQ(bh_gap_privacy_mode(), BH_GAP_PRIVACY_RPA);
    /* As NimBLE: config('mac') fails in the private modes. */
    BH_CHECK_EQ(bh_ble_get_addr(&type, mac), -EINVAL);
    /* Advertising: Own_Address_Type random; the address is not set again. */
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "a0 00 a0 00 00 01 00 00 00 00 00 00 00 07 00");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 1);
    /* Leaving the private mode while advertising would change the address. */
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_PUBLIC), -EBUSY);
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_NRPA), -EBUSY);
    BH_CHECK_EQ(bh_gap_privacy_mode(), BH_GAP_PRIVACY_RPA);
    ha_teardown();
}

static void test_gap_privacy_rpa_rotates_after_timeout(void)
{
    uint8_t a1[6], a2[6], a3[6];

    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    last_random_addr(a1);
    fake_ctrl_clear_sent();
    advance(T_RPA - 1);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 0);
    advance(1);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    last_random_addr(a2);
    BH_CHECK(memcmp(a1, a2, 6) != 0);
    BH_CHECK(is_our_rpa(a2));
    BH_CHECK_MEM(bh_gap_random_addr(), a2, 6);
    /* And again one period later. */
    advance(T_RPA);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 2);
    last_random_addr(a3);
    BH_CHECK(memcmp(a2, a3, 6) != 0);
    BH_CHECK(is_our_rpa(a3));
    BH_CHECK_EQ(bh_gap_privacy_stats()->rotations, 3);
    ha_teardown();
}

static void test_gap_privacy_rotation_while_advertising_restarts_it(void)
{
    uint8_t a[6];

    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    fake_ctrl_clear_sent();
    advance(T_RPA);
    /* Vol 4 Part E 7.8.4: never while advertising is enabled. */
    BH_CHECK_EQ(fake_ctrl_sent_count(), 3);
    BH_CHECK_HEX(fake_ctrl_sent(0)->data, fake_ctrl_sent(0)->len, "0a 20 01 00");
    BH_CHECK_EQ(sent_op(1), BH_HCI_OP_LE_SET_RANDOM_ADDRESS);
    BH_CHECK_HEX(fake_ctrl_sent(2)->data, fake_ctrl_sent(2)->len, "0a 20 01 01");
    last_random_addr(a);
    BH_CHECK(is_our_rpa(a));
    BH_CHECK_MEM(bh_gap_random_addr(), a, 6);
    BH_CHECK(bh_gap_adv_active());
    ha_teardown();
}

static void test_gap_privacy_rotation_waits_for_scan_to_end(void)
{
    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    BH_CHECK_EQ(bh_ble_gap_scan_start(0, 30000, 30000, true), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_SCAN_PARAMS, "01 30 00 30 00 01 00");
    fake_ctrl_clear_sent();
    advance(T_RPA + 3 * BH_GAP_PRIVACY_RETRY_MS);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 0);
    BH_CHECK(bh_gap_privacy_stats()->deferred >= 3);
    BH_CHECK_EQ(bh_ble_gap_scan_stop(), 0);
    fake_ctrl_pump();
    advance(BH_GAP_PRIVACY_RETRY_MS);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 1);
    /* Scan disable went out before the address. */
    BH_CHECK_EQ(sent_op(fake_ctrl_sent_count() - 1), BH_HCI_OP_LE_SET_RANDOM_ADDRESS);
    ha_teardown();
}

/* A central connects before our LE Set Advertising Enable (0) completes:
 * advertising is over, so the chain sets nothing and does not restart it;
 * the address changes later, while connected (allowed). */
static void test_gap_privacy_connection_during_rotation_no_restart(void)
{
    uint8_t old[6];

    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    memcpy(old, bh_gap_random_addr(), 6);
    fake_ctrl_set_reply(BH_HCI_OP_LE_SET_ADV_ENABLE, NULL);
    fake_ctrl_clear_sent();
    advance(T_RPA);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    ha_conn_complete(0x0040, BH_GAP_ROLE_PERIPHERAL);
    BH_CHECK(!bh_gap_adv_active());
    fake_ctrl_set_reply(BH_HCI_OP_LE_SET_ADV_ENABLE, "00");
    fake_ctrl_cmd_complete(BH_HCI_OP_LE_SET_ADV_ENABLE, 1, "00");
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_ADV_ENABLE), 1);
    BH_CHECK_MEM(bh_gap_random_addr(), old, 6);
    advance(BH_GAP_PRIVACY_RETRY_MS);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 1);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_ADV_ENABLE), 1);
    BH_CHECK(memcmp(bh_gap_random_addr(), old, 6) != 0);
    BH_CHECK(!bh_gap_adv_active());
    ha_disconn_complete(0x0040, 0x13);
    ha_teardown();
}

/* While the wait below blocks: let the held LE Set Advertising Enable (0)
 * complete, once. */
static unsigned hook_calls;
static void release_adv_disable(void *ctx, uint32_t timeout_ms)
{
    static const uint8_t cc[] = {BH_H4_EVT, 0x0e, 0x04, 0x01, 0x0a, 0x20, 0x00};

    (void)ctx;
    (void)timeout_ms;
    if (hook_calls++ > 0) {
        return;
    }
    fake_ctrl_set_reply(BH_HCI_OP_LE_SET_ADV_ENABLE, "00");
    BH_CHECK_EQ(bh_hci_rx_push(cc, sizeof(cc)), sizeof(cc));
    bh_port_wake();
}

/* gap_advertise(None) during a rotation waits for it: the application's
 * disable comes after our enable, so advertising really stops. */
static void test_gap_privacy_app_stop_waits_for_rotation(void)
{
    ha_setup();
    if (rpa_unsupported()) {
        ha_teardown();
        return;
    }
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RPA), 0);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    fake_ctrl_set_reply(BH_HCI_OP_LE_SET_ADV_ENABLE, NULL);
    fake_ctrl_clear_sent();
    advance(T_RPA);
    BH_CHECK_EQ(fake_ctrl_sent_count(), 1);
    hook_calls = 0;
    fake_port_set_wait_hook(release_adv_disable, NULL);
    BH_CHECK_EQ(bh_ble_gap_adv_stop(), 0);
    fake_port_set_wait_hook(NULL, NULL);
    BH_CHECK(hook_calls > 0);
    BH_CHECK(!bh_gap_adv_active());
    BH_CHECK_EQ(fake_ctrl_sent_count(), 4);
    BH_CHECK_HEX(fake_ctrl_sent(0)->data, fake_ctrl_sent(0)->len, "0a 20 01 00");
    BH_CHECK_EQ(sent_op(1), BH_HCI_OP_LE_SET_RANDOM_ADDRESS);
    BH_CHECK_HEX(fake_ctrl_sent(2)->data, fake_ctrl_sent(2)->len, "0a 20 01 01");
    BH_CHECK_HEX(fake_ctrl_sent(3)->data, fake_ctrl_sent(3)->len, "0a 20 01 00");
    ha_teardown();
}

#if BH_CONFIG_SMP
/* A bond with an IRK; the peer's identity is public 11:22:33:44:55:66. */
static void store_bond(const uint8_t irk[16])
{
    struct bh_keys_bond b = {.addr_type = 0, .key_size = 16};
    static const uint8_t id_le[6] = {0x66, 0x55, 0x44, 0x33, 0x22, 0x11};

    memcpy(b.addr, id_le, 6);
    memcpy(b.irk, irk, 16);
    b.flags = BH_KEYS_F_IRK | BH_KEYS_F_SC | BH_KEYS_F_OUR_LTK | BH_KEYS_F_PEER_LTK;
    (void)bh_keys_store(&b); /* no secret store in this test: kept in RAM (-EIO) */
    BH_CHECK(bh_keys_find(0, id_le) != NULL);
}

static void make_peer_rpa(const uint8_t irk[16], uint8_t prand0, uint8_t rpa_le[6])
{
    const uint8_t prand[3] = {prand0, 0x2b, 0x3c};
    uint8_t msb[6];

    BH_CHECK_EQ(bh_crypto_rpa_generate(irk, prand, msb), 0);
    bh_crypto_swap(rpa_le, msb, 6);
}

static void conn_complete_from(uint16_t handle, uint8_t role, const uint8_t peer[6])
{
    ha_inject("04 3e 13 01 00 %02x %02x %02x 01 %02x %02x %02x %02x %02x %02x 28 00 00 00 00 01 00",
              handle & 0xFF, handle >> 8, role, peer[0], peer[1], peer[2], peer[3], peer[4],
              peer[5]);
}

static void test_gap_privacy_bonded_peer_rpa_reports_identity(void)
{
    static const uint8_t irk[16] = {0xec, 0x02, 0x34, 0xa3, 0x57, 0xc8, 0xad, 0x05,
                                    0x34, 0x10, 0x10, 0xa6, 0x0a, 0x39, 0x7d, 0x9b};
    static const uint8_t other[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t id_display[6] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
    uint8_t rpa[6], stranger[6], display[6];
    struct bh_conn *c;

    ha_setup();
    store_bond(irk);
    make_peer_rpa(irk, 0x1a, rpa);
    conn_complete_from(0x0040, BH_GAP_ROLE_PERIPHERAL, rpa);
    c = bh_conn_lookup(0x0040);
    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->peer_addr_type, 1);
    BH_CHECK_MEM(c->peer_addr, rpa, 6);
    BH_CHECK_EQ(c->id_addr_type, 0);
    BH_CHECK_HEX(c->id_addr, 6, "66 55 44 33 22 11");
    BH_CHECK(bh_keys_find_conn(c) != NULL);
    BH_CHECK_EQ(bh_gap_privacy_stats()->resolved, 1);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CENTRAL_CONNECT);
    BH_CHECK_EQ(ha_ev(0)->connect.addr_type, 0);
    BH_CHECK_MEM(ha_ev(0)->connect.addr, id_display, 6);
    /* An RPA from an unknown IRK stays as it is. */
    make_peer_rpa(other, 0x77, stranger);
    conn_complete_from(0x0041, BH_GAP_ROLE_CENTRAL, stranger);
    c = bh_conn_lookup(0x0041);
    BH_CHECK(c != NULL);
    BH_CHECK_EQ(c->id_addr_type, 1);
    BH_CHECK_MEM(c->id_addr, stranger, 6);
    BH_CHECK(bh_keys_find_conn(c) == NULL);
    /* Disconnect events report the identity too. */
    ha_clear();
    ha_disconn_complete(0x0040, 0x13);
    BH_CHECK_EQ(ha_ev(0)->irq, BH_IRQ_CENTRAL_DISCONNECT);
    BH_CHECK_EQ(ha_ev(0)->connect.addr_type, 0);
    BH_CHECK_MEM(ha_ev(0)->connect.addr, id_display, 6);
    ha_disconn_complete(0x0041, 0x13);
    BH_CHECK_EQ(ha_ev(1)->irq, BH_IRQ_PERIPHERAL_DISCONNECT);
    BH_CHECK_EQ(ha_ev(1)->connect.addr_type, 1);
    bh_ble_addr_swap(display, stranger);
    BH_CHECK_MEM(ha_ev(1)->connect.addr, display, 6);
    /* Public and static addresses are never taken for RPAs. */
    rpa[5] = (uint8_t)((rpa[5] & 0x3F) | 0xC0);
    BH_CHECK(!bh_gap_privacy_resolve(1, rpa, &display[0], display));
    BH_CHECK(!bh_gap_privacy_resolve(0, stranger, &display[0], display));
    BH_CHECK_EQ(bh_keys_delete_all(), 1);
    ha_teardown();
}
#else
/* Without the Security Manager there are no bonds: nothing resolves. */
static void test_gap_privacy_bonded_peer_rpa_reports_identity(void)
{
    static const uint8_t rpa[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x46};
    uint8_t type, id[6];

    ha_setup();
    BH_CHECK(!bh_gap_privacy_resolve(1, rpa, &type, id));
    ha_teardown();
}
#endif

/* Vol 6 Part B 1.3.2.2: top bits 0b00, the other 46 neither all 0 nor 1. */
static void check_nrpa(const uint8_t a[6])
{
    uint8_t ones = 0x3F, zeros = 0;

    BH_CHECK_EQ(a[5] & 0xC0, 0x00);
    for (int i = 0; i < 6; i++) {
        ones &= a[i];
        zeros |= a[i];
    }
    BH_CHECK(ones != 0x3F);
    BH_CHECK(zeros != 0);
}

static void test_gap_privacy_nrpa_format_and_rotation(void)
{
    uint8_t a[6], b[6], type, mac[6];

    ha_setup();
    for (int i = 0; i < 16; i++) {
        BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_NRPA), 0);
        last_random_addr(a);
        check_nrpa(a);
        BH_CHECK_MEM(bh_gap_random_addr(), a, 6);
    }
    BH_CHECK_EQ(bh_gap_privacy_mode(), BH_GAP_PRIVACY_NRPA);
    BH_CHECK_EQ(bh_ble_get_addr(&type, mac), -EINVAL);
    fake_ctrl_clear_sent();
    advance(T_RPA);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 1);
    last_random_addr(b);
    check_nrpa(b);
    BH_CHECK(memcmp(a, b, 6) != 0);
    ha_teardown();
}

static void test_gap_privacy_switch_back_to_static_and_public(void)
{
    uint8_t st[6], type, mac[6], display[6];

    ha_setup();
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RANDOM), 0);
    last_random_addr(st);
    BH_CHECK_EQ(st[5] & 0xC0, 0xC0);
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_CONFIG_SMP ? BH_ADDR_MODE_RPA : BH_ADDR_MODE_NRPA), 0);
    BH_CHECK(memcmp(bh_gap_random_addr(), st, 6) != 0);
    /* Back to random: the same static address as before. */
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_RANDOM), 0);
    BH_CHECK_EQ(bh_gap_privacy_mode(), BH_GAP_PRIVACY_OFF);
    BH_CHECK_MEM(bh_gap_random_addr(), st, 6);
    BH_CHECK_EQ(bh_ble_get_addr(&type, mac), 0);
    BH_CHECK_EQ(type, 1);
    bh_ble_addr_swap(display, st);
    BH_CHECK_MEM(mac, display, 6);
    /* Private again, then public: no rotation afterwards. */
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_NRPA), 0);
    BH_CHECK_EQ(bh_ble_set_addr_mode(BH_ADDR_MODE_PUBLIC), 0);
    BH_CHECK_EQ(bh_gap_own_addr_type(), BH_GAP_OWN_ADDR_PUBLIC);
    BH_CHECK_EQ(bh_ble_get_addr(&type, mac), 0);
    BH_CHECK_EQ(type, 0);
    fake_ctrl_clear_sent();
    advance(2 * T_RPA);
    BH_CHECK_EQ(fake_ctrl_cmd_count(BH_HCI_OP_LE_SET_RANDOM_ADDRESS), 0);
    BH_CHECK_EQ(bh_ble_gap_adv_start(true, 100000, NULL, 0, NULL, 0), 0);
    HA_CHECK_CMD(BH_HCI_OP_LE_SET_ADV_PARAMS, "a0 00 a0 00 00 00 00 00 00 00 00 00 00 07 00");
    ha_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gap_privacy_rpa_mode_sets_resolvable_address),
             BH_TEST(test_gap_privacy_rpa_rotates_after_timeout),
             BH_TEST(test_gap_privacy_rotation_while_advertising_restarts_it),
             BH_TEST(test_gap_privacy_rotation_waits_for_scan_to_end),
             BH_TEST(test_gap_privacy_connection_during_rotation_no_restart),
             BH_TEST(test_gap_privacy_app_stop_waits_for_rotation),
             BH_TEST(test_gap_privacy_bonded_peer_rpa_reports_identity),
             BH_TEST(test_gap_privacy_nrpa_format_and_rotation),
             BH_TEST(test_gap_privacy_switch_back_to_static_and_public))
