/* SPDX-License-Identifier: MIT */
/*
 * test_blesim_interop.c: the commands other hosts' init and common LE
 * operation send (tools/blesim/README.md, "Interoperability"): what an
 * LE-only 5.2 controller reports and answers (Supported Commands, LMP and
 * LE features, 0x01 for BR/EDR-only and privacy/extended advertising
 * commands), Read Local Supported Codecs [v2], Read Transmit Power Level,
 * and controller to host ACL flow control (Set Controller To Host Flow
 * Control, Host Buffer Size, Host Number Of Completed Packets). Each test
 * starts its own blesim process (BLESIM_PATH).
 */
#include <errno.h>
#include <string.h>

#include "bh_test.h"
#include "hcic.h"

#define T_MS 2000  /* bound for anything that should come at once */
#define QUIET_MS 300 /* how long "nothing arrives" is watched */

/* Core 5.4 Vol 4 Part E 7 */
#define OP_SET_EVENT_MASK 0x0C01
#define OP_RESET 0x0C03
#define OP_WRITE_DEFAULT_LINK_POLICY 0x080F
#define OP_DELETE_STORED_LINK_KEY 0x0C12
#define OP_READ_PAGE_SCAN_ACTIVITY 0x0C1B
#define OP_READ_CLASS_OF_DEVICE 0x0C23
#define OP_READ_VOICE_SETTING 0x0C25
#define OP_READ_TRANSMIT_POWER_LEVEL 0x0C2D
#define OP_SET_C2H_FLOW_CONTROL 0x0C31
#define OP_HOST_BUFFER_SIZE 0x0C33
#define OP_HOST_NUM_COMPLETED_PACKETS 0x0C35
#define OP_READ_PAGE_SCAN_TYPE 0x0C46
#define OP_READ_DEFAULT_ERR_DATA_REPORTING 0x0C5A
#define OP_READ_AUTH_PAYLOAD_TIMEOUT 0x0C7B
#define OP_WRITE_AUTH_PAYLOAD_TIMEOUT 0x0C7C
#define OP_READ_LOCAL_COMMANDS 0x1002
#define OP_READ_LOCAL_FEATURES 0x1003
#define OP_READ_LOCAL_CODECS_V1 0x100B
#define OP_READ_LOCAL_CODECS_V2 0x100D
#define OP_LE_SET_EVENT_MASK 0x2001
#define OP_LE_READ_LOCAL_FEATURES 0x2003
#define OP_LE_SET_ADV_PARAMS 0x2006
#define OP_LE_SET_ADV_ENABLE 0x200A
#define OP_LE_CREATE_CONN 0x200D
#define OP_LE_CLEAR_RESOLVING_LIST 0x2029
#define OP_LE_READ_RESOLVING_LIST_SIZE 0x202A
#define OP_LE_SET_ADDR_RESOLUTION_ENABLE 0x202D
#define OP_LE_SET_RPA_TIMEOUT 0x202E
#define OP_LE_READ_MAX_ADV_DATA_LEN 0x203A
#define OP_LE_READ_NUM_ADV_SETS 0x203B
#define OP_LE_SET_HOST_FEATURE 0x2074

#define EVT_CMD_COMPLETE 0x0E
#define EVT_NUM_COMPLETED_PACKETS 0x13
#define EVT_LE 0x3E
#define SUB_CONN_COMPLETE 0x01

