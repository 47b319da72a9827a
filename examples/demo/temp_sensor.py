# SPDX-License-Identifier: MIT
# A BLE temperature sensor (peripheral), written against MicroPython's
# `bluetooth` API only: it runs unchanged on a MicroPython board, or on a PC
# with scripts/blehost-python (BLEHOST_HCI names the controller).
#
# GATT: Environmental Sensing service (0x181A) with one Temperature
# characteristic (0x2A6E: sint16, little-endian, 0.01 degC), READ | NOTIFY.
# It advertises its name and the service UUID, waits for one central,
# notifies every subscribed client of each new reading, and ends when that
# central disconnects. Exit status 0 then, 1 if nobody came in time.

import struct
import sys
import time

import bluetooth
from micropython import const

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)

_ENV_SENSING = bluetooth.UUID(0x181A)
_TEMPERATURE = bluetooth.UUID(0x2A6E)
_SERVICE = (
    _ENV_SENSING,
    ((_TEMPERATURE, bluetooth.FLAG_READ | bluetooth.FLAG_NOTIFY),),
)

_NAME = "blehost-temp"
_ADV_INTERVAL_US = const(100_000)
_PERIOD_MS = const(400)  # a new reading this often
_TIMEOUT_MS = const(30_000)  # give up if the session is not over by then


def adv_payload(name, service16):
    # AD structures (Core Supplement Part A 1.3, 1.1, 1.2): Flags
    # (LE General Discoverable, BR/EDR not supported), Complete List of
    # 16-bit Service UUIDs, Complete Local Name.
    payload = bytearray(b"\x02\x01\x06")
    payload += struct.pack("<BBH", 3, 0x03, service16)
    payload += struct.pack("BB", len(name) + 1, 0x09) + name.encode()
    return payload


def fmt_temp(centi):
    return "{:.2f} C".format(centi / 100)


def fmt_addr(addr):
    return ":".join("{:02X}".format(b) for b in bytes(addr))


class Sensor:
    def __init__(self, ble):
        self._ble = ble
        self._conn = None
        self.done = False
        self.temp = 2150  # 21.50 degC
        ble.irq(self._irq)
        ble.active(True)
        ble.config(gap_name=_NAME)
        ((self._handle,),) = ble.gatts_register_services((_SERVICE,))
        ble.gatts_write(self._handle, struct.pack("<h", self.temp))

    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            conn, addr_type, addr = data
            self._conn = conn
            print("central", fmt_addr(addr), "connected (handle {})".format(conn))
        elif event == _IRQ_CENTRAL_DISCONNECT:
            print("central disconnected")
            self._conn = None
            self.done = True

    def advertise(self):
        self._ble.gap_advertise(_ADV_INTERVAL_US, adv_payload(_NAME, 0x181A))
        addr_type, addr = self._ble.config("mac")
        print("advertising '{}' as {} (type {}), temperature {}".format(
            _NAME, fmt_addr(addr), addr_type, fmt_temp(self.temp)))

    def step(self, tick):
        # A slow deterministic drift, so every run gives the same readings.
        self.temp += (tick * 37) % 41 - 20
        value = struct.pack("<h", self.temp)
        if self._conn is None:
            self._ble.gatts_write(self._handle, value)
        else:
            # send_update: a notification to each client whose CCCD asks for it.
            self._ble.gatts_write(self._handle, value, True)
            print("new reading", fmt_temp(self.temp))


def main():
    ble = bluetooth.BLE()
    sensor = Sensor(ble)
    sensor.advertise()
    start = time.ticks_ms()
    tick = 0
    while not sensor.done:
        if time.ticks_diff(time.ticks_ms(), start) > _TIMEOUT_MS:
            print("FAILED: no complete session within", _TIMEOUT_MS, "ms")
            ble.active(False)
            sys.exit(1)
        time.sleep_ms(_PERIOD_MS)
        tick += 1
        sensor.step(tick)
    ble.active(False)
    print("done")


main()
