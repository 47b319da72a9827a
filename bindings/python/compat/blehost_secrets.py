# SPDX-License-Identifier: MIT
"""A file-backed secret store for the `bluetooth` module (bonds that survive
a restart without changing the MicroPython program).

The stack keeps its bonds (our keys, the peer's keys, CCCD subscriptions, our
IRK) in the application's secret store: IRQ 29 GET_SECRET and IRQ 30
SET_SECRET (shared/API.md 1.4 and 2.6, src/host/README-smp.md). MicroPython
programs that do not answer those events lose their bonds at exit. This
module answers them from a JSON file in aioble's format,

    [[sec_type, base64(key), base64(value)], ...]

so the file can be shared with aioble's `ble_secrets.json`.

    install(path)     used by the launcher when BLEHOST_SECRETS=path is set:
                      loads the file, registers a handler on the real BLE
                      object at once (before the program can call
                      active(True), so our IRK and the bonds are loaded at
                      activation) and replaces bluetooth.BLE with a thin
                      proxy whose irq(handler) installs the program's handler
                      behind ours.

Every event goes to the program's handler first, unchanged. When that returns
None for 29 or 30 (or there is no handler), the file store answers. A SET
schedules a save with micropython.schedule (never written inside the IRQ);
a last save runs at exit. Writes are atomic (a temporary file, then rename).
"""

import atexit
import binascii
import json
import os
import sys
import threading
import traceback

_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30


def _micropython():
    # Imported on first use from the main thread (install), never first
    # inside an IRQ handler that may run on another thread.
    import micropython
    return micropython


class FileSecretStore:
    """Secrets keyed by (sec_type, key bytes), kept in insertion order (the
    order GET with key None enumerates them in), mirrored to a JSON file."""

    def __init__(self, path):
        self.path = path
        self.secrets = {}
        self.lock = threading.Lock()
        self.dirty = False
        self.save_pending = False
        self.load()

    def load(self):
        try:
            with open(self.path, "r") as f:
                entries = json.load(f)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as e:
            sys.stderr.write("blehost_secrets: cannot read %s (%s); starting empty\n"
                             % (self.path, e))
            return
        with self.lock:
            try:
                for sec_type, key, value in entries:
                    self.secrets[(int(sec_type), binascii.a2b_base64(key))] = \
                        binascii.a2b_base64(value)
            except (TypeError, ValueError, binascii.Error) as e:
                sys.stderr.write("blehost_secrets: bad entry in %s (%s); ignored the rest\n"
                                 % (self.path, e))

    def get(self, sec_type, index, key):
        """IRQ 29: the value under (sec_type, key), or with key None the
        index-th value of that type; None if there is none."""
        with self.lock:
            if key is not None:
                return self.secrets.get((sec_type, bytes(key)))
            i = 0
            for (t, _), value in self.secrets.items():
                if t == sec_type:
                    if i == index:
                        return value
                    i += 1
        return None

    def set(self, sec_type, key, value):
        """IRQ 30: store (value None: delete; False if it was absent)."""
        k = (sec_type, bytes(key))
        with self.lock:
            if value is None:
                if k not in self.secrets:
                    return False
                del self.secrets[k]
            else:
                self.secrets[k] = bytes(value)
            self.dirty = True
        self.schedule_save()
        return True

    def schedule_save(self):
        """Queue one save for the main thread (a full queue is not an error:
        the next SET or the exit save writes the file)."""
        with self.lock:
            if self.save_pending:
                return
            self.save_pending = True
        try:
            _micropython().schedule(self._scheduled_save, None)
        except RuntimeError:
            with self.lock:
                self.save_pending = False

    def _scheduled_save(self, _arg):
        with self.lock:
            self.save_pending = False
        self.save()

    def save(self):
        """Write the file if anything changed since the last save."""
        with self.lock:
            if not self.dirty:
                return
            entries = [[t, binascii.b2a_base64(k, newline=False).decode(),
                        binascii.b2a_base64(v, newline=False).decode()]
                       for (t, k), v in self.secrets.items()]
            self.dirty = False
        tmp = "%s.tmp%d" % (self.path, os.getpid())
        try:
            with open(tmp, "w") as f:
                json.dump(entries, f)
            os.replace(tmp, self.path)
        except OSError as e:
            with self.lock:
                self.dirty = True
            sys.stderr.write("blehost_secrets: cannot write %s (%s)\n" % (self.path, e))


class _Dispatcher:
    """The handler registered with the real BLE object: the program's
    handler first, then the store for 29/30 when it returned None."""

    def __init__(self, store):
        self.store = store
        self.app = None

    def __call__(self, event, data):
        app = self.app
        result = None
        if app is not None:
            try:
                result = app(event, data)
            except Exception as e:  # noqa: B902 - reported as the module does
                self._report(e)
        if result is not None:
            return result
        if event == _IRQ_GET_SECRET:
            sec_type, index, key = data
            return self.store.get(sec_type, index, key)
        if event == _IRQ_SET_SECRET:
            sec_type, key, value = data
            return self.store.set(sec_type, key, value)
        return None

    def _report(self, exc):
        """As an exception escaping the handler inside the module: a message,
        the traceback, and the program's handler is unregistered (ours stays,
        so the store keeps answering)."""
        self.app = None
        try:
            sys.stdout.flush()
        except (AttributeError, OSError, ValueError):
            pass
        sys.stderr.write("Unhandled exception in IRQ callback handler\n")
        traceback.print_exception(exc, file=sys.stderr)


def _make_proxy(real_type, real, dispatcher):
    class BLE:
        """bluetooth.BLE with BLEHOST_SECRETS: the same singleton, whose
        irq() handler runs in front of the file secret store."""

        _instance = None

        def __new__(cls, *args, **kw):
            if cls._instance is None:
                cls._instance = object.__new__(cls)
            return cls._instance

        def irq(self, handler):
            if handler is not None and not callable(handler):
                raise ValueError("invalid handler")
            dispatcher.app = handler

        def __getattr__(self, name):
            return getattr(real, name)

        def __dir__(self):
            return dir(real)

        def __repr__(self):
            return repr(real)

    # The real methods, visible on the class too (programs test
    # hasattr(bluetooth.BLE, "gap_pair")); each gives the real bound method.
    for name in dir(real_type):
        if not name.startswith("_") and name != "irq":
            setattr(BLE, name, property(lambda self, n=name: getattr(real, n)))
    BLE.__module__ = "bluetooth"
    BLE.__doc__ = real_type.__doc__
    return BLE


class _Installed:
    store = None
    dispatcher = None


def install(path):
    """Answer IRQ 29/30 from the JSON file at path for this process. Returns
    the store (idempotent: a second call returns the first store)."""
    if _Installed.store is not None:
        return _Installed.store
    _micropython()
    store = FileSecretStore(path)
    # Registered before the module's own exit hook (which deactivates the
    # stack), so this one runs last and sees every SET.
    atexit.register(store.save)
    import bluetooth
    real_type = bluetooth.BLE
    real = real_type()
    dispatcher = _Dispatcher(store)
    real.irq(dispatcher)
    bluetooth.BLE = _make_proxy(real_type, real, dispatcher)
    _Installed.store = store
    _Installed.dispatcher = dispatcher
    return store
