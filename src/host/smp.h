/* SPDX-License-Identifier: MIT */
/*
 * smp.h: the Security Manager (Core 5.4 Vol 3 Part H) inside the host.
 *
 * Files: smp.c the core (link table, pairing state machine and its timeout,
 * the end of a pairing, repeated attempts, the PDU dispatch table
 * smp_rx_table[], lifecycle, configuration, statistics); smp_pairing.c
 * starting a procedure, Security Request, feature exchange, method
 * selection, the passkey prompt and bh_smp_passkey; smp_dist.c key
 * distribution (3.6); smp_enc.c starting encryption, LTK replies,
 * re-encryption with bonded keys, Encryption Change; smp_legacy.c the LE
 * legacy confirm/random exchange (c1, s1); smp_sc.c LE Secure Connections
 * (f4, f5, f6, g2); smp_ecdh.c the P-256 key pair and DHKey. keys.h holds
 * the bonds. The hooks the rest of the host calls (conn up/down, SMP channel
 * receive, encryption change, LTK request) are declared in conn.h and
 * l2cap.h.
 *
 * The first part is for src/ble and the host's init; the part marked
 * "internal" is shared by the smp*.c files only. Host context only.
 */
#ifndef BH_HOST_SMP_H
#define BH_HOST_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "blehost/bh_os.h"
#include "conn.h"
#include "keys.h"
#include "os/bh_rdwr.h"

/* ---- for src/ble and host init -------------------------------------------- */

/* Reset every link's pairing state, the repeated-attempts memory and the
 * statistics, and install the port's entropy source in bh_crypto. The
 * configuration (bonding, mitm, le_secure, io) is kept: it survives
 * active(True). Host init, after bh_os_init(). */
void bh_smp_init(void);

/* config(bond=, mitm=, le_secure=, io=): any time; used from the next pairing. */
void bh_smp_set_bonding(bool on);
void bh_smp_set_mitm(bool on);
void bh_smp_set_le_secure(bool on);
/* Offer LE Secure Connections (default true when P-256 works). false:
 * legacy pairing only, for tests and for peers that mishandle SC; with
 * le_secure set every pairing is then refused. Not in the MicroPython API. */
void bh_smp_set_sc(bool on);
/* io: BH_SMP_IO_* (0..4). -EINVAL otherwise. */
int bh_smp_set_io_capability(uint8_t io);

/* gap_pair: central: encrypt with the bonded LTK if there is one, else send
 * Pairing Request; peripheral: send Security Request. The end is IRQ 28.
 * 0, -ENOTCONN, -EALREADY (a procedure runs, or already encrypted as well
 * as asked), -EAGAIN (Repeated Attempts wait running for this peer),
 * -ETIMEDOUT (the link had an SMP timeout: reconnect), -ENOBUFS, -EIO. */
int bh_smp_pair(uint16_t handle);
/* gap_passkey: answer IRQ 31. action must be the one pending (INPUT: the
 * 6-digit passkey; DISPLAY: override the displayed passkey from inside the
 * IRQ 31 callback; NUMERIC_COMPARISON: 0 rejects). 0, -ENOTCONN, -EINVAL. */
int bh_smp_passkey(uint16_t handle, uint8_t action, uint32_t passkey);

struct bh_smp_stats {
    uint32_t rx_pdus;         /* SMP PDUs received */
    uint32_t rx_bad_len;      /* wrong length: Invalid Parameters */
    uint32_t rx_bad_state;    /* out of order: Unspecified Reason */
    uint32_t rx_unknown;      /* reserved code or empty: ignored (Vol 3 Part H 3.3) */
    uint32_t rx_dropped;      /* received after an SMP timeout: ignored */
    uint32_t tx_no_buf;       /* a PDU could not be sent for lack of buffers */
    uint32_t pairings_ok;     /* pairings completed */
    uint32_t pairings_failed; /* Pairing Failed sent or received, timeouts */
    uint32_t reencryptions;   /* encryptions with a bonded LTK */
    uint32_t timeouts;        /* SMP timeouts (Vol 3 Part H 3.4) */
};
const struct bh_smp_stats *bh_smp_stats(void);

