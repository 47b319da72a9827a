/* SPDX-License-Identifier: MIT */
/*
 * sim_snoop.c: one btsnoop file per controller under --btsnoop DIR, named
 * ctrl<N>.btsnoop (N: the controller's attach index). It holds everything
 * the controller's host sent (commands, ACL) and received (events, ACL), in
 * the H4 datalink (1002) that tshark decodes. Encoding: src/hci/btsnoop.h.
 */
#include "sim.h"

#include <limits.h>
#include <time.h>

#include "hci/btsnoop.h"

FILE *sim_snoop_open(int idx)
{
    char path[PATH_MAX];
    uint8_t hdr[BH_BTSNOOP_FILE_HDR_LEN];
    FILE *f;

    if (sim_opts.btsnoop_dir == NULL) {
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/ctrl%d.btsnoop", sim_opts.btsnoop_dir, idx);
    f = fopen(path, "wb");
    if (f == NULL) {
        sim_log("blesim: cannot create %s", path);
        return NULL;
    }
    bh_btsnoop_file_header(hdr);
    fwrite(hdr, 1, sizeof(hdr), f);
    fflush(f);
    return f;
}

void sim_snoop_write(FILE *f, uint8_t type, const uint8_t *pkt, uint16_t len, bool received)
{
    uint8_t hdr[BH_BTSNOOP_REC_HDR_LEN];
    struct timespec ts;
    uint64_t us;

    if (f == NULL) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    bh_btsnoop_record_header(hdr, type, len, received, us);
    fwrite(hdr, 1, sizeof(hdr), f);
    fputc(type, f);
    fwrite(pkt, 1, len, f);
    fflush(f);
}
