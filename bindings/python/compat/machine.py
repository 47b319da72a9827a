# SPDX-License-Identifier: MIT
"""MicroPython's `machine` module, the parts that make sense on a PC.

idle() waits up to 1 ms (less if an event or schedule() wakes it), running
scheduled callbacks; the bluetooth host thread keeps delivering events
meanwhile. There is no board to reboot: reset(), soft_reset() and the end of
deepsleep() finish the program (SystemExit), which is what a multitest
instance on the unix port sees too. Pin/Signal are in-memory stand-ins so
example code that blinks an LED runs.
"""

import hashlib
import sys
import uuid

import _blehost_compat

_blehost_compat.install()

IDLE_MAX_S = 0.001

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


def idle():
    _blehost_compat.wait(IDLE_MAX_S, idle=True)


def lightsleep(time_ms=None):
    if time_ms is None:
        while True:
            _blehost_compat.wait(3600.0)
    _blehost_compat.wait(time_ms / 1000.0)


def deepsleep(time_ms=None):
    if time_ms is not None:
        _blehost_compat.wait(time_ms / 1000.0)
    reset()


def _flush_all():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


def reset():
    _flush_all()
    raise SystemExit(0)


def soft_reset():
    _flush_all()
    raise SystemExit(0)


def reset_cause():
    return PWRON_RESET


def bootloader(value=None):
    raise OSError(95, "no bootloader on this host")


def unique_id():
    """8 stable bytes for this machine (from /etc/machine-id, else the MAC)."""
    try:
        with open("/etc/machine-id", "rb") as f:
            seed = f.read().strip()
    except OSError:
        seed = b""
    if not seed:
        seed = uuid.getnode().to_bytes(6, "big")
    return hashlib.sha256(seed).digest()[:8]


def freq(*args):
    """Get: the CPU clock in Hz as Linux reports it (fixed 1 GHz if unknown).
    Set: accepted and ignored."""
    if args:
        return None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("cpu mhz"):
                    return int(float(line.split(":", 1)[1]) * 1000000)
    except (OSError, ValueError):
        pass
    return 1000000000


def disable_irq():
    _blehost_compat.sched_lock()
    return 0


def enable_irq(state=0):
    _blehost_compat.sched_unlock()


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    return -2


class Pin:
    """In-memory pin: value() returns what was last set (inputs read as 0 or
    the pull-up level)."""

    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None, **kwargs):  # noqa: A002
        self._id = id
        self._mode = self.IN
        self._pull = None
        self._value = 0
        self._handler = None
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, **kwargs):
        if mode != -1:
            self._mode = mode
        if pull != -1:
            self._pull = pull
            if self._mode == self.IN and pull == self.PULL_UP:
                self._value = 1
        if value is not None:
            self._set(value)

    def _set(self, value):
        old, self._value = self._value, 1 if value else 0
        if self._handler is not None and old != self._value:
            trigger = self.IRQ_RISING if self._value else self.IRQ_FALLING
            if self._trigger & trigger:
                _blehost_compat.schedule(self._handler, self)

    def value(self, x=None):
        if x is None:
            return self._value
        self._set(x)
        return None

    __call__ = value

    def on(self):
        self._set(1)

    def off(self):
        self._set(0)

    def toggle(self):
        self._set(not self._value)

    def irq(self, handler=None, trigger=IRQ_RISING | IRQ_FALLING, **kwargs):
        self._handler = handler
        self._trigger = trigger

    def __repr__(self):
        return "Pin(%r, mode=%s)" % (self._id, ("IN", "OUT", "OPEN_DRAIN", "ALT")[self._mode & 3])


class Signal:
    def __init__(self, pin, *args, invert=False, **kwargs):
        if not isinstance(pin, Pin):
            pin = Pin(pin, *args, **kwargs)
        self._pin = pin
        self._invert = bool(invert)

    def value(self, x=None):
        if x is None:
            return self._pin.value() ^ self._invert
        self._pin.value(bool(x) ^ self._invert)
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)
