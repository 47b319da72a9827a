/* SPDX-License-Identifier: MIT */
/*
 * sim.h: blesim's internal declarations, shared by its files. blesim is one
 * process emulating N LE controllers (one per attached H4 client) on one
 * simulated radio. See README.md beside this file for the model.
 *
 * Files and what they own:
 *   main.c          CLI, listeners (unix, tcp, pty), signals (blesim executable only)
 *   sim_opts.c      option defaults and the log functions
 *   sim_loop.c      poll loop over client fds + timer queue in virtual microseconds
 *   sim_fault.c     seeded PRNG, PDU loss, forced disconnect decisions
 *   sim_snoop.c     one btsnoop file per controller
 *   ctrl.c          per-controller state, H4 in/out, event masks, command dispatch
 *   ctrl_cmd_info.c informational, baseband and status commands
 *   ctrl_cmd_adv.c  advertising, scanning, initiating, filter accept list commands
 *   ctrl_cmd_conn.c connection commands (disconnect, update, remote info, DLE, PHY)
 *   ctrl_cmd_enc.c  encryption start, LTK replies, LE Encrypt/Rand, P-256
 *   radio_adv.c     advertising events, scan reports, connection establishment
 *   radio_conn.c    links: connection events, airtime, ACL, supervision timeout
 *   radio_llcp.c    LL control procedures carried in the connection events
 */
#ifndef BLESIM_SIM_H
#define BLESIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hci/h4.h"
#include "os/bh_rdwr.h"

#define SIM_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define SIM_MAX_CONN 8       /* connections per controller */
#define SIM_FAL_SIZE 8       /* filter accept list entries */
#define SIM_DUP_MAX 64       /* duplicate filter entries per scanner */
#define SIM_CTL_QUEUE 8      /* LL control PDUs queued per direction */
#define SIM_CMD_QUEUE 64     /* commands queued under --cmd-delay-ms */
#define SIM_OUT_MAX (4u << 20) /* output bytes a client may leave unread */
#define SIM_RSSI (-50)
#define SIM_TX_POWER 0

/* ---- options and log (sim_opts.c; main.c parses the command line) ------- */
struct sim_opts {
    bool fast;
    bool verbose;
    uint64_t seed;
    double loss;
    uint32_t disc_after_ms;
    uint32_t disc_after_pdus;
    uint8_t disc_reason;
    uint32_t cmd_delay_ms;
    const char *btsnoop_dir;
    uint8_t addr_base[6]; /* LSB first, as on the wire */
    uint16_t acl_len;
    uint8_t acl_num;
    bool quiet; /* no stdout lines, no stderr diagnostics (fuzzing) */
};
extern struct sim_opts sim_opts;

void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- loop and timers (sim_loop.c) ------------------------------------------ */
struct sim_timer {
    uint64_t at_us;
    void (*fn)(struct sim_timer *t);
    struct sim_timer *next;
    bool armed;
};

struct sim_fd {
    int fd;
    short events;
    void (*on_ready)(struct sim_fd *f, short revents);
    struct sim_fd *next;
};

uint64_t sim_now(void);
void sim_timer_start(struct sim_timer *t, uint64_t at_us);
void sim_timer_stop(struct sim_timer *t);
void sim_fd_add(struct sim_fd *f);
void sim_fd_remove(struct sim_fd *f);
void sim_loop_init(void);
/* Runs until sim_loop_stop() or a termination signal; returns 0. */
int sim_loop_run(void);
void sim_loop_stop(void);
/* Manual clock instead of sim_loop_init/run (fuzzing, in-process tests):
 * time starts at 0 and moves only by sim_loop_advance(us), which fires every
 * timer due on the way at its own instant. Forgets all timers and fds. */
void sim_loop_manual(void);
void sim_loop_advance(uint64_t us);
/* No timer armed (every controller and link is gone or quiet). */
bool sim_loop_idle(void);

