/* SPDX-License-Identifier: MIT */
/*
 * posix_snoop.c: a btsnoop capture file fed by the HCI layer's snoop hook.
 * The record format is src/hci/btsnoop.c's; this file only writes records
 * out, with wall-clock timestamps, flushing each so that a crash or a kill
 * still leaves a readable capture.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hci/btsnoop.h"
#include "blehost/bh_hci_transport.h"
#include "bh_posix.h"
#include "posix_internal.h"

struct posix_snoop_ctx {
    FILE *f;
    char path[256];
};

static struct posix_snoop_ctx posix_snoop;

static uint64_t posix_snoop_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void posix_snoop_close_on_error(void)
{
    bh_posix_logf(BH_POSIX_LOG_ERR, "btsnoop %s: write failed (%s), capture stopped",
                  posix_snoop.path, strerror(errno));
    bh_posix_snoop_close();
}

static void posix_snoop_record(void *ctx, uint8_t h4_type, const uint8_t *pkt, uint16_t len,
                               bool received)
{
    uint8_t hdr[BH_BTSNOOP_REC_HDR_LEN];
    FILE *f = posix_snoop.f;

    (void)ctx;
    if (f == NULL) {
        return;
    }
    bh_btsnoop_record_header(hdr, h4_type, len, received, posix_snoop_now_us());
    if (fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr) || fputc(h4_type, f) == EOF ||
        fwrite(pkt, 1, len, f) != len || fflush(f) != 0) {
        posix_snoop_close_on_error();
    }
}

int bh_posix_snoop_open(const char *path)
{
    uint8_t hdr[BH_BTSNOOP_FILE_HDR_LEN];
    int err;

    if (path == NULL) {
        return -EINVAL;
    }
    if (posix_snoop.f != NULL) {
        return -EALREADY;
    }
    snprintf(posix_snoop.path, sizeof(posix_snoop.path), "%s", path);
    posix_snoop.f = fopen(path, "wb");
    if (posix_snoop.f == NULL) {
        err = -errno;
        bh_posix_logf(BH_POSIX_LOG_ERR, "btsnoop %s: %s", path, strerror(errno));
        return err;
    }
    bh_btsnoop_file_header(hdr);
    if (fwrite(hdr, 1, sizeof(hdr), posix_snoop.f) != sizeof(hdr) || fflush(posix_snoop.f) != 0) {
        err = errno != 0 ? -errno : -EIO;
        fclose(posix_snoop.f);
        posix_snoop.f = NULL;
        return err;
    }
    bh_hci_set_snoop(posix_snoop_record, NULL);
    return 0;
}

void bh_posix_snoop_close(void)
{
    if (posix_snoop.f == NULL) {
        return;
    }
    bh_hci_set_snoop(NULL, NULL);
    fclose(posix_snoop.f);
    posix_snoop.f = NULL;
}
