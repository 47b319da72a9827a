# One characteristic with a user descriptor, exercised from the client:
# reads (each one raising exactly one READ_REQUEST on the server, one of them
# refused by the handler's return value), writes with and without response to
# the value and to the descriptor, then notifications (of the stored value and
# of explicit data, which must not replace the stored value) and an
# indication acknowledged with GATTS_INDICATE_DONE (20). No CCCD is written:
# gatts_notify and gatts_indicate send regardless of subscriptions.
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)
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

_READ_NOT_PERMITTED = const(0x02)

SVC_UUID = bluetooth.UUID("7a3e1000-2b4c-4d5e-8f60-718293a4b5c6")
CHAR_UUID = bluetooth.UUID("7a3e1001-2b4c-4d5e-8f60-718293a4b5c6")
DESC_UUID = bluetooth.UUID("7a3e1002-2b4c-4d5e-8f60-718293a4b5c6")
CCCD_UUID = bluetooth.UUID(0x2902)

CHAR_FLAGS = (
    bluetooth.FLAG_READ
    | bluetooth.FLAG_WRITE
    | bluetooth.FLAG_WRITE_NO_RESPONSE
    | bluetooth.FLAG_NOTIFY
    | bluetooth.FLAG_INDICATE
)
SERVICE = (
    SVC_UUID,
    ((CHAR_UUID, CHAR_FLAGS, ((DESC_UUID, bluetooth.FLAG_READ | bluetooth.FLAG_WRITE),)),),
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
read_requests = []
refuse = {}


def on_irq(event, data):
    if event == _IRQ_GATTS_READ_REQUEST:
        read_requests.append(data[1])
        return refuse.get(data[1], 0)
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


# Server.
def instance0():
    ((char, desc),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_write(char, "initial")
    ble.gatts_write(desc, b"desc-0")
    names = {char: "value", desc: "descriptor"}
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        conn = next_event(_IRQ_CENTRAL_CONNECT)[0]
        for _ in range(3):
            conn, handle = next_event(_IRQ_GATTS_WRITE)
            print("client wrote the", names[handle], ble.gatts_read(handle))
            multitest.broadcast("stored")

        multitest.wait("send")
        ble.gatts_notify(conn, char)
        ble.gatts_notify(conn, char, b"explicit data")
        print("value after notifying other data:", ble.gatts_read(char))
        ble.gatts_indicate(conn, char, "indicated")
        conn, handle, status = next_event(_IRQ_GATTS_INDICATE_DONE)
        print("indication acknowledged:", names[handle], "status", status)

        refuse[char] = _READ_NOT_PERMITTED
        multitest.broadcast("refusing")
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print("read requests:", [names[h] for h in read_requests])
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


def read(conn, handle, label):
    ble.gattc_read(conn, handle)
    event, data = next_of((_IRQ_GATTC_READ_RESULT, _IRQ_GATTC_READ_DONE))
    if event == _IRQ_GATTC_READ_RESULT:
        print("read", label, data[2])
        data = next_event(_IRQ_GATTC_READ_DONE)
        print("  status", data[2])
    else:
        print("read", label, "refused:", data[2] != 0)


def write(conn, handle, value, mode):
    ble.gattc_write(conn, handle, value, mode)
    if mode:
        conn, handle, status = next_event(_IRQ_GATTC_WRITE_DONE)
        print("write done status", status)
    multitest.wait("stored")


def discover(conn):
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
    conn, end, char, props, uuid = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)
    next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)
    print("characteristic properties", hex(props))
    ble.gattc_discover_descriptors(conn, char, end)
    found = {}
    while True:
        event, data = next_of((_IRQ_GATTC_DESCRIPTOR_RESULT, _IRQ_GATTC_DESCRIPTOR_DONE))
        if event == _IRQ_GATTC_DESCRIPTOR_DONE:
            break
        print("descriptor", data[2], "at value +", data[1] - char)
        found[data[2]] = data[1]
    return char, found[DESC_UUID]


# Client.
def instance1():
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
        char, desc = discover(conn)

        read(conn, char, "value")
        write(conn, char, b"written-1", 1)
        write(conn, char, "written-2", 0)
        read(conn, desc, "descriptor")
        write(conn, desc, b"desc-1", 1)

        multitest.broadcast("send")
        for _ in range(3):
            event, data = next_of((_IRQ_GATTC_NOTIFY, _IRQ_GATTC_INDICATE))
            kind = "notified" if event == _IRQ_GATTC_NOTIFY else "indicated"
            print(kind, data[2], "from the value:", data[1] == char)

        multitest.wait("refusing")
        read(conn, char, "value")
        read(conn, desc, "descriptor")
        ble.gap_disconnect(conn)
        next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
