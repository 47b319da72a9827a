/* SPDX-License-Identifier: MIT */
/*
 * h4.c: streaming parser for the UART transport framing, Core 5.4 Vol 4
 * Part A 2 (one packet indicator, then the HCI packet of Vol 4 Part E 5.4).
 *
 * Owns only the framing: it finds packet boundaries from the length field of
 * each packet's header and hands whole packets to a callback. It does not
 * look inside them (src/hci does) and holds no memory of its own.
 *
 * The parser is a four-state machine driven one phase at a time, so that a
 * byte split anywhere gives the same packets:
 *   IDLE    waiting for a packet indicator of an accepted type
 *   HEADER  collecting the fixed header of that type
 *   PAYLOAD collecting the parameters/data into the caller's buffer
 *   SKIP    discarding the payload of a packet too long for the buffer
 * Field use per state: HEADER counts header bytes in `have` against `hdr_len`
 * and builds the payload length in `need`; PAYLOAD counts stored bytes in
 * `have` against the packet's total in `need`; SKIP counts skipped payload
 * bytes against the payload length (so a 0xFFFF ACL length never overflows).
 */
#include "h4.h"

#include <errno.h>
#include <string.h>

enum bh_h4_state {
    H4_IDLE = 0,
    H4_HEADER,
    H4_PAYLOAD,
    H4_SKIP,
};

/* ISO_Data_Load_Length is 14 bits; the top two are RFU (Core 5.4 Vol 4 Part E 5.4.5). */
#define H4_ISO_LEN_MASK 0x3FFFu

/* Header length per indicator, Core 5.4 Vol 4 Part E 5.4.1 .. 5.4.5; 0: unknown type. */
static uint16_t h4_header_len(uint8_t type)
{
    switch (type) {
    case BH_H4_CMD: /* opcode 16, parameter total length 8 */
        return 3;
    case BH_H4_ACL: /* handle + flags 16, data total length 16 */
        return 4;
    case BH_H4_SCO: /* handle + flags 16, data total length 8 */
        return 3;
    case BH_H4_EVT: /* event code 8, parameter total length 8 */
        return 2;
    case BH_H4_ISO: /* handle + flags 16, load length 14 (+2 RFU) */
        return 4;
    default:
        return 0;
    }
}

/* Fold header byte `idx` into the payload length being built in h->need. */
static void h4_header_byte(struct bh_h4 *h, uint16_t idx, uint8_t b)
{
    switch (h->type) {
    case BH_H4_CMD:
    case BH_H4_SCO:
        if (idx == 2) {
            h->need = b;
        }
        break;
    case BH_H4_EVT:
        if (idx == 1) {
            h->need = b;
        }
        break;
    case BH_H4_ACL:
        if (idx == 2) {
            h->need = b;
        } else if (idx == 3) {
            h->need = (uint16_t)(h->need | (uint16_t)(b << 8));
        }
        break;
    case BH_H4_ISO:
        if (idx == 2) {
            h->need = b;
        } else if (idx == 3) {
            h->need = (uint16_t)((h->need | (uint16_t)(b << 8)) & H4_ISO_LEN_MASK);
        }
        break;
    default:
        break;
    }
}

static void h4_deliver(struct bh_h4 *h, uint16_t len)
{
    /* Back to IDLE first: the callback may reset or feed nothing else. */
    h->state = H4_IDLE;
    h->have = 0;
    h->need = 0;
    h->stats.packets++;
    if (h->on_packet != NULL) {
        h->on_packet(h->ctx, h->type, h->buf, len);
    }
}

static void h4_keep_first_error(int *err, int e)
{
    if (*err == 0) {
        *err = e;
    }
}

/* The header is complete: h->need holds the payload length. */
static int h4_header_done(struct bh_h4 *h)
{
    uint32_t total = (uint32_t)h->hdr_len + h->need;

    if (total > h->buf_size) {
        /* Keep framing: drop exactly the announced payload. */
        h->stats.oversize++;
        h->state = H4_SKIP;
        h->have = 0; /* payload bytes skipped so far; h->need: payload length */
        if (h->need == 0) {
            h->state = H4_IDLE;
        }
        return -EMSGSIZE;
    }
    if (h->need == 0) {
        h4_deliver(h, h->hdr_len);
        return 0;
    }
    h->state = H4_PAYLOAD;
    h->need = (uint16_t)total;
    return 0;
}

/* Consume from data; returns the bytes used, *err gets the first error. */
static size_t h4_step(struct bh_h4 *h, const uint8_t *data, size_t len, int *err)
{
    size_t n;

    switch (h->state) {
    case H4_IDLE: {
        uint8_t t = data[0];
        uint16_t hl = t < 8 ? h4_header_len(t) : 0;

        if (hl == 0 || (h->accept & BH_H4_ACCEPT(t)) == 0) {
            h->stats.bad_type++;
            h4_keep_first_error(err, -EPROTO);
            return 1;
        }
        h->type = t;
        h->hdr_len = hl;
        h->have = 0;
        h->need = 0;
        h->state = H4_HEADER;
        return 1;
    }
    case H4_HEADER:
        /* A buffer smaller than a header can only see oversize packets. */
        if (h->have < h->buf_size) {
            h->buf[h->have] = data[0];
        }
        h4_header_byte(h, h->have, data[0]);
        h->have++;
        if (h->have == h->hdr_len) {
            int e = h4_header_done(h);
            if (e != 0) {
                h4_keep_first_error(err, e);
            }
        }
        return 1;
    case H4_PAYLOAD:
        n = (size_t)(h->need - h->have);
        n = n < len ? n : len;
        memcpy(h->buf + h->have, data, n);
        h->have = (uint16_t)(h->have + n);
        if (h->have == h->need) {
            h4_deliver(h, h->need);
        }
        return n;
    case H4_SKIP:
    default:
        n = (size_t)(h->need - h->have);
        n = n < len ? n : len;
        h->have = (uint16_t)(h->have + n);
        if (h->have == h->need) {
            h->state = H4_IDLE;
            h->have = 0;
            h->need = 0;
        }
        return n;
    }
}

void bh_h4_init(struct bh_h4 *h, uint8_t *buf, uint16_t buf_size, uint8_t accept,
                bh_h4_packet_cb_t on_packet, void *ctx)
{
    memset(h, 0, sizeof(*h));
    h->buf = buf;
    h->buf_size = buf == NULL ? 0 : buf_size;
    h->accept = accept;
    h->on_packet = on_packet;
    h->ctx = ctx;
    bh_h4_reset(h);
}

void bh_h4_reset(struct bh_h4 *h)
{
    h->state = H4_IDLE;
    h->type = 0;
    h->have = 0;
    h->need = 0;
    h->hdr_len = 0;
}

int bh_h4_feed(struct bh_h4 *h, const uint8_t *data, size_t len)
{
    int err = 0;

    while (len > 0) {
        size_t used = h4_step(h, data, len, &err);
        data += used;
        len -= used;
    }
    return err;
}

int bh_h4_feed_one(struct bh_h4 *h, const uint8_t *data, size_t len, size_t *used)
{
    uint32_t before = h->stats.packets;
    size_t off = 0;
    int err = 0;

    while (off < len && h->stats.packets == before) {
        off += h4_step(h, data + off, len - off, &err);
    }
    *used = off;
    return err;
}
