/* SPDX-License-Identifier: MIT */
/*
 * test_posix_transport.c: the POSIX H4 transports (ports/posix) against a
 * real peer: a unix socket accepted in the test, TCP on loopback, and a
 * pty pair. What send() writes must arrive framed, what the peer writes must
 * reach the HCI layer whole, and a peer that stops reading must cause
 * back-pressure, never loss.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>

#include "hci/h4.h"
#include "posix_test_util.h"

static struct pt_rx rx;

/* Fresh host, port and recorder. */
static void setup(void)
{
    bh_posix_transport_close();
    bh_os_init(bh_posix_port());
    memset(&rx, 0, sizeof(rx));
}

/* Open unix:<tmp>/hci.sock and accept it; returns the peer fd. */
static int open_unix(struct pt_listener *l)
{
    int peer;

    pt_listen(l);
    BH_CHECK_EQ(bh_posix_transport_open(l->spec), 0);
    peer = accept(l->fd, NULL, NULL);
    BH_CHECK(peer >= 0);
    bh_hci_set_snoop(pt_rx_cb, &rx);
    BH_CHECK(bh_posix_transport_alive());
    BH_CHECK(strcmp(bh_posix_transport_name(), l->spec) == 0);
    return peer;
}

static int send_hex(uint8_t type, const char *hex)
{
    uint8_t pkt[300];
    int n = bh_test_hex(hex, pkt, sizeof(pkt));

    BH_CHECK(n >= 0);
    return bh_posix_transport()->send(bh_posix_transport()->ctx, type, pkt, (size_t)n);
}

static void check_peer_gets(int peer, const char *hex)
{
    uint8_t want[300], got[300];
    int n = bh_test_hex(hex, want, sizeof(want));

    BH_CHECK(n > 0);
    pt_read_all(peer, got, (size_t)n, 5000);
    BH_CHECK_HEX(got, (size_t)n, hex);
}

static void test_posix_unix_send_arrives_framed(void)
{
    struct pt_listener l;
    int peer;

    setup();
    peer = open_unix(&l);
    BH_CHECK_EQ(send_hex(BH_H4_CMD, "03 0c 00"), 0);
    BH_CHECK_EQ(send_hex(BH_H4_ACL, "40 00 05 00 01 00 04 00 aa"), 0);
    check_peer_gets(peer, "01 03 0c 00  02 40 00 05 00 01 00 04 00 aa");
    BH_CHECK_EQ(bh_posix_transport_stats()->tx_packets, 2);
    bh_posix_transport_close();
    BH_CHECK(bh_posix_transport() == NULL);
    BH_CHECK(!bh_posix_transport_alive());
    close(peer);
    pt_unlisten(&l);
}

static void test_posix_unix_peer_bytes_reach_hci_whole(void)
{
    struct pt_listener l;
    int peer;

    setup();
    peer = open_unix(&l);
    /* One event split over two writes, then a vendor event and an ACL packet. */
    pt_write_all(peer, (const uint8_t[]){0x04, 0xff, 0x03, 0x01}, 4);
    pt_write_all(
        peer, (const uint8_t[]){0x02, 0x03, 0x04, 0xff, 0x00, 0x02, 0x41, 0x00, 0x01, 0x00, 0x77},
        11);
    pt_pump_until(&rx, 3, 5000);
    BH_CHECK_HEX(rx.bytes, rx.used, "04 ff 03 01 02 03  04 ff 00  02 41 00 01 00 77");
    bh_posix_transport_close();
    close(peer);
    pt_unlisten(&l);
}

/* More bytes than the host's receive ring holds, in one burst: the port must
 * keep what the ring cannot take and push it later. */
static void test_posix_unix_burst_larger_than_ring_loses_nothing(void)
{
    enum { N = 40, PLEN = 255 };
    static uint8_t burst[N * (3 + PLEN)];
    struct pt_listener l;
    size_t o = 0;
    int peer;

    setup();
    peer = open_unix(&l);
    for (unsigned i = 0; i < N; i++) {
        burst[o++] = BH_H4_EVT;
        burst[o++] = 0xff;
        burst[o++] = PLEN;
        for (unsigned j = 0; j < PLEN; j++) {
            burst[o++] = (uint8_t)(i * 7 + j);
        }
    }
    BH_CHECK(sizeof(burst) > BH_CONFIG_HCI_RX_RING_SIZE);
    pt_write_all(peer, burst, sizeof(burst));
    pt_pump_until(&rx, N, 10000);
    BH_CHECK_EQ(rx.packets, N);
    BH_CHECK_EQ(rx.used, sizeof(burst));
    BH_CHECK_MEM(rx.bytes, burst, sizeof(burst));
    BH_CHECK_EQ(bh_posix_transport_stats()->rx_bytes, sizeof(burst));
    bh_posix_transport_close();
    close(peer);
    pt_unlisten(&l);
}

/* ---- back-pressure ---------------------------------------------------------- */

enum { BP_PLEN = 200 };

