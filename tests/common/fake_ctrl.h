/* SPDX-License-Identifier: MIT */
/*
 * fake_ctrl.h: a scripted HCI controller for protocol tests.
 *
 * It installs itself as the HCI transport: every packet the host sends is
 * recorded (and, in auto mode, answered from a table of canned Command
 * Complete events, which a test can override per opcode). Tests inject
 * events and ACL as hex and pump bh_process() until the host is idle.
 * Time is the fake port's: nothing sleeps.
 */
#ifndef FAKE_CTRL_H
#define FAKE_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_PKT_MAX 300
#define FAKE_SENT_MAX 64

struct fake_pkt {
    uint8_t type; /* H4 indicator */
    uint16_t len;
    uint8_t data[FAKE_PKT_MAX];
};

/* Fresh OS, HCI and fake controller (auto answers on). */
void fake_ctrl_init(void);
/* Answer commands automatically (true) or leave them to the test. */
void fake_ctrl_set_auto(bool on);
/* Override the auto answer for op: Command Complete with these return
 * parameters (hex, status first). NULL: never answer op (a lost command). */
void fake_ctrl_set_reply(uint16_t op, const char *rp_hex);
/* Make the transport's send() fail (-EIO) from now on. */
void fake_ctrl_set_send_fail(bool fail);

/* Packets the host sent, oldest first. */
unsigned fake_ctrl_sent_count(void);
const struct fake_pkt *fake_ctrl_sent(unsigned i);
/* Take the oldest sent packet; false if none. */
bool fake_ctrl_pop(struct fake_pkt *out);
void fake_ctrl_clear_sent(void);
/* The most recent command with this opcode, or NULL. */
const struct fake_pkt *fake_ctrl_last_cmd(uint16_t op);
unsigned fake_ctrl_cmd_count(uint16_t op);

/* Push raw H4 bytes (indicator included) and pump until idle. */
void fake_ctrl_inject(const uint8_t *h4, size_t len);
void fake_ctrl_inject_hex(const char *hex);
/* Command Complete with ncmd credits and return parameters (status first). */
void fake_ctrl_cmd_complete(uint16_t op, uint8_t ncmd, const char *rp_hex);
void fake_ctrl_cmd_status(uint16_t op, uint8_t ncmd, uint8_t status);
/* Number Of Completed Packets for one handle. */
void fake_ctrl_ncp(uint16_t handle, uint16_t count);
/* Run bh_process() until it has nothing ready (bounded). */
void fake_ctrl_pump(void);
/* Advance the fake clock by ms, pumping at each due deadline. */
void fake_ctrl_advance(uint32_t ms);

/* Bring HCI up through the auto answers; asserts success. */
void fake_ctrl_up(void);

#endif /* FAKE_CTRL_H */
