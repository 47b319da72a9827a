/* SPDX-License-Identifier: MIT */
/*
 * e2e.h: end-to-end tests of the host (issue 4, Tests): real blehost hosts,
 * one per process on the POSIX port, talking through one blesim.
 *
 * The driver (e2e_driver.c, the CTest executable) starts blesim, then forks
 * one process per role of the scenario. Each role process brings a host up
 * (bh_os_init, bh_hci_init, unix transport, btsnoop capture, bh_ble_init),
 * runs its role function, meets the other roles at a final barrier and
 * deinitialises. Roles synchronise through the driver, like MicroPython's
 * multitest: e2e_send() broadcasts a line to every other role, e2e_wait()
 * blocks (pumping the host) until a line with that key arrives, and
 * e2e_barrier() returns once every live role reached it. A role waits for
 * host events with e2e_wait_irq(), which pumps the host until the event
 * callback recorded one. Nothing sleeps to synchronise.
 *
 * A failed check prints the role, file and line and exits the role process
 * non-zero; the driver then kills every process and fails the test. At the
 * end every capture (the hosts' and blesim's) must decode in tshark without
 * a "Malformed" packet.
 */
#ifndef E2E_H
#define E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blehost/bh_ble.h"

#define E2E_MAX_ROLES 5
#define E2E_MSG_MAX 256
#define E2E_DATA_MAX 600

/* The default wait for an event or a message (fast simulation). */
#define E2E_WAIT_MS 10000

struct e2e_role {
    const char *name;
    void (*fn)(void);
};

struct e2e_scenario {
    const char *name;
    bool realtime;       /* false: blesim --fast */
    uint32_t timeout_ms; /* the whole scenario, driver side */
    int param;           /* read by role functions shared between scenarios */
    struct e2e_role roles[E2E_MAX_ROLES];
};

/* e2e_scenarios.c */
extern const struct e2e_scenario e2e_scenarios[];
extern const size_t e2e_scenario_count;

/* ---- role side (e2e_role.c) --------------------------------------------------- */

/* Run by the driver in the forked child: never returns. */
_Noreturn void e2e_role_main(const struct e2e_scenario *s, unsigned idx, int rd_fd, int wr_fd,
                             const char *sock_path, const char *out_dir);

const char *e2e_role_name(void);
int e2e_param(void);
void e2e_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void e2e_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define E2E_CHECK(expr)                                                                            \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            e2e_fail(__FILE__, __LINE__, "check failed: %s", #expr);                               \
        }                                                                                          \
    } while (0)

#define E2E_CHECK_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long e2e_a_ = (long long)(a), e2e_b_ = (long long)(b);                                \
        if (e2e_a_ != e2e_b_) {                                                                    \
            e2e_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, e2e_a_, e2e_b_);       \
        }                                                                                          \
    } while (0)

#define E2E_CHECK_MEM(a, b, n)                                                                     \
    do {                                                                                           \
        if (memcmp((a), (b), (n)) != 0) {                                                          \
            e2e_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) differs", #a, #b, #n);                \
        }                                                                                          \
    } while (0)

/* A call that must return 0. */
#define E2E_OK(call) E2E_CHECK_EQ((call), 0)

/* Broadcast one line ("key rest...") to every other role. */
void e2e_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wait for (and consume) the first line whose first word is key; the rest
 * of the line goes to rest (may be NULL). Pumps the host meanwhile. */
void e2e_wait(const char *key, char *rest, size_t cap);
/* Every live role reaches the barrier called name. Pumps the host. */
void e2e_barrier(const char *name);
/* Ask the driver to SIGKILL another role (it no longer counts at barriers). */
void e2e_kill(const char *role);

/* A recorded event: a copy whose data points into the record. */
struct e2e_evt {
    struct bh_ble_event ev;
    uint8_t data[E2E_DATA_MAX];
    bool used;
};

/* The first unconsumed event irq of link conn (E2E_ANY_CONN: any), consumed;
 * waits up to timeout_ms pumping the host, fails the role on timeout. */
#define E2E_ANY_CONN 0xFFFEu
const struct bh_ble_event *e2e_wait_irq(uint8_t irq, uint16_t conn, uint32_t timeout_ms);
/* Like e2e_wait_irq but returns NULL on timeout. */
const struct bh_ble_event *e2e_try_irq(uint8_t irq, uint16_t conn, uint32_t timeout_ms);
/* Unconsumed events of irq (any link) recorded so far. */
unsigned e2e_pending_irq(uint8_t irq);
/* Forget every unconsumed event. */
void e2e_flush_irqs(void);
/* What the callback returns for IRQ 4 (read request). */
void e2e_set_read_req_rc(int rc);

/* The in-memory secret store: SET calls that stored a value. */
unsigned e2e_secret_sets(void);

/* ---- helpers built on the above ------------------------------------------------- */

/* Broadcast our address as "addr.<role> type hex". */
void e2e_announce(void);
/* Connectable advertising (name in the payload), then e2e_announce(). */
void e2e_advertise(void);
/* The address role announced (waited for once, then remembered). */
void e2e_peer_addr(const char *role, uint8_t *type, uint8_t addr[6]);
/* Connect to role, wait for IRQ 7 (checks its address): the handle. */
uint16_t e2e_connect_to(const char *role);
/* Peripheral side: the IRQ 1 of a central: the handle; addr_out may be NULL. */
uint16_t e2e_wait_central(uint8_t addr_out[6]);
/* Our identity address (type, display order). */
void e2e_own_addr(uint8_t *type, uint8_t addr[6]);

/* Raw ATT client request on a link whose GATT client is idle: sends req,
 * pumps until the response (or Error Response) reaches the client, copies it
 * (opcode included) to rsp: its length. */
size_t e2e_att_raw(uint16_t conn, const uint8_t *req, size_t req_len, uint8_t *rsp, size_t cap);

/* ---- SMP seams (e2e_smp_seam.c) ------------------------------------------------- */

/* P-256 traffic with the controller: LE Read Local P-256 Public Key and LE
 * Generate DHKey sent, their LE Meta completions by status. */
struct e2e_p256_count {
    unsigned key_cmds, key_ok, key_failed;
    unsigned dh_cmds, dh_ok, dh_failed;
    uint8_t dh_status; /* of the last LE Generate DHKey Complete */
};
const struct e2e_p256_count *e2e_p256_count(void);
/* This host takes P-256 from the controller (e2e_host_p256). */
bool e2e_p256_controller(void);
/* Run at every role's end: e2e_host_p256 used the controller for its key
 * and DHKeys, each command answered; e2e_host never asked it. */
void e2e_p256_check_end(void);
/* Flip one bit of Y in the next Pairing Public Key we send (off the curve). */
void e2e_smp_spoil_public_key(void);
/* Reason of the last Pairing Failed we sent / received since the previous
 * call (0: none). */
uint8_t e2e_smp_failed_tx(void);
uint8_t e2e_smp_failed_rx(void);

/* A UUID from a 16-bit value or from 16 little-endian bytes. */
struct bh_uuid e2e_uuid16(uint16_t v);
struct bh_uuid e2e_uuid128(const uint8_t le[16]);
bool e2e_uuid_eq(const struct bh_uuid *a, const struct bh_uuid *b);

#endif /* E2E_H */
