/* SPDX-License-Identifier: MIT */
/*
 * gap_adv.c: legacy advertising (Core 5.4 Vol 4 Part E 7.8.5 to 7.8.9) the
 * way MicroPython's gap_advertise behaves (API.md 1.3): connectable gives
 * ADV_IND, non-connectable ADV_SCAN_IND (scannable, so scan responses
 * still work); a NULL payload keeps the previous one, an empty one clears
 * it, more than 31 bytes is -EINVAL; a new call restarts advertising; a
 * central connecting stops it (Vol 6 Part B 4.4.2, via gap_conn.c).
 * Also the local identity GAP serves: the Device Name (Vol 3 Part C
 * 12.1) and the own address type used by every GAP procedure.
 */
#include "gap.h"

#include <errno.h>
#include <string.h>

#include "blehost/bh_hci.h"
#include "gap_spec.h"
#include "hci/hci_spec.h"
#include "os/bh_assert.h"
#include "os/bh_rdwr.h"

#define BH_LOG_TAG "gap"
#include "os/bh_log.h"

enum gap_adv_state {
    GAP_ADV_STATE_IDLE = 0,
    GAP_ADV_STATE_ADVERTISING,
};

struct gap_adv_ctx {
    enum gap_adv_state state;
    uint8_t adv[BH_GAP_ADV_DATA_MAX];
    uint8_t adv_len;
    uint8_t sr[BH_GAP_ADV_DATA_MAX];
    uint8_t sr_len;
    uint8_t own_addr_type;
    uint8_t random_addr[6];
};

/* The Device Name, apart from gap_adv: it outlives active(False) and has an
 * initial value, which would otherwise put all of gap_adv in .data. */
struct gap_name {
    uint8_t name[BH_CONFIG_GAP_NAME_MAX];
    uint8_t name_len;
};

_Static_assert(sizeof(BH_CONFIG_GAP_DEFAULT_NAME) - 1 <= BH_CONFIG_GAP_NAME_MAX,
               "BH_CONFIG_GAP_DEFAULT_NAME longer than BH_CONFIG_GAP_NAME_MAX");
_Static_assert(BH_CONFIG_GAP_NAME_MAX <= 248, "Device Name is at most 248 octets");

static struct gap_adv_ctx gap_adv;
static struct gap_name gap_name = {
    .name = BH_CONFIG_GAP_DEFAULT_NAME,
    .name_len = sizeof(BH_CONFIG_GAP_DEFAULT_NAME) - 1,
};

static void adv_set_state(enum gap_adv_state st)
{
    BH_LOG_DBG("adv state %d -> %d", (int)gap_adv.state, (int)st);
    gap_adv.state = st;
}

void bh_gap_adv_init(void)
{
    gap_adv.state = GAP_ADV_STATE_IDLE;
    gap_adv.adv_len = 0;
    gap_adv.sr_len = 0;
    gap_adv.own_addr_type = BH_GAP_OWN_ADDR_PUBLIC;
    memset(gap_adv.random_addr, 0, sizeof(gap_adv.random_addr));
}

/* ---- local identity ----------------------------------------------------------- */

size_t bh_gap_name(const uint8_t **name)
{
    *name = gap_name.name;
    return gap_name.name_len;
}

int bh_gap_set_name(const uint8_t *name, size_t len)
{
    if (len > sizeof(gap_name.name) || (len > 0 && name == NULL)) {
        return -EINVAL;
    }
    if (len > 0) {
        memcpy(gap_name.name, name, len);
    }
    gap_name.name_len = (uint8_t)len;
    return 0;
}

uint8_t bh_gap_own_addr_type(void)
{
    return gap_adv.own_addr_type;
}

const uint8_t *bh_gap_random_addr(void)
{
    return gap_adv.random_addr;
}

void bh_gap_own_addr_init(uint8_t type, const uint8_t random_addr[6])
{
    gap_adv.own_addr_type = type;
    if (random_addr != NULL) {
        memcpy(gap_adv.random_addr, random_addr, sizeof(gap_adv.random_addr));
    }
}

/* LE Set Random Address, Vol 4 Part E 7.8.4: refused by the controller
 * while advertising, scanning or initiating, so we refuse first. */
int bh_gap_set_own_addr(uint8_t type, const uint8_t random_addr[6])
{
    int err;

    if (type > BH_GAP_OWN_ADDR_RANDOM || (type == BH_GAP_OWN_ADDR_RANDOM && random_addr == NULL)) {
        return -EINVAL;
    }
    if (type == BH_GAP_OWN_ADDR_RANDOM && memcmp(random_addr, gap_adv.random_addr, 6) != 0) {
        if (bh_gap_adv_active() || bh_gap_scan_active() || bh_gap_connect_pending()) {
            return -EBUSY;
        }
        err = bh_hci_cmd_sync(BH_HCI_OP_LE_SET_RANDOM_ADDRESS, random_addr, 6, NULL, 0, NULL, NULL);
        if (err < 0) {
            return err;
        }
        memcpy(gap_adv.random_addr, random_addr, sizeof(gap_adv.random_addr));
    }
    gap_adv.own_addr_type = type;
    return 0;
}

