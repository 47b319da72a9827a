# SPDX-License-Identifier: MIT
"""MicroPython compatibility core for CPython (used by the blehost launcher).

install() is idempotent and does four things:

* adds MicroPython's extensions to the real `time` module: sleep_ms, sleep_us,
  ticks_ms, ticks_us, ticks_cpu, ticks_diff, ticks_add (and makes time.sleep
  run scheduled callbacks while it waits, as MicroPython's does);
* registers lazy aliases for MicroPython's "u"-prefixed module names
  (utime -> time, ustruct -> struct, ubinascii -> binascii, uasyncio -> asyncio,
  ...). Real modules of those names win: the alias finder is consulted last;
* adds MicroPython's asyncio extensions (sleep_ms, wait_for_ms, ThreadSafeFlag)
  to asyncio when it is first imported;
* adds sys.print_exception.

The scheduler behind micropython.schedule() also lives here, with the small
interface the `bluetooth` extension may use (see bindings/python/README.md):

    schedule(func, arg)     queue func(arg) for the main thread (MicroPython's
                            queue depth rule: RuntimeError("schedule queue full"))
    run_scheduled()         run queued callbacks now (main thread, not nested)
    sched_lock() / sched_unlock()
                            hold callbacks back, e.g. while an IRQ handler runs
    notify()                wake a sleeping main thread (sleep_ms/idle) early
    set_wait_hook(fn)       fn(timeout_s) replaces the blocking wait inside
                            sleep_ms/sleep_us/time.sleep/machine.idle
    wait(timeout_s, idle=False)
                            the waiting primitive itself

Scheduled callbacks run, in FIFO order, on the main thread at safe points:
between bytecodes (via the interpreter's pending-call mechanism), and while
the main thread is inside time.sleep*/machine.idle(). They never run nested
inside another scheduled callback or while the scheduler is locked.
"""

import collections
import importlib.machinery
import sys
import threading
import time
import traceback
import _thread

# Ticks wrap like MicroPython's unix port on a 64-bit host: the period is
# MP_SMALL_INT_POSITIVE_MASK + 1, i.e. 2**62.
TICKS_PERIOD = 1 << 62
TICKS_MAX = TICKS_PERIOD - 1
_TICKS_HALF = TICKS_PERIOD // 2

# MicroPython's default MICROPY_SCHEDULER_DEPTH is 4; some ports use 8. We
# allow 8: a thread-based host can queue a little faster than a board.
SCHED_DEPTH = 8

# Lazily resolved module aliases: MicroPython name -> CPython module name.
ALIASES = {
    "utime": "time",
    "ustruct": "struct",
    "ubinascii": "binascii",
    "uasyncio": "asyncio",
    "ucollections": "collections",
    "uerrno": "errno",
    "uhashlib": "hashlib",
    "uheapq": "heapq",
    "uio": "io",
    "ujson": "json",
    "uos": "os",
    "urandom": "random",
    "ure": "re",
    "uselect": "select",
    "usocket": "socket",
    "ussl": "ssl",
    "usys": "sys",
    "uzlib": "zlib",
    "uarray": "array",
    "ubluetooth": "bluetooth",
}


class _State:
    """All mutable state of this module, in one place."""

    def __init__(self):
        self.installed = False
        self.queue = collections.deque()
        self.lock = threading.Lock()
        self.cond = threading.Condition(threading.Lock())
        self.wake_gen = 0
        self.locked = 0
        self.running = False
        self.pending_requested = False
        self.wait_hook = None
        self.in_hook = False
        self.real_sleep = time.sleep
        self.pending_cb = None
        self.add_pending = None


_st = _State()


# --------------------------------------------------------------------------
# Ticks and sleeping (MicroPython `time` extensions)