/* ---- faults and PRNG (sim_fault.c) ----------------------------------------- */
/* Also makes the generator bh_crypto's entropy source (P-256 keys). */
void sim_rand_seed(uint64_t seed);
uint32_t sim_rand_u32(void);
void sim_rand_bytes(uint8_t *out, size_t n);
/* True with probability --loss. */
bool sim_fault_pdu_lost(void);

/* ---- btsnoop (sim_snoop.c) --------------------------------------------------- */
FILE *sim_snoop_open(int idx);
void sim_snoop_write(FILE *f, uint8_t type, const uint8_t *pkt, uint16_t len, bool received);

/* ---- controllers (ctrl.c) ---------------------------------------------------- */
struct sim_link;

struct ctrl_acl_pkt {
    struct ctrl_acl_pkt *next;
    uint16_t len;
    uint16_t off;  /* bytes already carried by acked LL PDUs */
    bool start;    /* first fragment of an L2CAP PDU */
    uint8_t data[];
};

struct ctrl_cmd {
    uint64_t due_us;
    uint16_t len;
    uint8_t pkt[3 + 255];
};

struct ctrl_adv {
    bool enabled;
    uint16_t itvl_min_625us;
    uint16_t itvl_max_625us;
    uint8_t type;
    uint8_t own_type;
    uint8_t peer_type;
    uint8_t peer[6];
    uint8_t chmap;
    uint8_t filter;
    uint8_t data[31];
    uint8_t data_len;
    uint8_t sr[31];
    uint8_t sr_len;
    uint64_t start_us;
    struct sim_timer timer;
};

struct ctrl_dup {
    uint8_t type;
    uint8_t addr[6];
    uint8_t evt;
};

struct ctrl_scan {
    bool enabled;
    uint8_t type; /* 0 passive, 1 active */
    uint16_t itvl_625us;
    uint16_t window_625us;
    uint8_t own_type;
    uint8_t filter;
    bool filter_dup;
    uint64_t start_us;
    struct ctrl_dup dup[SIM_DUP_MAX];
    uint8_t dup_n;
    uint8_t dup_next;
};

struct ctrl_init {
    bool pending;
    uint16_t scan_itvl_625us;
    uint16_t scan_window_625us;
    uint8_t filter;
    uint8_t peer_type;
    uint8_t peer[6];
    uint8_t own_type;
    uint16_t itvl_min_1250us;
    uint16_t itvl_max_1250us;
    uint16_t latency;
    uint16_t timeout_10ms;
    uint64_t start_us;
};

struct ctrl_fal {
    uint8_t type;
    uint8_t addr[6];
};

struct ctrl {
    int idx;
    int fd;
    bool is_pty;
    bool dead;
    struct ctrl *next;
    struct sim_fd fdw;
    struct bh_h4 h4;
    uint8_t *rxbuf;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    FILE *snoop;

    uint8_t pub_addr[6];
    uint8_t rand_addr[6];
    uint8_t local_name[248]; /* Write/Read Local Name, NUL-padded UTF-8 */
    bool rand_set;
    uint64_t evt_mask;
    uint64_t evt_mask2;
    uint64_t le_evt_mask;
    uint16_t cur_op; /* opcode of the command being handled */

    unsigned acl_used; /* host packets held (controller buffers in use) */
    unsigned acl_overflows; /* host packets dropped for lack of buffers */

    struct ctrl_adv adv;
    struct ctrl_scan scan;
    struct ctrl_init init;
    struct ctrl_fal fal[SIM_FAL_SIZE];
    uint8_t fal_n;

    uint16_t sugg_tx_octets;
    uint16_t sugg_tx_time;
    uint8_t def_all_phys;
    uint8_t def_tx_phys;
    uint8_t def_rx_phys;

    /* Controller to host ACL flow control (Vol 4 Part E 7.3.38..7.3.40) */
    bool c2h_fc;            /* Set Controller To Host Flow Control: ACL on */
    uint16_t host_acl_len;  /* Host Buffer Size: data octets per packet (0: not given) */
    uint16_t host_acl_num;  /* Host Buffer Size: packets the host can hold */
    uint16_t host_acl_used; /* packets sent to the host and not yet completed */

