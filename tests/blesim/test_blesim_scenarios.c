/* SPDX-License-Identifier: MIT */
/*
 * test_blesim_scenarios.c: raw-HCI scenarios against a real blesim process
 * (path in BLESIM_PATH): init commands, errors, advertising and scanning,
 * connection setup and teardown from each side, ACL both ways with
 * Number Of Completed Packets, encryption with matching and mismatching
 * LTKs, connection update at its instant, data length, PHY, supervision
 * timeout, create connection cancel, a garbage client. Each test starts its
 * own blesim and checks that it exits 0 on SIGTERM and removes its socket.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "bh_test.h"
#include "hcic.h"

#define T_MS 2000 /* generous bound for anything that should come at once */

/* Opcodes and events as in Core 5.4 Vol 4 Part E 7 */
#define OP_DISCONNECT 0x0406
#define OP_READ_REMOTE_VERSION 0x041D
#define OP_SET_EVENT_MASK 0x0C01
#define OP_RESET 0x0C03
#define OP_WRITE_LOCAL_NAME 0x0C13
#define OP_READ_LOCAL_NAME 0x0C14
#define OP_READ_LOCAL_VERSION 0x1001
#define OP_READ_LOCAL_COMMANDS 0x1002
#define OP_READ_BD_ADDR 0x1009
#define OP_READ_RSSI 0x1405
#define OP_LE_SET_EVENT_MASK 0x2001
#define OP_LE_READ_BUFFER_SIZE 0x2002
#define OP_LE_READ_LOCAL_FEATURES 0x2003
#define OP_LE_SET_ADV_PARAMS 0x2006
#define OP_LE_SET_ADV_DATA 0x2008
#define OP_LE_SET_SCAN_RSP_DATA 0x2009
#define OP_LE_SET_ADV_ENABLE 0x200A
#define OP_LE_SET_SCAN_PARAMS 0x200B
#define OP_LE_SET_SCAN_ENABLE 0x200C
#define OP_LE_CREATE_CONN 0x200D
#define OP_LE_CREATE_CONN_CANCEL 0x200E
#define OP_LE_CONN_UPDATE 0x2013
#define OP_LE_READ_REMOTE_FEATURES 0x2016
#define OP_LE_ENCRYPT 0x2017
#define OP_LE_ENABLE_ENCRYPTION 0x2019
#define OP_LE_LTK_REPLY 0x201A
#define OP_LE_CPR_REPLY 0x2020
#define OP_LE_SET_DATA_LENGTH 0x2022
#define OP_LE_READ_PHY 0x2030
#define OP_LE_SET_PHY 0x2032
#define OP_LE_READ_BUFFER_SIZE_V2 0x2060

#define EVT_DISCONN_COMPLETE 0x05
#define EVT_ENCRYPTION_CHANGE 0x08
#define EVT_READ_REMOTE_VERSION_COMPLETE 0x0C
#define EVT_CMD_COMPLETE 0x0E
#define EVT_CMD_STATUS 0x0F
#define EVT_NUM_COMPLETED_PACKETS 0x13
#define EVT_KEY_REFRESH_COMPLETE 0x30
#define EVT_LE 0x3E
#define SUB_CONN_COMPLETE 0x01
#define SUB_ADV_REPORT 0x02
#define SUB_CONN_UPDATE_COMPLETE 0x03
#define SUB_READ_REMOTE_FEATURES_COMPLETE 0x04
#define SUB_LTK_REQUEST 0x05
#define SUB_REMOTE_CONN_PARAM_REQUEST 0x06
#define SUB_DATA_LENGTH_CHANGE 0x07
#define SUB_PHY_UPDATE_COMPLETE 0x0C

static struct hcic cl[3];
static int n_cl;