def ticks_ms():
    return (time.monotonic_ns() // 1000000) & TICKS_MAX


def ticks_us():
    return (time.monotonic_ns() // 1000) & TICKS_MAX


def ticks_cpu():
    return time.perf_counter_ns() & TICKS_MAX


def ticks_add(ticks, delta):
    return (ticks + delta) & TICKS_MAX


def ticks_diff(ticks1, ticks2):
    """Signed ticks1 - ticks2, correct across one wrap (MicroPython rule)."""
    return ((ticks1 - ticks2 + _TICKS_HALF) & TICKS_MAX) - _TICKS_HALF


def sleep_ms(ms):
    if ms > 0:
        wait(ms / 1000.0)
    else:
        run_scheduled()


def sleep_us(us):
    if us > 0:
        wait(us / 1000000.0)
    else:
        run_scheduled()


def sleep(seconds):
    """time.sleep replacement: in the main thread it also runs scheduled
    callbacks while waiting; other threads get the original time.sleep."""
    if threading.current_thread() is not threading.main_thread():
        _st.real_sleep(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    wait(seconds)


def wait(timeout_s, idle=False):
    """Wait timeout_s seconds, running scheduled callbacks meanwhile.

    With idle=True return as soon as anything calls notify() or schedule()
    (machine.idle semantics). A registered wait hook is called with the
    remaining time instead of blocking on our condition variable."""
    deadline = time.monotonic() + timeout_s
    while True:
        with _st.cond:
            gen = _st.wake_gen
        run_scheduled()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        hook = _st.wait_hook
        if hook is not None and not _st.in_hook and \
                threading.current_thread() is threading.main_thread():
            _st.in_hook = True
            try:
                hook(remaining)
            finally:
                _st.in_hook = False
        else:
            hook = None
            with _st.cond:
                if _st.wake_gen == gen:
                    _st.cond.wait(remaining)
                woken = _st.wake_gen != gen
            if idle and woken:
                run_scheduled()
                return
        if idle and hook is not None:
            run_scheduled()
            return


def notify():
    """Wake the main thread if it waits in sleep_ms/idle (thread-safe)."""
    with _st.cond:
        _st.wake_gen += 1
        _st.cond.notify_all()


def set_wait_hook(fn):
    """Install fn(timeout_s) as the blocking step of every main-thread wait
    (None: default). fn must return within timeout_s; a wait nested inside
    fn (e.g. fn calling time.sleep) blocks the default way, without fn."""
    if fn is not None and not callable(fn):
        raise TypeError("wait hook must be callable or None")
    _st.wait_hook = fn


# --------------------------------------------------------------------------
# Scheduler (micropython.schedule)

def schedule(func, arg):
    if not callable(func):
        raise TypeError("'%s' object isn't callable" % type(func).__name__)
    with _st.lock:
        if len(_st.queue) >= SCHED_DEPTH:
            raise RuntimeError("schedule queue full")
        _st.queue.append((func, arg))
    _request_run()


def sched_lock():
    with _st.lock:
        _st.locked += 1


def sched_unlock():
    with _st.lock:
        if _st.locked > 0:
            _st.locked -= 1
        again = _st.locked == 0 and bool(_st.queue)
    if again:
        _request_run()


def run_scheduled():
    """Run the callbacks queued so far; returns how many ran.

    Only the main thread runs callbacks; never nested, never while locked."""
    if threading.current_thread() is not threading.main_thread():
        return 0
    with _st.lock:
        if _st.running or _st.locked:
            return 0
        _st.running = True
        count = len(_st.queue)
    ran = 0
    try:
        while ran < count:
            with _st.lock:
                if not _st.queue or _st.locked:
                    break
                func, arg = _st.queue.popleft()
            ran += 1
            _call_protected(func, arg)
    finally:
        with _st.lock:
            _st.running = False
            more = bool(_st.queue) and not _st.locked
    if more:
        _request_pending_call()
    return ran


def _call_protected(func, arg):
    # MicroPython prints an escaping exception's traceback to stdout and
    # carries on (mp_call_function_1_protected).
    try:
        func(arg)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: B902 - same as MicroPython
        _flush(sys.stderr)
        traceback.print_exception(exc, file=sys.stdout)
        _flush(sys.stdout)


def _request_run():
    notify()
    _request_pending_call()


def _request_pending_call():
    """Ask the interpreter to call run_scheduled() in the main thread at the
    next bytecode boundary (CPython's Py_AddPendingCall, through ctypes)."""
    if _st.add_pending is None:
        return
    with _st.lock:
        if _st.pending_requested:
            return
        _st.pending_requested = True
    if _st.add_pending(_st.pending_cb, None) != 0:
        with _st.lock:
            _st.pending_requested = False


def _pending_call(_unused):
    with _st.lock:
        _st.pending_requested = False
    try:
        run_scheduled()
    except BaseException:  # a SystemExit from a callback cannot cross C
        traceback.print_exc()
    return 0


def _setup_pending_calls():
    try:
        import ctypes
        proto = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
        add = ctypes.pythonapi.Py_AddPendingCall
        add.argtypes = [proto, ctypes.c_void_p]
        add.restype = ctypes.c_int
    except (ImportError, AttributeError, OSError):
        return
    _st.pending_cb = proto(_pending_call)
    _st.add_pending = add


# --------------------------------------------------------------------------
# asyncio extensions (MicroPython's asyncio on top of CPython's)

class ThreadSafeFlag:
    """MicroPython's asyncio.ThreadSafeFlag: set() from any thread or from an
    IRQ handler; `await wait()` returns once set, clearing the flag."""

    def __init__(self):
        self._lock = threading.Lock()
        self._flag = False
        self._waiter = None
        self._loop = None

    def set(self):
        with self._lock:
            self._flag = True
            waiter, loop = self._waiter, self._loop
        if waiter is not None:
            try:
                loop.call_soon_threadsafe(self._wake)
            except RuntimeError:  # loop closed: nobody is waiting any more
                pass

    def clear(self):
        with self._lock:
            self._flag = False

    def _wake(self):
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self):
        import asyncio
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                if self._flag:
                    self._flag = False
                    return
                waiter = loop.create_future()
                self._waiter, self._loop = waiter, loop
            try:
                await waiter
            finally:
                with self._lock:
                    if self._waiter is waiter:
                        self._waiter = None


def _patch_asyncio(mod):
    if getattr(mod, "_blehost_patched", False):
        return

    async def sleep_ms_async(ms):
        await mod.sleep(ms / 1000.0)

    async def wait_for_ms(aw, timeout_ms):
        return await mod.wait_for(aw, timeout_ms / 1000.0)

    for name, value in (("sleep_ms", sleep_ms_async), ("wait_for_ms", wait_for_ms),
                        ("ThreadSafeFlag", ThreadSafeFlag)):
        if not hasattr(mod, name):
            setattr(mod, name, value)
    mod._blehost_patched = True


class _PatchingLoader:
    """Wraps asyncio's real loader and adds the extensions after it ran."""

    def __init__(self, real):
        self._real = real

    def create_module(self, spec):
        return self._real.create_module(spec)

    def exec_module(self, module):
        self._real.exec_module(module)
        _patch_asyncio(module)

    def __getattr__(self, name):
        return getattr(self._real, name)


class _AliasLoader:
    def __init__(self, target):
        self._target = target

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # The import system returns whatever sys.modules holds afterwards.
        real = __import__(self._target)
        sys.modules[module.__name__] = real


class _CompatFinder:
    """front=True: patches asyncio on import; front=False: alias fallback."""

    def __init__(self, front):
        self.front = front

    def find_spec(self, name, path=None, target=None):
        if self.front:
            if name != "asyncio" or "asyncio" in sys.modules:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader)
            return spec
        if name not in ALIASES:
            return None
        return importlib.machinery.ModuleSpec(name, _AliasLoader(ALIASES[name]))


# --------------------------------------------------------------------------
# sys.print_exception

def print_exception(exc, file=None):
    traceback.print_exception(exc, file=sys.stdout if file is None else file)


# --------------------------------------------------------------------------

def _flush(stream):
    try:
        stream.flush()
    except (AttributeError, OSError, ValueError):
        pass


def _patch_time():
    for name, value in (("sleep_ms", sleep_ms), ("sleep_us", sleep_us),
                        ("ticks_ms", ticks_ms), ("ticks_us", ticks_us),
                        ("ticks_cpu", ticks_cpu), ("ticks_diff", ticks_diff),
                        ("ticks_add", ticks_add)):
        setattr(time, name, value)
    if time.sleep is not sleep:
        _st.real_sleep = time.sleep
        time.sleep = sleep


def install():
    """Install the compatibility layer into this interpreter (idempotent)."""
    if _st.installed:
        return
    _st.installed = True
    _patch_time()
    _setup_pending_calls()
    if not hasattr(sys, "print_exception"):
        sys.print_exception = print_exception
    sys.meta_path.insert(0, _CompatFinder(front=True))
    sys.meta_path.append(_CompatFinder(front=False))
    if "asyncio" in sys.modules:
        _patch_asyncio(sys.modules["asyncio"])


def kbd_interrupt_main():
    """Raise KeyboardInterrupt in the main thread (schedule(kbd_intr, None))."""
    _thread.interrupt_main()
