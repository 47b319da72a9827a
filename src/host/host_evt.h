/* SPDX-License-Identifier: MIT */
/*
 * host_evt.h: the host's HCI event dispatch (host_evt.c) and the handlers
 * its tables name. Each handler gets r over the event parameters (after
 * the subevent code for LE Meta events), already checked against the
 * row's minimum length; it reads every field and checks r->err once.
 * Handler names: <owner>_on_<event>; the owner's file implements it.
 */
#ifndef BH_HOST_EVT_H
#define BH_HOST_EVT_H

#include <stdint.h>

#include "os/bh_rdwr.h"

struct bh_host_evt_stats {
    uint32_t evt_rx;        /* events forwarded by the HCI layer */
    uint32_t evt_short;     /* shorter than the row's minimum: dropped */
    uint32_t evt_unhandled; /* no row for the code or subevent: ignored */
};
const struct bh_host_evt_stats *bh_host_evt_stats(void);

/* Zero the statistics and install the event and ACL handlers in the HCI
 * layer (bh_hci_set_evt_handler, bh_hci_set_acl_handler). Host init. */
void bh_host_evt_init(void);

/* gap_conn.c */
void gap_on_disconn_complete(struct bh_rd *r);
void gap_on_encryption_change(struct bh_rd *r);
void gap_on_encryption_change_v2(struct bh_rd *r);
void gap_on_encryption_key_refresh_complete(struct bh_rd *r);
void gap_on_read_remote_version_info_complete(struct bh_rd *r);
void gap_on_hardware_error(struct bh_rd *r);
void gap_on_le_conn_complete(struct bh_rd *r);
void gap_on_le_enhanced_conn_complete(struct bh_rd *r);
void gap_on_le_conn_update_complete(struct bh_rd *r);
void gap_on_le_read_remote_features_complete(struct bh_rd *r);
void gap_on_le_remote_conn_param_request(struct bh_rd *r);
void gap_on_le_data_length_change(struct bh_rd *r);
void gap_on_le_phy_update_complete(struct bh_rd *r);

/* gap_scan.c */
void gap_on_le_adv_report(struct bh_rd *r);
void gap_on_le_directed_adv_report(struct bh_rd *r);

/* smp.c, or smp_off.c while pairing is not built (Vol 4 Part E 7.7.65.5) */
void smp_on_le_long_term_key_request(struct bh_rd *r);

#endif /* BH_HOST_EVT_H */
