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
#define BH_CONFIG_L2CAP_COC_MAX_CHAN 1
#define BH_CONFIG_L2CAP_COC_MAX_LISTEN 1
#define BH_CONFIG_L2CAP_COC_RX_BUF_SIZE 256
#define BH_CONFIG_L2CAP_COC_TX_BUF_SIZE 128
/* SMP with P-256 from the controller (LE Read Local P-256 Public Key, LE
 * Generate DHKey), as a Cortex-M0+ build with BH_CRYPTO=builtin uses it. */
#define BH_CONFIG_SMP_P256_CONTROLLER 1
