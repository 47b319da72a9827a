/* SPDX-License-Identifier: MIT */
/*
 * test_btsnoop.c: the btsnoop header encoder (src/hci/btsnoop.c), byte by
 * byte, and a small capture decoded by tshark when it is installed.
 */
#include <stdbool.h>
#include <unistd.h>

#include "bh_test.h"
#include "hci/btsnoop.h"
#include "hci/h4.h"

static void test_btsnoop_file_header_is_magic_version_datalink(void)
{
    uint8_t out[BH_BTSNOOP_FILE_HDR_LEN];

    bh_btsnoop_file_header(out);
    BH_CHECK_HEX(out, sizeof(out), "62 74 73 6e 6f 6f 70 00  00 00 00 01  00 00 03 ea");
}

static void test_btsnoop_record_sent_command_flags_cmd_only(void)
{
    uint8_t out[BH_BTSNOOP_REC_HDR_LEN];

    bh_btsnoop_record_header(out, BH_H4_CMD, 3, false, 0);
    BH_CHECK_HEX(out, sizeof(out),
                 "00 00 00 04  00 00 00 04  00 00 00 02  00 00 00 00"
                 "00 dc dd b3 0f 2f 80 00");
}

static void test_btsnoop_record_received_event_flags_both(void)
{
    uint8_t out[BH_BTSNOOP_REC_HDR_LEN];

    /* 2024-01-01T00:00:00Z = 1704067200 s, plus 1 us. */
    bh_btsnoop_record_header(out, BH_H4_EVT, 0x0102, true, 1704067200000001ull);
    BH_CHECK_HEX(out, sizeof(out),
                 "00 00 01 03  00 00 01 03  00 00 00 03  00 00 00 00"
                 "00 e2 eb 8a 1f 50 a0 01");
}

static void test_btsnoop_record_acl_flags_direction_only(void)
{
    uint8_t out[BH_BTSNOOP_REC_HDR_LEN];

    bh_btsnoop_record_header(out, BH_H4_ACL, 0xffff, true, 0);
    BH_CHECK_HEX(out, 16, "00 01 00 00  00 01 00 00  00 00 00 01  00 00 00 00");
    bh_btsnoop_record_header(out, BH_H4_ACL, 9, false, 0);
    BH_CHECK_HEX(out, 16, "00 00 00 0a  00 00 00 0a  00 00 00 00  00 00 00 00");
}

static void write_record(FILE *f, uint8_t type, const char *hex, bool received, uint64_t ts)
{
    uint8_t pkt[300];
    uint8_t hdr[BH_BTSNOOP_REC_HDR_LEN];
    int n = bh_test_hex(hex, pkt, sizeof(pkt));

    BH_CHECK(n > 0);
    bh_btsnoop_record_header(hdr, type, (uint16_t)n, received, ts);
    BH_CHECK_EQ(fwrite(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    BH_CHECK_EQ(fwrite(&type, 1, 1, f), 1);
    BH_CHECK_EQ(fwrite(pkt, 1, (size_t)n, f), (size_t)n);
}

static bool have_tshark(void)
{
    return system("command -v tshark >/dev/null 2>&1") == 0;
}

struct tshark_result {
    int status;       /* pclose() status: 0 when tshark exited 0 */
    bool malformed;   /* a "Malformed" or error-level expert line */
    unsigned frames;  /* frames decoded */
    unsigned att_mtu; /* ATT Exchange MTU PDUs found inside the ACL */
};

static void tshark_decode(const char *path, struct tshark_result *res)
{
    char cmd[512];
    char line[1024];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "tshark -r '%s' -V 2>&1", path);
    p = popen(cmd, "r");
    BH_CHECK(p != NULL);
    memset(res, 0, sizeof(*res));
    while (fgets(line, sizeof(line), p) != NULL) {
        if (strstr(line, "Malformed") != NULL || strstr(line, "Expert Info (Error") != NULL) {
            res->malformed = true;
            fputs(line, stderr);
        }
        if (strstr(line, "Opcode: Exchange MTU") != NULL) {
            res->att_mtu++;
        }
        if (strncmp(line, "Frame ", 6) == 0) {
            res->frames++;
        }
    }
    res->status = pclose(p);
}

static void test_btsnoop_capture_decodes_cleanly_in_tshark(void)
{
    char path[] = "/tmp/bh_btsnoop_XXXXXX";
    uint8_t fh[BH_BTSNOOP_FILE_HDR_LEN];
    uint64_t t0 = 1704067200000000ull;
    struct tshark_result res;
    int fd = mkstemp(path);
    FILE *f;

    BH_CHECK(fd >= 0);
    f = fdopen(fd, "wb");
    BH_CHECK(f != NULL);
    bh_btsnoop_file_header(fh);
    BH_CHECK_EQ(fwrite(fh, 1, sizeof(fh), f), sizeof(fh));
    write_record(f, BH_H4_CMD, "03 0c 00", false, t0);                /* Reset */
    write_record(f, BH_H4_EVT, "0e 04 01 03 0c 00", true, t0 + 1000); /* Cmd Complete */
    /* LE Connection Complete, handle 0x0040, so the ACL belongs to a connection. */
    write_record(f, BH_H4_EVT, "3e 13 01 00 40 00 00 00 11 22 33 44 55 66 28 00 00 00 c8 00 00",
                 true, t0 + 1500);
    /* ACL handle 0x0040, start, L2CAP ATT: Exchange MTU Request / Response. */
    write_record(f, BH_H4_ACL, "40 00 07 00 03 00 04 00 02 f7 00", false, t0 + 2000);
    write_record(f, BH_H4_ACL, "40 20 07 00 03 00 04 00 03 17 00", true, t0 + 3000);
    BH_CHECK_EQ(fclose(f), 0);

    if (!have_tshark()) {
        printf("     (tshark not on PATH: decode check skipped)\n");
        unlink(path);
        return;
    }
    tshark_decode(path, &res);
    unlink(path);
    BH_CHECK_EQ(res.status, 0);
    BH_CHECK(!res.malformed);
    BH_CHECK_EQ(res.frames, 5);
    BH_CHECK_EQ(res.att_mtu, 2);
}

BH_TEST_MAIN(BH_TEST(test_btsnoop_file_header_is_magic_version_datalink),
             BH_TEST(test_btsnoop_record_sent_command_flags_cmd_only),
             BH_TEST(test_btsnoop_record_received_event_flags_both),
             BH_TEST(test_btsnoop_record_acl_flags_direction_only),
             BH_TEST(test_btsnoop_capture_decodes_cleanly_in_tshark))
