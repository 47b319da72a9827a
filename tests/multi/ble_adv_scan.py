# Advertising seen from a scanner: PDU types (0 for connectable, 2 for
# non-connectable, 4 for scan responses under active scanning), payloads as
# sent (a full 31-byte one included), payloads kept when gap_advertise gets
# None, silence after advertising stops, and SCAN_DONE both when a timed scan
# ends and when a scan is stopped by hand.
#
# instance0 advertises, instance1 scans. Each phase starts with a broadcast
# from the advertiser and ends with one from the scanner.
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 4000

_IRQ_SCAN_RESULT = const(5)
_IRQ_SCAN_DONE = const(6)

_ADV_ITVL_US = const(20_000)


def field(kind, value):
    return bytes((len(value) + 1, kind)) + value


FLAGS = field(0x01, b"\x06")
ADV_A = FLAGS + field(0x09, b"scan-me")
RSP_A = field(0xFF, b"\xff\xffresp-a")
# 3 + 28 = 31 bytes: the largest legacy payload.
ADV_B = FLAGS + field(0x09, b"abcdefghijklmnopqrstuvwxyz")
RSP_B = field(0xFF, b"\xff\xff" + bytes(range(20)))


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


# Advertiser.
def instance0():
    multitest.globals(BDADDR=ble.config("mac"))
    multitest.next()
    try:
        ble.gap_advertise(_ADV_ITVL_US, ADV_A, resp_data=RSP_A)
        multitest.broadcast("connectable")
        multitest.wait("done connectable")

        ble.gap_advertise(_ADV_ITVL_US, ADV_B, resp_data=RSP_B, connectable=False)
        multitest.broadcast("non-connectable")
        multitest.wait("done non-connectable")

        ble.gap_advertise(None)
        print("advertising stopped")
        multitest.broadcast("stopped")
        multitest.wait("done stopped")

        # No payloads given: the last ones are used again.
        ble.gap_advertise(_ADV_ITVL_US)
        multitest.broadcast("restarted")
        multitest.wait("done restarted")
        ble.gap_advertise(None)
        print("advertiser done")
    finally:
        ble.active(0)


def reports_from_peer():
    # (adv_type, payload) of every report from the advertiser, and whether
    # each RSSI was plausible; other reports are dropped.
    found = set()
    rssi_ok = True
    kept = []
    for event, data in pending:
        if event != _IRQ_SCAN_RESULT:
            kept.append((event, data))
            continue
        addr_type, addr, adv_type, rssi, adv_data = data
        if addr_type == BDADDR[0] and addr == BDADDR[1]:
            found.add((adv_type, adv_data))
            rssi_ok = rssi_ok and -127 <= rssi <= 20
    pending[:] = kept
    return sorted(found), rssi_ok


def timed_scan(label, active):
    ble.gap_scan(600, 30_000, 30_000, active)
    next_event(_IRQ_SCAN_DONE)
    found, rssi_ok = reports_from_peer()
    print(label, "active" if active else "passive", "reports:", len(found), "rssi ok:", rssi_ok)
    for adv_type, payload in found:
        print("  type", adv_type, payload)


def stop_by_hand():
    # A scan without a duration runs until gap_scan(None), which ends it
    # with SCAN_DONE.
    ble.gap_scan(0, 30_000, 30_000)
    while True:
        addr_type, addr, adv_type, rssi, adv_data = next_event(_IRQ_SCAN_RESULT)
        if addr == BDADDR[1]:
            break
    ble.gap_scan(None)
    next_event(_IRQ_SCAN_DONE, 1000)
    print("scan stopped by hand: SCAN_DONE")
    reports_from_peer()


# Scanner.
def instance1():
    multitest.next()
    try:
        multitest.wait("connectable")
        timed_scan("connectable", False)
        timed_scan("connectable", True)
        stop_by_hand()
        multitest.broadcast("done connectable")

        multitest.wait("non-connectable")
        timed_scan("non-connectable", False)
        timed_scan("non-connectable", True)
        multitest.broadcast("done non-connectable")

        multitest.wait("stopped")
        timed_scan("stopped", True)
        multitest.broadcast("done stopped")

        multitest.wait("restarted")
        timed_scan("restarted", True)
        multitest.broadcast("done restarted")
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
ble.irq(on_irq)
