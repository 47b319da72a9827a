# SPDX-License-Identifier: MIT
"""MicroPython's `micropython` module for CPython.

const() is the identity; the code emitters (native, viper, asm_thumb) are
no-op decorators; memory functions report what CPython can tell; schedule()
queues func(arg) for the main thread (see _blehost_compat for exactly when
it runs). Importing this module also installs the compatibility layer
(time.sleep_ms & co, u-module aliases).
"""

import gc
import signal
import sys
import threading

import _blehost_compat

_blehost_compat.install()


class _State:
    def __init__(self):
        self.opt_level = 0
        self.heap_locked = 0
        self.kbd_char = 3


_st = _State()


def const(value):
    return value


def native(func):
    return func


def viper(func):
    return func


def asm_thumb(func):
    return func


def asm_xtensa(func):
    return func


def asm_rv32(func):
    return func


def opt_level(level=None):
    if level is None:
        return _st.opt_level
    _st.opt_level = int(level)
    return None


def mem_info(verbose=None):
    counts = gc.get_count()
    print("stack: n/a (CPython %d.%d)" % sys.version_info[:2])
    print("GC: objects tracked: %d, generation counts: %r" % (len(gc.get_objects()), counts))
    if verbose:
        print("GC thresholds: %r" % (gc.get_threshold(),))


def qstr_info(verbose=None):
    print("qstr pool: n/a (CPython interns strings itself)")


def stack_use():
    return 0


def pystack_use():
    return 0


def mem_total():
    return 0


def mem_current():
    return 0


def mem_peak():
    return 0


def alloc_emergency_exception_buf(size):
    return None


def heap_lock():
    _st.heap_locked += 1
    return _st.heap_locked - 1


def heap_unlock():
    if _st.heap_locked > 0:
        _st.heap_locked -= 1
    return _st.heap_locked


def heap_locked():
    return _st.heap_locked


def kbd_intr(chr):  # noqa: A002 - MicroPython's parameter name
    """kbd_intr(-1) disables Ctrl-C (KeyboardInterrupt); any other value
    re-enables it. Only the main thread can change the SIGINT handler."""
    _st.kbd_char = chr
    if threading.current_thread() is not threading.main_thread():
        return None
    if chr == -1:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return None


def schedule(func, arg):
    """Queue func(arg) to run on the main thread at the next safe point.

    Raises RuntimeError("schedule queue full") when 8 calls are pending.
    schedule(kbd_intr, None) raises KeyboardInterrupt in the main thread."""
    if func is kbd_intr:
        _blehost_compat.kbd_interrupt_main()
        return None
    _blehost_compat.schedule(func, arg)
    return None
