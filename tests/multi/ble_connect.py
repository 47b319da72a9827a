# Connections opened and closed from either side, with the events both ends
# get: the central finds the peripheral by the name in its advertising data,
# connects; round 1 the peripheral disconnects, round 2 the central does.
# Checked on the way: the addresses in connect and disconnect events, that
# the handle stays the same, that advertising stops once a central is
# connected, that gap_disconnect of a closed handle returns False, and that a
# cancelled connection attempt ends with PERIPHERAL_DISCONNECT (0xff, zeros).
#
# instance0 is the central, instance1 the peripheral.
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_SCAN_RESULT = const(5)
_IRQ_SCAN_DONE = const(6)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)

PEER_NAME = b"conn-peer"


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


def drop(event):
    # Forget queued events of one kind; returns how many there were.
    n = 0
    for i in range(len(pending) - 1, -1, -1):
        if pending[i][0] == event:
            pending.pop(i)
            n += 1
    return n


def find_peer():
    ble.gap_scan(3000, 30_000, 30_000)
    while True:
        addr_type, addr, adv_type, rssi, adv_data = next_event(_IRQ_SCAN_RESULT)
        if PEER_NAME in adv_data:
            break
    ble.gap_scan(None)
    next_event(_IRQ_SCAN_DONE)
    drop(_IRQ_SCAN_RESULT)
    print("found peer, adv type", adv_type)
    return addr_type, addr


def count_adverts(peer, ms):
    ble.gap_scan(ms, 30_000, 30_000)
    next_event(_IRQ_SCAN_DONE, ms + TIMEOUT_MS)
    n = 0
    for i in range(len(pending) - 1, -1, -1):
        event, data = pending[i]
        if event == _IRQ_SCAN_RESULT:
            pending.pop(i)
            n += (data[0], data[1]) == peer
    return n


# Central.
def instance0():
    multitest.globals(CENTRAL=ble.config("mac"))
    multitest.next()
    try:
        multitest.wait("advertising 1")
        peer = find_peer()

        # Round 1: we connect, the peripheral disconnects.
        ble.gap_connect(peer[0], peer[1])
        conn, addr_type, addr = next_event(_IRQ_PERIPHERAL_CONNECT)
        print("connected to the peer:", (addr_type, addr) == peer)
        print("peer adverts while connected:", count_adverts(peer, 400))
        multitest.broadcast("connected 1")
        handle, addr_type, addr = next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("peer disconnected us:", handle == conn, (addr_type, addr) == peer)
        print("gap_disconnect of the closed handle:", ble.gap_disconnect(conn))

        # Round 2: we connect and we disconnect.
        multitest.wait("advertising 2")
        ble.gap_connect(peer[0], peer[1])
        conn, addr_type, addr = next_event(_IRQ_PERIPHERAL_CONNECT)
        print("connected again:", (addr_type, addr) == peer)
        multitest.wait("connected 2")
        print("gap_disconnect:", ble.gap_disconnect(conn))
        handle, addr_type, addr = next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("we disconnected:", handle == conn, (addr_type, addr) == peer)
        multitest.broadcast("disconnected 2")

        # Round 3: the peer no longer advertises; give up on it.
        ble.gap_connect(peer[0], peer[1], 10_000)
        time.sleep_ms(300)
        ble.gap_connect(None)
        handle, addr_type, addr = next_event(_IRQ_PERIPHERAL_DISCONNECT)
        print("attempt cancelled:", addr_type, addr == bytes(6))
        multitest.broadcast("cancelled")
        print("other connect events:", drop(_IRQ_PERIPHERAL_CONNECT))
    finally:
        ble.active(0)


# Peripheral.
def instance1():
    multitest.next()
    try:
        ble.gap_advertise(20_000, bytes((len(PEER_NAME) + 1, 0x09)) + PEER_NAME)
        multitest.broadcast("advertising 1")
        conn, addr_type, addr = next_event(_IRQ_CENTRAL_CONNECT)
        print("central connected:", (addr_type, addr) == CENTRAL)
        multitest.wait("connected 1")
        print("gap_disconnect:", ble.gap_disconnect(conn))
        handle, addr_type, addr = next_event(_IRQ_CENTRAL_DISCONNECT)
        print("we disconnected:", handle == conn, (addr_type, addr) == CENTRAL)

        # Advertising ended with the connection: start it again (same data).
        ble.gap_advertise(20_000)
        multitest.broadcast("advertising 2")
        conn, addr_type, addr = next_event(_IRQ_CENTRAL_CONNECT)
        print("central connected again:", (addr_type, addr) == CENTRAL)
        multitest.broadcast("connected 2")
        handle, addr_type, addr = next_event(_IRQ_CENTRAL_DISCONNECT)
        print("central disconnected us:", handle == conn, (addr_type, addr) == CENTRAL)

        multitest.wait("cancelled")
        print("other connect events:", drop(_IRQ_CENTRAL_CONNECT))
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