static struct hcic cl[2];
static int n_cl;
static const char *const fast_args[] = {"--fast", NULL};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void start_sim(int clients)
{
    static const uint8_t mask[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F};
    static const uint8_t le_mask[8] = {0xFF, 0x01, 0, 0, 0, 0, 0, 0};

    n_cl = 0;
    BH_CHECK_EQ(hcic_sim_start(BLESIM_PATH, fast_args), 0);
    for (int i = 0; i < clients; i++) {
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
    BH_CHECK_EQ(hcic_sim_stop(), 0);
}

/* cl[0] advertises (ADV_IND) and becomes peripheral; cl[1] connects to
 * controller 0 (C0:FF:EE:00:00:01). Handles out. */
static void connect_pair(uint16_t *hc, uint16_t *hp)
{
    static const uint8_t addr0[6] = {0x01, 0x00, 0x00, 0xEE, 0xFF, 0xC0};
    uint8_t adv[15] = {0x20, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0};
    uint8_t en = 1;
    uint8_t cc[25] = {0x10, 0x00, 0x10, 0x00, 0x00, 0x00};
    uint8_t e[64];

    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_ADV_PARAMS, adv, 15, NULL, 0), 0);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_ADV_ENABLE, &en, 1, NULL, 0), 0);
    memcpy(cc + 6, addr0, 6);
    put16(cc + 13, 6);
    put16(cc + 15, 6);
    put16(cc + 19, 100);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_LE_CREATE_CONN, cc, 25, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), T_MS), 19);
    BH_CHECK_EQ(e[1], 0x00);
    *hc = get16(e + 2);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), T_MS), 19);
    BH_CHECK_EQ(e[1], 0x00);
    *hp = get16(e + 2);
}

/* Supported Commands octet o bit b (Vol 4 Part E 6.27); r holds the return
 * parameters with the status first. */
static bool sc_bit(const uint8_t *r, int o, int b)
{
    return (r[1 + o] >> b) & 1u;
}

/* What Linux (hci_sync.c), Zephyr (hci_core.c) and NimBLE
 * (ble_hs_startup.c) test before sending a command: the bits of the
 * commands blesim implements are set, the bits of the commands an LE-only
 * controller without LL Privacy, LE Ping or extended advertising lacks are
 * clear, and such commands get 0x01. */
static void test_blesim_interop_le_only_controller_reports(void)
{
    static const uint16_t unknown[] = {
        OP_WRITE_DEFAULT_LINK_POLICY,   OP_DELETE_STORED_LINK_KEY,
        OP_READ_PAGE_SCAN_ACTIVITY,     OP_READ_CLASS_OF_DEVICE,
        OP_READ_VOICE_SETTING,          OP_READ_PAGE_SCAN_TYPE,
        OP_READ_DEFAULT_ERR_DATA_REPORTING, OP_READ_AUTH_PAYLOAD_TIMEOUT,
        OP_READ_LOCAL_CODECS_V1,        OP_LE_CLEAR_RESOLVING_LIST,
        OP_LE_READ_RESOLVING_LIST_SIZE, OP_LE_READ_MAX_ADV_DATA_LEN,
        OP_LE_READ_NUM_ADV_SETS,
    };
    uint8_t r[80];
    uint8_t p[8] = {0};

    start_sim(1);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_COMMANDS, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK(sc_bit(r, 10, 2));  /* Read Transmit Power Level */
    BH_CHECK(sc_bit(r, 10, 5));  /* Set Controller To Host Flow Control */
    BH_CHECK(sc_bit(r, 10, 6));  /* Host Buffer Size */
    BH_CHECK(sc_bit(r, 10, 7));  /* Host Number Of Completed Packets */
    BH_CHECK(sc_bit(r, 45, 2));  /* Read Local Supported Codecs [v2] */
    BH_CHECK(!sc_bit(r, 29, 5)); /* [v1]: excluded for LE-only */
    BH_CHECK(sc_bit(r, 22, 2));  /* Set Event Mask Page 2 */
    BH_CHECK(sc_bit(r, 28, 3));  /* LE Read Supported States */
    BH_CHECK(sc_bit(r, 38, 7));  /* LE Read Transmit Power */
    BH_CHECK(sc_bit(r, 35, 5));  /* LE Set Default PHY */
    BH_CHECK(sc_bit(r, 34, 0));  /* LE Write Suggested Default Data Length */
    BH_CHECK(!sc_bit(r, 5, 4));  /* Write Default Link Policy Settings */
    BH_CHECK(!sc_bit(r, 6, 7));  /* Delete Stored Link Key */
    BH_CHECK(!sc_bit(r, 8, 0));  /* Read Page Scan Activity */
    BH_CHECK(!sc_bit(r, 13, 0)); /* Read Page Scan Type */
    BH_CHECK(!sc_bit(r, 18, 2)); /* Read Default Erroneous Data Reporting */
    BH_CHECK(!sc_bit(r, 32, 4)); /* Read Authenticated Payload Timeout */
    BH_CHECK(!sc_bit(r, 34, 5) && !sc_bit(r, 34, 6)); /* resolving list */
    BH_CHECK(!sc_bit(r, 35, 1) && !sc_bit(r, 35, 2)); /* resolution, RPA timeout */
    BH_CHECK(!sc_bit(r, 36, 5) && !sc_bit(r, 37, 5)); /* ext. adv / scan */
    BH_CHECK(!sc_bit(r, 39, 2)); /* LE Set Privacy Mode */
    BH_CHECK(!sc_bit(r, 44, 0)); /* LE Set Host Feature */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_FEATURES, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK_EQ(r[1 + 4], 0x60); /* BR/EDR Not Supported, LE Supported (Controller) */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_READ_LOCAL_FEATURES, NULL, 0, r, sizeof(r)), 0);
    BH_CHECK(!(r[1] & 0x10));   /* no LE Ping: no Write Authenticated Payload Timeout */
    BH_CHECK(!(r[1] & 0x40));   /* no LL Privacy: hosts skip the resolving list */
    BH_CHECK(!(r[2] & 0x10));   /* no Extended Advertising: legacy commands */
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        BH_CHECK_EQ(hcic_cmd(&cl[0], unknown[i], NULL, 0, r, sizeof(r)), 0x01);
    }
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_ADDR_RESOLUTION_ENABLE, p, 1, r, sizeof(r)), 0x01);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_RPA_TIMEOUT, p, 2, r, sizeof(r)), 0x01);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_WRITE_AUTH_PAYLOAD_TIMEOUT, p, 4, r, sizeof(r)), 0x01);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_LE_SET_HOST_FEATURE, p, 2, r, sizeof(r)), 0x01);
    stop_sim();
}

