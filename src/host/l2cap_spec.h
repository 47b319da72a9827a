/* SPDX-License-Identifier: MIT */
/*
 * l2cap_spec.h: L2CAP wire constants for LE (Core 5.4 Vol 3 Part A).
 * Nothing else. The fixed CIDs are in l2cap.h (shared with ATT and SMP).
 */
#ifndef BH_L2CAP_SPEC_H
#define BH_L2CAP_SPEC_H

/* Signalling command header: Code, Identifier, Length, Vol 3 Part A 4 */
#define BH_L2CAP_SIG_HDR_LEN 4
/* MTUsig on the LE signalling channel: the minimum, 23 octets, Vol 3 Part A 4 */
#define BH_L2CAP_SIG_MTU_LE 23

/* Signalling command codes, Vol 3 Part A 4 Table 4.2 (LE-U subset) */
#define BH_L2CAP_SIG_COMMAND_REJECT_RSP 0x01
#define BH_L2CAP_SIG_DISCONNECTION_REQ 0x06
#define BH_L2CAP_SIG_DISCONNECTION_RSP 0x07
#define BH_L2CAP_SIG_CONN_PARAM_UPDATE_REQ 0x12
#define BH_L2CAP_SIG_CONN_PARAM_UPDATE_RSP 0x13
#define BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_REQ 0x14
#define BH_L2CAP_SIG_LE_CREDIT_BASED_CONN_RSP 0x15
#define BH_L2CAP_SIG_FLOW_CONTROL_CREDIT_IND 0x16
#define BH_L2CAP_SIG_CREDIT_BASED_CONN_REQ 0x17
#define BH_L2CAP_SIG_CREDIT_BASED_CONN_RSP 0x18
#define BH_L2CAP_SIG_CREDIT_BASED_RECONFIGURE_REQ 0x19
#define BH_L2CAP_SIG_CREDIT_BASED_RECONFIGURE_RSP 0x1A

/* Command Reject reasons, Vol 3 Part A 4.1 Table 4.3 */
#define BH_L2CAP_REJECT_CMD_NOT_UNDERSTOOD 0x0000
#define BH_L2CAP_REJECT_SIG_MTU_EXCEEDED 0x0001
#define BH_L2CAP_REJECT_INVALID_CID 0x0002

/* Connection Parameter Update Request/Response, Vol 3 Part A 4.20 / 4.21 */
#define BH_L2CAP_CONN_PARAM_UPDATE_REQ_LEN 8
#define BH_L2CAP_CONN_PARAM_UPDATE_RSP_LEN 2
#define BH_L2CAP_CONN_PARAM_ACCEPTED 0x0000
#define BH_L2CAP_CONN_PARAM_REJECTED 0x0001

/* RTX bounds, Vol 3 Part A 6.2.1 */
#define BH_L2CAP_RTX_MIN_MS 1000
#define BH_L2CAP_RTX_MAX_MS 60000

#endif /* BH_L2CAP_SPEC_H */
