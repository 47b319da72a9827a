# Notification round trip. Both devices serve one notifying characteristic;
# the peripheral notifies "ping N" on its own, the central answers each ping
# from its IRQ handler with "pong N" on its own, and the peripheral sends the
# next ping from its handler as soon as the pong arrives. The link runs at a
# 12.5 ms connection interval; with link timing (blesim without --fast) a
# round trip cannot beat two intervals, and must not take longer on average:
# the test prints whether the mean stayed within 26 ms, so a slower host
# fails it. The mean itself is reported as a metric.
#
# instance0 is the peripheral (sends pings, measures), instance1 the central.
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 6000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_NOTIFY = const(18)

_CONN_ITVL_US = const(12_500)
_BOUND_US = const(26_000)
_WARMUP = const(5)
_ROUNDS = const(100)

SERVICE = (
    bluetooth.UUID("b35e0000-4f21-4c8a-9d07-6e2a81c5f390"),
    ((bluetooth.UUID("b35e0001-4f21-4c8a-9d07-6e2a81c5f390"), bluetooth.FLAG_NOTIFY),),
)

events = {}


class Pinger:
    # The peripheral's side of the exchange, all of it in the IRQ handler.
    def __init__(self, char):
        self.char = char
        self.conn = None
        self.sent = 0
        self.bad = 0
        self.t0 = 0
        self.t1 = 0

    def ping(self):
        if self.sent == _WARMUP:
            self.t0 = time.ticks_us()
        self.sent += 1
        ble.gatts_notify(self.conn, self.char, "ping {}".format(self.sent))

    def irq(self, event, data):
        if event == _IRQ_GATTC_NOTIFY:
            if bytes(data[2]) != "pong {}".format(self.sent).encode():
                self.bad += 1
            if self.sent < _WARMUP + _ROUNDS:
                self.ping()
            else:
                self.t1 = time.ticks_us()
                events["done"] = True
        elif event == _IRQ_CENTRAL_CONNECT:
            self.conn = data[0]
            events[event] = True
        else:
            events[event] = True


def pong_irq(event, data):
    # The central's side: answer every ping at once.
    if event == _IRQ_GATTC_NOTIFY:
        ble.gatts_notify(data[0], char, b"pong" + bytes(data[2])[4:])
    elif event == _IRQ_PERIPHERAL_CONNECT:
        events[event] = data[0]
    else:
        events[event] = True


def wait_for(key, timeout_ms=TIMEOUT_MS):
    start = time.ticks_ms()
    while key not in events:
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("{} did not happen".format(key))
        machine.idle()
    return events.pop(key)


# Peripheral: pings and measures.
def instance0():
    ((char,),) = ble.gatts_register_services((SERVICE,))
    pinger = Pinger(char)
    ble.irq(pinger.irq)
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        wait_for(_IRQ_CENTRAL_CONNECT)
        multitest.wait("connected")
        pinger.ping()
        wait_for("done")
        mean_us = time.ticks_diff(pinger.t1, pinger.t0) // _ROUNDS
        print("round trips:", _ROUNDS, "wrong answers:", pinger.bad)
        print("mean round trip within 26 ms (two 12.5 ms intervals):", mean_us <= _BOUND_US)
        multitest.output_metric("notify round trip = {} us".format(mean_us))
        ble.gap_disconnect(pinger.conn)
        wait_for(_IRQ_CENTRAL_DISCONNECT)
    finally:
        ble.active(0)


# Central: answers.
def instance1():
    global char
    ((char,),) = ble.gatts_register_services((SERVICE,))
    ble.irq(pong_irq)
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1], 2000, _CONN_ITVL_US, _CONN_ITVL_US)
        wait_for(_IRQ_PERIPHERAL_CONNECT)
        print("connected at a 12.5 ms interval")
        multitest.broadcast("connected")
        wait_for(_IRQ_PERIPHERAL_DISCONNECT, 20_000)
        print("disconnected")
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
