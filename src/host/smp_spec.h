/* SPDX-License-Identifier: MIT */
/*
 * smp_spec.h: Security Manager Protocol wire constants (Core 5.4 Vol 3
 * Part H 3): command codes and their lengths, Pairing Failed reasons, IO
 * capabilities, AuthReq and key distribution bits. Nothing else.
 */
#ifndef BH_SMP_SPEC_H
#define BH_SMP_SPEC_H

/* Command codes, Vol 3 Part H 3.3 Table 3.4 */
#define BH_SMP_OP_PAIRING_REQ 0x01
#define BH_SMP_OP_PAIRING_RSP 0x02
#define BH_SMP_OP_PAIRING_CONFIRM 0x03
#define BH_SMP_OP_PAIRING_RANDOM 0x04
#define BH_SMP_OP_PAIRING_FAILED 0x05
#define BH_SMP_OP_ENCRYPTION_INFO 0x06
#define BH_SMP_OP_CENTRAL_IDENT 0x07
#define BH_SMP_OP_IDENTITY_INFO 0x08
#define BH_SMP_OP_IDENTITY_ADDR_INFO 0x09
#define BH_SMP_OP_SIGNING_INFO 0x0A
#define BH_SMP_OP_SECURITY_REQ 0x0B
#define BH_SMP_OP_PAIRING_PUBLIC_KEY 0x0C
#define BH_SMP_OP_PAIRING_DHKEY_CHECK 0x0D
#define BH_SMP_OP_KEYPRESS_NOTIFICATION 0x0E

/* Parameter lengths after the code octet, Vol 3 Part H 3.5 and 3.6 */
#define BH_SMP_LEN_PAIRING_REQ 6           /* 3.5.1 */
#define BH_SMP_LEN_PAIRING_RSP 6           /* 3.5.2 */
#define BH_SMP_LEN_PAIRING_CONFIRM 16      /* 3.5.3 */
#define BH_SMP_LEN_PAIRING_RANDOM 16       /* 3.5.4 */
#define BH_SMP_LEN_PAIRING_FAILED 1        /* 3.5.5 */
#define BH_SMP_LEN_ENCRYPTION_INFO 16      /* 3.6.2 */
#define BH_SMP_LEN_CENTRAL_IDENT 10        /* 3.6.3: EDIV, Rand */
#define BH_SMP_LEN_IDENTITY_INFO 16        /* 3.6.4 */
#define BH_SMP_LEN_IDENTITY_ADDR_INFO 7    /* 3.6.5 */
#define BH_SMP_LEN_SIGNING_INFO 16         /* 3.6.6 */
#define BH_SMP_LEN_SECURITY_REQ 1          /* 3.6.7 */
#define BH_SMP_LEN_PAIRING_PUBLIC_KEY 64   /* 3.5.6 */
#define BH_SMP_LEN_PAIRING_DHKEY_CHECK 16  /* 3.5.7 */
#define BH_SMP_LEN_KEYPRESS_NOTIFICATION 1 /* 3.5.8 */

/* Pairing Failed reasons, Vol 3 Part H 3.5.5 Table 3.7 */
#define BH_SMP_ERR_PASSKEY_ENTRY_FAILED 0x01
#define BH_SMP_ERR_OOB_NOT_AVAILABLE 0x02
#define BH_SMP_ERR_AUTH_REQUIREMENTS 0x03
#define BH_SMP_ERR_CONFIRM_VALUE_FAILED 0x04
#define BH_SMP_ERR_PAIRING_NOT_SUPPORTED 0x05
#define BH_SMP_ERR_ENCRYPTION_KEY_SIZE 0x06
#define BH_SMP_ERR_COMMAND_NOT_SUPPORTED 0x07
#define BH_SMP_ERR_UNSPECIFIED_REASON 0x08
#define BH_SMP_ERR_REPEATED_ATTEMPTS 0x09
#define BH_SMP_ERR_INVALID_PARAMETERS 0x0A
#define BH_SMP_ERR_DHKEY_CHECK_FAILED 0x0B
#define BH_SMP_ERR_NUMERIC_COMPARISON_FAILED 0x0C
#define BH_SMP_ERR_BREDR_PAIRING_IN_PROGRESS 0x0D
#define BH_SMP_ERR_CROSS_TRANSPORT_NOT_ALLOWED 0x0E
#define BH_SMP_ERR_KEY_REJECTED 0x0F

/* IO Capability, Vol 3 Part H 3.5.1 Table 3.5 (also API.md config(io)) */
#define BH_SMP_IO_DISPLAY_ONLY 0x00
#define BH_SMP_IO_DISPLAY_YES_NO 0x01
#define BH_SMP_IO_KEYBOARD_ONLY 0x02
#define BH_SMP_IO_NO_INPUT_NO_OUTPUT 0x03
#define BH_SMP_IO_KEYBOARD_DISPLAY 0x04
#define BH_SMP_IO_MAX BH_SMP_IO_KEYBOARD_DISPLAY

/* OOB data flag, Vol 3 Part H 3.5.1 Table 3.6 */
#define BH_SMP_OOB_NOT_PRESENT 0x00

/* AuthReq bits, Vol 3 Part H 3.5.1 Figure 3.3 */
#define BH_SMP_AUTH_BONDING 0x01 /* Bonding_Flags = 0b01 */
#define BH_SMP_AUTH_BONDING_MASK 0x03
#define BH_SMP_AUTH_MITM 0x04
#define BH_SMP_AUTH_SC 0x08
#define BH_SMP_AUTH_KEYPRESS 0x10
#define BH_SMP_AUTH_CT2 0x20

/* Key distribution bits, Vol 3 Part H 3.6.1 Figure 3.11 */
#define BH_SMP_DIST_ENC_KEY 0x01
#define BH_SMP_DIST_ID_KEY 0x02
#define BH_SMP_DIST_SIGN 0x04
#define BH_SMP_DIST_LINK_KEY 0x08

/* Encryption key size bounds, Vol 3 Part H 2.3.4 and 3.5.1 */
#define BH_SMP_KEY_SIZE_MIN 7
#define BH_SMP_KEY_SIZE_MAX 16

/* Passkey: six decimal digits, Vol 3 Part H 2.3.5.3 */
#define BH_SMP_PASSKEY_MAX 999999u

/* Passkey actions of API.md 1.1 (IRQ 31 and gap_passkey) */
#define BH_SMP_ACTION_NONE 0
#define BH_SMP_ACTION_INPUT 2
#define BH_SMP_ACTION_DISPLAY 3
#define BH_SMP_ACTION_NUMERIC_COMPARISON 4

#endif /* BH_SMP_SPEC_H */
