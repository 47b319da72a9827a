# ATT MTU exchange started by the central (round 0) and by the peripheral
# (round 1), with different preferred MTUs on each side: both ends get
# MTU_EXCHANGED with the smaller one. Then the limits that follow from it:
# notifications and client writes are cut to MTU-3 bytes (values of exactly
# MTU-3 pass whole), and a read returns at most MTU-1 bytes.
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
_IRQ_MTU_EXCHANGED = const(21)

SVC_UUID = bluetooth.UUID("e1a90000-57c4-4b2d-96f3-08b7d5c2a461")
CHAR_UUID = bluetooth.UUID("e1a90001-57c4-4b2d-96f3-08b7d5c2a461")
SERVICE = (
    SVC_UUID,
    (
        (
            CHAR_UUID,
            bluetooth.FLAG_READ
            | bluetooth.FLAG_WRITE
            | bluetooth.FLAG_WRITE_NO_RESPONSE
            | bluetooth.FLAG_NOTIFY,
        ),
    ),
)

# (who starts the exchange, central's preferred MTU, peripheral's)
ROUNDS = (("central", 120, 80), ("peripheral", 64, 200))

PAYLOAD = bytes((i * 7 + 3) & 0xFF for i in range(256))


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


def describe(label, data):
    print("  ", label, len(data), "bytes, intact:", data == PAYLOAD[: len(data)])


def serve_round(r, char):
    initiator, central_mtu, our_mtu = ROUNDS[r]
    ble.config(mtu=our_mtu)
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.broadcast("advertising {}".format(r))
    conn = next_event(_IRQ_CENTRAL_CONNECT)[0]
    if initiator == "peripheral":
        ble.gattc_exchange_mtu(conn)
    mtu = next_event(_IRQ_MTU_EXCHANGED)[1]
    print("round", r, "exchange started by the", initiator, "-> mtu", mtu)

    multitest.wait("ready {}".format(r))
    ble.gatts_notify(conn, char, PAYLOAD[: mtu + 10])
    ble.gatts_notify(conn, char, PAYLOAD[: mtu - 3])
    for label in ("written with response:", "written without response:"):
        next_event(_IRQ_GATTS_WRITE)
        describe(label, ble.gatts_read(char))
        if label.endswith("without response:"):
            ble.gatts_write(char, PAYLOAD[:200])
        multitest.broadcast("stored {}".format(r))
    next_event(_IRQ_CENTRAL_DISCONNECT)


# Server.
def instance0():
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_set_buffer(char, 256)
    multitest.globals(BDADDR=ble.config("mac"))
    multitest.next()
    try:
        for r in range(len(ROUNDS)):
            serve_round(r, char)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


def client_round(r):
    initiator, our_mtu, peripheral_mtu = ROUNDS[r]
    ble.config(mtu=our_mtu)
    multitest.wait("advertising {}".format(r))
    ble.gap_connect(BDADDR[0], BDADDR[1])
    conn = next_event(_IRQ_PERIPHERAL_CONNECT)[0]
    if initiator == "central":
        ble.gattc_exchange_mtu(conn)
    mtu = next_event(_IRQ_MTU_EXCHANGED)[1]
    print("round", r, "exchange started by the", initiator, "-> mtu", mtu)
    ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
    char = next_event(_IRQ_GATTC_CHARACTERISTIC_RESULT)[2]
    next_event(_IRQ_GATTC_CHARACTERISTIC_DONE)

    multitest.broadcast("ready {}".format(r))
    describe("notified (mtu+10 sent):", next_event(_IRQ_GATTC_NOTIFY)[2])
    describe("notified (mtu-3 sent):", next_event(_IRQ_GATTC_NOTIFY)[2])

    ble.gattc_write(conn, char, PAYLOAD[: mtu + 10], 1)
    print("   write status", next_event(_IRQ_GATTC_WRITE_DONE)[2])
    multitest.wait("stored {}".format(r))
    ble.gattc_write(conn, char, PAYLOAD[: mtu - 3], 0)
    multitest.wait("stored {}".format(r))

    ble.gattc_read(conn, char)
    describe("read (200 stored):", next_event(_IRQ_GATTC_READ_RESULT)[2])
    print("   read status", next_event(_IRQ_GATTC_READ_DONE)[2])
    ble.gap_disconnect(conn)
    next_event(_IRQ_PERIPHERAL_DISCONNECT)


# Client.
def instance1():
    multitest.next()
    try:
        for r in range(len(ROUNDS)):
            client_round(r)
        print("other events:", [e for e, d in pending])
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