static void start_sim(const char *const *args, int clients)
{
    for (int i = 0; i < n_cl; i++) {
        hcic_close(&cl[i]);
    }
    n_cl = 0;
    BH_CHECK_EQ(hcic_sim_start(BLESIM_PATH, args), 0);
    for (int i = 0; i < clients; i++) {
        static const uint8_t mask[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F};
        /* LE events: every legacy one (bits 0..8) and PHY Update Complete (11) */
        static const uint8_t le_mask[8] = {0xFF, 0x09, 0, 0, 0, 0, 0, 0};
        BH_CHECK_EQ(hcic_connect(&cl[i], hcic_sim_socket()), 0);
        n_cl++;
        BH_CHECK_EQ(hcic_cmd(&cl[i], OP_RESET, NULL, 0, NULL, 0), 0);
        BH_CHECK_EQ(hcic_cmd(&cl[i], OP_SET_EVENT_MASK, mask, 8, NULL, 0), 0);
        BH_CHECK_EQ(hcic_cmd(&cl[i], OP_LE_SET_EVENT_MASK, le_mask, 8, NULL, 0), 0);
    }
}

static void stop_sim(void)
{
    for (int i = 0; i < n_cl; i++) {
        hcic_close(&cl[i]);
    }
    n_cl = 0;
    BH_CHECK_EQ(hcic_sim_stop(), 0); /* exit 0, socket file removed */
}

static const char *const fast_args[] = {"--fast", NULL};

/* Controller i's public address, little-endian: C0:FF:EE:00:00:01 + i */
static void ctrl_addr(int i, uint8_t out[6])
{
    static const uint8_t base[6] = {0x01, 0x00, 0x00, 0xEE, 0xFF, 0xC0};

    memcpy(out, base, 6);
    out[0] = (uint8_t)(out[0] + i);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void adv_start(struct hcic *h, uint8_t type)
{
    uint8_t prm[15] = {0x20, 0x00, 0x20, 0x00, type, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0};
    uint8_t data[32] = {5, 4, 0x09, 'b', 's', 'm'};
    uint8_t sr[32] = {3, 2, 0x0A, 0x00};
    uint8_t en = 1;

    BH_CHECK_EQ(hcic_cmd(h, OP_LE_SET_ADV_PARAMS, prm, 15, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(h, OP_LE_SET_ADV_DATA, data, 32, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(h, OP_LE_SET_SCAN_RSP_DATA, sr, 32, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(h, OP_LE_SET_ADV_ENABLE, &en, 1, NULL, 0), 0);
}

static void create_conn_cmd(struct hcic *h, int peer_idx, uint16_t itvl, uint16_t timeout)
{
    uint8_t p[25] = {0x10, 0x00, 0x10, 0x00, 0x00, 0x00};

    ctrl_addr(peer_idx, p + 6);
    p[12] = 0x00;
    put16(p + 13, itvl);
    put16(p + 15, itvl);
    put16(p + 17, 0);
    put16(p + 19, timeout);
    BH_CHECK_EQ(hcic_cmd(h, OP_LE_CREATE_CONN, p, 25, NULL, 0), 0);
}

/* cl[0] advertises and becomes peripheral, cl[1] central; handles out. */
static void connect_pair(uint16_t itvl, uint16_t timeout, uint16_t *hc, uint16_t *hp)
{
    uint8_t e[64];

    adv_start(&cl[0], 0x00);
    create_conn_cmd(&cl[1], 0, itvl, timeout);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), T_MS), 19);
    BH_CHECK_EQ(e[1], 0x00);
    BH_CHECK_EQ(e[4], 0x00); /* role central */
    *hc = get16(e + 2);
    BH_CHECK_EQ(get16(e + 12), itvl);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), T_MS), 19);
    BH_CHECK_EQ(e[1], 0x00);
    BH_CHECK_EQ(e[4], 0x01); /* role peripheral */
    *hp = get16(e + 2);
    uint8_t a1[6];
    ctrl_addr(1, a1);
    BH_CHECK_MEM(e + 6, a1, 6);
}

static void test_blesim_init_commands_report_truthfully(void)
{
    uint8_t r[80];
    uint8_t a[6];

    start_sim(fast_args, 1);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_VERSION, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(r[1], 0x0B); /* HCI 5.2 */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_BD_ADDR, NULL, 0, r, sizeof(r)), 0);
    ctrl_addr(0, a);
    BH_CHECK_MEM(r + 1, a, 6);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_READ_BUFFER_SIZE, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(get16(r + 1), 251);
    BH_CHECK_EQ(r[3], 8);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_READ_BUFFER_SIZE_V2, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(get16(r + 1), 251);
    BH_CHECK_EQ(r[4] | r[5] | r[6], 0); /* no ISO buffers */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_COMMANDS, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK(r[1 + 0] & (1u << 5));  /* Disconnect */
    BH_CHECK(!(r[1 + 0] & (1u << 0))); /* Inquiry: not an LE command */
    BH_CHECK(r[1 + 5] & (1u << 7));  /* Reset */
    BH_CHECK(r[1 + 33] & (1u << 6)); /* LE Set Data Length */
    BH_CHECK(r[1 + 41] & (1u << 5)); /* LE Read Buffer Size v2 */
    BH_CHECK(!(r[1 + 36] & (1u << 5))); /* LE Set Extended Advertising Parameters */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_READ_LOCAL_FEATURES, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(r[1], 0x2F); /* encryption, CPR, ext reject, periph feat, DLE */
    BH_CHECK_EQ(r[2], 0x01); /* 2M PHY, no extended advertising */
    stop_sim();
}

