/* SPDX-License-Identifier: MIT */
/*
 * bench_l2cap: LE credit-based channel throughput over blesim (issue 7).
 *
 *   bench_l2cap [--blesim PATH] [--bytes N] [--contrast-bytes N] [--min-ratio R]
 *               [--itvl-us US] [--no-contrast]
 *
 * Starts one blesim (--listen unix:...), then per run forks two host
 * processes on the POSIX port, each with its own transport (its own
 * controller): a peripheral that advertises and listens on an L2CAP PSM,
 * and a central that connects with the given connection interval (7.5 ms),
 * opens a channel and streams N bytes in SDUs that fill whole K-frames.
 * The host asks for data length 251 and 2M PHY by itself; the contrast run
 * turns both off (1M PHY, 27-byte PDUs). The receiver checks every byte and
 * times the stream from its first SDU to its last; the link limit comes
 * from the airtime formula of tools/blesim/README.md (Core 5.4 Vol 6 Part B
 * 2.1, T_IFS 150 us) for the link's actual interval, PHY and data length,
 * counting LL payload bytes. Exit status 1 if the first run's ratio is
 * below --min-ratio (0.9).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bh_posix.h"
#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"
#include "host/conn.h"
#include "host/gap.h"
#include "host/gap_spec.h"

#ifndef BH_BENCH_BLESIM
#define BH_BENCH_BLESIM "blesim"
#endif

#define BENCH_PSM 0x0080
#define BENCH_MTU 2048
#define BENCH_SDU (4 * 247 - 2) /* four full K-frames of MPS 247 */
#define BENCH_TIMEOUT_S 120

struct bench_cfg {
    bool fast_link; /* auto data length + 2M PHY */
    uint32_t bytes;
    int32_t itvl_us;
};

/* What the receiver reports to the parent through a pipe. */
struct bench_result {
    uint8_t role;   /* 1 receiver (peripheral), 2 sender (central) */
    uint64_t bytes; /* counted from the end of the first SDU */
    uint64_t us;    /* first SDU to last */
    uint32_t bad;   /* bytes that differ from the pattern */
    uint32_t itvl_1250us;
    uint16_t octets; /* LL payload per PDU the sender may use */
    uint8_t phy;
    int8_t ok;
};

static struct {
    uint16_t conn;
    uint16_t cid;
    bool connected, chan_open, chan_closed, send_ready;
    uint64_t rx_total, rx_counted, t_first_us, t_last_us;
    uint32_t bad;
    uint8_t buf[4096];
} b;

static uint64_t bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint8_t bench_pattern(uint64_t i)
{
    return (uint8_t)(i * 31u + (i >> 9) + 7u);
}

/* IRQ 25 on the receiver: drain, check, time. */
static void bench_drain(void)
{
    size_t n;

    do {
        n = sizeof(b.buf);
        if (bh_ble_l2cap_recvinto(b.conn, b.cid, b.buf, &n) < 0) {
            return;
        }
        for (size_t i = 0; i < n; i++) {
            b.bad += b.buf[i] != bench_pattern(b.rx_total + i);
        }
        if (b.rx_total == 0) {
            b.t_first_us = bench_now_us();
        } else {
            b.rx_counted += n;
        }
        b.rx_total += n;
    } while (n > 0);
    b.t_last_us = bench_now_us();
}

static int bench_cb(void *ctx, const struct bh_ble_event *ev)
{
    (void)ctx;
    switch (ev->irq) {
    case BH_IRQ_CENTRAL_CONNECT:
    case BH_IRQ_PERIPHERAL_CONNECT:
        b.conn = ev->conn;
        b.connected = true;
        break;
    case BH_IRQ_L2CAP_CONNECT:
        b.cid = ev->l2cap.cid;
        b.chan_open = true;
        break;
    case BH_IRQ_L2CAP_DISCONNECT:
        b.chan_closed = true;
        break;
    case BH_IRQ_L2CAP_RECV:
        bench_drain();
        break;
    case BH_IRQ_L2CAP_SEND_READY:
        b.send_ready = true;
        break;
    default:
        break;
    }
    return 0;
}

