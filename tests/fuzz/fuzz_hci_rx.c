/* SPDX-License-Identifier: MIT */
/*
 * fuzz_hci_rx: arbitrary bytes from the controller into an HCI layer that
 * is up (H4 framing, event dispatch, command matching, completed-packet
 * accounting, ACL reassembly). Every byte is hostile; ASan/UBSan and the
 * pool checks at the end catch what a bad input could break.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bh_test.h"
#include "blehost/bh_hci.h"
#include "fake_ctrl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_acl(uint16_t handle, struct bh_buf *buf)
{
    (void)handle;
    (void)buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t frame[] = {8, 0, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8};

    if (setjmp(bh_test_jmp) != 0) {
        abort(); /* a harness check failed: report it as a crash */
    }
    fake_ctrl_init();
    fake_ctrl_up();
    bh_hci_set_acl_handler(on_acl);
    /* Some state to disturb: a command in flight, ACL queued on two handles. */
    bh_hci_cmd_send(0x2018, NULL, 0, NULL, NULL);
    for (uint16_t h = 0x40; h < 0x42; h++) {
        struct bh_buf *b = bh_hci_acl_buf_alloc(0);
        bh_buf_add_mem(b, frame, sizeof(frame));
        bh_hci_acl_send(h, b);
    }
    fake_ctrl_inject(data, size);
    fake_ctrl_advance(BH_CONFIG_HCI_CMD_TIMEOUT_MS);
    bh_hci_down();
    if (bh_buf_pool_free_count(bh_hci_acl_pool()) != BH_CONFIG_ACL_TX_BUF_COUNT ||
        bh_buf_pool_free_count(bh_hci_acl_rx_pool()) != BH_CONFIG_ACL_RX_BUF_COUNT) {
        abort(); /* a buffer leaked */
    }
    return 0;
}
