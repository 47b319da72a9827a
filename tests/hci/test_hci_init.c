/* SPDX-License-Identifier: MIT */
/* test_hci_init.c: the init sequence against the scripted controller. */
#include <errno.h>

#include "bh_test.h"
#include "blehost/bh_hci.h"
#include "fake_ctrl.h"
#include "fake_port.h"

static void check_opcodes(const uint16_t *ops, unsigned n)
{
    BH_CHECK_EQ(fake_ctrl_sent_count(), n);
    for (unsigned i = 0; i < n; i++) {
        const struct fake_pkt *p = fake_ctrl_sent(i);
        BH_CHECK_EQ(p->type, 0x01);
        BH_CHECK_EQ(p->data[0] | p->data[1] << 8, ops[i]);
    }
}

static void test_hci_init_default_controller_sends_sequence_and_comes_up(void)
{
    static const uint16_t ops[] = {0x0C03, 0x1001, 0x1002, 0x1003, 0x2003,
                                   0x1009, 0x0C01, 0x2001, 0x2002};
    const struct bh_hci_info *i;

    fake_ctrl_init();
    fake_ctrl_up();
    check_opcodes(ops, sizeof(ops) / sizeof(ops[0]));
    i = bh_hci_info();
    BH_CHECK_EQ(i->hci_version, 0x0C);
    BH_CHECK_EQ(i->manufacturer, 0x005F);
    BH_CHECK_EQ(i->acl_len, 27);
    BH_CHECK_EQ(i->acl_num, 4);
    BH_CHECK_EQ(i->id_addr_type, 0);
    BH_CHECK_HEX(i->id_addr, 6, "01 00 00 dc 1b 00");
    /* Event masks: page 1 enables LE meta (bit 61) and disconnection (bit 4). */
    BH_CHECK_HEX(fake_ctrl_last_cmd(0x0C01)->data, 11, "01 0c 08 90 88 00 02 00 80 00 20");
    BH_CHECK_HEX(fake_ctrl_last_cmd(0x2001)->data, 11, "01 20 08 ff 0d 00 00 00 00 00 00");
    bh_hci_down();
}

static void test_hci_init_no_public_addr_sets_static_random(void)
{
    const struct fake_pkt *p;
    const struct bh_hci_info *i;

    fake_ctrl_init();
    fake_ctrl_set_reply(0x1009, "00 00 00 00 00 00 00");
    fake_ctrl_up();
    p = fake_ctrl_last_cmd(0x2005);
    BH_CHECK(p != NULL);
    BH_CHECK_EQ(p->len, 9);
    BH_CHECK_EQ(p->data[8] & 0xC0, 0xC0); /* static random: two top bits set */
    i = bh_hci_info();
    BH_CHECK_EQ(i->id_addr_type, 1);
    BH_CHECK_MEM(i->id_addr, &p->data[3], 6);
    bh_hci_down();
}

static void test_hci_init_le_buffer_zero_falls_back_to_read_buffer_size(void)
{
    fake_ctrl_init();
    fake_ctrl_set_reply(0x2002, "00 00 00 00");
    fake_ctrl_set_reply(0x1005, "00 fb 00 00 08 00 00 00");
    fake_ctrl_up();
    BH_CHECK_EQ(fake_ctrl_cmd_count(0x1005), 1);
    BH_CHECK_EQ(bh_hci_info()->acl_len, 251);
    BH_CHECK_EQ(bh_hci_info()->acl_num, 8);
    bh_hci_down();
}

static void test_hci_init_v2_supported_uses_le_read_buffer_size_v2(void)
{
    char cmds[256] = "00";

    /* Supported Commands with only octet 41 bit 5 set. */
    for (int i = 0; i < 64; i++) {
        strcat(cmds, i == 41 ? " 20" : " 00");
    }
    fake_ctrl_init();
    fake_ctrl_set_reply(0x1002, cmds);
    fake_ctrl_set_reply(0x2060, "00 fb 00 06 00 00 00");
    fake_ctrl_up();
    BH_CHECK_EQ(fake_ctrl_cmd_count(0x2002), 0);
    BH_CHECK_EQ(fake_ctrl_cmd_count(0x2060), 1);
    BH_CHECK_EQ(bh_hci_info()->acl_len, 251);
    BH_CHECK_EQ(bh_hci_info()->acl_num, 6);
    bh_hci_down();
}

static void test_hci_init_no_le_support_gives_enodev(void)
{
    fake_ctrl_init();
    fake_ctrl_set_reply(0x1003, "00 00 00 00 00 00 00 00 00");
    BH_CHECK_EQ(bh_hci_up(), -ENODEV);
    BH_CHECK(!bh_hci_is_up());
    bh_hci_down();
}

static void test_hci_init_silent_controller_gives_etimedout(void)
{
    uint32_t t0;

    fake_ctrl_init();
    fake_ctrl_set_reply(0x0C03, NULL);
    t0 = fake_port_now();
    BH_CHECK_EQ(bh_hci_up(), -ETIMEDOUT);
    BH_CHECK_EQ(fake_port_now() - t0, BH_CONFIG_HCI_CMD_TIMEOUT_MS);
    BH_CHECK_EQ(bh_hci_stats()->cmd_timeout, 1);
    bh_hci_down();
}

static void test_hci_init_failed_step_gives_eio(void)
{
    fake_ctrl_init();
    fake_ctrl_set_reply(0x2001, "12");
    BH_CHECK_EQ(bh_hci_up(), -EIO);
    BH_CHECK(!bh_hci_is_up());
    /* Nothing after the failed step was sent. */
    BH_CHECK_EQ(fake_ctrl_cmd_count(0x2002), 0);
    bh_hci_down();
}

static void test_hci_init_up_down_repeats_without_residue(void)
{
    fake_ctrl_init();
    for (int round = 0; round < 5; round++) {
        fake_ctrl_clear_sent();
        fake_ctrl_up();
        BH_CHECK_EQ(bh_hci_up(), -EALREADY);
        bh_hci_down();
        BH_CHECK(!bh_hci_is_up());
        /* Nothing left scheduled: no command timeout armed. */
        BH_CHECK_EQ(bh_process(), BH_FOREVER);
        BH_CHECK_EQ(fake_ctrl_cmd_count(0x0C03), 1);
    }
}

static void test_hci_init_without_transport_gives_enetdown(void)
{
    fake_ctrl_init();
    bh_hci_set_transport(NULL);
    BH_CHECK_EQ(bh_hci_up(), -ENETDOWN);
}

BH_TEST_MAIN(BH_TEST(test_hci_init_default_controller_sends_sequence_and_comes_up),
             BH_TEST(test_hci_init_no_public_addr_sets_static_random),
             BH_TEST(test_hci_init_le_buffer_zero_falls_back_to_read_buffer_size),
             BH_TEST(test_hci_init_v2_supported_uses_le_read_buffer_size_v2),
             BH_TEST(test_hci_init_no_le_support_gives_enodev),
             BH_TEST(test_hci_init_silent_controller_gives_etimedout),
             BH_TEST(test_hci_init_failed_step_gives_eio),
             BH_TEST(test_hci_init_up_down_repeats_without_residue),
             BH_TEST(test_hci_init_without_transport_gives_enetdown))
