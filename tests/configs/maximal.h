/* SPDX-License-Identifier: MIT */
/* The largest configuration CI builds: many links, every log level. */
#define BH_CONFIG_MAX_CONN 16
#define BH_CONFIG_LOG_LEVEL 4
#define BH_CONFIG_LOG_SECRETS 1
#define BH_CONFIG_ACL_RX_BUF_COUNT 32
#define BH_CONFIG_ACL_TX_BUF_COUNT 32
#define BH_CONFIG_HCI_CMD_COUNT 16
#define BH_CONFIG_HCI_RX_RING_SIZE 8192