static int bench_host_up(const char *spec, const struct bench_cfg *cfg)
{
    int err;

    bh_os_init(bh_posix_port());
    bh_ble_set_event_cb(bench_cb, NULL);
    bh_gap_set_auto_data_length(cfg->fast_link);
    bh_gap_set_auto_2m_phy(cfg->fast_link);
    err = bh_posix_transport_open(spec);
    if (err == 0) {
        err = bh_ble_init();
    }
    if (err < 0) {
        fprintf(stderr, "bench_l2cap: host on %s: %s\n", spec, strerror(-err));
    }
    return err;
}

static bool bench_wait(const volatile bool *flag, uint32_t ms)
{
    return bh_run_until(flag, ms) == 0;
}

/* The link as the sender will use it, once data length and PHY settled. */
static void bench_link(struct bench_result *r, const struct bench_cfg *cfg)
{
    struct bh_gap_link_info li;
    struct bh_conn *c = bh_conn_lookup(b.conn);
    uint64_t until = bench_now_us() + 2000000u;
    bool never = false;

    do {
        (void)bh_run_until(&never, 20);
        if (bh_gap_link_info(b.conn, &li) < 0) {
            return;
        }
    } while (cfg->fast_link && (li.tx_octets < 251 || li.tx_phy != BH_GAP_PHY_2M) &&
             bench_now_us() < until);
    r->octets = li.tx_octets != 0 ? li.tx_octets : 27;
    r->phy = li.tx_phy != 0 ? li.tx_phy : BH_GAP_PHY_1M;
    r->itvl_1250us = c != NULL ? c->itvl_1250us : 0;
}

static int bench_peripheral(const char *spec, const struct bench_cfg *cfg, int addr_fd, int res_fd)
{
    static const uint8_t adv[] = {0x02, 0x01, 0x06, 0x06, 0x09, 'b', 'e', 'n', 'c', 'h'};
    struct bench_result r = {0};
    uint8_t a[7];

    if (bench_host_up(spec, cfg) < 0 || bh_ble_l2cap_listen(BENCH_PSM, BENCH_MTU) < 0 ||
        bh_ble_gap_adv_start(true, 20000, adv, sizeof(adv), NULL, 0) < 0 ||
        bh_ble_get_addr(&a[0], &a[1]) < 0 || write(addr_fd, a, sizeof(a)) != sizeof(a)) {
        return 1;
    }
    if (!bench_wait(&b.chan_open, 10000)) {
        fprintf(stderr, "bench_l2cap: peripheral: no channel\n");
        return 1;
    }
    while (b.rx_total < cfg->bytes && !b.chan_closed) {
        bool never = false;

        (void)bh_run_until(&never, 100);
    }
    r.role = 1;
    r.bytes = b.rx_counted;
    r.us = b.t_last_us - b.t_first_us;
    r.bad = b.bad + (uint32_t)(b.rx_total != cfg->bytes);
    r.ok = 1;
    (void)bench_wait(&b.chan_closed, 5000);
    (void)bh_ble_deinit();
    return write(res_fd, &r, sizeof(r)) == sizeof(r) ? 0 : 1;
}

static int bench_stream(const struct bench_cfg *cfg)
{
    static uint8_t sdu[BENCH_SDU];
    uint64_t sent = 0;

    while (sent < cfg->bytes) {
        uint32_t n = cfg->bytes - sent < BENCH_SDU ? (uint32_t)(cfg->bytes - sent) : BENCH_SDU;
        bool stalled = false;
        int err;

        for (uint32_t i = 0; i < n; i++) {
            sdu[i] = bench_pattern(sent + i);
        }
        b.send_ready = false;
        err = bh_ble_l2cap_send(b.conn, b.cid, sdu, n, &stalled);
        if (err == 0) {
            sent += n;
        } else if (err != -ENOMEM) {
            fprintf(stderr, "bench_l2cap: send: %s\n", strerror(-err));
            return 1;
        }
        if ((stalled || err == -ENOMEM) && !bench_wait(&b.send_ready, 10000)) {
            fprintf(stderr, "bench_l2cap: no IRQ 26\n");
            return 1;
        }
    }
    return 0;
}

