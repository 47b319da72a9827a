/* SPDX-License-Identifier: MIT */
/*
 * An embedded profile close to MicroPython's NimBLE defaults (4 links,
 * preferred MTU 256, one L2CAP channel), used by `make size` to compare
 * with the budget of shared/DESIGN.md. The stock bh_config.h defaults are
 * sized for the POSIX build (MTU 517, four 4 KiB channel rings).
 */
#define BH_CONFIG_MAX_CONN 4
#define BH_CONFIG_ATT_MTU_MAX 256
#define BH_CONFIG_ACL_RX_BUF_COUNT 4
#define BH_CONFIG_ACL_TX_BUF_COUNT 4
#define BH_CONFIG_HCI_CMD_COUNT 4
#define BH_CONFIG_HCI_RX_RING_SIZE 512
#define BH_CONFIG_GATTS_MAX_ATTRS 48
#define BH_CONFIG_GATTS_VALUE_POOL 1024
#define BH_CONFIG_GATTS_PREP_WRITE_MAX 256
#define BH_CONFIG_GATTC_MAX_PROCS 4
#define BH_CONFIG_L2CAP_COC_MAX_CHAN 1
#define BH_CONFIG_L2CAP_COC_MAX_LISTEN 1
#define BH_CONFIG_L2CAP_COC_RX_BUF_SIZE 1024
#define BH_CONFIG_L2CAP_COC_TX_BUF_SIZE 512
#define BH_CONFIG_LOG_LEVEL 1
#define BH_CONFIG_ASSERT 0
#define BH_CONFIG_SMP_P256_CONTROLLER 1 /* BH_CRYPTO=builtin: P-256 from the controller */
