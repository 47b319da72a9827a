# Write throughput: after an MTU exchange (247 both sides) the client sends
# 200 writes without response of MTU-3 bytes each as fast as the stack takes
# them (an OSError means "no buffer now": wait a moment and try again, also
# for the last one), then one write with response that can only complete
# after all the others. The
# server collects everything through an append buffer drained from its IRQ
# handler and checks every byte; the rate is reported as a metric.
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 8000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_WRITE_DONE = const(17)
_IRQ_MTU_EXCHANGED = const(21)

_MTU = const(247)
_WRITES = const(200)
_BUFFER = const(2048)

CHAR_UUID = bluetooth.UUID("d0e71001-3c5a-4b9e-a812-f46b0c7d2e59")
SERVICE = (
    bluetooth.UUID("d0e71000-3c5a-4b9e-a812-f46b0c7d2e59"),
    ((CHAR_UUID, bluetooth.FLAG_WRITE | bluetooth.FLAG_WRITE_NO_RESPONSE),),
)

events = {}
received = []


def block(i, size):
    return bytes((i + 3 * k) & 0xFF for k in range(size))


def server_irq(event, data):
    if event == _IRQ_GATTS_WRITE:
        received.append(ble.gatts_read(data[1]))
    else:
        events[event] = data[1] if event == _IRQ_MTU_EXCHANGED else data[0]


def client_irq(event, data):
    if event == _IRQ_GATTC_CHARACTERISTIC_RESULT:
        events[event] = data[2]
    elif event == _IRQ_MTU_EXCHANGED:
        events[event] = data[1]
    elif event in (_IRQ_GATTC_WRITE_DONE, _IRQ_GATTC_CHARACTERISTIC_DONE):
        events[event] = data[-1]
    else:
        events[event] = data[0]


def wait_for(key, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while key not in events:
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("event {} did not arrive".format(key))
        machine.idle()
    return events.pop(key)


# Server.
def instance0():
    ble.config(mtu=_MTU)
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.gatts_set_buffer(char, _BUFFER, True)
    ble.irq(server_irq)
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        wait_for(_IRQ_CENTRAL_CONNECT)
        size = wait_for(_IRQ_MTU_EXCHANGED) - 3
        wait_for(_IRQ_CENTRAL_DISCONNECT, 20_000)
        got = b"".join(received)
        expected = b"".join([block(i, size) for i in range(_WRITES)]) + b"end"
        print("received", len(got), "of", len(expected), "bytes, intact:", got == expected)
    finally:
        ble.active(0)


def send(conn, char, value, mode=0):
    while True:
        try:
            ble.gattc_write(conn, char, value, mode)
            return
        except OSError:
            machine.idle()


# Client.
def instance1():
    ble.config(mtu=_MTU)
    ble.irq(client_irq)
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        conn = wait_for(_IRQ_PERIPHERAL_CONNECT)
        ble.gattc_exchange_mtu(conn)
        size = wait_for(_IRQ_MTU_EXCHANGED) - 3
        ble.gattc_discover_characteristics(conn, 1, 0xFFFF, CHAR_UUID)
        char = wait_for(_IRQ_GATTC_CHARACTERISTIC_RESULT)
        wait_for(_IRQ_GATTC_CHARACTERISTIC_DONE)
        print("writing", _WRITES, "x", size, "bytes")

        blocks = [block(i, size) for i in range(_WRITES)]
        t0 = time.ticks_ms()
        for value in blocks:
            send(conn, char, value)
        send(conn, char, b"end", 1)
        print("final write status", wait_for(_IRQ_GATTC_WRITE_DONE))
        ms = max(1, time.ticks_diff(time.ticks_ms(), t0))
        multitest.output_metric(
            "write without response: {} B in {} ms = {} B/s".format(
                size * _WRITES, ms, size * _WRITES * 1000 // ms
            )
        )
        ble.gap_disconnect(conn)
        wait_for(_IRQ_PERIPHERAL_DISCONNECT)
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
