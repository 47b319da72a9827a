/* SPDX-License-Identifier: MIT */
/*
 * m0_app.c: a bare-metal Cortex-M0+ program that exists to be measured, not
 * run. `make size` links it against libblehost.a the way DESIGN.md's anchors
 * are measured (Cortex-M0+, -Os, -ffunction-sections -fdata-sections,
 * --gc-sections, newlib-nano) and scripts/size_report.py reads its map file.
 * It plays a MicroPython port's backend: it installs a minimal bh_port
 * (SysTick clock, PRIMASK critical sections, WFI idle, a TRNG register for
 * entropy) and an H4 transport on a memory-mapped UART, then calls every
 * function of bh_ble.h plus bh_os_init(), bh_hci_init() and bh_process(),
 * each chosen by a command and arguments read from a volatile mailbox (as a
 * debugger or the Python VM would supply them), so the linker keeps exactly
 * what such a port would and the compiler can fold nothing away. Summing the
 * library's objects (the first figure `make size` prints) also counts code no
 * port reaches; the linked figure is the one to hold against the budget of
 * 45 KB flash (text + data) and 6 KB static RAM (data + bss). Peripheral
 * addresses are placeholders: the image is linked, never flashed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "blehost/bh_ble.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_hci_transport.h"
#include "blehost/bh_os.h"
#include "blehost/bh_port.h"

/* Placeholder peripherals: a UART with status and data registers, a TRNG. */
#define M0_UART_STATUS (*(volatile uint32_t *)0x40002000u)
#define M0_UART_DATA (*(volatile uint32_t *)0x40002004u)
#define M0_UART_TX_READY 0x1u
#define M0_UART_RX_READY 0x2u
#define M0_TRNG_VALUE (*(volatile uint32_t *)0x4000D000u)

/* What the "Python side" asks for: one API call per command. */
enum m0_cmd {
    M0_CMD_ACTIVE,
    M0_CMD_INACTIVE,
    M0_CMD_ADDR,
    M0_CMD_NAME,
    M0_CMD_MTU,
    M0_CMD_ADVERTISE,
    M0_CMD_SCAN,
    M0_CMD_CONNECT,
    M0_CMD_DISCONNECT,
    M0_CMD_GATTS_REGISTER,
    M0_CMD_GATTS_VALUE,
    M0_CMD_GATTS_NOTIFY,
    M0_CMD_GATTC_DISCOVER,
    M0_CMD_GATTC_RW,
    M0_CMD_SECURITY,
    M0_CMD_L2CAP,
    M0_CMD_HCI_CMD,
};

struct m0_mailbox {
    uint32_t cmd;
    uint32_t arg[6];
    uint8_t data[32];
};

struct m0_ctx {
    volatile struct m0_mailbox in; /* written by the outside world */
    volatile uint32_t out;         /* results and events land here */
    volatile uint32_t ticks_ms;    /* SysTick */
    volatile bool woken;
    uint32_t crit_depth;
    uint8_t buf[64];
    uint16_t handles[4];
};

static struct m0_ctx m0;

/* ---- port ------------------------------------------------------------------ */

static uint32_t m0_now_ms(void)
{
    return m0.ticks_ms;
}

static void m0_crit_enter(void)
{
    __asm volatile("cpsid i" ::: "memory");
    m0.crit_depth++;
}

static void m0_crit_exit(void)
{
    if (m0.crit_depth > 0 && --m0.crit_depth == 0) {
        __asm volatile("cpsie i" ::: "memory");
    }
}

/* Race-free idle: test the flag with interrupts masked; WFI wakes on a pending
 * interrupt even when masked, and SysTick bounds the sleep to 1 ms. */
static void m0_wait(uint32_t timeout_ms)
{
    __asm volatile("cpsid i" ::: "memory");
    if (!m0.woken) {
        __asm volatile("wfi");
    }
    m0.woken = false;
    __asm volatile("cpsie i" ::: "memory");
}

static void m0_wake(void)
{
    m0.woken = true;
}

static int m0_entropy(void *buf, size_t len)
{
    uint8_t *p = buf;

    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)M0_TRNG_VALUE;
    }
    return 0;
}

