/* SPDX-License-Identifier: MIT */
/*
 * hci.h: declarations shared by the files of src/hci (not for other layers:
 * they use include/blehost/bh_hci.h).
 */
#ifndef BH_HCI_INTERNAL_H
#define BH_HCI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_hci.h"
#include "os/bh_rdwr.h"

/* hci_core.c: one packet to the transport (and the capture hook). */
int hci_send_packet(uint8_t h4_type, const uint8_t *pkt, uint16_t len);
struct bh_hci_stats *hci_stats_mut(void);
/* Transport present and HCI not shut down: commands may be queued. */
bool hci_transport_ready(void);
/* Forward an event the HCI layer does not consume to the host. */
void hci_evt_forward(uint8_t evt, const uint8_t *p, uint8_t len);
/* Hand a reassembled L2CAP frame to the host (borrowed). */
void hci_acl_deliver(uint16_t handle, struct bh_buf *buf);
/* Forget partial input so the next bh_hci_up() starts clean. */
void hci_core_reset_rx(void);

/* hci_cmd.c */
void hci_cmd_init(void);
void hci_cmd_cancel_all(void);
void hci_cmd_on_complete(struct bh_rd *r);
void hci_cmd_on_status(struct bh_rd *r);
/* Hardware Error: in-flight commands will never complete. */
void hci_cmd_fail_in_flight(void);

/* hci_acl.c */
void hci_acl_init(void);
void hci_acl_reset(void);
void hci_acl_configure(uint16_t acl_len, uint16_t acl_num);
void hci_acl_rx(const uint8_t *pkt, uint16_t len);
void hci_acl_on_num_completed(struct bh_rd *r);

/* hci_evt.c */
void hci_evt_rx(const uint8_t *pkt, uint16_t len);

#endif /* BH_HCI_INTERNAL_H */
