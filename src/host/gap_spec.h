/* SPDX-License-Identifier: MIT */
/*
 * gap_spec.h: GAP wire constants (Core 5.4 Vol 3 Part C, CSS v11 Part A,
 * Assigned Numbers) and the LE link parameter ranges GAP works with
 * (Vol 4 Part E 7.8). Nothing else.
 */
#ifndef BH_GAP_SPEC_H
#define BH_GAP_SPEC_H

/* AD types, Assigned Numbers 2.3 (formats in CSS v11 Part A 1) */
#define BH_GAP_AD_FLAGS 0x01
#define BH_GAP_AD_INCOMPLETE_LIST_16BIT_UUIDS 0x02
#define BH_GAP_AD_COMPLETE_LIST_16BIT_UUIDS 0x03
#define BH_GAP_AD_INCOMPLETE_LIST_32BIT_UUIDS 0x04
#define BH_GAP_AD_COMPLETE_LIST_32BIT_UUIDS 0x05
#define BH_GAP_AD_INCOMPLETE_LIST_128BIT_UUIDS 0x06
#define BH_GAP_AD_COMPLETE_LIST_128BIT_UUIDS 0x07
#define BH_GAP_AD_SHORTENED_LOCAL_NAME 0x08
#define BH_GAP_AD_COMPLETE_LOCAL_NAME 0x09
#define BH_GAP_AD_TX_POWER_LEVEL 0x0A
#define BH_GAP_AD_PERIPHERAL_CONN_INTERVAL_RANGE 0x12
#define BH_GAP_AD_SERVICE_DATA_16BIT_UUID 0x16
#define BH_GAP_AD_APPEARANCE 0x19
#define BH_GAP_AD_MANUFACTURER_SPECIFIC_DATA 0xFF

/* Flags AD bits, CSS v11 Part A 1.3 */
#define BH_GAP_AD_FLAG_LE_LIMITED_DISC 0x01
#define BH_GAP_AD_FLAG_LE_GENERAL_DISC 0x02
#define BH_GAP_AD_FLAG_BREDR_NOT_SUPPORTED 0x04

/* Legacy advertising data and scan response, Vol 4 Part E 7.8.7 / 7.8.8 */
#define BH_GAP_ADV_DATA_MAX 31

/* Advertising_Type of LE Set Advertising Parameters, Vol 4 Part E 7.8.5 */
#define BH_GAP_ADV_TYPE_ADV_IND 0x00
#define BH_GAP_ADV_TYPE_ADV_DIRECT_IND_HIGH 0x01
#define BH_GAP_ADV_TYPE_ADV_SCAN_IND 0x02
#define BH_GAP_ADV_TYPE_ADV_NONCONN_IND 0x03
#define BH_GAP_ADV_TYPE_ADV_DIRECT_IND_LOW 0x04

/* Advertising interval range (625 us units), Vol 4 Part E 7.8.5 */
#define BH_GAP_ADV_ITVL_MIN 0x0020
#define BH_GAP_ADV_ITVL_MAX 0x4000
#define BH_GAP_ADV_CHANNEL_MAP_ALL 0x07

/* Event_Type of LE Advertising Report, Vol 4 Part E 7.7.65.2 (the same
 * numbers as MicroPython's adv_type) */
#define BH_GAP_REPORT_ADV_IND 0x00
#define BH_GAP_REPORT_ADV_DIRECT_IND 0x01
#define BH_GAP_REPORT_ADV_SCAN_IND 0x02
#define BH_GAP_REPORT_ADV_NONCONN_IND 0x03
#define BH_GAP_REPORT_SCAN_RSP 0x04
/* Num_Reports range, Vol 4 Part E 7.7.65.2 */
#define BH_GAP_REPORT_NUM_MAX 0x19
#define BH_GAP_RSSI_NOT_AVAILABLE 127

/* LE_Scan_Type and scan interval/window range (625 us), Vol 4 Part E 7.8.10 */
#define BH_GAP_SCAN_TYPE_PASSIVE 0x00
#define BH_GAP_SCAN_TYPE_ACTIVE 0x01
#define BH_GAP_SCAN_ITVL_MIN 0x0004
#define BH_GAP_SCAN_ITVL_MAX 0x4000

/* Connection parameter ranges, Vol 4 Part E 7.8.12 and Vol 3 Part A 4.20 */
#define BH_GAP_CONN_ITVL_MIN 0x0006    /* 7.5 ms in 1.25 ms units */
#define BH_GAP_CONN_ITVL_MAX 0x0C80    /* 4 s */
#define BH_GAP_CONN_LATENCY_MAX 0x01F3 /* 499 events */
#define BH_GAP_SUP_TIMEOUT_MIN 0x000A  /* 100 ms in 10 ms units */
#define BH_GAP_SUP_TIMEOUT_MAX 0x0C80  /* 32 s */

/* Roles in LE Connection Complete, Vol 4 Part E 7.7.65.1 */
#define BH_GAP_ROLE_CENTRAL 0x00
#define BH_GAP_ROLE_PERIPHERAL 0x01

/* Own_Address_Type, Vol 4 Part E 7.8.5 */
#define BH_GAP_OWN_ADDR_PUBLIC 0x00
#define BH_GAP_OWN_ADDR_RANDOM 0x01

/* Data length limits, Vol 6 Part B 4.5.10 */
#define BH_GAP_DATA_LEN_DEFAULT_OCTETS 27
#define BH_GAP_DATA_LEN_DEFAULT_TIME 328
#define BH_GAP_DATA_LEN_MAX_OCTETS 251
#define BH_GAP_DATA_LEN_MAX_TIME 17040

/* PHYs, Vol 4 Part E 7.8.49 (TX_PHYs/RX_PHYs bits) and 7.7.65.12 (values) */
#define BH_GAP_PHY_BIT_1M 0x01
#define BH_GAP_PHY_BIT_2M 0x02
#define BH_GAP_PHY_1M 0x01
#define BH_GAP_PHY_2M 0x02
#define BH_GAP_PHY_CODED 0x03

/* GAP and GATT services, Assigned Numbers 3.4 / 3.8 */
#define BH_GAP_UUID_GAP_SERVICE 0x1800
#define BH_GAP_UUID_GATT_SERVICE 0x1801
#define BH_GAP_UUID_DEVICE_NAME 0x2A00
#define BH_GAP_UUID_APPEARANCE 0x2A01
#define BH_GAP_UUID_SERVICE_CHANGED 0x2A05

#endif /* BH_GAP_SPEC_H */