static const struct bh_port m0_port = {
    .now_ms = m0_now_ms,
    .crit_enter = m0_crit_enter,
    .crit_exit = m0_crit_exit,
    .wait = m0_wait,
    .wake = m0_wake,
    .entropy = m0_entropy,
};

/* ---- H4 transport -------------------------------------------------------------- */

static void m0_uart_put(uint8_t b)
{
    while ((M0_UART_STATUS & M0_UART_TX_READY) == 0) {
    }
    M0_UART_DATA = b;
}

static int m0_h4_send(void *ctx, uint8_t h4_type, const uint8_t *pkt, size_t len)
{
    m0_uart_put(h4_type);
    for (size_t i = 0; i < len; i++) {
        m0_uart_put(pkt[i]);
    }
    return 0;
}

static const struct bh_hci_transport m0_h4 = {.send = m0_h4_send};

/* ---- events and secrets ----------------------------------------------------------- */

static int m0_on_event(void *ctx, const struct bh_ble_event *ev)
{
    m0.out = (uint32_t)ev->irq << 16 | ev->conn;
    if (ev->irq == BH_IRQ_SCAN_RESULT) {
        m0.out = ev->scan.len;
    }
    return 0;
}

static bool m0_secret_get(void *ctx, uint8_t type, uint8_t index, const uint8_t *key,
                          uint16_t key_len, const uint8_t **value, size_t *value_len)
{
    return false;
}

static bool m0_secret_set(void *ctx, uint8_t type, const uint8_t *key, uint16_t key_len,
                          const uint8_t *value, size_t value_len)
{
    return true;
}

static const struct bh_ble_secret_store m0_secrets = {.get = m0_secret_get, .set = m0_secret_set};

/* ---- the API calls, grouped as modbluetooth groups them ------------------------------ */

static uint32_t m0_arg(unsigned i)
{
    return m0.in.arg[i];
}

static void m0_load_data(void)
{
    for (size_t i = 0; i < sizeof(m0.in.data); i++) {
        m0.buf[i] = m0.in.data[i];
    }
}

static struct bh_uuid m0_uuid(uint8_t type)
{
    struct bh_uuid u = {.type = type};

    memcpy(u.data, m0.buf, sizeof(u.data));
    return u;
}

static int m0_gap(uint32_t cmd)
{
    uint8_t type;
    const uint8_t *name;

    switch (cmd) {
    case M0_CMD_ACTIVE:
        return bh_ble_is_active() ? 0 : bh_ble_init();
    case M0_CMD_INACTIVE:
        return bh_ble_deinit();
    case M0_CMD_ADDR:
        (void)bh_ble_set_addr_mode((uint8_t)m0_arg(0));
        return bh_ble_get_addr(&type, m0.buf);
    case M0_CMD_NAME:
        (void)bh_ble_gap_set_name(m0.buf, m0_arg(0));
        return (int)bh_ble_gap_get_name(&name);
    case M0_CMD_MTU:
        (void)bh_ble_set_preferred_mtu((uint16_t)m0_arg(0));
        return bh_ble_get_preferred_mtu();
    case M0_CMD_ADVERTISE:
        if (m0_arg(0) == 0) {
            return bh_ble_gap_adv_stop();
        }
        return bh_ble_gap_adv_start(m0_arg(1) != 0, (int32_t)m0_arg(2), m0.buf, m0_arg(3),
                                    m0.buf + 31, m0_arg(4));
    case M0_CMD_SCAN:
        if (m0_arg(0) == 0) {
            return bh_ble_gap_scan_stop();
        }
        return bh_ble_gap_scan_start((int32_t)m0_arg(1), (int32_t)m0_arg(2), (int32_t)m0_arg(3),
                                     m0_arg(4) != 0);
    case M0_CMD_CONNECT:
        if (m0_arg(0) == 0) {
            return bh_ble_gap_connect_cancel();
        }
        return bh_ble_gap_connect((uint8_t)m0_arg(1), m0.buf, (int32_t)m0_arg(2),
                                  (int32_t)m0_arg(3), (int32_t)m0_arg(4));
    case M0_CMD_DISCONNECT:
        return bh_ble_gap_disconnect((uint16_t)m0_arg(0));
    default:
        return -EINVAL;
    }
}

