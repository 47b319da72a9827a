# Pairing for every IO-capability combination (Core 5.4 Vol 3 Part H
# 2.3.5.1 Table 2.8), with LE Secure Connections and with LE legacy pairing
# (config(sc=False), blehost's own key), each combination once bonded and
# once not across the two kinds. Both sides ask for MITM protection, so the
# method follows the IO capabilities.
#
# Each round: the peripheral sets its io and advertises, the central
# connects, sets its io and pairs. The IRQ 31 handlers answer at once: the
# displaying side chooses the round's passkey itself with
# gap_passkey(conn, 3, n) from inside the handler, the typing side(s) type
# that same number, numeric comparison is accepted. The central disconnects
# as soon as its IRQ 28 arrives (its last key distribution PDUs may still be
# queued then; the peripheral must get them all). After a bonded round both
# sides unpair, so the next round pairs again.
#
# Every line says what each side saw and checks it against the spec's table
# (written out below, independently of the host's own table): IRQ 31
# actions, IRQ 28 (encrypted, authenticated, bonded, key size), and the
# secret types stored.
#
# instance0 is the peripheral (responder), instance1 the central (initiator).
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 5000
CONN_ITVL_US = 7500

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IRQ_PASSKEY_ACTION = const(31)

_PASSKEY_INPUT = const(2)
_PASSKEY_DISPLAY = const(3)
_PASSKEY_NUMCMP = const(4)

IO_NAMES = ("DisplayOnly", "DisplayYesNo", "KeyboardOnly", "NoInputNoOutput", "KeyboardDisplay")

# Table 2.8, row = initiator's IO, column = responder's IO. JW Just Works,
# II initiator inputs / responder displays, RI responder inputs / initiator
# displays, BI both input, NC numeric comparison (LE Secure Connections;
# the legacy cell is given after the slash where they differ).
JW, II, RI, BI, NC = "JW", "II", "RI", "BI", "NC"
TABLE_LEGACY = (
    (JW, JW, RI, JW, RI),
    (JW, JW, RI, JW, RI),
    (II, II, BI, JW, II),
    (JW, JW, JW, JW, JW),
    (II, II, RI, JW, RI),
)
TABLE_SC = (
    (JW, JW, RI, JW, RI),
    (JW, NC, RI, JW, NC),
    (II, II, BI, JW, II),
    (JW, JW, JW, JW, JW),
    (II, NC, RI, JW, NC),
)
# The IRQ 31 action(s) each side gets for a method: (initiator, responder).
ACTIONS = {
    JW: ((), ()),
    II: ((_PASSKEY_INPUT,), (_PASSKEY_DISPLAY,)),
    RI: ((_PASSKEY_DISPLAY,), (_PASSKEY_INPUT,)),
    BI: ((_PASSKEY_INPUT,), (_PASSKEY_INPUT,)),
    NC: ((_PASSKEY_NUMCMP,), (_PASSKEY_NUMCMP,)),
}
# Secret types (API.md 2.6 / bindings/python/README) written by a bonded pairing.
BOND_SECRET_TYPES = [1, 2]

ROUNDS = []
for sc in (1, 0):
    for cio in range(5):
        for pio in range(5):
            ROUNDS.append((sc, cio, pio, (sc + cio + pio) % 2))


def round_passkey(i):
    return (100000 + 7919 * i) % 1000000


def snapshot(data):
    kept = []
    for item in data:
        if isinstance(item, memoryview):
            item = bytes(item)
        kept.append(item)
    return tuple(kept)


secrets = {}
stored = []
pending = []
state = {"round": 0, "actions": [], "errors": []}


def secret_get(sec_type, index, key):
    if key is not None:
        return secrets.get((sec_type, bytes(key)))
    found = [v for (t, k), v in secrets.items() if t == sec_type]
    return found[index] if index < len(found) else None


