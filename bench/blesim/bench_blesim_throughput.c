/* SPDX-License-Identifier: MIT */
/*
 * bench_blesim_throughput: the link throughput of blesim in real-time mode
 * against the airtime formula of tools/blesim/README.md ("Airtime
 * formula"), for connection interval 7.5 and 30 ms, 1M and 2M PHY, data
 * length 27 and 251 (issue 3).
 *
 * For each combination it starts blesim (unix socket in /tmp, --acl-num
 * BENCH_ACL_NUM), attaches two raw-HCI clients (tests/blesim/hcic.h),
 * connects them at the interval, sets the PHY on the central (LE Set PHY,
 * Core 5.4 Vol 4 Part E 7.8.49) and its TX data length (LE Set Data Length,
 * 7.8.33), then streams full HCI ACL packets (BENCH_HCI_LEN octets) from the
 * central, keeping every controller buffer filled (a new packet per Number
 * Of Completed Packets). The peripheral's host timestamps what it receives:
 * data arrives in one burst per connection event, so the measurement runs
 * from the first burst after BENCH_WARMUP_MS to the first burst
 * BENCH_MEASURE_MS later and counts the ACL payload octets in between.
 *
 * Prints measured kbps, formula kbps and their ratio per combination; exits
 * 1 if any ratio is outside [0.95, 1.05] or a step fails.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hcic.h"

#define BENCH_ACL_NUM 32  /* controller buffers: more than one event carries */
#define BENCH_HCI_LEN 251 /* octets per HCI ACL packet (the buffer size) */
#define BENCH_WARMUP_MS 250
#define BENCH_MEASURE_MS 1500
#define BENCH_T_MS 3000 /* bound for any setup step */
#define BENCH_TOLERANCE 0.05

/* Core 5.4 Vol 4 Part E 7: opcodes, events */
#define OP_SET_EVENT_MASK 0x0C01
#define OP_RESET 0x0C03
#define OP_LE_SET_EVENT_MASK 0x2001
#define OP_LE_SET_ADV_PARAMS 0x2006
#define OP_LE_SET_ADV_ENABLE 0x200A
#define OP_LE_CREATE_CONN 0x200D
#define OP_LE_SET_DATA_LENGTH 0x2022
#define OP_LE_SET_PHY 0x2032
#define EVT_DISCONN_COMPLETE 0x05
#define EVT_NUM_COMPLETED_PACKETS 0x13
#define EVT_DATA_BUFFER_OVERFLOW 0x1A
#define EVT_LE 0x3E
#define SUB_CONN_COMPLETE 0x01
#define SUB_DATA_LENGTH_CHANGE 0x07
#define SUB_PHY_UPDATE_COMPLETE 0x0C

/* The link layer numbers of the README formula. */
#define LL_T_IFS_US 150u
#define PHY_1M 1
#define PHY_2M 2

#define BENCH_TRY(expr)                                                                            \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            fprintf(stderr, "bench: %s:%d: %s failed\n", __FILE__, __LINE__, #expr);               \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

struct bench_case {
    uint16_t itvl_1250us;
    uint8_t phy;
    uint16_t octets;
};

static const struct bench_case bench_cases[] = {
    {6, PHY_1M, 27},  {6, PHY_1M, 251},  {6, PHY_2M, 27},  {6, PHY_2M, 251},
    {24, PHY_1M, 27}, {24, PHY_1M, 251}, {24, PHY_2M, 27}, {24, PHY_2M, 251},
};

/* What the peripheral's host saw of the stream. */
struct bench_rx {
    int64_t start_us;     /* streaming began */
    int64_t last_pkt_us;  /* last ACL packet */
    int64_t gap_us;       /* a pause longer than this starts a new burst */
    int64_t meas_from_us; /* first burst measured, 0: not yet */
    int64_t meas_to_us;   /* burst that ended the measurement, 0: running */
    uint64_t meas_bytes;
};

struct bench_ctx {
    struct hcic c[2]; /* 0 peripheral (receives), 1 central (sends) */
    uint16_t hp;
    uint16_t hc;
};

