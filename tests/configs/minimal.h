/* SPDX-License-Identifier: MIT */
/* The smallest configuration CI builds: one link, no logs, no asserts. */
#define BH_CONFIG_MAX_CONN 1
#define BH_CONFIG_LOG_LEVEL 0
#define BH_CONFIG_ASSERT 0
#define BH_CONFIG_HCI_RAW_CMD 0
#define BH_CONFIG_BTSNOOP 0
#define BH_CONFIG_ATT_MTU_MAX 23
#define BH_CONFIG_ACL_RX_BUF_COUNT 2
#define BH_CONFIG_ACL_TX_BUF_COUNT 2
#define BH_CONFIG_HCI_CMD_COUNT 2
#define BH_CONFIG_HCI_RX_RING_SIZE 256