/* A peer thread that frames what it reads and checks every ACL packet's
 * sequence number and content. */
struct bp_peer {
    int fd;
    unsigned packets;
    unsigned bad;
    struct bh_h4 h4;
    uint8_t buf[4 + BP_PLEN];
};

static void bp_make(uint8_t *pkt, unsigned seq)
{
    pkt[0] = 0x40;
    pkt[1] = 0x00;
    pkt[2] = BP_PLEN;
    pkt[3] = 0;
    pkt[4] = (uint8_t)seq;
    pkt[5] = (uint8_t)(seq >> 8);
    for (unsigned j = 6; j < 4 + BP_PLEN; j++) {
        pkt[j] = (uint8_t)(seq + j);
    }
}

static void bp_on_packet(void *ctx, uint8_t type, const uint8_t *pkt, uint16_t len)
{
    struct bp_peer *p = ctx;
    uint8_t want[4 + BP_PLEN];

    bp_make(want, p->packets);
    if (type != BH_H4_ACL || len != sizeof(want) || memcmp(pkt, want, len) != 0) {
        p->bad++;
    }
    p->packets++;
}

static void *bp_reader(void *arg)
{
    struct bp_peer *p = arg;
    uint8_t chunk[4096];
    ssize_t n;

    bh_h4_init(&p->h4, p->buf, sizeof(p->buf), BH_H4_ACCEPT(BH_H4_ACL), bp_on_packet, p);
    while ((n = read(p->fd, chunk, sizeof(chunk))) > 0) {
        if (bh_h4_feed(&p->h4, chunk, (size_t)n) != 0) {
            p->bad++;
        }
    }
    return NULL;
}

static void test_posix_unix_peer_not_reading_gets_back_pressure_without_loss(void)
{
    struct pt_listener l;
    struct bp_peer peer = {0};
    uint8_t pkt[4 + BP_PLEN];
    unsigned sent = 0;
    pthread_t th;
    int err = 0;

    setup();
    peer.fd = open_unix(&l);
    /* Phase 1, peer not reading: the socket fills, then the queue, then a
     * send() waits about a second for room and refuses the packet whole. */
    while (sent < 100000) {
        bp_make(pkt, sent);
        err = bh_posix_transport()->send(NULL, BH_H4_ACL, pkt, sizeof(pkt));
        if (err != 0) {
            break;
        }
        sent++;
    }
    BH_CHECK_EQ(err, -EIO);
    BH_CHECK(bh_posix_transport_alive()); /* nothing half-written: still usable */
    BH_CHECK(bh_posix_transport_stats()->tx_queued > 0);
    BH_CHECK_EQ(bh_posix_transport_stats()->tx_blocked, 1);
    BH_CHECK_EQ(bh_posix_transport_stats()->tx_refused, 1);

    /* Phase 2, the peer reads: sends block while it drains, none fail. */
    BH_CHECK_EQ(pthread_create(&th, NULL, bp_reader, &peer), 0);
    for (unsigned i = 0; i < 2000; i++) {
        bp_make(pkt, sent);
        BH_CHECK_EQ(bh_posix_transport()->send(NULL, BH_H4_ACL, pkt, sizeof(pkt)), 0);
        sent++;
    }
    /* The port's wait() flushes what is still queued. */
    uint64_t deadline = pt_now_ms() + 10000;
    while (bh_posix_transport_stats()->tx_queued > 0) {
        BH_CHECK(pt_now_ms() < deadline);
        bh_os_port()->wait(100);
    }
    bh_posix_transport_close(); /* EOF ends the reader */
    pthread_join(th, NULL);
    close(peer.fd);
    pt_unlisten(&l);
    BH_CHECK_EQ(peer.bad, 0);
    BH_CHECK_EQ(peer.packets, sent);
    BH_CHECK_EQ(peer.h4.stats.bad_type, 0);
}

/* ---- TCP and errors ----------------------------------------------------------- */

