# L2CAP credit-based channel throughput (issue 7): the peripheral streams 20
# SDUs of 512 bytes (channel MTU 512) to the central, which checks every
# byte and reports bytes per second with multitest.output_metric (the
# number is reported, not compared). Both sides derive the payload from the
# same formula, so the check does not depend on the interpreter's PRNG.
from micropython import const
import time, machine, bluetooth

if not hasattr(bluetooth.BLE, "l2cap_connect"):
    print("SKIP")
    raise SystemExit

TIMEOUT_MS = 5000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_L2CAP_ACCEPT = const(22)
_IRQ_L2CAP_CONNECT = const(23)
_IRQ_L2CAP_DISCONNECT = const(24)
_IRQ_L2CAP_RECV = const(25)
_IRQ_L2CAP_SEND_READY = const(26)

_PSM = const(0x80)
_MTU = const(512)
_SDU_LEN = const(512)
_SDU_COUNT = const(20)

events = {}


def irq(event, data):
    if event in (_IRQ_CENTRAL_CONNECT, _IRQ_PERIPHERAL_CONNECT):
        events[event] = data[0]
    elif event in (_IRQ_L2CAP_ACCEPT, _IRQ_L2CAP_CONNECT):
        events[event] = tuple(data)
    else:
        events[event] = None


def wait_for(event, timeout_ms=TIMEOUT_MS):
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < timeout_ms:
        if event in events:
            return events.pop(event)
        machine.idle()
    raise ValueError("timeout waiting for event {}".format(event))


def payload_byte(i):
    return (i * 13 + (i >> 8) + 5) & 0xFF


def stream(conn, cid):
    buf = bytearray(_SDU_LEN)
    base = 0
    for _ in range(_SDU_COUNT):
        for j in range(_SDU_LEN):
            buf[j] = payload_byte(base + j)
        base += _SDU_LEN
        if not ble.l2cap_send(conn, cid, buf):
            wait_for(_IRQ_L2CAP_SEND_READY)


def drain(conn, cid):
    buf = bytearray(_SDU_LEN)
    total = _SDU_LEN * _SDU_COUNT
    got = correct = 0
    t0 = 0
    while got < total:
        wait_for(_IRQ_L2CAP_RECV)
        if not t0:
            t0 = time.ticks_ms()
        while True:
            n = ble.l2cap_recvinto(conn, cid, buf)
            if n == 0:
                break
            for i in range(n):
                correct += buf[i] == payload_byte(got + i)
            got += n
    return got, correct, max(1, time.ticks_diff(time.ticks_ms(), t0))


# Peripheral: listens and sends.
def instance0():
    multitest.globals(BDADDR=ble.config("mac"))
    ble.l2cap_listen(_PSM, _MTU)
    ble.gap_advertise(20_000, b"\x02\x01\x06\x05\x09perf")
    multitest.next()
    try:
        wait_for(_IRQ_CENTRAL_CONNECT)
        conn, cid, psm, our_mtu, peer_mtu = wait_for(_IRQ_L2CAP_ACCEPT)
        conn, cid, psm, our_mtu, peer_mtu = wait_for(_IRQ_L2CAP_CONNECT)
        print("channel psm", psm, "mtu", our_mtu, peer_mtu)
        stream(conn, cid)
        wait_for(_IRQ_L2CAP_DISCONNECT)
        wait_for(_IRQ_CENTRAL_DISCONNECT)
    finally:
        ble.active(0)


# Central: connects and receives.
def instance1():
    multitest.next()
    try:
        ble.gap_connect(*BDADDR)
        conn = wait_for(_IRQ_PERIPHERAL_CONNECT)
        ble.l2cap_connect(conn, _PSM, _MTU)
        conn, cid, psm, our_mtu, peer_mtu = wait_for(_IRQ_L2CAP_CONNECT)
        print("channel psm", psm, "mtu", our_mtu, peer_mtu)
        got, correct, ms = drain(conn, cid)
        print("received", got, "bytes,", correct, "correct")
        multitest.output_metric("l2cap throughput = {} B/s".format(got * 1000 // ms))
        ble.l2cap_disconnect(conn, cid)
        wait_for(_IRQ_L2CAP_DISCONNECT)
        ble.gap_disconnect(conn)
        wait_for(_IRQ_PERIPHERAL_DISCONNECT)
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(irq)