    struct sim_link *links[SIM_MAX_CONN]; /* slot i has handle i + 1 */

    struct ctrl_cmd cmdq[SIM_CMD_QUEUE];
    unsigned cmdq_head;
    unsigned cmdq_n;
    struct sim_timer cmd_timer;

    uint8_t p256_priv[32];
    bool p256_have;
};

/* Attach a new controller on an open fd (takes ownership of fd). fd -1: a
 * virtual client, fed by ctrl_feed(), whose output is dropped. */
struct ctrl *ctrl_attach(int fd, bool is_pty);
/* Bytes from the controller's host (H4 stream). */
void ctrl_feed(struct ctrl *c, const uint8_t *buf, size_t n);
/* Free controllers marked dead (called from the loop only). */
void ctrl_reap(void);
/* Detach and free all (exit). */
void ctrl_shutdown(void);
struct ctrl *ctrl_first(void);
void ctrl_reset_state(struct ctrl *c);

/* Output to the host (H4 framed, captured in btsnoop). */
void ctrl_send(struct ctrl *c, uint8_t type, const uint8_t *pkt, uint16_t len);
/* Whole event; dropped when masked. code 0x3E: use ctrl_le_evt. */
void ctrl_evt(struct ctrl *c, uint8_t code, const uint8_t *params, uint8_t len);
void ctrl_le_evt(struct ctrl *c, uint8_t subevt, const uint8_t *params, uint8_t len);
bool ctrl_le_evt_enabled(const struct ctrl *c, uint8_t subevt);
bool ctrl_evt_enabled(const struct ctrl *c, uint8_t code);
void ctrl_cmd_complete(struct ctrl *c, const uint8_t *ret, uint8_t len);
void ctrl_cc_status(struct ctrl *c, uint8_t status);
void ctrl_cmd_status(struct ctrl *c, uint8_t status);
/* CC with status + 16-bit handle (many LE commands). */
void ctrl_cc_status_handle(struct ctrl *c, uint8_t status, uint16_t handle);
void ctrl_acl_to_host(struct ctrl *c, uint16_t handle, bool start, const uint8_t *data,
                      uint16_t len);
/* False when controller to host flow control is on and the host lacks the
 * buffers len octets need: the LL does not acknowledge the PDU (flow off). */
bool ctrl_acl_to_host_fits(const struct ctrl *c, uint16_t len);
void ctrl_evt_disconn_complete(struct ctrl *c, uint16_t handle, uint8_t reason);
void ctrl_evt_num_completed(struct ctrl *c, uint16_t handle, uint16_t count);

/* The address peers see for an own-address type (0/2 public, 1/3 random). */
void ctrl_own_addr(const struct ctrl *c, uint8_t own_type, uint8_t *type, uint8_t addr[6]);
bool ctrl_fal_has(const struct ctrl *c, uint8_t type, const uint8_t addr[6]);
struct sim_link *ctrl_link(const struct ctrl *c, uint16_t handle);
/* Side index (0 central, 1 peripheral) this controller has in link. */
int ctrl_link_side(const struct ctrl *c, const struct sim_link *l);

/* ---- command tables (ctrl_cmd_*.c) ------------------------------------------- */
#define CTRL_CMD_EXACT 0x00 /* parameter length must equal len */
#define CTRL_CMD_MIN 0x01   /* parameter length must be at least len */
#define CTRL_CMD_CS 0x02    /* answered with Command Status (errors too) */
#define CTRL_CMD_SILENT 0x04 /* no response at all (Host Number Of Completed Packets) */

struct ctrl_cmd_def {
    uint16_t op;
    uint8_t len;
    uint8_t flags;
    uint8_t sc_octet; /* Supported Commands bit, Vol 4 Part E 6.27 (0xFF: none) */
    uint8_t sc_bit;
    void (*handler)(struct ctrl *c, struct bh_rd *r);
};

