# One central connected to two peripherals at the same time (3 instances).
# The central connects to both, discovers and reads each one, writes a
# different value to each, receives a notification from each (sent at the
# same moment) and must attribute every result to the right connection; it
# then drops the first link and checks that the second still works.
#
# instance0 and instance1 are peripherals, instance2 the central.
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

SVC_UUID = bluetooth.UUID("47c80000-a1b2-4c3d-8e9f-5a6b7c8d9e0f")
CHAR_UUID = bluetooth.UUID("47c80001-a1b2-4c3d-8e9f-5a6b7c8d9e0f")
SERVICE = (
    SVC_UUID,
    ((CHAR_UUID, bluetooth.FLAG_READ | bluetooth.FLAG_WRITE | bluetooth.FLAG_NOTIFY),),
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


def next_event(event, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while True:
        for i in range(len(pending)):
            if pending[i][0] == event:
                return pending.pop(i)[1]
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("event {} did not arrive".format(event))
        machine.idle()


def peripheral(name):
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_write(char, name + " says hello")
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        conn = next_event(_IRQ_CENTRAL_CONNECT)[0]
        print(name, "connected")
        next_event(_IRQ_GATTS_WRITE)
        print(name, "got", ble.gatts_read(char))
        multitest.wait("notify")
        ble.gatts_notify(conn, char, name + " news")
        next_event(_IRQ_CENTRAL_DISCONNECT)
        print(name, "disconnected")
    finally:
        ble.active(0)


def instance0():
    multitest.globals(P0=ble.config("mac"))
    peripheral("p0")


def instance1():
    multitest.globals(P1=ble.config("mac"))
    peripheral("p1")


def connect(peer):
    ble.gap_connect(peer[0], peer[1])
    conn, addr_type, addr = next_event(_IRQ_PERIPHERAL_CONNECT)
    print("connected, right peer:", (addr_type, addr) == peer)
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
    char = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)[2]
    next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)
    return conn, char


def read(link):
    conn, char = link
    ble.gattc_read(conn, char)
    handle, value_handle, value = next_event(_IRQ_GATTC_READ_RESULT)
    next_event(_IRQ_GATTC_READ_DONE)
    return value, handle == conn


# Central.
def instance2():
    multitest.next()
    try:
        links = {"p0": connect(P0), "p1": connect(P1)}
        print("two different handles:", links["p0"][0] != links["p1"][0])
        names = {links["p0"][0]: "p0", links["p1"][0]: "p1"}

        for name in ("p0", "p1"):
            print("read", name, "->", read(links[name]))
        for name in ("p0", "p1"):
            conn, char = links[name]
            ble.gattc_write(conn, char, "hi " + name, 1)
            handle, value_handle, status = next_event(_IRQ_GATTC_WRITE_DONE)
            print("wrote", name, "status", status, "right link:", handle == conn)

        multitest.broadcast("notify")
        news = []
        for _ in range(2):
            conn, handle, data = next_event(_IRQ_GATTC_NOTIFY)
            news.append((names[conn], data))
        print("notifications:", sorted(news))

        ble.gap_disconnect(links["p0"][0])
        conn, addr_type, addr = next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("p0 gone:", conn == links["p0"][0], (addr_type, addr) == P0)
        print("read p1 ->", read(links["p1"]))
        ble.gap_disconnect(links["p1"][0])
        conn, addr_type, addr = next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("p1 gone:", conn == links["p1"][0], (addr_type, addr) == P1)
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