/* BTstack's init reads the local name (docs: README "Interoperability"):
 * "blesim" by default, what Write Local Name stored after it, reported in
 * Supported Commands octet 7 bits 0 and 1. */
static void test_blesim_local_name_write_read(void)
{
    uint8_t r[260];
    uint8_t name[248] = "blesim peer";

    start_sim(fast_args, 1);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_NAME, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_MEM(r + 1, "blesim\0", 7);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_WRITE_LOCAL_NAME, name, 248, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_NAME, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_MEM(r + 1, name, 248);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_WRITE_LOCAL_NAME, name, 247, NULL, 0), 0x12);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_COMMANDS, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(r[1 + 7] & 0x03, 0x03);
    stop_sim();
}

static void test_blesim_unknown_cmd_0x01_bad_length_0x12(void)
{
    uint8_t r[16];
    uint8_t p[40] = {0};

    start_sim(fast_args, 1);
    BH_CHECK_EQ(hcic_cmd(&cl[0], 0xFC01, NULL, 0, r, sizeof(r)), 0x01);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_SET_EVENT_MASK, p, 7, r, sizeof(r)), 0x12);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_CREATE_CONN, p, 24, r, sizeof(r)), 0x12);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_ADV_DATA, p, 31, r, sizeof(r)), 0x12);
    p[0] = 32; /* advertising data longer than 31 */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_ADV_DATA, p, 32, r, sizeof(r)), 0x12);
    /* Disconnect of an unknown handle: 0x02; create connection cancel with
     * nothing pending: 0x0C */
    p[0] = 0x01;
    p[1] = 0x00;
    p[2] = 0x13;
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_DISCONNECT, p, 3, r, sizeof(r)), 0x02);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_CREATE_CONN_CANCEL, NULL, 0, r, sizeof(r)), 0x0C);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_RSSI, p, 2, r, sizeof(r)), 0x02);
    stop_sim();
}

/* Active scanning with duplicate filtering: one ADV_IND and one SCAN_RSP report. */
static void test_blesim_adv_active_scan_reports_once(void)
{
    uint8_t e[64];
    uint8_t a0[6];
    uint8_t sp[7] = {0x01, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00};
    uint8_t en[2] = {1, 1};

    start_sim(fast_args, 2);
    adv_start(&cl[0], 0x00);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_SET_SCAN_PARAMS, sp, 7, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_SET_SCAN_ENABLE, en, 2, NULL, 0), 0);
    ctrl_addr(0, a0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_ADV_REPORT, e, sizeof(e), T_MS), 17);
    BH_CHECK_EQ(e[2], 0x00); /* ADV_IND */
    BH_CHECK_EQ(e[3], 0x00);
    BH_CHECK_MEM(e + 4, a0, 6);
    BH_CHECK_EQ(e[10], 5);
    BH_CHECK_HEX(e + 11, 5, "04 09 62 73 6d");
    BH_CHECK_EQ((int8_t)e[16], -50);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_ADV_REPORT, e, sizeof(e), T_MS), 15);
    BH_CHECK_EQ(e[2], 0x04); /* SCAN_RSP */
    BH_CHECK_HEX(e + 11, 3, "02 0a 00");
    /* Duplicates filtered: nothing more while the advertiser repeats every 1 ms. */
    BH_CHECK(!hcic_got_evt(&cl[1], EVT_LE, SUB_ADV_REPORT, 200));
    stop_sim();
}