static struct bench_ctx bench_ctx;

static int64_t bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* ---- the formula (tools/blesim/README.md, "Airtime formula") ----------------- */

/* Core 5.4 Vol 6 Part B 2.1: preamble, access address, header, payload, CRC. */
static uint32_t bench_airtime_us(uint8_t phy, uint32_t n)
{
    return phy == PHY_2M ? (2u + 4u + 2u + n + 3u) * 4u : (1u + 4u + 2u + n + 3u) * 8u;
}

/* The central streams HCI packets of hci_len octets, each carried in PDUs of
 * at most `octets` (the last one short when hci_len is not a multiple); the
 * peripheral answers each with an empty PDU. Per event the first pair is
 * always sent, the next one while it still ends within the interval. Walks
 * the PDU sequence over many events, since short PDUs shift the pattern. */
static double bench_formula_kbps(const struct bench_case *bc, uint16_t hci_len)
{
    const unsigned events = 4000;
    uint64_t itvl_us = (uint64_t)bc->itvl_1250us * 1250u;
    uint32_t empty = bench_airtime_us(bc->phy, 0);
    uint32_t left = hci_len;
    uint64_t bytes = 0;

    for (unsigned e = 0; e < events; e++) {
        uint64_t t = 0;
        for (unsigned pairs = 0;; pairs++) {
            uint32_t n = left < bc->octets ? left : bc->octets;
            uint64_t dur = bench_airtime_us(bc->phy, n) + LL_T_IFS_US + empty + LL_T_IFS_US;
            if (pairs > 0 && t + dur > itvl_us) {
                break;
            }
            t += dur;
            bytes += n;
            left -= n;
            if (left == 0) {
                left = hci_len;
            }
        }
    }
    return (double)bytes * 8.0 * 1000.0 / ((double)events * (double)itvl_us);
}

/* ---- link setup ------------------------------------------------------------------ */

static int bench_init_client(struct hcic *h)
{
    static const uint8_t mask[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F};
    /* LE events: legacy ones (bits 0..8) and PHY Update Complete (bit 11) */
    static const uint8_t le_mask[8] = {0xFF, 0x09, 0, 0, 0, 0, 0, 0};

    BENCH_TRY(hcic_connect(h, hcic_sim_socket()) == 0);
    BENCH_TRY(hcic_cmd(h, OP_RESET, NULL, 0, NULL, 0) == 0);
    BENCH_TRY(hcic_cmd(h, OP_SET_EVENT_MASK, mask, 8, NULL, 0) == 0);
    BENCH_TRY(hcic_cmd(h, OP_LE_SET_EVENT_MASK, le_mask, 8, NULL, 0) == 0);
    return 0;
}

/* Peripheral advertises (ADV_IND, 20 ms); central connects to controller 0's
 * public address C0:FF:EE:00:00:01 with the case's interval, timeout 2 s. */
static int bench_connect(const struct bench_case *bc)
{
    struct bench_ctx *b = &bench_ctx;
    uint8_t adv[15] = {0x20, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0};
    uint8_t cc[25] = {0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xEE, 0xFF, 0xC0};
    uint8_t en = 1;
    uint8_t e[64];

    BENCH_TRY(hcic_cmd(&b->c[0], OP_LE_SET_ADV_PARAMS, adv, 15, NULL, 0) == 0);
    BENCH_TRY(hcic_cmd(&b->c[0], OP_LE_SET_ADV_ENABLE, &en, 1, NULL, 0) == 0);
    put16(cc + 13, bc->itvl_1250us);
    put16(cc + 15, bc->itvl_1250us);
    put16(cc + 17, 0);
    put16(cc + 19, 200);
    BENCH_TRY(hcic_cmd(&b->c[1], OP_LE_CREATE_CONN, cc, 25, NULL, 0) == 0);
    BENCH_TRY(hcic_wait_evt(&b->c[1], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), BENCH_T_MS) == 19);
    BENCH_TRY(e[1] == 0x00);
    b->hc = get16(e + 2);
    BENCH_TRY(hcic_wait_evt(&b->c[0], EVT_LE, SUB_CONN_COMPLETE, e, sizeof(e), BENCH_T_MS) == 19);
    BENCH_TRY(e[1] == 0x00);
    b->hp = get16(e + 2);
    return 0;
}