/* One service, one characteristic with one descriptor (as ubluetooth's demo). */
static int m0_gatts_register(void)
{
    struct bh_uuid svc = m0_uuid(2);
    struct bh_uuid chr = m0_uuid(16);
    struct bh_uuid dsc = m0_uuid(2);
    const struct bh_uuid *chrs[] = {&chr};
    const struct bh_uuid *dscs[] = {&dsc};
    const uint16_t chr_flags[] = {(uint16_t)m0_arg(0)};
    const uint16_t dsc_flags[] = {(uint16_t)m0_arg(1)};
    const uint8_t n_dsc[] = {1};
    int err = bh_ble_gatts_register_begin(m0_arg(2) != 0);

    if (err == 0) {
        err = bh_ble_gatts_register_service(&svc, chrs, chr_flags, dscs, dsc_flags, n_dsc,
                                            m0.handles, 1);
    }
    return err == 0 ? bh_ble_gatts_register_end() : err;
}

static int m0_gatts(uint32_t cmd)
{
    uint16_t handle = (uint16_t)m0_arg(0);
    const uint8_t *value;
    size_t len;

    switch (cmd) {
    case M0_CMD_GATTS_REGISTER:
        return m0_gatts_register();
    case M0_CMD_GATTS_VALUE:
        if (m0_arg(1) != 0) {
            return bh_ble_gatts_set_buffer(handle, m0_arg(2), m0_arg(3) != 0);
        }
        (void)bh_ble_gatts_write(handle, m0.buf, m0_arg(2), m0_arg(3) != 0);
        return bh_ble_gatts_read(handle, &value, &len) < 0 ? -EIO : (int)len;
    case M0_CMD_GATTS_NOTIFY:
        return bh_ble_gatts_notify_indicate((uint16_t)m0_arg(1), handle, (int)m0_arg(2),
                                            m0_arg(3) ? m0.buf : NULL, m0_arg(4));
    default:
        return -EINVAL;
    }
}

static int m0_gattc(uint32_t cmd)
{
    uint16_t conn = (uint16_t)m0_arg(0);
    struct bh_uuid uuid = m0_uuid((uint8_t)m0_arg(4));
    const struct bh_uuid *filter = uuid.type != 0 ? &uuid : NULL;

    if (cmd == M0_CMD_GATTC_DISCOVER) {
        switch (m0_arg(1)) {
        case 0:
            return bh_ble_gattc_discover_services(conn, filter);
        case 1:
            return bh_ble_gattc_discover_characteristics(conn, (uint16_t)m0_arg(2),
                                                         (uint16_t)m0_arg(3), filter);
        default:
            return bh_ble_gattc_discover_descriptors(conn, (uint16_t)m0_arg(2),
                                                     (uint16_t)m0_arg(3));
        }
    }
    switch (m0_arg(1)) {
    case 0:
        return bh_ble_gattc_read(conn, (uint16_t)m0_arg(2));
    case 1:
        return bh_ble_gattc_write(conn, (uint16_t)m0_arg(2), m0.buf, m0_arg(3),
                                  (unsigned)m0_arg(5));
    default:
        return bh_ble_gattc_exchange_mtu(conn);
    }
}

static int m0_security(void)
{
    uint16_t conn = (uint16_t)m0_arg(0);

    switch (m0_arg(1)) {
    case 0:
        bh_ble_set_bonding(m0_arg(2) & 1);
        bh_ble_set_mitm(m0_arg(2) & 2);
        bh_ble_set_le_secure(m0_arg(2) & 4);
        bh_ble_set_sc(m0_arg(2) & 8);
        bh_ble_set_io_capability((uint8_t)m0_arg(3));
        return 0;
    case 1:
        return bh_ble_gap_pair(conn);
    case 2:
        return bh_ble_gap_passkey(conn, (uint8_t)m0_arg(2), m0_arg(3));
    default:
        return bh_ble_gap_unpair((uint8_t)m0_arg(2), m0_arg(3) ? m0.buf : NULL);
    }
}