static void disconnect_from(int side_idx, uint16_t handle, int other_idx, uint16_t other_handle)
{
    uint8_t p[3];
    uint8_t e[16];

    put16(p, handle);
    p[2] = 0x13;
    BH_CHECK_EQ(hcic_cmd(&cl[side_idx], OP_DISCONNECT, p, 3, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[side_idx], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(e[0], 0x00);
    BH_CHECK_EQ(get16(e + 1), handle);
    BH_CHECK_EQ(e[3], 0x16); /* terminated by local host */
    BH_CHECK_EQ(hcic_wait_evt(&cl[other_idx], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(get16(e + 1), other_handle);
    BH_CHECK_EQ(e[3], 0x13); /* the reason the peer gave */
}

static void test_blesim_connect_then_central_disconnects(void)
{
    uint16_t hc, hp;

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    disconnect_from(1, hc, 0, hp);
    stop_sim();
}

static void test_blesim_connect_then_peripheral_disconnects(void)
{
    uint16_t hc, hp;

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    disconnect_from(0, hp, 1, hc);
    stop_sim();
}

static void test_blesim_create_conn_cancel_gives_0x02(void)
{
    uint8_t e[32];

    start_sim(fast_args, 1);
    create_conn_cmd(&cl[0], 5, 6, 100); /* nobody advertises: stays pending */
    BH_CHECK(!hcic_got_evt(&cl[0], EVT_LE, SUB_CONN_COMPLETE, 100));
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_CREATE_CONN_CANCEL, NULL, 0, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), T_MS), 19);
    BH_CHECK_EQ(e[1], 0x02);
    stop_sim();
}

/* Central sends 600 bytes (3 HCI packets: one L2CAP PDU start + 2
 * continuations), peripheral answers 100; each side's host gets back
 * exactly as many completed packets as it sent. */
static void test_blesim_acl_both_ways_with_completed_packets(void)
{
    uint16_t hc, hp;
    uint8_t data[600];
    uint8_t got[700];
    uint8_t pkt[1100];
    uint8_t e[32];
    unsigned got_len = 0;
    unsigned done = 0;

    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 1);
    }
    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x0, data, 200), 0);
    BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x1, data + 200, 200), 0);
    BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x1, data + 400, 200), 0);
    while (got_len < sizeof(data)) {
        int n = hcic_wait_acl(&cl[0], pkt, sizeof(pkt), T_MS);
        BH_CHECK(n > 4);
        BH_CHECK_EQ(get16(pkt) & 0x0FFF, hp);
        BH_CHECK_EQ((get16(pkt) >> 12) & 3, got_len == 0 ? 0x2 : 0x1);
        BH_CHECK_EQ(get16(pkt + 2), n - 4);
        BH_CHECK(n - 4 <= 27); /* default data length: one LL PDU per HCI packet */
        BH_CHECK(got_len + (unsigned)(n - 4) <= sizeof(got));
        memcpy(got + got_len, pkt + 4, (size_t)(n - 4));
        got_len += (unsigned)(n - 4);
    }
    BH_CHECK_EQ(got_len, sizeof(data));
    BH_CHECK_MEM(got, data, sizeof(data));
    while (done < 3) {
        BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_NUM_COMPLETED_PACKETS, 0xFFFF, e, 32, T_MS), 5);
        BH_CHECK_EQ(get16(e + 1), hc);
        done += get16(e + 3);
    }
    BH_CHECK_EQ(done, 3);
    BH_CHECK_EQ(hcic_send_acl(&cl[0], hp, 0x0, data, 20), 0);
    int n = hcic_wait_acl(&cl[1], pkt, sizeof(pkt), T_MS);
    BH_CHECK_EQ(n, 24);
    BH_CHECK_MEM(pkt + 4, data, 20);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_NUM_COMPLETED_PACKETS, 0xFFFF, e, 32, T_MS), 5);
    BH_CHECK_EQ(get16(e + 3), 1);
    stop_sim();
}

