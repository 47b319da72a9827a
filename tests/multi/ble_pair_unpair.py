# gap_unpair. Round 1: the central pairs with bonding (LE SC, Just Works);
# both store a bond (secret types 1 and 2). gap_unpair of a peer we have no
# bond with fails with ENOENT and changes nothing; gap_unpair(addr_type,
# addr) of the peer deletes its bond from our secret store. Round 2: the
# central (no bond now) reconnects and pairs again: the peripheral, which
# still had a bond, replaces it (the old entries deleted, new ones stored).
# Round 3: gap_unpair() with no arguments on both sides removes everything;
# the next gap_pair pairs from scratch again.
#
# instance0 is the peripheral, instance1 the central.
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 5000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IRQ_PASSKEY_ACTION = const(31)

_FLAG_READ_ENCRYPTED = const(0x0200)

SVC_UUID = bluetooth.UUID("0a7e5f00-7d1b-4f3e-9c2a-51b6e8d04f21")
CHAR_UUID = bluetooth.UUID("0a7e5f01-7d1b-4f3e-9c2a-51b6e8d04f21")
SERVICE = (SVC_UUID, ((CHAR_UUID, bluetooth.FLAG_READ | _FLAG_READ_ENCRYPTED),))


def snapshot(data):
    # Event data only lives as long as the callback: keep copies.
    kept = []
    for item in data:
        if isinstance(item, memoryview):
            item = bytes(item)
        elif isinstance(item, bluetooth.UUID):
            item = bluetooth.UUID(item)
        kept.append(item)
    return tuple(kept)


# An in-memory secret store (API.md 2.6) and the types written to it.
secrets = {}
stored = []
pending = []


def secret_get(sec_type, index, key):
    if key is not None:
        return secrets.get((sec_type, bytes(key)))
    found = [v for (t, k), v in secrets.items() if t == sec_type]
    return found[index] if index < len(found) else None


deleted = []


def secret_set(sec_type, key, value):
    k = (sec_type, bytes(key))
    if value is None:
        found = secrets.pop(k, None) is not None
        if found:
            deleted.append(sec_type)
        return found
    secrets[k] = bytes(value)
    stored.append(sec_type)
    return True


def on_irq(event, data):
    if event == _IRQ_GET_SECRET:
        return secret_get(*data)
    if event == _IRQ_SET_SECRET:
        return secret_set(*data)
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


def count(event):
    return len([e for e, d in pending if e == event])


def print_encryption(what):
    conn, enc, auth, bonded, key_size = next_event(_IRQ_ENCRYPTION_UPDATE)
    print(what, "encryption update", enc, auth, bonded, key_size)


def new_secret_types():
    types = sorted(set(stored))
    del stored[:]
    return types


def setup():
    if not hasattr(ble, "gap_unpair"):
        multitest.skip()
    ble.config(bond=True, le_secure=True)
    ble.active(1)
    del stored[:]  # our IRK (type 10) may be stored at activation


def changes():
    out = "stored {} deleted {}".format(sorted(set(stored)), sorted(set(deleted)))
    del stored[:]
    del deleted[:]
    return out


def bonds():
    return sorted(t for t, k in secrets if t in (1, 2, 3))


def unpair(*args):
    try:
        ble.gap_unpair(*args)
        return "ok"
    except OSError as e:
        return "OSError {}".format(e.errno)


# Peripheral.
def instance0():
    setup()
    ((char,),) = ble.gatts_register_services((SERVICE,))
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        for rnd in (1, 2, 3):
            next_event(_IRQ_CENTRAL_CONNECT)
            print_encryption("round {}:".format(rnd))
            print("round {}: {}".format(rnd, changes()))
            multitest.broadcast("paired {}".format(rnd))
            next_event(_IRQ_CENTRAL_DISCONNECT)
            if rnd == 2:
                print("unpair all:", unpair(), changes(), "left", bonds())
                print("unpair all again:", unpair(), changes())
            if rnd < 3:
                ble.gap_advertise(20_000)
                multitest.broadcast("advertising {}".format(rnd + 1))
        print("passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


def pair_round(rnd):
    if rnd > 1:
        multitest.wait("advertising {}".format(rnd))
    ble.gap_connect(BDADDR[0], BDADDR[1])
    conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
    ble.gap_pair(conn)
    print_encryption("round {}:".format(rnd))
    print("round {}: {}".format(rnd, changes()))
    multitest.wait("paired {}".format(rnd))  # the peer has our keys too
    ble.gap_disconnect(conn)
    next_event(_IRQ_PERIPHERAL_DISCONNECT)


# Central.
def instance1():
    setup()
    multitest.next()
    try:
        pair_round(1)
        stranger = bytes((0xC0, 0x12, 0x34, 0x56, 0x78, 0x9A))
        print("unpair a stranger:", unpair(1, stranger), changes(), "left", bonds())
        print("unpair the peer:", unpair(BDADDR[0], BDADDR[1]), changes(), "left", bonds())
        print("unpair it again:", unpair(BDADDR[0], BDADDR[1]))
        pair_round(2)
        print("unpair all:", unpair(), changes(), "left", bonds())
        pair_round(3)
        print("passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.irq(on_irq)