enum bh_smp_state {
    BH_SMP_STATE_IDLE = 0,
    BH_SMP_STATE_WAIT_PAIRING_RSP, /* central: Pairing Request sent */
    BH_SMP_STATE_WAIT_PUBLIC_KEY,  /* SC: the peer's Pairing Public Key is due */
    BH_SMP_STATE_WAIT_CONFIRM,     /* a Pairing Confirm is due (ours or the peer's) */
    BH_SMP_STATE_WAIT_RANDOM,      /* the peer's Pairing Random is due */
    BH_SMP_STATE_WAIT_DHKEY_CHECK, /* SC: DHKey Check due (or the user's comparison) */
    BH_SMP_STATE_WAIT_ENCRYPTION,  /* STK/LTK known: encryption being started */
    BH_SMP_STATE_KEY_DIST,         /* encrypted: the peer's keys are due */
    BH_SMP_STATE_ENCRYPTING,       /* re-encryption with a bonded LTK (no pairing) */
    BH_SMP_STATE_TIMED_OUT,        /* terminal: SMP timeout, no SMP until reconnection */
};
/* A link's state (tests, diagnostics); IDLE for an unknown connection. */
enum bh_smp_state bh_smp_link_state(const struct bh_conn *c);

/* ---- internal: shared by the smp*.c files ------------------------------------ */

/* The configuration of bh_smp_set_*; smp.c owns it, bh_smp_cfg() reads it. */
struct bh_smp_cfg {
    bool bonding;
    bool mitm;
    bool le_secure;
    bool no_sc; /* bh_smp_set_sc(false): legacy pairing only */
    uint8_t io;
};

/* Peer key PDUs still due (dist_wait), in the order of Vol 3 Part H 3.6.1
 * Figure 3.11: set by the feature exchange, cleared by smp_dist.c. */
#define BH_SMP_WAIT_ENC_INFO 0x01
#define BH_SMP_WAIT_CENTRAL_IDENT 0x02
#define BH_SMP_WAIT_ID_INFO 0x04
#define BH_SMP_WAIT_ID_ADDR 0x08

/* Pairing method from our side, Vol 3 Part H 2.3.5.1 */
enum bh_smp_method {
    BH_SMP_METHOD_JUST_WORKS = 0,
    BH_SMP_METHOD_PASSKEY_INPUT,   /* we type the passkey (maybe both sides type it) */
    BH_SMP_METHOD_PASSKEY_DISPLAY, /* we show it, the peer types it */
    BH_SMP_METHOD_NUMERIC_COMPARISON,
};

struct bh_smp_link {
    struct bh_conn *conn;
    enum bh_smp_state state;
    struct bh_dwork timeout; /* the 30 s SMP timer, Vol 3 Part H 3.4 */
    struct bh_work resume;   /* continue after a passkey was displayed */
    uint8_t own[7];          /* our address on this link: type, 6 octets little-endian */
    /* Everything from here on is one pairing's data, wiped when it ends. */
    uint8_t method;         /* enum bh_smp_method */
    bool central;           /* we initiated (Vol 3 Part H: initiator = central) */
    bool sc;                /* LE Secure Connections chosen */
    bool bond;              /* both sides asked for bonding */
    bool user_ok;           /* the TK/passkey or the comparison is settled */
    bool peer_confirm_held; /* the peer's confirm came before user_ok */
    bool peer_check_held;   /* SC: the peer's DHKey Check came before user_ok */
    bool confirm_sent;      /* our confirm of the current round is out */
    uint8_t user;           /* BH_SMP_ACTION_* awaited from bh_smp_passkey() */
    uint8_t round;          /* SC passkey entry: bit 0..19 */
    uint8_t key_size;
    uint8_t dist_wait;        /* peer key PDUs still due (BH_SMP_WAIT_*) */
    uint8_t our_dist;         /* keys we distribute */
    uint8_t preq[7], pres[7]; /* Pairing Request/Response, on-air order */
    uint32_t passkey;
    uint8_t lrand[16];    /* our nonce (Mrand/Srand, Na/Nb), MSB-first */
    uint8_t prand[16];    /* the peer's nonce */
    uint8_t pconfirm[16]; /* the peer's confirm value */
    uint8_t key[16];      /* STK (legacy) or LTK (SC), MSB-first */
    union {
        struct {
            uint8_t tk[16];
        } legacy;
        struct {
            uint8_t peer_x[32];
            uint8_t dhkey[32];
            uint8_t mackey[16];
            uint8_t peer_check[16];
        } lesc;
    };
    bool check_sent;        /* SC: our DHKey Check is out */
    bool id_received;       /* the peer sent its identity address */
    bool reenc_auth;        /* ENCRYPTING: the bonded key was MITM-protected */
    uint8_t p256_wait;      /* BH_SMP_P256_*: asynchronous P-256 steps (controller) */
    struct bh_keys_bond rx; /* what this pairing produced, stored at the end */
};