static void start_encryption(uint16_t hc, uint16_t hp, const uint8_t ltk_c[16],
                             const uint8_t ltk_p[16])
{
    uint8_t p[28];
    uint8_t e[32];
    uint8_t r[8];

    put16(p, hc);
    for (int i = 0; i < 8; i++) {
        p[2 + i] = (uint8_t)(0xA0 + i);
    }
    put16(p + 10, 0x1234);
    memcpy(p + 12, ltk_c, 16);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_ENABLE_ENCRYPTION, p, 28, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_LTK_REQUEST, e, sizeof(e), T_MS), 13);
    BH_CHECK_EQ(get16(e + 1), hp);
    BH_CHECK_MEM(e + 3, p + 2, 8); /* Rand */
    BH_CHECK_EQ(get16(e + 11), 0x1234); /* EDIV */
    put16(p, hp);
    memcpy(p + 2, ltk_p, 16);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_LTK_REPLY, p, 18, r, sizeof(r)), 0);
    BH_CHECK_EQ(get16(r + 1), hp);
}

static void test_blesim_encryption_matching_ltk(void)
{
    static const uint8_t ltk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    uint16_t hc, hp;
    uint8_t e[32];

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    start_encryption(hc, hp, ltk, ltk);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_ENCRYPTION_CHANGE, 0xFFFF, e, 32, T_MS), 4);
    BH_CHECK_EQ(e[0], 0x00);
    BH_CHECK_EQ(get16(e + 1), hp);
    BH_CHECK_EQ(e[3], 0x01);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_ENCRYPTION_CHANGE, 0xFFFF, e, 32, T_MS), 4);
    BH_CHECK_EQ(e[0], 0x00);
    BH_CHECK_EQ(get16(e + 1), hc);
    BH_CHECK_EQ(e[3], 0x01);
    /* Key refresh on an encrypted link */
    start_encryption(hc, hp, ltk, ltk);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_KEY_REFRESH_COMPLETE, 0xFFFF, e, 32, T_MS), 3);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_KEY_REFRESH_COMPLETE, 0xFFFF, e, 32, T_MS), 3);
    BH_CHECK_EQ(e[0], 0x00);
    stop_sim();
}

static void test_blesim_encryption_mismatch_is_mic_failure(void)
{
    static const uint8_t ltk_c[16] = {1, 2, 3};
    static const uint8_t ltk_p[16] = {1, 2, 4};
    uint16_t hc, hp;
    uint8_t e[32];

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    start_encryption(hc, hp, ltk_c, ltk_p);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_DISCONN_COMPLETE, 0xFFFF, e, 32, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x3D);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_DISCONN_COMPLETE, 0xFFFF, e, 32, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x3D);
    BH_CHECK(!hcic_got_evt(&cl[1], EVT_ENCRYPTION_CHANGE, 0xFFFF, 50));
    stop_sim();
}

/* Real time: the update takes effect at its instant, six intervals later. */
static void test_blesim_conn_update_at_instant_on_both(void)
{
    uint16_t hc, hp;
    uint8_t p[14];
    uint8_t e[32];

    start_sim(NULL, 2);
    connect_pair(6, 100, &hc, &hp);
    put16(p, hc);
    put16(p + 2, 24);
    put16(p + 4, 24);
    put16(p + 6, 0);
    put16(p + 8, 200);
    put16(p + 10, 0);
    put16(p + 12, 0);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_CONN_UPDATE, p, 14, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_CONN_UPDATE_COMPLETE, e, 32, T_MS), 10);
    BH_CHECK_EQ(e[1], 0x00);
    BH_CHECK_EQ(get16(e + 4), 24);
    BH_CHECK_EQ(get16(e + 8), 200);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_CONN_UPDATE_COMPLETE, e, 32, T_MS), 10);
    BH_CHECK_EQ(get16(e + 2), hp);
    BH_CHECK_EQ(get16(e + 4), 24);
    /* Peripheral asks: the central host gets the request, accepts it. */
    put16(p, hp);
    put16(p + 2, 12);
    put16(p + 4, 16);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_CONN_UPDATE, p, 14, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_REMOTE_CONN_PARAM_REQUEST, e, 32, T_MS), 11);
    BH_CHECK_EQ(get16(e + 3), 12);
    BH_CHECK_EQ(get16(e + 5), 16);
    put16(p, hc);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_CPR_REPLY, p, 14, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_CONN_UPDATE_COMPLETE, e, 32, T_MS), 10);
    BH_CHECK_EQ(get16(e + 4), 12);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_CONN_UPDATE_COMPLETE, e, 32, T_MS), 10);
    BH_CHECK_EQ(get16(e + 4), 12);
    stop_sim();
}