extern const struct ctrl_cmd_def ctrl_cmds_info[];
extern const size_t ctrl_cmds_info_n;
extern const struct ctrl_cmd_def ctrl_cmds_adv[];
extern const size_t ctrl_cmds_adv_n;
extern const struct ctrl_cmd_def ctrl_cmds_conn[];
extern const size_t ctrl_cmds_conn_n;
extern const struct ctrl_cmd_def ctrl_cmds_enc[];
extern const size_t ctrl_cmds_enc_n;

/* Supported Commands bitmap built from the tables. */
void ctrl_supported_commands(uint8_t out[64]);
/* LE features we implement (Vol 6 Part B 4.6). */
uint64_t ctrl_le_features(void);

/* ---- radio: advertising (radio_adv.c) ---------------------------------------- */
void radio_adv_start(struct ctrl *c);
void radio_adv_stop(struct ctrl *c);
/* Fast mode, or a scan window that is open at time now. */
bool radio_window_open(uint64_t start_us, uint16_t itvl_625us, uint16_t window_625us,
                       uint64_t now);

/* ---- radio: links (radio_conn.c, radio_llcp.c) ------------------------------- */
#define LL_CONNECTION_UPDATE_IND 0x00
#define LL_TERMINATE_IND 0x02
#define LL_ENC_REQ 0x03
#define LL_ENC_RSP 0x04
#define LL_START_ENC_REQ 0x05
#define LL_START_ENC_RSP 0x06
#define LL_FEATURE_REQ 0x08
#define LL_FEATURE_RSP 0x09
#define LL_PAUSE_ENC_REQ 0x0A
#define LL_PAUSE_ENC_RSP 0x0B
#define LL_VERSION_IND 0x0C
#define LL_REJECT_IND 0x0D
#define LL_PERIPHERAL_FEATURE_REQ 0x0E
#define LL_CONNECTION_PARAM_REQ 0x0F
#define LL_REJECT_EXT_IND 0x11
#define LL_LENGTH_REQ 0x14
#define LL_LENGTH_RSP 0x15
#define LL_PHY_REQ 0x16
#define LL_PHY_RSP 0x17
#define LL_PHY_UPDATE_IND 0x18

/* An LL control PDU in flight; fields are used per opcode. */
struct ll_ctl {
    uint8_t op;
    uint8_t len;     /* LL payload length (opcode + CtrData), for airtime */
    uint8_t reason;
    uint8_t rej_op;
    uint8_t tx_phys;
    uint8_t rx_phys;
    uint16_t itvl_min;
    uint16_t itvl_max;
    uint16_t latency;
    uint16_t timeout;
    uint16_t octets_rx;
    uint16_t octets_tx;
};

#define PHY_1M 0x01
#define PHY_2M 0x02

struct link_side {
    struct ctrl *ctrl; /* NULL once its controller detached */
    uint16_t handle;
    struct ctrl_acl_pkt *head;
    struct ctrl_acl_pkt *tail;
    struct ll_ctl ctl[SIM_CTL_QUEUE];
    uint8_t ctl_head;
    uint8_t ctl_n;
    uint16_t nocp;       /* host packets completed, not yet reported */
    uint64_t last_rx_us; /* last PDU received from the peer */
    uint16_t max_tx_octets; /* what this side wants to send (LL_LENGTH_REQ) */
    uint8_t phy_tx_pref;
    uint8_t phy_rx_pref;
    bool phy_host_req;   /* its host asked for LE Set PHY */
    bool ver_sent;
    bool ver_rcvd;
    bool ver_req;        /* host waits for Read Remote Version Complete */
    bool feat_req;       /* host waits for LE Read Remote Features Complete */
    bool len_req;        /* LL_LENGTH_REQ queued or waiting for its RSP */
};

enum link_enc_state {
    LINK_ENC_IDLE = 0,
    LINK_ENC_REQ_SENT,    /* central sent LL_ENC_REQ */
    LINK_ENC_WAIT_LTK,    /* peripheral host has the LTK Request */
    LINK_ENC_STARTING,    /* START_ENC exchange in flight */
};