def secret_set(sec_type, key, value):
    k = (sec_type, bytes(key))
    if value is None:
        return secrets.pop(k, None) is not None
    secrets[k] = bytes(value)
    stored.append(sec_type)
    return True


def on_passkey(conn, action):
    # Answered inside the handler. For DISPLAY this is the moment the
    # application may choose the passkey shown (the host waits for it).
    state["actions"].append(action)
    answer = 1 if action == _PASSKEY_NUMCMP else round_passkey(state["round"])
    try:
        ble.gap_passkey(conn, action, answer)
    except OSError as e:
        state["errors"].append(e.errno)


def on_irq(event, data):
    if event == _IRQ_GET_SECRET:
        return secret_get(*data)
    if event == _IRQ_SET_SECRET:
        return secret_set(*data)
    if event == _IRQ_PASSKEY_ACTION:
        on_passkey(data[0], data[1])
        return None
    pending.append((event, snapshot(data)))


def next_event(event, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while True:
        for i in range(len(pending)):
            if pending[i][0] == event:
                return pending.pop(i)[1]
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("event {} did not arrive".format(event))
        machine.idle()


def begin_round(i, io, bond):
    sc = ROUNDS[i][0]
    state["round"] = i
    state["actions"] = []
    state["errors"] = []
    del stored[:]
    ble.config(sc=bool(sc), io=io, bond=bool(bond))


def report(i, initiator, enc):
    sc, cio, pio, bond = ROUNDS[i]
    method = (TABLE_SC if sc else TABLE_LEGACY)[cio][pio]
    want_actions = list(ACTIONS[method][0 if initiator else 1])
    want_enc = (1, 0 if method == JW else 1, bond, 16)
    want_types = BOND_SECRET_TYPES if bond else []
    got_types = sorted(set(stored))
    ok = (
        state["actions"] == want_actions
        and tuple(enc[1:]) == want_enc
        and got_types == want_types
        and not state["errors"]
    )
    print(
        "{} {}/{} bond {}: {} actions {} enc {} stored {} {}".format(
            "SC" if sc else "legacy",
            IO_NAMES[cio],
            IO_NAMES[pio],
            bond,
            method,
            state["actions"],
            list(enc[1:]),
            got_types,
            "ok" if ok else "MISMATCH want {} {} {} errors {}".format(
                want_actions, list(want_enc), want_types, state["errors"]
            ),
        )
    )


def setup():
    ble.config(mitm=True, le_secure=False)
    ble.active(1)


# Peripheral (responder).
def instance0():
    setup()
    multitest.globals(BDADDR=ble.config("mac"))
    multitest.next()
    try:
        for i, (sc, cio, pio, bond) in enumerate(ROUNDS):
            begin_round(i, pio, bond)
            ble.gap_advertise(20_000, b"\x02\x01\x06")
            multitest.broadcast("advertising {}".format(i))
            next_event(_IRQ_CENTRAL_CONNECT)
            enc = next_event(_IRQ_ENCRYPTION_UPDATE)
            next_event(_IRQ_CENTRAL_DISCONNECT)
            report(i, False, enc)
            if bond:
                ble.gap_unpair()
        print("events left:", [e for e, d in pending])
    finally:
        ble.active(0)


# Central (initiator).
def instance1():
    setup()
    multitest.next()
    try:
        for i, (sc, cio, pio, bond) in enumerate(ROUNDS):
            begin_round(i, cio, bond)
            multitest.wait("advertising {}".format(i))
            ble.gap_connect(BDADDR[0], BDADDR[1], 2000, CONN_ITVL_US, CONN_ITVL_US)
            conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
            ble.gap_pair(conn)
            enc = next_event(_IRQ_ENCRYPTION_UPDATE)
            ble.gap_disconnect(conn)
            next_event(_IRQ_PERIPHERAL_DISCONNECT)
            report(i, True, enc)
            if bond:
                ble.gap_unpair()
        print("events left:", [e for e, d in pending])
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.irq(on_irq)
