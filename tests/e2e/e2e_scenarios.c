/* SPDX-License-Identifier: MIT */
/*
 * e2e_scenarios.c: the scenarios, one CTest test each (tests/e2e/CMakeLists.txt
 * lists the same names). Roles run in their own processes, in this order.
 * The Secure Connections scenarios run a second time in e2e_host_p256, whose
 * hosts take P-256 from the controller (see tests/e2e/CMakeLists.txt).
 */
#include "e2e_roles.h"

#define FAST 20000u
#define REAL 60000u

const struct e2e_scenario e2e_scenarios[] = {
    /* param 0: the central disconnects; 1: the peripheral */
    {"connect_disconnect_central",
     false,
     FAST,
     0,
     {{"central", gap_conn_central}, {"peripheral", gap_conn_peripheral}}},
    {"connect_disconnect_peripheral",
     false,
     FAST,
     1,
     {{"central", gap_conn_central}, {"peripheral", gap_conn_peripheral}}},

    /* GATT: the client is the central, the server the peripheral, except
     * where param says otherwise */
    {"gatt_discover", false, FAST, 0, {{"client", gatt_discover_client}, {"server", gatt_server}}},
    {"gatt_read_write", false, FAST, 0, {{"client", gatt_rw_client}, {"server", gatt_server}}},
    {"gatt_notify_indicate",
     false,
     FAST,
     0,
     {{"client", gatt_notify_client}, {"server", gatt_server}}},
    {"gatt_subscribe",
     false,
     FAST,
     0,
     {{"client", gatt_subscribe_client}, {"server", gatt_server}}},
    /* param 0: the client (central) starts the exchange; 1: the server */
    {"mtu_from_central", false, FAST, 0, {{"client", gatt_mtu_client}, {"server", gatt_server}}},
    {"mtu_from_peripheral", false, FAST, 1, {{"client", gatt_mtu_client}, {"server", gatt_server}}},
    {"long_read", false, FAST, 0, {{"client", gatt_long_read_client}, {"server", gatt_server}}},
    {"long_write", false, FAST, 0, {{"client", gatt_long_write_client}, {"server", gatt_server}}},
    {"name_change", false, FAST, 0, {{"client", gatt_name_client}, {"server", gatt_server}}},

    {"four_connections",
     false,
     FAST,
     0,
     {{"central", gap_four_central},
      {"p1", gap_four_peripheral},
      {"p2", gap_four_peripheral},
      {"p3", gap_four_peripheral},
      {"p4", gap_four_peripheral}}},

    {"reinit_connected",
     false,
     FAST,
     0,
     {{"central", gap_reinit_central}, {"peripheral", gap_reinit_peripheral}}},
    {"scan", false, FAST, 0, {{"central", gap_scan_central}, {"peripheral", gap_scan_peripheral}}},
    {"gatt_queue", false, FAST, 0, {{"client", gatt_queue_client}, {"server", gatt_server}}},
    {"notify_stream", false, FAST, 0, {{"client", gatt_stream_client}, {"server", gatt_server}}},
    {"service_changed",
     false,
     FAST,
     0,
     {{"client", gatt_svc_changed_client}, {"server", gatt_server}}},

    /* real time: connection events at their intervals */
    {"conn_update_central",
     true,
     REAL,
     0,
     {{"central", gap_update_central}, {"peripheral", gap_update_peripheral}}},
    {"conn_update_peripheral",
     true,
     REAL,
     1,
     {{"central", gap_update_central}, {"peripheral", gap_update_peripheral}}},
    /* param 0: the peripheral's process is killed; 1: the central's */
    {"supervision_peripheral_killed",
     true,
     REAL,
     0,
     {{"central", gap_sup_central}, {"peripheral", gap_sup_peripheral}}},
    {"supervision_central_killed",
     true,
     REAL,
     1,
     {{"central", gap_sup_central}, {"peripheral", gap_sup_peripheral}}},

    /* SMP, Just Works. param 0: the central pairs; 1: the peripheral asks;
     * 2: bond, reconnect, re-encrypt without pairing */
    {"pair_central", false, FAST, 0, {{"central", smp_central}, {"peripheral", smp_peripheral}}},
    {"pair_peripheral", false, FAST, 1, {{"central", smp_central}, {"peripheral", smp_peripheral}}},
    {"bonded_reconnect",
     false,
     FAST,
     2,
     {{"central", smp_central}, {"peripheral", smp_peripheral}}},
    /* bond, subscribe, restart both hosts, reconnect: subscription kept; unpair */
    {"bond_subscriptions",
     false,
     FAST,
     0,
     {{"central", smp_persist_central}, {"peripheral", smp_persist_peripheral}}},
    /* the pairing matrix (Table 2.8). param 0: legacy; 1: LE Secure
     * Connections; failures: wrong passkeys, a rejected comparison */
    {"pair_matrix_legacy",
     false,
     60000u,
     0,
     {{"central", smp_matrix_central}, {"peripheral", smp_matrix_peripheral}}},
    {"pair_matrix_sc",
     false,
     60000u,
     1,
     {{"central", smp_matrix_central}, {"peripheral", smp_matrix_peripheral}}},
    {"pair_failures",
     false,
     FAST,
     2,
     {{"central", smp_fail_central}, {"peripheral", smp_fail_peripheral}}},
    /* a Pairing Public Key off the curve, from each side, then pairing works */
    {"pair_bad_public_key",
     false,
     FAST,
     0,
     {{"central", smp_badkey_central}, {"peripheral", smp_badkey_peripheral}}},
    /* L2CAP credit-based channels (e2e_coc.c). disconnect: param 0, the
     * central closes the channel; 1: the peripheral */
    {"l2cap_coc_sizes",
     false,
     60000u,
     0,
     {{"central", coc_sizes_central}, {"peripheral", coc_sizes_peripheral}}},
    {"l2cap_coc_multi",
     false,
     FAST,
     0,
     {{"central", coc_multi_central}, {"p1", coc_multi_peripheral}, {"p2", coc_multi_peripheral}}},
    {"l2cap_coc_disconnect_central",
     false,
     FAST,
     0,
     {{"central", coc_disc_central}, {"peripheral", coc_disc_peripheral}}},
    {"l2cap_coc_disconnect_peripheral",
     false,
     FAST,
     1,
     {{"central", coc_disc_central}, {"peripheral", coc_disc_peripheral}}},
    {"l2cap_coc_relisten",
     false,
     FAST,
     0,
     {{"central", coc_relisten_central}, {"peripheral", coc_relisten_peripheral}}},
    {"l2cap_coc_reject",
     false,
     FAST,
     0,
     {{"central", coc_reject_central}, {"peripheral", coc_reject_peripheral}}},
    {"l2cap_coc_flow",
     false,
     FAST,
     0,
     {{"central", coc_flow_central}, {"peripheral", coc_flow_peripheral}}},

};

const size_t e2e_scenario_count = sizeof(e2e_scenarios) / sizeof(e2e_scenarios[0]);