/* Vol 4 Part E 7.4.8 [v2]: Status, Num_Supported_Standard_Codecs 0,
 * Num_Supported_Vendor_Specific_Codecs 0; a parameter is a bad length. */
static void test_blesim_read_local_supported_codecs_v2_none(void)
{
    uint8_t e[32];
    uint8_t p[1] = {0};

    start_sim(1);
    BH_CHECK_EQ(hcic_send_cmd(&cl[0], OP_READ_LOCAL_CODECS_V2, NULL, 0), 0);
    BH_CHECK_EQ(hcic_wait_evt(&cl[0], EVT_CMD_COMPLETE, OP_READ_LOCAL_CODECS_V2, e, sizeof(e),
                              T_MS),
                6);
    BH_CHECK_EQ(get16(e + 1), OP_READ_LOCAL_CODECS_V2);
    BH_CHECK_HEX(e + 3, 3, "00 00 00");
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_LOCAL_CODECS_V2, p, 1, NULL, 0), 0x12);
    stop_sim();
}

/* Vol 4 Part E 7.3.35: Status, Connection_Handle, Transmit_Power_Level:
 * current 0 dBm, maximum +10 dBm (LE Read Transmit Power's maximum). */
static void test_blesim_read_transmit_power_level(void)
{
    uint16_t hc, hp;
    uint8_t p[3];
    uint8_t r[16];

    start_sim(2);
    connect_pair(&hc, &hp);
    put16(p, hc);
    p[2] = 0x00;
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_READ_TRANSMIT_POWER_LEVEL, p, 3, r, sizeof(r)), 0);
    BH_CHECK_EQ(get16(r + 1), hc);
    BH_CHECK_EQ((int8_t)r[3], 0);
    put16(p, hp);
    p[2] = 0x01;
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_TRANSMIT_POWER_LEVEL, p, 3, r, sizeof(r)), 0);
    BH_CHECK_EQ(get16(r + 1), hp);
    BH_CHECK_EQ((int8_t)r[3], 10);
    p[2] = 0x02; /* Type: reserved */
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_READ_TRANSMIT_POWER_LEVEL, p, 3, r, sizeof(r)), 0x12);
    BH_CHECK_EQ(get16(r + 1), hp);
    put16(p, 0x0EFF);
    p[2] = 0x00;
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_READ_TRANSMIT_POWER_LEVEL, p, 3, r, sizeof(r)), 0x02);
    BH_CHECK_EQ(get16(r + 1), 0x0EFF);
    BH_CHECK_EQ(hcic_cmd(&cl[1], OP_READ_TRANSMIT_POWER_LEVEL, p, 2, r, sizeof(r)), 0x12);
    stop_sim();
}