struct sim_link {
    struct link_side s[2]; /* 0 central, 1 peripheral */
    uint16_t itvl_1250us;
    uint16_t latency;
    uint16_t timeout_10ms;
    uint16_t counter;
    uint64_t anchor_us;
    uint64_t created_us;
    uint32_t data_pdus;
    struct sim_timer timer;
    uint16_t eff_octets[2]; /* per direction: 0 central->peripheral */
    uint8_t phy[2];         /* per direction */
    bool encrypted;
    bool closed;
    int8_t term_side; /* side whose LL_TERMINATE_IND is in flight, or -1 */
    uint8_t term_reason;
    struct sim_link *grave_next;

    /* connection update: 0 none, 1 queued (IND not delivered), 2 at instant */
    uint8_t upd_state;
    uint16_t upd_instant;
    uint16_t upd_itvl, upd_latency, upd_timeout;
    bool upd_notify_periph;
    bool cpr_pending; /* central host has a Remote Connection Parameter Request */
    bool cpr_local;   /* peripheral host asked (LE Connection Update as peripheral) */

    uint8_t phy_state; /* 0 none, 1 requested, 2 at instant */
    uint16_t phy_instant;
    uint8_t phy_new[2];
    int phy_initiator;

    enum link_enc_state enc_state;
    bool enc_refresh;
    uint8_t enc_ltk[16];
    uint8_t enc_rand[8];
    uint16_t enc_ediv;
    bool enc_ltk_ok;
};

/* Establish a link: central c (its pending create connection), peripheral p. */
void radio_conn_establish(struct ctrl *central, struct ctrl *periph, uint8_t c_type,
                          const uint8_t c_addr[6], uint8_t p_type, const uint8_t p_addr[6]);
/* The controller's host queued data or a procedure: in fast mode, run soon. */
void radio_conn_kick(struct sim_link *l);
/* Host ACL into the link (data copied); returns an HCI status. */
void radio_conn_acl_from_host(struct ctrl *c, uint16_t handle, uint8_t pb, const uint8_t *data,
                              uint16_t len);
/* Terminate now: both present hosts get Disconnection Complete. */
void radio_conn_close(struct sim_link *l, uint8_t reason_c, uint8_t reason_p);
/* Free links closed since the last call (loop top level only). */
void radio_conn_reap(void);
/* Controller c is going away: its side of every link goes silent. */
void radio_conn_detach(struct ctrl *c);
/* Airtime of one PDU of n payload bytes on phy, with MIC when mic. */
uint32_t radio_pdu_airtime_us(uint8_t phy, uint16_t n, bool mic);

/* LL control (radio_llcp.c) */
int radio_llcp_queue(struct sim_link *l, int from, const struct ll_ctl *ctl);
void radio_llcp_rx(struct sim_link *l, int to, const struct ll_ctl *ctl);
/* Procedures with an instant; called at the start of each event. */
void radio_llcp_instants(struct sim_link *l);
bool radio_llcp_busy(const struct sim_link *l);
void radio_llcp_data_length_start(struct sim_link *l, int side);
void radio_llcp_phy_start(struct sim_link *l, int side);
void radio_llcp_conn_update_start(struct sim_link *l, int side, uint16_t itvl_min,
                                  uint16_t itvl_max, uint16_t latency, uint16_t timeout);
void radio_llcp_version_start(struct sim_link *l, int side);
void radio_llcp_features_start(struct sim_link *l, int side);
void radio_llcp_enc_start(struct sim_link *l);
void radio_llcp_ltk_reply(struct sim_link *l, const uint8_t *ltk);
void radio_llcp_cpr_reply(struct sim_link *l, bool accept, uint16_t itvl_min, uint16_t itvl_max,
                          uint16_t latency, uint16_t timeout, uint8_t reason);
void radio_llcp_terminate(struct sim_link *l, int side, uint8_t reason);

/* Little helpers on our own arrays. */
static inline void sim_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void sim_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

#endif /* BLESIM_SIM_H */
