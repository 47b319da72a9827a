/* SPDX-License-Identifier: MIT */
/*
 * smp_off.c: the Security Manager while pairing is not built (until #6
 * brings smp.c). It keeps the interface of conn.h and l2cap.h and still
 * answers peers as the spec requires: a Pairing Request or Security
 * Request gets Pairing Failed with "Pairing Not Supported" (Core 5.4
 * Vol 3 Part H 3.5.5, 3.6.7), and the controller's LTK request gets a
 * negative reply (Vol 4 Part E 7.8.26), since we hold no keys.
 */
#include <errno.h>

#include "blehost/bh_hci.h"
#include "conn.h"
#include "hci/hci_spec.h"
#include "host_evt.h"
#include "keys.h"
#include "smp.h"
#include "l2cap.h"

#define BH_LOG_TAG "smp"
#include "os/bh_log.h"

/* SMP codes and reasons, Vol 3 Part H 3.3 Table 3.3 and 3.5.5 Table 3.7
 * (smp_spec.h arrives with #6). */
#define SMP_OFF_PAIRING_REQUEST 0x01
#define SMP_OFF_PAIRING_FAILED 0x05
#define SMP_OFF_SECURITY_REQUEST 0x0B
#define SMP_OFF_ERR_PAIRING_NOT_SUPPORTED 0x05

void bh_smp_rx(struct bh_conn *c, struct bh_rd *r)
{
    uint8_t code = bh_rd_u8(r);
    struct bh_buf *buf;

    if (r->err || (code != SMP_OFF_PAIRING_REQUEST && code != SMP_OFF_SECURITY_REQUEST)) {
        BH_LOG_DBG("conn 0x%04x: SMP code 0x%02x dropped", c->handle, code);
        return;
    }
    buf = bh_l2cap_buf_alloc();
    if (buf == NULL) {
        return;
    }
    if (bh_buf_add_u8(buf, SMP_OFF_PAIRING_FAILED) < 0 ||
        bh_buf_add_u8(buf, SMP_OFF_ERR_PAIRING_NOT_SUPPORTED) < 0) {
        bh_buf_unref(buf);
        return;
    }
    (void)bh_l2cap_send(c, BH_L2CAP_CID_SMP, buf); /* consumes buf */
}

void bh_smp_conn_up(struct bh_conn *c)
{
    (void)c;
}

void bh_smp_conn_down(struct bh_conn *c)
{
    (void)c;
}

void bh_smp_on_encryption_change(struct bh_conn *c, uint8_t status)
{
    (void)c;
    (void)status;
}

/* LE Long Term Key Request, Vol 4 Part E 7.7.65.5: Handle, Random_Number,
 * Encrypted_Diversifier. Without keys: LE LTK Request Negative Reply. */
void smp_on_le_long_term_key_request(struct bh_rd *r)
{
    uint16_t handle = bh_rd_le16(r);
    uint8_t p[2];

    (void)bh_rd_mem(r, 10);
    if (r->err) {
        return;
    }
    bh_put_le16(p, handle);
    (void)bh_hci_cmd_send(BH_HCI_OP_LE_LONG_TERM_KEY_REQUEST_NEGATIVE_REPLY, p, sizeof(p), NULL,
                          NULL);
}

/* Nothing to set up and no bonds to load without the Security Manager. */
void bh_smp_init(void)
{
}

void bh_keys_init(void)
{
}

int bh_keys_load(void)
{
    return 0;
}

/* No bonds without the Security Manager: the GATT server keeps
 * subscriptions per connection only. */
int bh_keys_cccd_store(const struct bh_conn *c, const uint8_t *blob, uint16_t len)
{
    (void)c;
    (void)blob;
    (void)len;
    return -ENOENT;
}

int bh_keys_cccd_load(const struct bh_conn *c, uint8_t *blob, uint16_t cap)
{
    (void)c;
    (void)blob;
    (void)cap;
    return -ENOENT;
}

/* No SC without the Security Manager: the P-256 events are not ours. */
void smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r)
{
    (void)r;
}

void smp_on_le_generate_dhkey_complete(struct bh_rd *r)
{
    (void)r;
}
