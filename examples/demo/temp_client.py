# SPDX-License-Identifier: MIT
# A BLE temperature client (central), written against MicroPython's
# `bluetooth` API only: it runs unchanged on a MicroPython board, or on a PC
# with scripts/blehost-python (BLEHOST_HCI names the controller).
#
# It scans for a device advertising the Environmental Sensing service
# (0x181A), connects, discovers services, characteristics and descriptors,
# reads the Temperature (0x2A6E, sint16 in 0.01 degC), subscribes through the
# CCCD (0x2902), prints COUNT notifications and disconnects. The whole flow is
# driven from the IRQ handler. Exit status 0 on success, 1 on any failure or
# timeout. Usage: temp_client.py [COUNT]

import struct
import sys
import time

import bluetooth
from micropython import const

_IRQ_SCAN_RESULT = const(5)
_IRQ_SCAN_DONE = const(6)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_SERVICE_RESULT = const(9)
_IRQ_GATTC_SERVICE_DONE = const(10)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_DESCRIPTOR_RESULT = const(13)
_IRQ_GATTC_DESCRIPTOR_DONE = const(14)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_IRQ_GATTC_WRITE_DONE = const(17)
_IRQ_GATTC_NOTIFY = const(18)

_ENV_SENSING = bluetooth.UUID(0x181A)
_TEMPERATURE = bluetooth.UUID(0x2A6E)
_CCCD = bluetooth.UUID(0x2902)

_SCAN_MS = const(10_000)
_TIMEOUT_MS = const(25_000)  # the whole session, scan to disconnect


def adv_fields(payload, ad_type):
    # Yield the data of each AD structure of the given type (Core Supplement Part A 1).
    i = 0
    while i + 1 < len(payload):
        length = payload[i]
        if length == 0:
            break
        if payload[i + 1] == ad_type:
            yield payload[i + 2:i + 1 + length]
        i += 1 + length


def adv_services16(payload):
    uuids = []
    for ad_type in (0x02, 0x03):  # incomplete / complete list of 16-bit UUIDs
        for field in adv_fields(payload, ad_type):
            for j in range(0, len(field) - 1, 2):
                uuids.append(bluetooth.UUID(struct.unpack("<H", field[j:j + 2])[0]))
    return uuids


def adv_name(payload):
    for ad_type in (0x09, 0x08):  # complete / shortened local name
        for field in adv_fields(payload, ad_type):
            return str(bytes(field), "utf-8")
    return "?"


def fmt_temp(value):
    return "{:.2f} C".format(struct.unpack("<h", value)[0] / 100)


def fmt_addr(addr):
    return ":".join("{:02X}".format(b) for b in bytes(addr))


