/* SPDX-License-Identifier: MIT */
/*
 * hcic.h: a small raw-HCI client for blesim scenario tests (and the
 * throughput benchmark): start a blesim process, connect H4 clients to it,
 * send commands and ACL, wait for events and ACL with a timeout (poll; no
 * sleeps). Every packet received and not yet consumed stays in a backlog,
 * so waiting for one thing never loses another.
 */
#ifndef BLESIM_HCIC_H
#define BLESIM_HCIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HCIC_PKT_MAX 1100
#define HCIC_BACKLOG 512

struct hcic_pkt {
    uint8_t type; /* H4 indicator: 0x02 ACL, 0x04 event */
    uint16_t len;
    uint8_t data[HCIC_PKT_MAX]; /* HCI packet without the indicator */
};

struct hcic {
    int fd;
    uint8_t rx[8192];
    size_t rx_len;
    struct hcic_pkt *backlog; /* ring */
    unsigned bl_head;
    unsigned bl_n;
};

/* Starts blesim (path, NULL-terminated extra args) listening on a fresh unix
 * socket; waits for its "listening" line. Returns 0 or -errno. Only one at
 * a time; hcic_sim_stop() (also run at exit) ends it with SIGTERM and
 * returns its exit status (0 expected), or -1. */
int hcic_sim_start(const char *blesim, const char *const *args);
int hcic_sim_stop(void);
const char *hcic_sim_socket(void);
pid_t hcic_sim_pid(void);

int hcic_connect(struct hcic *h, const char *path);
void hcic_close(struct hcic *h);

int hcic_send_cmd(struct hcic *h, uint16_t op, const void *params, uint8_t len);
int hcic_send_acl(struct hcic *h, uint16_t handle, uint8_t pb, const void *data, uint16_t len);
int hcic_send_raw(struct hcic *h, const void *data, size_t len);

/* Waits for an event with this code (and, for 0x3E, this subevent; for
 * 0x0E/0x0F, this command opcode). Returns its parameter length (params
 * copied, header removed) or -ETIMEDOUT. */
int hcic_wait_evt(struct hcic *h, uint8_t code, uint16_t sub, uint8_t *params, size_t cap,
                  int timeout_ms);
/* Waits for an ACL packet: returns the whole HCI ACL packet length (header included). */
int hcic_wait_acl(struct hcic *h, uint8_t *pkt, size_t cap, int timeout_ms);
/* True if an event of this kind arrives within timeout_ms (consumes it). */
bool hcic_got_evt(struct hcic *h, uint8_t code, uint16_t sub, int timeout_ms);
/* Sends a command and waits for its Command Complete or Status; returns the
 * status (first return parameter / Status field) or -ETIMEDOUT. ret gets the
 * Command Complete return parameters (status included). */
int hcic_cmd(struct hcic *h, uint16_t op, const void *params, uint8_t len, uint8_t *ret,
             size_t cap);
/* For a caller that polls several clients' fds itself (the throughput
 * benchmark): one read of what is there now into the backlog, never
 * blocking. Returns 0, -ETIMEDOUT (nothing to read), -EPIPE or -EPROTO. */
int hcic_pump(struct hcic *h);
/* Removes the oldest backlog packet into *out; false when the backlog is empty. */
bool hcic_next(struct hcic *h, struct hcic_pkt *out);
/* True once the peer closed the connection (read returns 0) within timeout. */
bool hcic_wait_closed(struct hcic *h, int timeout_ms);

#endif /* BLESIM_HCIC_H */