/* smp.c: the link of c (NULL if none) and of a connected handle (NULL if none). */
struct bh_smp_link *bh_smp_link_of(const struct bh_conn *c);
struct bh_smp_link *bh_smp_link_by_handle(uint16_t handle);
/* Whether s is a pairing in progress (the SMP timer runs). */
bool bh_smp_pairing_state(enum bh_smp_state s);
/* The configuration, read-only; statistics for the other smp*.c to count in. */
const struct bh_smp_cfg *bh_smp_cfg(void);
struct bh_smp_stats *bh_smp_stats_mut(void);
/* Build and send one SMP PDU (code + len parameter bytes, on-air order).
 * Restarts the SMP timer while a pairing runs. 0, -ENOBUFS, -ENOTCONN. */
int bh_smp_send(struct bh_smp_link *l, uint8_t op, const uint8_t *p, uint16_t len);
void bh_smp_set_state(struct bh_smp_link *l, enum bh_smp_state state);
/* IRQ 28 with the link's security now. */
void bh_smp_emit_enc(const struct bh_conn *c);
/* End the running procedure as failed: Pairing Failed (send), IDLE, IRQ 28. */
void bh_smp_fail(struct bh_smp_link *l, uint8_t reason, bool send);
/* Every key exchanged: record the bond, back to IDLE, IRQ 28. */
void bh_smp_complete(struct bh_smp_link *l);
/* Repeated attempts (Vol 3 Part H 2.3.6): pairing with c's peer must wait. */
bool bh_smp_attempt_blocked(const struct bh_conn *c);
/* Initiator and responder addresses: type octet then 6 octets MSB-first. */
void bh_smp_addrs(const struct bh_smp_link *l, uint8_t ia[7], uint8_t ra[7]);
/* 16 random octets; 0 or -EIO. */
int bh_smp_random(uint8_t *out, uint16_t len);

/* PDU handlers of smp_rx_table[] (smp.c) that live in other files: r is
 * after the code, its length checked; each returns 0 or the SMP reason to
 * fail the pairing with. smp_pairing.c: */