static void test_blesim_data_length_and_phy_update(void)
{
    uint16_t hc, hp;
    uint8_t p[8];
    uint8_t e[32];
    uint8_t r[8];

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    put16(p, hc);
    put16(p + 2, 251);
    put16(p + 4, 2120);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_SET_DATA_LENGTH, p, 6, r, sizeof(r)), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_DATA_LENGTH_CHANGE, e, 32, T_MS), 11);
    BH_CHECK_EQ(get16(e + 1), hc);
    BH_CHECK_EQ(get16(e + 3), 251); /* central's TX */
    BH_CHECK_EQ(get16(e + 7), 27);  /* its RX: the peripheral still sends 27 */
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_DATA_LENGTH_CHANGE, e, 32, T_MS), 11);
    BH_CHECK_EQ(get16(e + 3), 27);
    BH_CHECK_EQ(get16(e + 7), 251);
    /* LE Set PHY 2M both ways from the peripheral */
    put16(p, hp);
    p[2] = 0x00;
    p[3] = 0x02;
    p[4] = 0x02;
    put16(p + 5, 0);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_PHY, p, 7, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_PHY_UPDATE_COMPLETE, e, 32, T_MS), 6);
    BH_CHECK_EQ(e[1], 0x00);
    BH_CHECK_EQ(e[4], 0x02);
    BH_CHECK_EQ(e[5], 0x02);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_PHY_UPDATE_COMPLETE, e, 32, T_MS), 6);
    put16(p, hc);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_READ_PHY, p, 2, r, sizeof(r)), 0);
    BH_CHECK_EQ(r[3], 0x02);
    BH_CHECK_EQ(r[4], 0x02);
    stop_sim();
}

static void test_blesim_remote_version_and_features(void)
{
    uint16_t hc, hp;
    uint8_t p[2];
    uint8_t e[32];

    start_sim(fast_args, 2);
    connect_pair(6, 100, &hc, &hp);
    put16(p, hc);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_READ_REMOTE_VERSION, p, 2, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_READ_REMOTE_VERSION_COMPLETE, 0xFFFF, e, 32, T_MS), 8);
    BH_CHECK_EQ(e[3], 0x0B);
    put16(p, hp);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_READ_REMOTE_FEATURES, p, 2, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_READ_REMOTE_FEATURES_COMPLETE, e, 32, T_MS),
                12);
    BH_CHECK_EQ(e[4], 0x2F);
    stop_sim();
}

/* A client that vanishes mid-connection is a supervision timeout for its peer. */
static void test_blesim_supervision_timeout_when_peer_vanishes(void)
{
    uint16_t hc, hp;
    uint8_t e[32];

    start_sim(NULL, 2);
    connect_pair(6, 20, &hc, &hp); /* 200 ms */
    hcic_close(&cl[0]);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_DISCONN_COMPLETE, 0xFFFF, e, 32, T_MS), 4);
    BH_CHECK_EQ(get16(e + 1), hc);
    BH_CHECK_EQ(e[3], 0x08);
    stop_sim();
}

static void test_blesim_garbage_client_dropped_others_continue(void)
{
    static const uint8_t junk[] = {0x07, 0xde, 0xad, 0xbe, 0xef};
    uint8_t r[16];

    start_sim(fast_args, 2);
    BH_CHECK_EQ(hcic_send_raw(&cl[0], junk, sizeof(junk)), 0);
    BH_CHECK(hcic_wait_closed(&cl[0], T_MS));
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_READ_LOCAL_VERSION, NULL, 0, r, sizeof(r)), 0);
    stop_sim();
}

/* LE Encrypt: FIPS-197 C.1 vector, given little-endian as HCI carries it. */
static void test_blesim_le_encrypt_fips197(void)
{
    uint8_t p[32];
    uint8_t r[20];
    static const uint8_t key[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
    static const uint8_t pt[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

    for (int i = 0; i < 16; i++) {
        p[i] = key[15 - i];
        p[16 + i] = pt[15 - i];
    }
    start_sim(fast_args, 1);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_ENCRYPT, p, 32, r, sizeof(r)), 0);
    BH_CHECK_HEX(r + 1, 16, "5a c5 b4 70 80 b7 cd d8 30 04 7b 6a d8 e0 c4 69");
    stop_sim();
}

