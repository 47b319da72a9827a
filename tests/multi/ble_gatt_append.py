# Moving data in pieces. Client to server through a characteristic in append
# mode (gatts_set_buffer(h, 64, True)): writes with and without response are
# concatenated, gatts_read drains the buffer, writes past the capacity are cut
# at it. A characteristic with a small plain buffer keeps only the first
# `capacity` bytes of a longer write, until a longer local gatts_write raises
# the capacity; gatts_set_buffer empties the value. Server to client: a
# stream of notifications reassembled in order (and a value never written
# reads as empty).
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_IRQ_GATTC_WRITE_DONE = const(17)
_IRQ_GATTC_NOTIFY = const(18)

SVC_UUID = bluetooth.UUID("c4f60000-1d2e-4a3b-9c8d-7e6f5a4b3c2d")
RX_UUID = bluetooth.UUID("c4f60001-1d2e-4a3b-9c8d-7e6f5a4b3c2d")
TX_UUID = bluetooth.UUID("c4f60002-1d2e-4a3b-9c8d-7e6f5a4b3c2d")
SMALL_UUID = bluetooth.UUID("c4f60003-1d2e-4a3b-9c8d-7e6f5a4b3c2d")
SERVICE = (
    SVC_UUID,
    (
        (RX_UUID, bluetooth.FLAG_WRITE | bluetooth.FLAG_WRITE_NO_RESPONSE),
        (TX_UUID, bluetooth.FLAG_READ | bluetooth.FLAG_NOTIFY),
        (SMALL_UUID, bluetooth.FLAG_WRITE),
    ),
)

_RX_CAPACITY = const(64)
_SMALL_CAPACITY = const(8)
_TX_CHUNKS = const(12)


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


def chunk(i, n):
    # n bytes, different for every i.
    return bytes(0x41 + (i + k) % 26 for k in range(n))


def take_writes(handle, count):
    for _ in range(count):
        if next_event(_IRQ_GATTS_WRITE)[1] != handle:
            print("write to an unexpected handle")


# Server.
def instance0():
    ((rx, tx, small),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_set_buffer(rx, _RX_CAPACITY, True)
    ble.gatts_set_buffer(small, _SMALL_CAPACITY)
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        conn = next_event(_IRQ_CENTRAL_CONNECT)[0]

        # Six writes (five without response) that fit.
        take_writes(rx, 6)
        got = ble.gatts_read(rx)
        print("appended:", got)
        print("drained, then:", ble.gatts_read(rx))
        multitest.broadcast("drained")

        # Ten writes of 10 bytes into 64 bytes of room.
        take_writes(rx, 10)
        got = ble.gatts_read(rx)
        print("overflowed:", len(got), got == b"".join([chunk(i, 10) for i in range(10)])[:64])
        multitest.broadcast("drained")

        take_writes(small, 1)
        print("small:", ble.gatts_read(small))
        ble.gatts_write(small, b"0123456789abcdef")
        multitest.broadcast("grown")
        take_writes(small, 1)
        print("small after growing:", ble.gatts_read(small))
        ble.gatts_set_buffer(small, 4)
        print("small after set_buffer:", ble.gatts_read(small))

        multitest.wait("listening")
        for i in range(_TX_CHUNKS):
            ble.gatts_notify(conn, tx, chunk(i, 1 + i))
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


def write(conn, handle, value, mode):
    ble.gattc_write(conn, handle, value, mode)
    if mode:
        status = next_event(_IRQ_GATTC_WRITE_DONE)[2]
        if status:
            print("write failed:", status)


def discover(conn):
    handles = {}
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF)
    while True:
        event, data = next_of((_IRQ_GATTC_CHARACTERISTIC_RESULT, _IRQ_GATTC_CHARACTERISTIC_DONE))
        if event == _IRQ_GATTC_CHARACTERISTIC_DONE:
            return handles[RX_UUID], handles[TX_UUID], handles[SMALL_UUID]
        handles[data[4]] = data[2]


# Client.
def instance1():
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        rx, tx, small = discover(conn)
        ble.gattc_read(conn, tx)
        print("never written value reads as", next_event(_IRQ_GATTC_READ_RESULT)[2])
        next_event(_IRQ_GATTC_READ_DONE)

        for i in range(6):
            write(conn, rx, chunk(i, 3 + i), i == 5)
        multitest.wait("drained")
        for i in range(10):
            write(conn, rx, chunk(i, 10), i == 9)
        multitest.wait("drained")

        write(conn, small, b"abcdefghijkl", 1)
        multitest.wait("grown")
        write(conn, small, b"ABCDEFGHIJKL", 1)

        multitest.broadcast("listening")
        stream = []
        while len(stream) < _TX_CHUNKS:
            conn, handle, data = next_event(_IRQ_GATTC_NOTIFY)
            stream.append(data)
        print("notified lengths:", [len(d) for d in stream])
        print("in order:", stream == [chunk(i, 1 + i) for i in range(_TX_CHUNKS)])
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
