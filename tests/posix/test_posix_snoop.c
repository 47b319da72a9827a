/* SPDX-License-Identifier: MIT */
/*
 * test_posix_snoop.c: the btsnoop file sink of ports/posix, fed by the HCI
 * layer's snoop hook with real traffic over a unix-socket transport. The
 * file must have the right headers and decode cleanly in tshark.
 */
#include <stdlib.h>

#include "hci/btsnoop.h"
#include "hci/h4.h"
#include "hci/hci.h"
#include "posix_test_util.h"

static struct pt_rx rx;

static size_t read_file(const char *path, uint8_t *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    BH_CHECK(f != NULL);
    n = fread(out, 1, cap, f);
    fclose(f);
    return n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_tshark(const char *path, unsigned frames)
{
    char cmd[512], line[1024];
    unsigned seen = 0;
    bool bad = false;
    FILE *p;

    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        printf("     (tshark not on PATH: decode check skipped)\n");
        return;
    }
    snprintf(cmd, sizeof(cmd), "tshark -r '%s' -V 2>&1", path);
    p = popen(cmd, "r");
    BH_CHECK(p != NULL);
    while (fgets(line, sizeof(line), p) != NULL) {
        if (strstr(line, "Malformed") != NULL || strstr(line, "Expert Info (Error") != NULL) {
            bad = true;
            fputs(line, stderr);
        }
        seen += strncmp(line, "Frame ", 6) == 0;
    }
    BH_CHECK_EQ(pclose(p), 0);
    BH_CHECK(!bad);
    BH_CHECK_EQ(seen, frames);
}

static void test_posix_snoop_records_both_directions_for_tshark(void)
{
    static uint8_t file[4096];
    struct pt_listener l;
    char cap[96];
    size_t n;
    int peer;

    bh_posix_transport_close();
    bh_os_init(bh_posix_port());
    memset(&rx, 0, sizeof(rx));
    pt_listen(&l);
    snprintf(cap, sizeof(cap), "%s/cap.btsnoop", l.dir);
    BH_CHECK_EQ(bh_posix_transport_open(l.spec), 0);
    peer = accept(l.fd, NULL, NULL);
    BH_CHECK(peer >= 0);
    BH_CHECK_EQ(bh_posix_snoop_open(cap), 0);
    BH_CHECK_EQ(bh_posix_snoop_open(cap), -EALREADY);

    /* Host sends Reset; the peer answers Command Complete. */
    BH_CHECK_EQ(hci_send_packet(BH_H4_CMD, (const uint8_t[]){0x03, 0x0c, 0x00}, 3), 0);
    uint8_t got[4];
    pt_read_all(peer, got, sizeof(got), 5000);
    BH_CHECK_HEX(got, sizeof(got), "01 03 0c 00");
    pt_write_all(peer, (const uint8_t[]){0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00}, 7);
    uint64_t deadline = pt_now_ms() + 5000;
    while (read_file(cap, file, sizeof(file)) < 16 + 25 + 31) {
        BH_CHECK(pt_now_ms() < deadline);
        bh_process();
        bh_os_port()->wait(50);
    }
    bh_posix_snoop_close();
    bh_posix_snoop_close(); /* idempotent */
    bh_posix_transport_close();
    close(peer);

    n = read_file(cap, file, sizeof(file));
    BH_CHECK_EQ(n, 16 + (24 + 4) + (24 + 7));
    BH_CHECK_HEX(file, 16, "62 74 73 6e 6f 6f 70 00 00 00 00 01 00 00 03 ea");
    /* Sent command: lengths 4, flags 2 (command, sent). */
    BH_CHECK_HEX(file + 16, 16, "00 00 00 04 00 00 00 04 00 00 00 02 00 00 00 00");
    BH_CHECK_HEX(file + 40, 4, "01 03 0c 00");
    /* Received event: lengths 7, flags 3 (event, received). */
    BH_CHECK_HEX(file + 44, 16, "00 00 00 07 00 00 00 07 00 00 00 03 00 00 00 00");
    BH_CHECK_HEX(file + 68, 7, "04 0e 04 01 03 0c 00");
    /* Timestamps: after 2020 and in order. */
    uint64_t t1 = (uint64_t)be32(file + 32) << 32 | be32(file + 36);
    uint64_t t2 = (uint64_t)be32(file + 60) << 32 | be32(file + 64);
    BH_CHECK(t1 > 0x00dcddb30f2f8000ull + 1577836800000000ull);
    BH_CHECK(t2 >= t1);
    check_tshark(cap, 2);
    unlink(cap);
    pt_unlisten(&l);
}

static void test_posix_snoop_open_bad_path_fails(void)
{
    BH_CHECK_EQ(bh_posix_snoop_open("/nonexistent-dir/x.btsnoop"), -ENOENT);
    BH_CHECK_EQ(bh_posix_snoop_open(NULL), -EINVAL);
}

BH_TEST_MAIN(BH_TEST(test_posix_snoop_records_both_directions_for_tshark),
             BH_TEST(test_posix_snoop_open_bad_path_fails))