/* ---- faults ---------------------------------------------------------------------------- */

static void test_blesim_fault_disconnect_after_pdus_with_reason(void)
{
    static const char *const args[] = {"--fast", "--disconnect-after-pdus", "3",
                                       "--disconnect-reason", "22", NULL};
    uint16_t hc, hp;
    uint8_t d[20] = {0};
    uint8_t e[16];

    start_sim(args, 2);
    connect_pair(6, 100, &hc, &hp);
    for (int i = 0; i < 5; i++) {
        BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x0, d, sizeof(d)), 0);
    }
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x22);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x22);
    int n = 0;
    uint8_t pkt[64];
    while (hcic_wait_acl(&cl[0], pkt, sizeof(pkt), 0) > 0) {
        n++;
    }
    BH_CHECK_EQ(n, 3);
    stop_sim();
}

static void test_blesim_fault_disconnect_after_ms(void)
{
    static const char *const args[] = {"--fast", "--disconnect-after-ms", "100", NULL};
    uint16_t hc, hp;
    uint8_t e[16];

    start_sim(args, 2);
    connect_pair(6, 100, &hc, &hp);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x08);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_DISCONN_COMPLETE, 0xFFFF, e, 16, T_MS), 4);
    BH_CHECK_EQ(e[3], 0x08);
    stop_sim();
}

/* 30% PDU loss, real time: every byte still arrives, in order. */
static void test_blesim_fault_loss_costs_time_not_data(void)
{
    static const char *const args[] = {"--loss", "0.3", "--seed", "7", NULL};
    uint16_t hc, hp;
    uint8_t data[1000];
    uint8_t got[1000];
    uint8_t pkt[300];
    unsigned got_len = 0;

    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 13 + 5);
    }
    start_sim(args, 2);
    connect_pair(6, 200, &hc, &hp);
    for (unsigned off = 0; off < sizeof(data); off += 200) {
        BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, off == 0 ? 0x0 : 0x1, data + off, 200), 0);
    }
    while (got_len < sizeof(data)) {
        int n = hcic_wait_acl(&cl[0], pkt, sizeof(pkt), 5000);
        BH_CHECK(n > 4);
        BH_CHECK(got_len + (unsigned)(n - 4) <= sizeof(got));
        memcpy(got + got_len, pkt + 4, (size_t)(n - 4));
        got_len += (unsigned)(n - 4);
    }
    BH_CHECK_MEM(got, data, sizeof(data));
    stop_sim();
}

static void test_blesim_fault_cmd_delay(void)
{
    static const char *const args[] = {"--fast", "--cmd-delay-ms", "150", NULL};
    struct timespec t0, t1;
    uint8_t r[16];

    start_sim(args, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_VERSION, NULL, 0, r, sizeof(r)), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    BH_CHECK(ms >= 150);
    stop_sim();
}

BH_TEST_MAIN(BH_TEST(test_blesim_init_commands_report_truthfully),
             BH_TEST(test_blesim_unknown_cmd_0x01_bad_length_0x12),
             BH_TEST(test_blesim_local_name_write_read),
             BH_TEST(test_blesim_adv_active_scan_reports_once),
             BH_TEST(test_blesim_connect_then_central_disconnects),
             BH_TEST(test_blesim_connect_then_peripheral_disconnects),
             BH_TEST(test_blesim_create_conn_cancel_gives_0x02),
             BH_TEST(test_blesim_acl_both_ways_with_completed_packets),
             BH_TEST(test_blesim_encryption_matching_ltk),
             BH_TEST(test_blesim_encryption_mismatch_is_mic_failure),
             BH_TEST(test_blesim_conn_update_at_instant_on_both),
             BH_TEST(test_blesim_data_length_and_phy_update),
             BH_TEST(test_blesim_remote_version_and_features),
             BH_TEST(test_blesim_supervision_timeout_when_peer_vanishes),
             BH_TEST(test_blesim_garbage_client_dropped_others_continue),
             BH_TEST(test_blesim_le_encrypt_fips197),
             BH_TEST(test_blesim_fault_disconnect_after_pdus_with_reason),
             BH_TEST(test_blesim_fault_disconnect_after_ms),
             BH_TEST(test_blesim_fault_loss_costs_time_not_data),
             BH_TEST(test_blesim_fault_cmd_delay))