/* ---- advertising ------------------------------------------------------------------ */

bool bh_gap_adv_active(void)
{
    return gap_adv.state == GAP_ADV_STATE_ADVERTISING;
}

void bh_gap_adv_on_peripheral_conn(void)
{
    if (gap_adv.state != GAP_ADV_STATE_IDLE) {
        adv_set_state(GAP_ADV_STATE_IDLE);
    }
}

static int adv_enable(bool on)
{
    uint8_t p = on ? 0x01 : 0x00;

    return bh_hci_cmd_sync(BH_HCI_OP_LE_SET_ADV_ENABLE, &p, 1, NULL, 0, NULL, NULL);
}

/* LE Set Advertising Parameters, 7.8.5: one interval for min and max, all
 * three channels, no filter, no direct address. */
static int adv_set_params(bool connectable, uint16_t itvl_625us)
{
    uint8_t p[15] = {0};

    bh_put_le16(&p[0], itvl_625us);
    bh_put_le16(&p[2], itvl_625us);
    p[4] = connectable ? BH_GAP_ADV_TYPE_ADV_IND : BH_GAP_ADV_TYPE_ADV_SCAN_IND;
    p[5] = gap_adv.own_addr_type;
    p[6] = 0x00; /* Peer_Address_Type; Peer_Address p[7..12] unused */
    p[13] = BH_GAP_ADV_CHANNEL_MAP_ALL;
    p[14] = 0x00; /* Advertising_Filter_Policy: anyone */
    return bh_hci_cmd_sync(BH_HCI_OP_LE_SET_ADV_PARAMS, p, sizeof(p), NULL, 0, NULL, NULL);
}

/* LE Set Advertising Data 7.8.7 / Scan Response Data 7.8.8: a length and
 * 31 significant-or-zero octets. */
static int adv_set_data(uint16_t op, const uint8_t *data, uint8_t len)
{
    uint8_t p[1 + BH_GAP_ADV_DATA_MAX] = {0};

    p[0] = len;
    memcpy(&p[1], data, len);
    return bh_hci_cmd_sync(op, p, sizeof(p), NULL, 0, NULL, NULL);
}

static uint16_t adv_clamp_itvl(uint16_t itvl)
{
    if (itvl < BH_GAP_ADV_ITVL_MIN) {
        return BH_GAP_ADV_ITVL_MIN;
    }
    return itvl > BH_GAP_ADV_ITVL_MAX ? BH_GAP_ADV_ITVL_MAX : itvl;
}

int bh_gap_adv_start(bool connectable, uint16_t itvl_625us, const uint8_t *adv, size_t adv_len,
                     const uint8_t *sr, size_t sr_len)
{
    int err;

    bh_gap_privacy_sync(); /* never interleave with a background address change */
    if ((adv != NULL && adv_len > BH_GAP_ADV_DATA_MAX) ||
        (sr != NULL && sr_len > BH_GAP_ADV_DATA_MAX)) {
        return -EINVAL;
    }
    if (adv != NULL) {
        memcpy(gap_adv.adv, adv, adv_len);
        gap_adv.adv_len = (uint8_t)adv_len;
    }
    if (sr != NULL) {
        memcpy(gap_adv.sr, sr, sr_len);
        gap_adv.sr_len = (uint8_t)sr_len;
    }
    err = bh_gap_adv_stop();
    if (err == 0) {
        err = adv_set_params(connectable, adv_clamp_itvl(itvl_625us));
    }
    if (err == 0) {
        err = adv_set_data(BH_HCI_OP_LE_SET_ADV_DATA, gap_adv.adv, gap_adv.adv_len);
    }
    if (err == 0) {
        err = adv_set_data(BH_HCI_OP_LE_SET_SCAN_RSP_DATA, gap_adv.sr, gap_adv.sr_len);
    }
    if (err == 0) {
        err = adv_enable(true);
    }
    if (err < 0) {
        BH_LOG_WRN("advertising not started (%d)", err);
        return err;
    }
    adv_set_state(GAP_ADV_STATE_ADVERTISING);
    return 0;
}

int bh_gap_adv_stop(void)
{
    int err;

    bh_gap_privacy_sync();
    if (gap_adv.state == GAP_ADV_STATE_IDLE) {
        return 0;
    }
    err = adv_enable(false);
    /* Command Disallowed: a connection already stopped it. */
    if (err < 0 && err != bh_hci_status_to_errno(BH_HCI_ERR_CMD_DISALLOWED)) {
        return err;
    }
    adv_set_state(GAP_ADV_STATE_IDLE);
    return 0;
}