/* LE Set PHY (both directions) and LE Set Data Length on the central. */
static int bench_phy_and_length(const struct bench_case *bc)
{
    struct bench_ctx *b = &bench_ctx;
    uint8_t p[8];
    uint8_t e[64];

    put16(p, b->hc);
    p[2] = 0x00;
    p[3] = bc->phy;
    p[4] = bc->phy;
    put16(p + 5, 0);
    BENCH_TRY(hcic_cmd(&b->c[1], OP_LE_SET_PHY, p, 7, NULL, 0) == 0);
    BENCH_TRY(hcic_wait_evt(&b->c[1], EVT_LE, SUB_PHY_UPDATE_COMPLETE, e, sizeof(e), BENCH_T_MS) ==
              6);
    BENCH_TRY(e[1] == 0x00 && e[4] == bc->phy && e[5] == bc->phy);
    put16(p, b->hc);
    put16(p + 2, bc->octets);
    put16(p + 4, 2120);
    BENCH_TRY(hcic_cmd(&b->c[1], OP_LE_SET_DATA_LENGTH, p, 6, NULL, 0) == 0);
    if (bc->octets != 27) { /* 27 is the default: no change, no event */
        BENCH_TRY(hcic_wait_evt(&b->c[1], EVT_LE, SUB_DATA_LENGTH_CHANGE, e, sizeof(e),
                                BENCH_T_MS) == 11);
        BENCH_TRY(get16(e + 3) == bc->octets);
    }
    return 0;
}

/* ---- streaming ----------------------------------------------------------------------- */

/* The sender's events: credits back, or the end of the test. */
static int bench_tx_events(unsigned *inflight)
{
    struct bench_ctx *b = &bench_ctx;
    struct hcic_pkt pkt;

    while (hcic_next(&b->c[1], &pkt)) {
        if (pkt.type != 0x04) {
            continue;
        }
        BENCH_TRY(pkt.data[0] != EVT_DISCONN_COMPLETE);
        BENCH_TRY(pkt.data[0] != EVT_DATA_BUFFER_OVERFLOW);
        if (pkt.data[0] == EVT_NUM_COMPLETED_PACKETS && pkt.len >= 7) {
            for (unsigned i = 0; i < pkt.data[2] && 7u + 4u * i <= pkt.len; i++) {
                uint16_t n = get16(pkt.data + 5 + 4 * i);
                BENCH_TRY(n <= *inflight);
                *inflight -= n;
            }
        }
    }
    return 0;
}

/* The receiver's ACL: burst detection and the measured window. */
static void bench_rx_packets(struct bench_rx *rx, int64_t now)
{
    struct bench_ctx *b = &bench_ctx;
    struct hcic_pkt pkt;

    while (hcic_next(&b->c[0], &pkt)) {
        if (pkt.type != 0x02 || pkt.len < 4 || rx->meas_to_us != 0) {
            continue;
        }
        bool burst = rx->last_pkt_us == 0 || now - rx->last_pkt_us > rx->gap_us;
        rx->last_pkt_us = now;
        if (burst && rx->meas_from_us == 0 && now >= rx->start_us + BENCH_WARMUP_MS * 1000) {
            rx->meas_from_us = now;
        } else if (burst && rx->meas_from_us != 0 &&
                   now >= rx->meas_from_us + BENCH_MEASURE_MS * 1000) {
            rx->meas_to_us = now;
            continue;
        }
        if (rx->meas_from_us != 0) {
            rx->meas_bytes += (uint64_t)(pkt.len - 4);
        }
    }
}