class Client:
    def __init__(self, ble, count):
        self._ble = ble
        self._count = count
        self._found = None  # (addr_type, addr, name)
        self._conn = None
        self._svc = None  # (start, end)
        self._value = None  # value handle
        self._char_end = None
        self._cccd = None
        self.notified = 0
        self.result = None  # None while running, then "ok" or the failure
        ble.irq(self._irq)

    def start(self):
        print("scanning for service", _ENV_SENSING)
        self._ble.gap_scan(_SCAN_MS, 30_000, 30_000, True)

    def fail(self, why):
        if self.result is None:
            self.result = why
        if self._conn is not None:
            self._ble.gap_disconnect(self._conn)

    def _irq(self, event, data):
        if event == _IRQ_SCAN_RESULT:
            self._on_scan(*data)
        elif event == _IRQ_SCAN_DONE:
            if self._found is None:
                self.fail("no sensor found")
                return
            addr_type, addr, name = self._found
            print("found '{}' at {}, connecting".format(name, fmt_addr(addr)))
            self._ble.gap_connect(addr_type, addr)
        elif event == _IRQ_PERIPHERAL_CONNECT:
            self._conn = data[0]
            print("connected (handle {}), discovering services".format(self._conn))
            self._ble.gattc_discover_services(self._conn)
        elif event == _IRQ_PERIPHERAL_DISCONNECT:
            if self._conn is None:
                self.fail("could not connect")
                return
            self._conn = None
            print("disconnected")
            if self.result is None:
                self.result = "ok" if self.notified >= self._count else "link lost"
        elif _IRQ_GATTC_SERVICE_RESULT <= event <= _IRQ_GATTC_DESCRIPTOR_DONE:
            self._on_discovery(event, data)
        else:
            self._on_data(event, data)

    def _on_scan(self, addr_type, addr, adv_type, rssi, adv_data):
        if self._found is not None or _ENV_SENSING not in adv_services16(adv_data):
            return
        self._found = (addr_type, bytes(addr), adv_name(adv_data))
        self._ble.gap_scan(None)  # SCAN_DONE follows, and connects

    def _on_discovery(self, event, data):
        if event == _IRQ_GATTC_SERVICE_RESULT:
            conn, start, end, uuid = data
            print("  service", uuid, "handles {}..{}".format(start, end))
            if uuid == _ENV_SENSING:
                self._svc = (start, end)
        elif event == _IRQ_GATTC_SERVICE_DONE:
            if self._svc is None or data[1] != 0:
                self.fail("no Environmental Sensing service")
                return
            self._ble.gattc_discover_characteristics(self._conn, *self._svc)
        elif event == _IRQ_GATTC_CHARACTERISTIC_RESULT:
            conn, end, value, props, uuid = data
            print("  characteristic", uuid, "value handle {} properties 0x{:02x}".format(
                value, props))
            if uuid == _TEMPERATURE:
                self._value, self._char_end = value, end
        elif event == _IRQ_GATTC_CHARACTERISTIC_DONE:
            if self._value is None or data[1] != 0:
                self.fail("no Temperature characteristic")
                return
            self._ble.gattc_discover_descriptors(self._conn, self._value, self._char_end)
        elif event == _IRQ_GATTC_DESCRIPTOR_RESULT:
            conn, handle, uuid = data
            print("  descriptor", uuid, "handle {}".format(handle))
            if uuid == _CCCD:
                self._cccd = handle
        elif event == _IRQ_GATTC_DESCRIPTOR_DONE:
            if self._cccd is None or data[1] != 0:
                self.fail("no CCCD on the Temperature characteristic")
                return
            self._ble.gattc_read(self._conn, self._value)

    def _on_data(self, event, data):
        if event == _IRQ_GATTC_READ_RESULT:
            print("read temperature", fmt_temp(data[2]))
        elif event == _IRQ_GATTC_READ_DONE:
            if data[2] != 0:
                self.fail("read failed, status {}".format(data[2]))
                return
            # Notifications on: CCCD = 0x0001, as a Write Request (mode 1).
            self._ble.gattc_write(self._conn, self._cccd, struct.pack("<H", 1), 1)
        elif event == _IRQ_GATTC_WRITE_DONE:
            if data[2] != 0:
                self.fail("CCCD write failed, status {}".format(data[2]))
                return
            print("subscribed (CCCD handle {} = 0x0001)".format(self._cccd))
        elif event == _IRQ_GATTC_NOTIFY:
            conn, handle, value = data
            if handle != self._value or self.notified >= self._count:
                return
            self.notified += 1
            print("notification {}/{}: {}".format(self.notified, self._count, fmt_temp(value)))
            if self.notified == self._count:
                print("disconnecting")
                self._ble.gap_disconnect(self._conn)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ble = bluetooth.BLE()
    ble.active(True)
    client = Client(ble, count)
    client.start()
    start = time.ticks_ms()
    while client.result is None:
        if time.ticks_diff(time.ticks_ms(), start) > _TIMEOUT_MS:
            client.fail("timeout after {} ms ({} of {} notifications)".format(
                _TIMEOUT_MS, client.notified, count))
            break
        time.sleep_ms(20)
    ble.active(False)
    if client.result != "ok":
        print("FAILED:", client.result)
        sys.exit(1)
    print("done: {} notifications".format(client.notified))


main()
