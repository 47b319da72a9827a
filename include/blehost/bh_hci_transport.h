/* SPDX-License-Identifier: MIT */
/*
 * bh_hci_transport.h: how bytes reach and leave the HCI layer.
 *
 * Receive: the transport (a UART ISR, a reader thread, a poll loop) pushes
 * raw H4 bytes with bh_hci_rx_push() and wakes the host; bh_process() drains
 * them, frames them and dispatches. Send: the HCI layer hands whole packets
 * to transport->send(), one call per packet.
 */
#ifndef BH_HCI_TRANSPORT_H
#define BH_HCI_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_hci_transport {
    /* Send one H4 packet: indicator h4_type, then len bytes of HCI packet
     * (header included). Host context. Must take the whole packet or fail
     * (-EIO: the transport is gone); it may hold it in its own queue and
     * must not drop it (back-pressure is the transport's job). */
    int (*send)(void *ctx, uint8_t h4_type, const uint8_t *pkt, size_t len);
    void *ctx;
};

/* Install the transport used by the next bh_hci_init() (NULL: none). */
void bh_hci_set_transport(const struct bh_hci_transport *t);

/* Raw H4 bytes from the controller. Any context (single producer). Copies
 * what fits in the receive ring and returns that count; the caller keeps the
 * rest and pushes it after the host drained (see bh_hci_rx_space()). Wakes
 * the host through the port. */
size_t bh_hci_rx_push(const uint8_t *data, size_t len);
/* Free bytes in the receive ring. Any context. */
size_t bh_hci_rx_space(void);

/* Capture hook: every packet sent (received=false) and received, whole,
 * H4 indicator separate. NULL disables. Host context. */
typedef void (*bh_hci_snoop_cb_t)(void *ctx, uint8_t h4_type, const uint8_t *pkt, uint16_t len,
                                  bool received);
void bh_hci_set_snoop(bh_hci_snoop_cb_t cb, void *ctx);

#endif /* BH_HCI_TRANSPORT_H */