static int bench_stream(const struct bench_case *bc, double *kbps)
{
    struct bench_ctx *b = &bench_ctx;
    struct bench_rx rx = {.start_us = bench_now_us()};
    uint8_t data[BENCH_HCI_LEN];
    unsigned inflight = 0;
    int64_t deadline = rx.start_us + (BENCH_WARMUP_MS + BENCH_MEASURE_MS + 3000) * 1000;
    struct hcic_pkt drop;

    rx.gap_us = (int64_t)bc->itvl_1250us * 1250 / 3;
    memset(data, 0xA5, sizeof(data));
    while (hcic_next(&b->c[0], &drop)) { /* setup leftovers */
    }
    while (rx.meas_to_us == 0) {
        struct pollfd pfd[2] = {{.fd = b->c[0].fd, .events = POLLIN},
                                {.fd = b->c[1].fd, .events = POLLIN}};
        BENCH_TRY(bench_now_us() < deadline);
        while (inflight < BENCH_ACL_NUM) {
            BENCH_TRY(hcic_send_acl(&b->c[1], b->hc, 0x0, data, sizeof(data)) == 0);
            inflight++;
        }
        BENCH_TRY(poll(pfd, 2, 100) >= 0 || errno == EINTR);
        int64_t now = bench_now_us();
        if (pfd[1].revents != 0) {
            BENCH_TRY(hcic_pump(&b->c[1]) != -EPIPE);
            BENCH_TRY(bench_tx_events(&inflight) == 0);
        }
        if (pfd[0].revents != 0) {
            BENCH_TRY(hcic_pump(&b->c[0]) != -EPIPE);
            bench_rx_packets(&rx, now);
        }
    }
    *kbps = (double)rx.meas_bytes * 8.0 * 1000.0 / (double)(rx.meas_to_us - rx.meas_from_us);
    return 0;
}

static int bench_run_case(const struct bench_case *bc, double *kbps)
{
    static const char *const args[] = {"--acl-num", "32", NULL};
    struct bench_ctx *b = &bench_ctx;
    int rc = -1;

    if (hcic_sim_start(BLESIM_PATH, args) != 0) {
        fprintf(stderr, "bench: cannot start %s\n", BLESIM_PATH);
        return -1;
    }
    if (bench_init_client(&b->c[0]) == 0 && bench_init_client(&b->c[1]) == 0 &&
        bench_connect(bc) == 0 && bench_phy_and_length(bc) == 0) {
        rc = bench_stream(bc, kbps);
    }
    hcic_close(&b->c[0]);
    hcic_close(&b->c[1]);
    if (hcic_sim_stop() != 0) {
        fprintf(stderr, "bench: blesim did not exit cleanly\n");
        rc = -1;
    }
    return rc;
}

int main(void)
{
    int failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("blesim link throughput, central -> peripheral, %u-octet HCI packets, "
           "%u controller buffers\n",
           BENCH_HCI_LEN, BENCH_ACL_NUM);
    printf("%-9s %-4s %-4s %12s %12s %7s\n", "interval", "PHY", "DL", "measured", "formula",
           "ratio");
    for (size_t i = 0; i < sizeof(bench_cases) / sizeof(bench_cases[0]); i++) {
        const struct bench_case *bc = &bench_cases[i];
        double formula = bench_formula_kbps(bc, BENCH_HCI_LEN);
        double measured = 0.0;
        int rc = bench_run_case(bc, &measured);
        double ratio = measured / formula;
        bool ok = rc == 0 && ratio >= 1.0 - BENCH_TOLERANCE && ratio <= 1.0 + BENCH_TOLERANCE;

        printf("%5.1f ms  %-4s %-4u %7.1f kbps %7.1f kbps %7.3f%s\n", bc->itvl_1250us * 1.25,
               bc->phy == PHY_2M ? "2M" : "1M", bc->octets, measured, formula, ratio,
               ok ? "" : "  FAIL");
        failed += ok ? 0 : 1;
    }
    printf("%s\n", failed == 0 ? "bench: all ratios within 5%" : "bench: FAILED");
    return failed == 0 ? 0 : 1;
}
