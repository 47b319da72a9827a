/* SPDX-License-Identifier: MIT */
/*
 * btsnoop.h: encoder for the btsnoop capture format (version 1, datalink
 * 1002 = HCI UART/H4: each record carries the H4 indicator then the packet),
 * which tshark and Wireshark read. Pure encoding into caller buffers; where
 * the bytes go (a file, a socket) is the caller's business (ports/posix,
 * tools/blesim).
 */
#ifndef BH_BTSNOOP_H
#define BH_BTSNOOP_H

#include <stdbool.h>
#include <stdint.h>

#define BH_BTSNOOP_FILE_HDR_LEN 16
#define BH_BTSNOOP_REC_HDR_LEN 24
#define BH_BTSNOOP_DATALINK_H4 1002

/* "btsnoop\0", version 1, datalink 1002 (all big-endian). */
void bh_btsnoop_file_header(uint8_t out[BH_BTSNOOP_FILE_HDR_LEN]);

/* Record header for one packet of `pkt_len` bytes (HCI packet without the
 * indicator; the record's length counts the indicator byte, which the caller
 * writes right after this header, then the packet). `received`: controller to
 * host. ts_us: microseconds since the Unix epoch (converted to the format's
 * 0 AD epoch here). */
void bh_btsnoop_record_header(uint8_t out[BH_BTSNOOP_REC_HDR_LEN], uint8_t h4_type,
                              uint16_t pkt_len, bool received, uint64_t ts_us);

#endif /* BH_BTSNOOP_H */
