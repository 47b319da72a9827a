# LE Secure Connections, Passkey Entry, without bonding: the peripheral
# displays (io DISPLAY_ONLY), the central types (io KEYBOARD_ONLY), both ask
# for MITM protection. The displaying side gets IRQ 31 (DISPLAY, the 6-digit
# passkey to show) and "shows" it to the other instance with a broadcast;
# the typing side gets IRQ 31 (INPUT, 0) and answers with
# gap_passkey(conn, 2, n). The characteristic is READ | READ_AUTHENTICATED:
# refused on the plain link (insufficient authentication, 0x05) and after a
# failed pairing, served after a good one. Round 1 types a wrong passkey:
# IRQ 28 = 0 0 0 0 on both sides. Round 2 (after the 2 s repeated-attempts
# wait) types the right one: 1 1 0 16, and nothing is stored (no bonding).
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import sys, time, machine, bluetooth

try:
    # Errors only: which side notices the wrong passkey (and logs a warning)
    # depends on the random passkey.
    import os

    os.environ["BLEHOST_LOG"] = "1"
except (ImportError, AttributeError):
    pass

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
SVC_UUID = bluetooth.UUID("0a7e5d00-7d1b-4f3e-9c2a-51b6e8d04f21")
CHAR_UUID = bluetooth.UUID("0a7e5d01-7d1b-4f3e-9c2a-51b6e8d04f21")
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


def setup(io):
    ble.config(bond=False, mitm=True, le_secure=True, io=io)
    ble.active(1)
    del stored[:]  # our IRK (type 10) may be stored at activation


def display_round(what):
    conn, action, passkey = next_event(_IRQ_PASSKEY_ACTION)
    print(what, "passkey action", action, "6 digits:", 0 <= passkey <= 999999)
    multitest.broadcast("passkey {:06d}".format(passkey))
    print_encryption(what)


# Server.
def instance0():
    setup(_IO_DISPLAY_ONLY)
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_write(char, b"for-mitm-only")
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        next_event(_IRQ_CENTRAL_CONNECT)
        display_round("wrong:")
        display_round("right:")
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


def read_passkey():
    # What the other instance shows: multitest relays its broadcast to our
    # stdin as a "BROADCAST passkey NNNNNN" line (multitest.wait() only
    # matches whole lines, and the number is not known in advance).
    while True:
        line = sys.stdin.readline()
        if not line:
            raise RuntimeError("no passkey shown")
        if line.startswith("BROADCAST passkey "):
            return int(line.split()[2])


def input_round(what, conn, wrong):
    ble.gap_pair(conn)
    conn, action, shown = next_event(_IRQ_PASSKEY_ACTION)
    print(what, "passkey action", action, shown)
    passkey = read_passkey()
    if wrong:
        passkey = (passkey + 1) % 1000000
    ble.gap_passkey(conn, _PASSKEY_INPUT, passkey)
    print_encryption(what)


# Client.
def instance1():
    setup(_IO_KEYBOARD_ONLY)
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        char = find_char(conn)
        read("plain:", conn, char)
        input_round("wrong:", conn, True)
        read("after the failure:", conn, char)
        time.sleep_ms(2500)  # the peer refuses new attempts for 2 s
        input_round("right:", conn, False)
        read("authenticated:", conn, char)
        print("secret types stored:", new_secret_types())
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("other passkey actions:", count(_IRQ_PASSKEY_ACTION))
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.irq(on_irq)
