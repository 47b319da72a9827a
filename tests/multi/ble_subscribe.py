# Subscriptions through the CCCD: gatts_write(..., send_update=True) sends a
# notification or an indication only as the client's CCCD asks (nothing
# before any CCCD write, 0x0001 notify, 0x0002 indicate, 0x0000 nothing, and
# nothing on a new connection, which starts unsubscribed). After each update
# the server notifies a marker explicitly (always sent), so the client can
# tell "nothing arrived" from "not arrived yet": links keep order. CCCD writes
# never raise GATTS_WRITE on the server. The stored value outlives the link.
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import struct, time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_DESCRIPTOR_RESULT = const(13)
_IRQ_GATTC_DESCRIPTOR_DONE = const(14)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_IRQ_GATTC_WRITE_DONE = const(17)
_IRQ_GATTC_NOTIFY = const(18)
_IRQ_GATTC_INDICATE = const(19)
_IRQ_GATTS_INDICATE_DONE = const(20)

SVC_UUID = bluetooth.UUID("5e0b2a00-93c1-4f7d-a2b8-0d6e4c1f3a95")
CHAR_UUID = bluetooth.UUID("5e0b2a01-93c1-4f7d-a2b8-0d6e4c1f3a95")
CCCD_UUID = bluetooth.UUID(0x2902)
SERVICE = (
    SVC_UUID,
    ((CHAR_UUID, bluetooth.FLAG_READ | bluetooth.FLAG_NOTIFY | bluetooth.FLAG_INDICATE),),
)

# CCCD written before each step (None: leave it as it is).
STEPS = (None, 0x0001, 0x0002, 0x0000)


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


pending = []


def on_irq(event, data):
    pending.append((event, snapshot(data)))


def next_of(events, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while True:
        for i in range(len(pending)):
            if pending[i][0] in events:
                return pending.pop(i)
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("none of {} arrived".format(events))
        machine.idle()


def next_event(event, timeout_ms=TIMEOUT_MS):
    return next_of((event,), timeout_ms)[1]


def update_step(conn, char, step):
    multitest.wait("step {}".format(step))
    ble.gatts_write(char, "update-{}".format(step), True)
    ble.gatts_notify(conn, char, "mark-{}".format(step))
    print("step", step, "stored", ble.gatts_read(char))


# Server.
def instance0():
    ((char,),) = ble.gatts_register_services((SERVICE,))
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        conn = next_event(_IRQ_CENTRAL_CONNECT)[0]
        for step in range(len(STEPS)):
            update_step(conn, char, step)
            if STEPS[step] == 0x0002:
                print("  indication done, status", next_event(_IRQ_GATTS_INDICATE_DONE)[2])
        next_event(_IRQ_CENTRAL_DISCONNECT)

        ble.gap_advertise(20_000)
        multitest.broadcast("advertising")
        conn = next_event(_IRQ_CENTRAL_CONNECT)[0]
        update_step(conn, char, len(STEPS))
        next_event(_IRQ_CENTRAL_DISCONNECT)
        writes = [e for e, d in pending if e == _IRQ_GATTS_WRITE]
        print("GATTS_WRITE events:", len(writes))
    finally:
        ble.active(0)


def find_handles(conn):
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
    conn, end, char, props, uuid = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)
    next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)
    ble.gattc_discover_descriptors(conn, char, end)
    cccd = None
    while True:
        event, data = next_of((_IRQ_GATTC_DESCRIPTOR_RESULT, _IRQ_GATTC_DESCRIPTOR_DONE))
        if event == _IRQ_GATTC_DESCRIPTOR_DONE:
            break
        if data[2] == CCCD_UUID:
            cccd = data[1]
    print("CCCD right after the value:", cccd == char + 1)
    return char, cccd


def receive_until_mark(step):
    # Print what arrives up to and including this step's marker.
    mark = "mark-{}".format(step).encode()
    while True:
        event, data = next_of((_IRQ_GATTC_NOTIFY, _IRQ_GATTC_INDICATE))
        kind = "notify" if event == _IRQ_GATTC_NOTIFY else "indicate"
        print("  got", kind, data[2])
        if data[2] == mark:
            return


def set_cccd(conn, cccd, value):
    ble.gattc_write(conn, cccd, struct.pack("<H", value), 1)
    status = next_event(_IRQ_GATTC_WRITE_DONE)[2]
    ble.gattc_read(conn, cccd)
    stored = next_event(_IRQ_GATTC_READ_RESULT)[2]
    next_event(_IRQ_GATTC_READ_DONE)
    print("CCCD written", hex(value), "status", status, "reads back", stored)


# Client.
def instance1():
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        char, cccd = find_handles(conn)
        for step in range(len(STEPS)):
            if STEPS[step] is not None:
                set_cccd(conn, cccd, STEPS[step])
            print("step", step)
            multitest.broadcast("step {}".format(step))
            receive_until_mark(step)
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)

        # A new connection starts with notifications and indications off.
        multitest.wait("advertising")
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        ble.gattc_read(conn, char)
        print("value kept across connections:", next_event(_IRQ_GATTC_READ_RESULT)[2])
        next_event(_IRQ_GATTC_READ_DONE)
        print("step", len(STEPS), "(reconnected)")
        multitest.broadcast("step {}".format(len(STEPS)))
        receive_until_mark(len(STEPS))
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