static int bench_central(const char *spec, const struct bench_cfg *cfg, int addr_fd, int res_fd)
{
    struct bench_result r = {0};
    uint8_t a[7];

    if (bench_host_up(spec, cfg) < 0 || read(addr_fd, a, sizeof(a)) != sizeof(a) ||
        bh_ble_gap_connect(a[0], &a[1], 5000, cfg->itvl_us, cfg->itvl_us) < 0 ||
        !bench_wait(&b.connected, 10000)) {
        fprintf(stderr, "bench_l2cap: central: no connection\n");
        return 1;
    }
    bench_link(&r, cfg);
    if (bh_ble_l2cap_connect(b.conn, BENCH_PSM, BENCH_MTU) < 0 || !bench_wait(&b.chan_open, 5000)) {
        fprintf(stderr, "bench_l2cap: central: no channel\n");
        return 1;
    }
    if (bench_stream(cfg) != 0) {
        return 1;
    }
    /* Let the last frames out, then close the channel and the link. */
    while (bh_hci_acl_queued(b.conn) > 0) {
        bool never = false;

        (void)bh_run_until(&never, 10);
    }
    {
        bool never = false;

        (void)bh_run_until(&never, 200);
    }
    (void)bh_ble_l2cap_disconnect(b.conn, b.cid);
    (void)bench_wait(&b.chan_closed, 2000);
    (void)bh_ble_deinit();
    r.role = 2;
    r.ok = 1;
    return write(res_fd, &r, sizeof(r)) == sizeof(r) ? 0 : 1;
}

/* Core 5.4 Vol 6 Part B 2.1 airtime, as tools/blesim/README.md gives it. */
static double bench_airtime_us(uint8_t phy, unsigned n)
{
    unsigned body = 4 + 2 + n + 3;

    return phy == BH_GAP_PHY_2M ? (2.0 + body) * 4.0 : (1.0 + body) * 8.0;
}

static double bench_limit_kbps(const struct bench_result *link)
{
    double itvl_us = link->itvl_1250us * 1250.0;
    double pair =
        bench_airtime_us(link->phy, link->octets) + 150.0 + bench_airtime_us(link->phy, 0) + 150.0;
    unsigned pairs = (unsigned)(itvl_us / pair);

    if (pairs == 0) {
        pairs = 1;
    }
    return pairs * link->octets * 8.0 / itvl_us * 1000.0;
}

/* ---- the parent ------------------------------------------------------------------------ */

static pid_t bench_start_blesim(const char *blesim, const char *sock)
{
    int out[2];
    pid_t pid;
    char line[256];
    FILE *f;

    if (pipe(out) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        char listen[128];

        snprintf(listen, sizeof(listen), "unix:%s", sock);
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        execl(blesim, blesim, "--listen", listen, (char *)NULL);
        perror("bench_l2cap: exec blesim");
        _exit(127);
    }
    close(out[1]);
    f = fdopen(out[0], "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "listening") != NULL) {
            return pid; /* the rest of its stdout goes nowhere: a closed pipe is fine */
        }
    }
    return -1;
}

static pid_t bench_fork(int (*role)(const char *, const struct bench_cfg *, int, int),
                        const char *spec, const struct bench_cfg *cfg, int addr_fd, int res_fd)
{
    pid_t pid = fork();

    if (pid == 0) {
        alarm(BENCH_TIMEOUT_S);
        _exit(role(spec, cfg, addr_fd, res_fd));
    }
    return pid;
}