uint8_t bh_smp_rx_pairing_req(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_pairing_rsp(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_security_req(struct bh_smp_link *l, struct bh_rd *r);
/* smp_dist.c: */
uint8_t bh_smp_rx_encryption_info(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_central_ident(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_identity_info(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_identity_addr_info(struct bh_smp_link *l, struct bh_rd *r);
uint8_t bh_smp_rx_signing_info(struct bh_smp_link *l, struct bh_rd *r);

/* smp_pairing.c: Pairing Request as central, Vol 3 Part H 3.5.1. 0,
 * -EOPNOTSUPP (le_secure without SC), -ENOBUFS, -ENOTCONN. */
int bh_smp_send_pairing_req(struct bh_smp_link *l);
/* Ask the user (IRQ 31) for action with the number shown (display,
 * comparison) and record what bh_smp_passkey() must answer. */
void bh_smp_ask_user(struct bh_smp_link *l, uint8_t action, uint32_t number);
/* The link's resume work (smp.c initialises it): the displayed passkey is final. */
void bh_smp_on_resume(struct bh_work *w);

/* smp_dist.c: encrypted with the STK/LTK, start key distribution. 0 or an SMP reason. */
uint8_t bh_smp_dist_start(struct bh_smp_link *l);

/* smp_enc.c: the STK/LTK is in l->key: start encryption (central) or wait
 * for the LE Long Term Key Request (peripheral). Returns 0 or an SMP reason. */
uint8_t bh_smp_key_ready(struct bh_smp_link *l);
/* Central: encrypt with the LTK the bonded peer gave us (ENCRYPTING). 0 or
 * the error of LE Enable Encryption. */
int bh_smp_reencrypt(struct bh_smp_link *l, const struct bh_keys_bond *b);

/* smp_legacy.c: each returns 0 or the SMP reason to fail the pairing with. */
uint8_t bh_smp_legacy_begin(struct bh_smp_link *l);
uint8_t bh_smp_legacy_rx_confirm(struct bh_smp_link *l);
uint8_t bh_smp_legacy_rx_random(struct bh_smp_link *l);
uint8_t bh_smp_legacy_resume(struct bh_smp_link *l);

/* smp_sc.c: the same contract. pk: the 64 octets of Pairing Public Key. */
uint8_t bh_smp_sc_begin(struct bh_smp_link *l);
uint8_t bh_smp_sc_rx_public_key(struct bh_smp_link *l, const uint8_t pk[64]);
uint8_t bh_smp_sc_rx_confirm(struct bh_smp_link *l);
uint8_t bh_smp_sc_rx_random(struct bh_smp_link *l);
uint8_t bh_smp_sc_rx_dhkey_check(struct bh_smp_link *l, const uint8_t check[16]);
uint8_t bh_smp_sc_resume(struct bh_smp_link *l);
/* smp_sc.c, continuations of the asynchronous P-256 steps (smp_ecdh.c):
 * our key pair is ready (the link waited with BH_SMP_P256_WAIT_KEY), and
 * the DHKey is in l->lesc.dhkey (err 0), or the controller refused the
 * peer's key (-EINVAL), or failed otherwise (-EIO). Same contract. */
uint8_t bh_smp_sc_on_key(struct bh_smp_link *l);
uint8_t bh_smp_sc_on_dhkey(struct bh_smp_link *l, int err);

/* smp_ecdh.c: our P-256 key pair and the DHKey, from bh_crypto (default)
 * or, with BH_CONFIG_SMP_P256_CONTROLLER, from the controller (LE Read
 * Local P-256 Public Key, LE Generate DHKey: Vol 4 Part E 7.8.36/37). */
#define BH_SMP_P256_WAIT_KEY 0x01    /* our public key is needed and on its way */
#define BH_SMP_P256_DH_QUEUED 0x02   /* LE Generate DHKey waits for another link's */
#define BH_SMP_P256_DH_RUNNING 0x04  /* LE Generate DHKey sent for this link */
#define BH_SMP_P256_WAIT_STAGE2 0x08 /* both nonces known, the DHKey still due */
#define BH_SMP_P256_DH_PENDING (BH_SMP_P256_DH_QUEUED | BH_SMP_P256_DH_RUNNING)
/* Whether P-256 works here (backend and entropy, or the controller's two
 * commands): SC can be offered. With the controller, starts fetching our
 * public key so that it is ready when pairing needs it. */
bool bh_smp_sc_supported(void);
/* Forget everything (host init). */
void bh_smp_sc_reset(void);
/* A new key pair for the next pairing (after a failed SC pairing). */
void bh_smp_sc_renew(void);
/* Our public key (MSB-first): 0, -EINPROGRESS (the controller computes it:
 * the caller sets BH_SMP_P256_WAIT_KEY and gets bh_smp_sc_on_key), or
 * -EOPNOTSUPP / -EIO. */
int bh_smp_ecdh_key(const uint8_t **x, const uint8_t **y);
/* DHKey of our private key and the peer's key (l->lesc.peer_x, its Y in
 * l->lesc.dhkey) into l->lesc.dhkey: 0, -EINPROGRESS (controller: the link
 * gets bh_smp_sc_on_dhkey), -EINVAL (not a point on the curve), -EIO. */
int bh_smp_ecdh_dhkey(struct bh_smp_link *l);

/* smp.c, for the asynchronous steps: the link in slot i (NULL if unused),
 * and the end of a step: reason 0 goes on, else the pairing fails. */
struct bh_smp_link *bh_smp_link_at(unsigned i);
void bh_smp_async_done(struct bh_smp_link *l, uint8_t reason);

/* HCI events of the controller's P-256 (host_evt.c's LE table; smp_ecdh.c,
 * or smp_off.c): Vol 4 Part E 7.7.65.8 and 7.7.65.9. */
void smp_on_le_read_local_p256_public_key_complete(struct bh_rd *r);
void smp_on_le_generate_dhkey_complete(struct bh_rd *r);

#endif /* BH_HOST_SMP_H */
