# LE Secure Connections, Just Works, started by the central, with bonding.
# The server's characteristic is READ | READ_ENCRYPTED: a read on the plain
# link fails with 0x0F (insufficient encryption), gap_pair gives IRQ 28 as
# (encrypted, authenticated, bonded, key size) = 1 0 1 16 on both sides with
# no passkey action, the keys land in the application's secret store (types
# 1 and 2), and the read then works. Reconnected, the link is plain again;
# gap_pair re-encrypts with the stored keys: IRQ 28 again, no passkey action
# and nothing new written to the store.
#
# instance0 is the server (peripheral), instance1 the client (central).
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

SVC_UUID = bluetooth.UUID("0a7e5c00-7d1b-4f3e-9c2a-51b6e8d04f21")
CHAR_UUID = bluetooth.UUID("0a7e5c01-7d1b-4f3e-9c2a-51b6e8d04f21")
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


def secret_set(sec_type, key, value):
    k = (sec_type, bytes(key))
    if value is None:
        return secrets.pop(k, None) is not None
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
    ble.config(bond=True, le_secure=True)
    ble.active(1)
    del stored[:]  # our IRK (type 10) may be stored at activation


# Server.
def instance0():
    setup()
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_write(char, b"sealed")
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        next_event(_IRQ_CENTRAL_CONNECT)
        print_encryption("pairing:")
        print("secret types stored:", new_secret_types())
        next_event(_IRQ_CENTRAL_DISCONNECT)

        ble.gap_advertise(20_000)
        multitest.broadcast("advertising")
        next_event(_IRQ_CENTRAL_CONNECT)
        print_encryption("reconnect:")
        print("secret types stored:", new_secret_types())
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


def find_char(conn):
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
    char = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)[2]
    next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)
    return char


def read(what, conn, char):
    ble.gattc_read(conn, char)
    status = next_event(_IRQ_GATTC_READ_DONE)[2]
    value = next_event(_IRQ_GATTC_READ_RESULT)[2] if status == 0 else None
    print(what, "read status", hex(status), "value", value)


# Client.
def instance1():
    setup()
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        char = find_char(conn)
        read("plain:", conn, char)
        ble.gap_pair(conn)
        print_encryption("pairing:")
        print("secret types stored:", new_secret_types())
        read("encrypted:", conn, char)
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)

        multitest.wait("advertising")
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        read("reconnected, plain:", conn, char)
        ble.gap_pair(conn)
        print_encryption("reconnect:")
        print("secret types stored:", new_secret_types())
        read("re-encrypted:", conn, char)
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.irq(on_irq)
