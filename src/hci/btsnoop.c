/* SPDX-License-Identifier: MIT */
/*
 * btsnoop.c: encoder for btsnoop capture headers (format version 1, as
 * described in RFC 1761's "snoop" lineage and read by Wireshark's btsnoop
 * dissector). Datalink 1002 is HCI UART (H4): every record's data starts
 * with the H4 packet indicator (Core 5.4 Vol 4 Part A 2).
 *
 * Only encodes headers into caller buffers; writing them out belongs to the
 * caller (ports/posix, tools/blesim). All fields are big-endian.
 */
#include "btsnoop.h"

#include <string.h>

#include "h4.h"

#define BTSNOOP_VERSION 1u
/* Microseconds from 0 AD (the format's epoch) to 1970-01-01. */
#define BTSNOOP_EPOCH_DELTA_US 0x00dcddb30f2f8000ull

#define BTSNOOP_FLAG_RECEIVED 0x01u /* controller to host */
#define BTSNOOP_FLAG_CMD_EVT 0x02u  /* command or event, else data */

static void btsnoop_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void btsnoop_put_be64(uint8_t *p, uint64_t v)
{
    btsnoop_put_be32(p, (uint32_t)(v >> 32));
    btsnoop_put_be32(p + 4, (uint32_t)v);
}

void bh_btsnoop_file_header(uint8_t out[BH_BTSNOOP_FILE_HDR_LEN])
{
    static const uint8_t magic[8] = {'b', 't', 's', 'n', 'o', 'o', 'p', '\0'};

    memcpy(out, magic, sizeof(magic));
    btsnoop_put_be32(out + 8, BTSNOOP_VERSION);
    btsnoop_put_be32(out + 12, BH_BTSNOOP_DATALINK_H4);
}

void bh_btsnoop_record_header(uint8_t out[BH_BTSNOOP_REC_HDR_LEN], uint8_t h4_type,
                              uint16_t pkt_len, bool received, uint64_t ts_us)
{
    uint32_t len = (uint32_t)pkt_len + 1u; /* the H4 indicator is part of the record */
    uint32_t flags = 0;

    if (received) {
        flags |= BTSNOOP_FLAG_RECEIVED;
    }
    if (h4_type == BH_H4_CMD || h4_type == BH_H4_EVT) {
        flags |= BTSNOOP_FLAG_CMD_EVT;
    }
    btsnoop_put_be32(out, len);     /* original length */
    btsnoop_put_be32(out + 4, len); /* included length: never truncated */
    btsnoop_put_be32(out + 8, flags);
    btsnoop_put_be32(out + 12, 0); /* cumulative drops */
    btsnoop_put_be64(out + 16, ts_us + BTSNOOP_EPOCH_DELTA_US);
}
