/* SPDX-License-Identifier: MIT */
/*
 * e2e_roles.h: the role functions of the scenarios (e2e_gap.c, e2e_gatt.c,
 * e2e_smp.c) and the test server they share.
 */
#ifndef E2E_ROLES_H
#define E2E_ROLES_H

#include <stdint.h>

#include "e2e.h"

/* The test database (e2e_gatt.c). Handles follow src/host/README-gatt.md:
 * GAP 1-5 (Device Name value 3), GATT 6-9, then ours from 10. */
#define SRV_A_DECL 10
#define SRV_C1_DECL 11
#define SRV_C1 12 /* READ WRITE NOTIFY INDICATE */
#define SRV_C1_CCCD 13
#define SRV_C1_USER 14 /* 0x2901, READ */
#define SRV_C2_DECL 15
#define SRV_C2 16 /* READ WRITE_NO_RESPONSE WRITE */
#define SRV_C3_DECL 17
#define SRV_C3 18 /* WRITE only */
#define SRV_B_DECL 19
#define SRV_C4_DECL 20
#define SRV_C4 21 /* READ READ_ENCRYPTED */
#define SRV_LAST 21

extern const uint8_t srv_uuid_a[16];
extern const uint8_t srv_uuid_c1[16];
extern const uint8_t srv_uuid_c3[16];
#define SRV_UUID_C2 0x2A19
#define SRV_UUID_B 0xFFF0
#define SRV_UUID_C4 0xFFF1

/* Register the test database and check the handles returned. */
void srv_register(void);
/* Store a value (and make room for up to 512 bytes). */
void srv_set(uint16_t handle, const void *v, size_t len);
/* A long value: byte i is (i * 7 + seed) & 0xFF. */
void pattern(uint8_t *p, size_t n, uint8_t seed);
/* Client: read handle (one ATT Read): the value's length; status must be 0. */
size_t cli_read(uint16_t conn, uint16_t handle, uint8_t *out, size_t cap);
/* Client: read and expect a failure: the status of IRQ 16. */
uint16_t cli_read_err(uint16_t conn, uint16_t handle);
/* Client: write with response: the status of IRQ 17. */
uint16_t cli_write(uint16_t conn, uint16_t handle, const void *v, size_t len);

/* Client: run one server command ("srv <cmd>", answered "srv.ok <res>"). */
void srv_cmd(char *res, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Client: "srv end", disconnect, IRQ 8. */
void cli_end(uint16_t conn);

/* e2e_gap.c */
void gap_conn_central(void);
void gap_conn_peripheral(void);
void gap_update_central(void);
void gap_update_peripheral(void);
void gap_sup_central(void);
void gap_sup_peripheral(void);
void gap_four_central(void);
void gap_four_peripheral(void);
void gap_reinit_central(void);
void gap_reinit_peripheral(void);
void gap_scan_central(void);
void gap_scan_peripheral(void);

/* e2e_gatt.c */
void gatt_discover_client(void);
void gatt_rw_client(void);
void gatt_notify_client(void);
void gatt_subscribe_client(void);
void gatt_mtu_client(void);
void gatt_long_read_client(void);
void gatt_long_write_client(void);
void gatt_name_client(void);
void gatt_queue_client(void);
void gatt_stream_client(void);
void gatt_svc_changed_client(void);
void gatt_server(void);

/* e2e_smp.c (the peripheral is gatt_server) */
void smp_central(void);
void smp_peripheral(void);
void smp_persist_central(void);
void smp_persist_peripheral(void);

/* e2e_smp_matrix.c */
void smp_matrix_central(void);
void smp_matrix_peripheral(void);
void smp_fail_central(void);
void smp_fail_peripheral(void);
void smp_badkey_central(void);
void smp_badkey_peripheral(void);

/* e2e_coc.c (L2CAP credit-based channels) */
void coc_sizes_central(void);
void coc_sizes_peripheral(void);
void coc_multi_central(void);
void coc_multi_peripheral(void);
void coc_disc_central(void);
void coc_disc_peripheral(void);
void coc_relisten_central(void);
void coc_relisten_peripheral(void);
void coc_reject_central(void);
void coc_reject_peripheral(void);
void coc_flow_central(void);
void coc_flow_peripheral(void);

#endif /* E2E_ROLES_H */
