/* SPDX-License-Identifier: MIT */
/*
 * h4.h: streaming parser for the UART transport framing (Core 5.4 Vol 4
 * Part A 2: one packet indicator byte, then the HCI packet).
 *
 * Bytes can arrive in any split. The parser owns no memory: the caller gives
 * it a buffer big enough for the largest packet it accepts, and a callback
 * that receives each complete packet (HCI header included, indicator not).
 * It is direction-agnostic: the host accepts events and ACL, blesim accepts
 * commands and ACL, through the accept mask. Used by src/hci and tools/blesim.
 */
#ifndef BH_H4_H
#define BH_H4_H

#include <stddef.h>
#include <stdint.h>

/* Packet indicators, Core 5.4 Vol 4 Part A 2 Table 2.1 */
#define BH_H4_CMD 0x01
#define BH_H4_ACL 0x02
#define BH_H4_SCO 0x03
#define BH_H4_EVT 0x04
#define BH_H4_ISO 0x05

#define BH_H4_ACCEPT(type) (1u << (type))

struct bh_h4_stats {
    uint32_t packets;  /* complete packets delivered */
    uint32_t bad_type; /* bytes dropped while looking for a packet indicator */
    uint32_t oversize; /* packets whose length exceeded the buffer: skipped whole */
};

/* pkt: HCI header + parameters/data, valid only during the call. */
typedef void (*bh_h4_packet_cb_t)(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len);

struct bh_h4 {
    uint8_t *buf;
    uint16_t buf_size;
    uint8_t accept; /* BH_H4_ACCEPT() bits */
    uint8_t state;
    uint8_t type;
    uint16_t have;    /* bytes of the current packet stored (or skipped) */
    uint16_t need;    /* bytes the current phase needs in all */
    uint16_t hdr_len; /* header length of the current type */
    bh_h4_packet_cb_t on_packet;
    void *ctx;
    struct bh_h4_stats stats;
};

void bh_h4_init(struct bh_h4 *h, uint8_t *buf, uint16_t buf_size, uint8_t accept,
                bh_h4_packet_cb_t on_packet, void *ctx);
/* Forget any partial packet (keeps stats). */
void bh_h4_reset(struct bh_h4 *h);
/* Feed bytes. Returns 0, or -EPROTO if any byte was not a valid indicator of
 * an accepted type (those bytes are dropped: the parser resynchronises on the
 * next valid indicator), or -EMSGSIZE if a packet was longer than the buffer
 * (it is skipped whole, so framing is kept). Never reads or writes out of
 * bounds. The caller decides whether an error tears the transport down. */
int bh_h4_feed(struct bh_h4 *h, const uint8_t *data, size_t len);
/* As bh_h4_feed(), but stops right after the first packet is delivered:
 * *used gets the bytes consumed, the rest is the caller's to feed later.
 * A caller that dispatches packets in ways that may feed the parser again
 * (nested processing) frames one packet at a time with this. */
int bh_h4_feed_one(struct bh_h4 *h, const uint8_t *data, size_t len, size_t *used);

#endif /* BH_H4_H */
