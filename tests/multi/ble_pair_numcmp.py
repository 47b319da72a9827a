# LE Secure Connections, Numeric Comparison, without bonding: both sides
# have io DISPLAY_YESNO and ask for MITM protection, so both get IRQ 31
# (NUMERIC_COMPARISON, the same 6-digit number) and answer with
# gap_passkey(conn, 4, accept). Round 1: the central accepts, the peripheral
# rejects (0): pairing fails, IRQ 28 = 0 0 0 0 on both sides, and the
# READ_AUTHENTICATED characteristic stays refused (0x05). Round 2: both
# accept: 1 1 0 16 and the read is served.
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

_FLAG_READ_AUTHENTICATED = const(0x0400)

_IO_DISPLAY_ONLY = const(0)
_IO_DISPLAY_YESNO = const(1)
_IO_KEYBOARD_ONLY = const(2)
_PASSKEY_INPUT = const(2)
_PASSKEY_DISPLAY = const(3)
_PASSKEY_NUMCMP = const(4)
PASSKEY = 123456

SVC_UUID = bluetooth.UUID("0a7e5e00-7d1b-4f3e-9c2a-51b6e8d04f21")
CHAR_UUID = bluetooth.UUID("0a7e5e01-7d1b-4f3e-9c2a-51b6e8d04f21")
SERVICE = (SVC_UUID, ((CHAR_UUID, bluetooth.FLAG_READ | _FLAG_READ_AUTHENTICATED),))


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
    ble.config(bond=False, mitm=True, le_secure=True, io=_IO_DISPLAY_YESNO)
    ble.active(1)
    del stored[:]  # our IRK (type 10) may be stored at activation


def compare_round(what, accept):
    # The peripheral's half: show the number, answer after the central did.
    conn, action, number = next_event(_IRQ_PASSKEY_ACTION)
    print(what, "passkey action", action)
    multitest.broadcast("number {:06d}".format(number))
    multitest.wait("central answered " + what)
    ble.gap_passkey(conn, _PASSKEY_NUMCMP, accept)
    print_encryption(what)


# Server.
def instance0():
    setup()
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_write(char, b"compared")
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        next_event(_IRQ_CENTRAL_CONNECT)
        compare_round("rejected:", 0)
        compare_round("accepted:", 1)
        print("secret types stored:", new_secret_types())
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("other passkey actions:", count(_IRQ_PASSKEY_ACTION))
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


def confirm_round(what, conn):
    # The central's half: the peer shows the same number; we accept.
    ble.gap_pair(conn)
    conn, action, number = next_event(_IRQ_PASSKEY_ACTION)
    print(what, "passkey action", action)
    multitest.wait("number {:06d}".format(number))
    print(what, "same number on both sides")
    ble.gap_passkey(conn, _PASSKEY_NUMCMP, 1)
    multitest.broadcast("central answered " + what)
    print_encryption(what)


# Client.
def instance1():
    setup()
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        char = find_char(conn)
        read("plain:", conn, char)
        confirm_round("rejected:", conn)
        read("after the rejection:", conn, char)
        confirm_round("accepted:", conn)
        read("authenticated:", conn, char)
        print("secret types stored:", new_secret_types())
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("other passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.irq(on_irq)