static void test_posix_tcp_loopback_exchanges_both_ways(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    char spec[64];
    int lfd, peer;

    setup();
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    BH_CHECK(lfd >= 0);
    BH_CHECK_EQ(bind(lfd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
    BH_CHECK_EQ(listen(lfd, 1), 0);
    BH_CHECK_EQ(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", ntohs(sa.sin_port));
    BH_CHECK_EQ(bh_posix_transport_open(spec), 0);
    peer = accept(lfd, NULL, NULL);
    BH_CHECK(peer >= 0);
    bh_hci_set_snoop(pt_rx_cb, &rx);

    BH_CHECK_EQ(send_hex(BH_H4_CMD, "01 10 00"), 0);
    check_peer_gets(peer, "01 01 10 00");
    pt_write_all(peer, (const uint8_t[]){0x04, 0xff, 0x01, 0x42}, 4);
    pt_pump_until(&rx, 1, 5000);
    BH_CHECK_HEX(rx.bytes, rx.used, "04 ff 01 42");
    bh_posix_transport_close();
    close(peer);
    close(lfd);
}

static void test_posix_peer_close_marks_transport_dead(void)
{
    struct pt_listener l;
    uint64_t deadline;
    int peer;

    setup();
    peer = open_unix(&l);
    close(peer);
    deadline = pt_now_ms() + 5000;
    while (bh_posix_transport_alive()) {
        BH_CHECK(pt_now_ms() < deadline);
        bh_os_port()->wait(100);
    }
    BH_CHECK_EQ(send_hex(BH_H4_CMD, "03 0c 00"), -EIO);
    bh_posix_transport_close();
    pt_unlisten(&l);
}

static void test_posix_open_errors_name_the_transport(void)
{
    setup();
    BH_CHECK_EQ(bh_posix_transport_open("unix:/nonexistent-dir/hci.sock"), -ENOENT);
    BH_CHECK(strcmp(bh_posix_transport_name(), "unix:/nonexistent-dir/hci.sock") == 0);
    BH_CHECK(!bh_posix_transport_alive());
    BH_CHECK(bh_posix_transport() == NULL);
    BH_CHECK_EQ(bh_posix_transport_open("serial:/dev/null"), -EINVAL);
    BH_CHECK_EQ(bh_posix_transport_open("tcp:localhost"), -EINVAL);
    BH_CHECK_EQ(bh_posix_transport_open("tty:/dev/null@12345"), -EINVAL);
    BH_CHECK_EQ(bh_posix_transport_open("tty:/dev/null@fast"), -EINVAL);
    BH_CHECK_EQ(bh_posix_transport_open(NULL), -EINVAL);
}

static void test_posix_second_open_is_refused(void)
{
    struct pt_listener l;
    int peer;

    setup();
    peer = open_unix(&l);
    BH_CHECK_EQ(bh_posix_transport_open(l.spec), -EALREADY);
    BH_CHECK(bh_posix_transport_alive());
    bh_posix_transport_close();
    bh_posix_transport_close(); /* idempotent */
    close(peer);
    pt_unlisten(&l);
}

/* ---- tty on a pty pair ---------------------------------------------------------- */

static int open_pty_master(char *slave, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);

    BH_CHECK(m >= 0);
    BH_CHECK_EQ(grantpt(m), 0);
    BH_CHECK_EQ(unlockpt(m), 0);
    BH_CHECK(ptsname(m) != NULL);
    snprintf(slave, cap, "%s", ptsname(m));
    return m;
}

static void test_posix_tty_on_pty_is_raw_both_ways(void)
{
    char slave[128], spec[160];
    uint64_t deadline;
    int m;

    setup();
    m = open_pty_master(slave, sizeof(slave));
    snprintf(spec, sizeof(spec), "tty:%s@115200", slave);
    BH_CHECK_EQ(bh_posix_transport_open(spec), 0);
    bh_hci_set_snoop(pt_rx_cb, &rx);

    /* Bytes a cooked tty would mangle: CR, LF, ^C, ^D, XON/XOFF, 0xff. */
    BH_CHECK_EQ(send_hex(BH_H4_ACL, "40 00 07 00 0d 0a 03 04 11 13 ff"), 0);
    check_peer_gets(m, "02 40 00 07 00 0d 0a 03 04 11 13 ff");
    pt_write_all(m, (const uint8_t[]){0x04, 0xff, 0x06, 0x0d, 0x0a, 0x03, 0x04, 0x11, 0x13}, 9);
    pt_pump_until(&rx, 1, 5000);
    BH_CHECK_HEX(rx.bytes, rx.used, "04 ff 06 0d 0a 03 04 11 13");

    /* The master going away is seen as the end of the transport. */
    close(m);
    deadline = pt_now_ms() + 5000;
    while (bh_posix_transport_alive()) {
        BH_CHECK(pt_now_ms() < deadline);
        bh_os_port()->wait(100);
    }
    bh_posix_transport_close();
}

static void test_posix_tty_default_baud_opens(void)
{
    char slave[128], spec[160];
    int m;

    setup();
    m = open_pty_master(slave, sizeof(slave));
    snprintf(spec, sizeof(spec), "tty:%s", slave);
    BH_CHECK_EQ(bh_posix_transport_open(spec), 0);
    BH_CHECK(bh_posix_transport_alive());
    bh_posix_transport_close();
    close(m);
}

BH_TEST_MAIN(BH_TEST(test_posix_unix_send_arrives_framed),
             BH_TEST(test_posix_unix_peer_bytes_reach_hci_whole),
             BH_TEST(test_posix_unix_burst_larger_than_ring_loses_nothing),
             BH_TEST(test_posix_unix_peer_not_reading_gets_back_pressure_without_loss),
             BH_TEST(test_posix_tcp_loopback_exchanges_both_ways),
             BH_TEST(test_posix_peer_close_marks_transport_dead),
             BH_TEST(test_posix_open_errors_name_the_transport),
             BH_TEST(test_posix_second_open_is_refused),
             BH_TEST(test_posix_tty_on_pty_is_raw_both_ways),
             BH_TEST(test_posix_tty_default_baud_opens))