static int m0_l2cap(void)
{
    uint16_t conn = (uint16_t)m0_arg(0);
    uint16_t cid = (uint16_t)m0_arg(2);
    size_t len = m0_arg(3);
    bool stalled = false;
    int err;

    switch (m0_arg(1)) {
    case 0:
        return bh_ble_l2cap_listen((uint16_t)m0_arg(2), (uint16_t)m0_arg(3));
    case 1:
        return bh_ble_l2cap_connect(conn, (uint16_t)m0_arg(2), (uint16_t)m0_arg(3));
    case 2:
        return bh_ble_l2cap_disconnect(conn, cid);
    case 3:
        err = bh_ble_l2cap_send(conn, cid, m0.buf, len, &stalled);
        return err < 0 ? err : stalled;
    default:
        err = bh_ble_l2cap_recvinto(conn, cid, m0_arg(4) ? m0.buf : NULL, &len);
        return err < 0 ? err : (int)len;
    }
}

static int m0_dispatch(uint32_t cmd)
{
    uint8_t status = 0;

    m0_load_data();
    switch (cmd) {
    case M0_CMD_GATTS_REGISTER:
    case M0_CMD_GATTS_VALUE:
    case M0_CMD_GATTS_NOTIFY:
        return m0_gatts(cmd);
    case M0_CMD_GATTC_DISCOVER:
    case M0_CMD_GATTC_RW:
        return m0_gattc(cmd);
    case M0_CMD_SECURITY:
        return m0_security();
    case M0_CMD_L2CAP:
        return m0_l2cap();
    case M0_CMD_HCI_CMD:
        (void)bh_ble_hci_cmd((uint16_t)m0_arg(0), (uint16_t)m0_arg(1), m0.buf, m0_arg(2),
                             m0.buf + 32, sizeof(m0.buf) - 32, &status);
        return status;
    default:
        return m0_gap(cmd);
    }
}

/* ---- start-up ------------------------------------------------------------------------ */

int main(void);
void m0_reset(void);

int main(void)
{
    bh_os_init(&m0_port);
    bh_hci_set_transport(&m0_h4);
    bh_hci_init();
    bh_ble_set_event_cb(m0_on_event, NULL);
    bh_ble_set_secret_store(&m0_secrets);
    for (;;) {
        uint32_t cmd = m0.in.cmd;

        if (cmd != UINT32_MAX) {
            m0.in.cmd = UINT32_MAX;
            m0.out = (uint32_t)m0_dispatch(cmd);
        }
        uint32_t next_ms = bh_process();
        if (next_ms != 0) {
            m0_wait(next_ms);
        }
    }
}

static void m0_systick(void)
{
    m0.ticks_ms++;
}

/* UART receive: H4 bytes from the controller into the host's ring. */
static void m0_uart_irq(void)
{
    while (M0_UART_STATUS & M0_UART_RX_READY) {
        uint8_t b = (uint8_t)M0_UART_DATA;

        (void)bh_hci_rx_push(&b, 1);
    }
    bh_port_wake();
}

static void m0_fault(void)
{
    for (;;) {
    }
}

/* Symbols of m0.ld */
extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[],
    __stack_top[];

void m0_reset(void)
{
    uint32_t *src = __data_load;

    for (uint32_t *dst = __data_start; dst < __data_end; dst++) {
        *dst = *src++;
    }
    for (uint32_t *dst = __bss_start; dst < __bss_end; dst++) {
        *dst = 0;
    }
    (void)main();
    m0_fault();
}

/* ARMv6-M vector table: initial SP, 15 system exceptions, then device IRQs
 * (the UART on IRQ 0). */
__attribute__((section(".isr_vector"), used)) static void (*const m0_vectors[17])(void) = {
    [0] = (void (*)(void))__stack_top,
    [1] = m0_reset,
    [2] = m0_fault, /* NMI */
    [3] = m0_fault, /* HardFault */
    [15] = m0_systick,
    [16] = m0_uart_irq,
};
