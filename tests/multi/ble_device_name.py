# The GAP Device Name (0x2A00 in the GAP service) as a peer reads it: set
# before advertising, changed twice while the central stays connected (from
# a str and from a bytearray), and once more while disconnected. Every change
# must be visible to the very next read, without registering services again.
#
# instance0 is the peripheral whose name changes, instance1 reads it.
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_SERVICE_RESULT = const(9)
_IRQ_GATTC_SERVICE_DONE = const(10)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)

GAP_SERVICE = bluetooth.UUID(0x1800)
DEVICE_NAME = bluetooth.UUID(0x2A00)


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


def next_event(event, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while True:
        for i in range(len(pending)):
            if pending[i][0] == event:
                return pending.pop(i)[1]
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("event {} did not arrive".format(event))
        machine.idle()


def rename(name):
    ble.config(gap_name=name)
    print("renamed to", ble.config("gap_name"))


# Peripheral.
def instance0():
    rename("name-one")
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        next_event(_IRQ_CENTRAL_CONNECT)
        multitest.wait("read 1")
        rename("the second name")
        multitest.broadcast("renamed 2")
        multitest.wait("read 2")
        rename(bytearray(b"name #3"))
        multitest.broadcast("renamed 3")
        next_event(_IRQ_CENTRAL_DISCONNECT)
        rename(b"four")
        ble.gap_advertise(20_000)
        multitest.broadcast("renamed 4")
        next_event(_IRQ_CENTRAL_CONNECT)
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("peripheral done")
    finally:
        ble.active(0)


def find_name_handle(conn):
    # The Device Name characteristic, looked for inside the GAP service.
    ble.gattc_discover_services(conn, GAP_SERVICE)
    conn, start, end, uuid = next_event(_IRQ_GATTC_SERVICE_RESULT)
    next_event(_IRQ_GATTC_SERVICE_DONE)
    ble.gattc_discover_characteristics(conn, start, end, DEVICE_NAME)
    conn, end_handle, value_handle, props, uuid = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)
    conn, status = next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)
    print("device name", uuid, "readable:", (props & 0x02) != 0, "status", status)
    return value_handle


def read_name(conn, handle, label):
    ble.gattc_read(conn, handle)
    conn, value_handle, value = next_event(_IRQ_GATTC_READ_RESULT)
    conn, value_handle, status = next_event(_IRQ_GATTC_READ_DONE)
    print(label, value, "status", status)


def connect():
    ble.gap_connect(BDADDR[0], BDADDR[1])
    return next_event(_IRQ_PERIPHERAL_CONNECT)[0]


# Central.
def instance1():
    multitest.next()
    try:
        conn = connect()
        handle = find_name_handle(conn)
        read_name(conn, handle, "first read:")
        multitest.broadcast("read 1")
        multitest.wait("renamed 2")
        read_name(conn, handle, "after the 2nd name:")
        multitest.broadcast("read 2")
        multitest.wait("renamed 3")
        read_name(conn, handle, "after the 3rd name:")
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)

        multitest.wait("renamed 4")
        conn = connect()
        handle = find_name_handle(conn)
        read_name(conn, handle, "after reconnecting:")
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