/* Waits for one ACL packet at cl[0] and checks handle, PB flag and length. */
static void expect_acl(uint16_t handle, uint8_t pb, uint16_t len, const uint8_t *data)
{
    uint8_t pkt[300];
    int n = hcic_wait_acl(&cl[0], pkt, sizeof(pkt), T_MS);

    BH_CHECK_EQ(n, 4 + len);
    BH_CHECK_EQ(get16(pkt) & 0x0FFF, handle);
    BH_CHECK_EQ(get16(pkt) >> 12, pb);
    BH_CHECK_MEM(pkt + 4, data, len);
}

/* Vol 4 Part E 7.3.38..7.3.40. The peripheral's host holds 3 packets of at
 * most 16 octets: a 20-octet PDU reaches it as 16 + 4 (PB 0x02, 0x01); the
 * next one needs 2 buffers, 1 is free, so the LL holds it until Host Number
 * Of Completed Packets returns 2; the central's host then gets its
 * completed packets. Flow control cannot change while connected. */
static void test_blesim_controller_to_host_flow_control(void)
{
    uint16_t hc, hp;
    uint8_t data[40];
    uint8_t p[7] = {0};
    uint8_t e[16];
    uint8_t pkt[300];
    unsigned done = 0;

    for (unsigned i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(0xA0 + i);
    }
    start_sim(2);
    p[0] = 0x04;
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_SET_C2H_FLOW_CONTROL, p, 1, NULL, 0), 0x12);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_HOST_BUFFER_SIZE, p, 7, NULL, 0), 0x12); /* zeros */
    p[0] = 0x01;
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_SET_C2H_FLOW_CONTROL, p, 1, NULL, 0), 0);
    put16(p, 16); /* Host_ACL_Data_Packet_Length */
    p[2] = 0;
    put16(p + 3, 3); /* Host_Total_Num_ACL_Data_Packets */
    put16(p + 5, 0);
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_HOST_BUFFER_SIZE, p, 7, NULL, 0), 0);
    connect_pair(&hc, &hp);
    p[0] = 0x00;
    BH_CHECK_EQ(hcic_cmd(&cl[0], OP_SET_C2H_FLOW_CONTROL, p, 1, NULL, 0), 0x0C);

    BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x0, data, 20), 0);
    BH_CHECK_EQ(hcic_send_acl(&cl[1], hc, 0x0, data + 20, 20), 0);
    expect_acl(hp, 0x2, 16, data);
    expect_acl(hp, 0x1, 4, data + 16);
    BH_CHECK_EQ(hcic_wait_acl(&cl[0], pkt, sizeof(pkt), QUIET_MS), -ETIMEDOUT);

    uint8_t nocp[5] = {1};
    put16(nocp + 1, hp);
    put16(nocp + 3, 2);
    BH_CHECK_EQ(hcic_send_cmd(&cl[0], OP_HOST_NUM_COMPLETED_PACKETS, nocp, 5), 0);
    expect_acl(hp, 0x2, 16, data + 20);
    expect_acl(hp, 0x1, 4, data + 36);
    while (done < 2) {
        BH_CHECK_EQ(hcic_wait_evt(&cl[1], EVT_NUM_COMPLETED_PACKETS, 0xFFFF, e, sizeof(e), T_MS),
                    5);
        BH_CHECK_EQ(get16(e + 1), hc);
        done += get16(e + 3);
    }
    BH_CHECK_EQ(done, 2);
    /* Host Number Of Completed Packets has no event (Vol 4 Part E 7.3.40). */
    BH_CHECK(!hcic_got_evt(&cl[0], EVT_CMD_COMPLETE, OP_HOST_NUM_COMPLETED_PACKETS, QUIET_MS));
    stop_sim();
}

BH_TEST_MAIN(BH_TEST(test_blesim_interop_le_only_controller_reports),
             BH_TEST(test_blesim_read_local_supported_codecs_v2_none),
             BH_TEST(test_blesim_read_transmit_power_level),
             BH_TEST(test_blesim_controller_to_host_flow_control))