/* One run: returns the ratio, or -1. */
static double bench_run(const char *sock, const struct bench_cfg *cfg, const char *name)
{
    int addr[2], res[2];
    struct bench_result rx = {0}, link = {0};
    char spec[128];
    pid_t p, c;
    int st_p = 0, st_c = 0;
    double good, limit;

    snprintf(spec, sizeof(spec), "unix:%s", sock);
    if (pipe(addr) < 0 || pipe(res) < 0) {
        return -1;
    }
    p = bench_fork(bench_peripheral, spec, cfg, addr[1], res[1]);
    c = bench_fork(bench_central, spec, cfg, addr[0], res[1]);
    close(res[1]);
    close(addr[0]);
    close(addr[1]);
    for (int i = 0; i < 2; i++) {
        struct bench_result r;

        if (read(res[0], &r, sizeof(r)) != sizeof(r)) {
            break;
        }
        if (r.role == 1) {
            rx = r;
        } else {
            link = r;
        }
    }
    close(res[0]);
    waitpid(p, &st_p, 0);
    waitpid(c, &st_c, 0);
    if (!rx.ok || !link.ok || link.itvl_1250us == 0 || rx.us == 0 || rx.bad != 0) {
        fprintf(stderr, "bench_l2cap: %s: run failed (peripheral %d, central %d, bad %u)\n", name,
                st_p, st_c, rx.bad);
        return -1;
    }
    good = rx.bytes * 8.0 / (double)rx.us * 1000.0;
    limit = bench_limit_kbps(&link);
    printf("%s: interval %.2f ms, PHY %s, data length %u: goodput %.1f kbps, link limit %.1f kbps, "
           "ratio %.3f (%llu bytes)\n",
           name, link.itvl_1250us * 1.25, link.phy == BH_GAP_PHY_2M ? "2M" : "1M", link.octets,
           good, limit, good / limit, (unsigned long long)cfg->bytes);
    fflush(stdout);
    return good / limit;
}

int main(int argc, char **argv)
{
    const char *blesim = BH_BENCH_BLESIM;
    struct bench_cfg fast = {true, 512 * 1024, 7500}, slow = {false, 128 * 1024, 7500};
    double min_ratio = 0.9, ratio;
    bool contrast = true;
    char sock[64];
    pid_t sim;
    int status = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--blesim") == 0 && i + 1 < argc) {
            blesim = argv[++i];
        } else if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) {
            fast.bytes = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--contrast-bytes") == 0 && i + 1 < argc) {
            slow.bytes = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--min-ratio") == 0 && i + 1 < argc) {
            min_ratio = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--itvl-us") == 0 && i + 1 < argc) {
            fast.itvl_us = slow.itvl_us = (int32_t)strtol(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--no-contrast") == 0) {
            contrast = false;
        } else {
            fprintf(stderr, "usage: bench_l2cap [--blesim PATH] [--bytes N] [--contrast-bytes N]"
                            " [--min-ratio R] [--itvl-us US] [--no-contrast]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    snprintf(sock, sizeof(sock), "/tmp/bench_l2cap_%ld.sock", (long)getpid());
    sim = bench_start_blesim(blesim, sock);
    if (sim < 0) {
        fprintf(stderr, "bench_l2cap: blesim (%s) did not start\n", blesim);
        return 1;
    }
    ratio = bench_run(sock, &fast, "l2cap 2M/251");
    if (ratio < min_ratio) {
        fprintf(stderr, "bench_l2cap: ratio %.3f below %.2f\n", ratio, min_ratio);
        status = 1;
    }
    if (contrast && bench_run(sock, &slow, "l2cap 1M/27 (contrast)") < 0) {
        status = 1;
    }
    kill(sim, SIGTERM);
    waitpid(sim, NULL, 0);
    return status;
}
