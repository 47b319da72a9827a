# GATT client discovery against a server with three services (16- and
# 128-bit UUIDs, characteristics with and without CCCD and user
# descriptors): all services, one service by UUID, a UUID nobody has,
# characteristics in handle order with the right end handles (also when
# filtered by UUID), the descriptors of each characteristic, and a descriptor
# discovery over a whole service (which reports every attribute after its
# first handle). Handles are printed relative to the service start so that
# only the layout is compared.
#
# instance0 is the server (peripheral), instance1 the client (central).
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
_IRQ_GATTC_DESCRIPTOR_RESULT = const(13)
_IRQ_GATTC_DESCRIPTOR_DONE = const(14)

_R = bluetooth.FLAG_READ
_W = bluetooth.FLAG_WRITE
_N = bluetooth.FLAG_NOTIFY
_I = bluetooth.FLAG_INDICATE
_WNR = bluetooth.FLAG_WRITE_NO_RESPONSE

BATTERY = bluetooth.UUID(0x180F)
CUSTOM = bluetooth.UUID("9d2f0000-6b1a-4e3c-8d5f-2a7b9c0e1f34")
ENV = bluetooth.UUID(0x181A)
ABSENT = bluetooth.UUID(0x1812)
CUSTOM_C1 = bluetooth.UUID("9d2f0001-6b1a-4e3c-8d5f-2a7b9c0e1f34")
CUSTOM_C2 = bluetooth.UUID("9d2f0002-6b1a-4e3c-8d5f-2a7b9c0e1f34")
CUSTOM_C3 = bluetooth.UUID(0xFF03)

SERVICES = (
    (BATTERY, ((bluetooth.UUID(0x2A19), _R | _N),)),
    (
        CUSTOM,
        (
            (CUSTOM_C1, _R | _W, ((bluetooth.UUID(0x2901), _R), (bluetooth.UUID(0xFF11), _R | _W))),
            (CUSTOM_C2, _N | _I, ((bluetooth.UUID(0xFF21), _R),)),
            (CUSTOM_C3, _WNR),
        ),
    ),
    (ENV, ((bluetooth.UUID(0x2A6E), _R), (bluetooth.UUID(0x2A6F), _R | _N))),
)


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


def results(result_event, done_event):
    # All results of one discovery, then its status.
    found = []
    while True:
        event, data = next_of((result_event, done_event))
        if event == done_event:
            return found, data[1]
        found.append(data)


# Server.
def instance0():
    handles = ble.gatts_register_services(SERVICES)
    print("handles per service:", [len(h) for h in handles])
    first = handles[1][0]
    print("custom service value/descriptor handles:", [h - first for h in handles[1]])
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        next_event(_IRQ_CENTRAL_CONNECT)
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("server done")
    finally:
        ble.active(0)


def all_services(conn):
    ble.gattc_discover_services(conn)
    found, status = results(_IRQ_GATTC_SERVICE_RESULT, _IRQ_GATTC_SERVICE_DONE)
    print("all services, status", status)
    ranges = {}
    last_end = 0
    for conn, start, end, uuid in found:
        ordered = start > last_end and end >= start
        last_end = end
        ranges[uuid] = (start, end)
        if uuid in (BATTERY, CUSTOM, ENV):
            print("  ", uuid, "spans", end - start + 1, "ordered", ordered)
        else:
            print("  ", uuid, "ordered", ordered)
    return ranges


def one_service(conn, uuid, ranges):
    ble.gattc_discover_services(conn, uuid)
    found, status = results(_IRQ_GATTC_SERVICE_RESULT, _IRQ_GATTC_SERVICE_DONE)
    same = [(s, e) for c, s, e, u in found] == ([ranges[uuid]] if uuid in ranges else [])
    print("service", uuid, "results", len(found), "same range", same, "status", status)


def characteristics(conn, start, end, uuid=None):
    ble.gattc_discover_characteristics(conn, start, end, uuid)
    found, status = results(_IRQ_GATTC_CHARACTERISTIC_RESULT, _IRQ_GATTC_CHARACTERISTIC_DONE)
    print("characteristics", "(all)" if uuid is None else uuid, "status", status)
    for conn, char_end, value, props, char_uuid in found:
        print("  ", char_uuid, hex(props), "value +", value - start, "end +", char_end - start)
    return found


def descriptors(conn, start, end, base):
    ble.gattc_discover_descriptors(conn, start, end)
    found, status = results(_IRQ_GATTC_DESCRIPTOR_RESULT, _IRQ_GATTC_DESCRIPTOR_DONE)
    print("   descriptors after +", start - base, [(h - base, u) for c, h, u in found], status)


# Client.
def instance1():
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]

        ranges = all_services(conn)
        for uuid in (CUSTOM, ENV, ABSENT):
            one_service(conn, uuid, ranges)

        start, end = ranges[CUSTOM]
        for conn, char_end, value, props, uuid in characteristics(conn, start, end):
            if char_end > value:
                descriptors(conn, value, char_end, start)
        # Filtered: the end handle still stops before the next declaration.
        characteristics(conn, start, end, CUSTOM_C2)
        characteristics(conn, start, end, ABSENT)

        start, end = ranges[ENV]
        characteristics(conn, start, end)

        start, end = ranges[BATTERY]
        descriptors(conn, start, end, start)

        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
