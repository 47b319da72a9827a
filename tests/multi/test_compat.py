#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tests of the MicroPython compatibility layer (bindings/python/compat) and
of the launcher (bindings/python/blehost_python.py, scripts/blehost-python).
Run by CTest (label multi); needs no bluetooth module and no blesim."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCHER = os.path.join(REPO, "bindings", "python", "blehost_python.py")
WRAPPER = os.path.join(REPO, "scripts", "blehost-python")
sys.path.insert(0, os.path.join(REPO, "bindings", "python", "compat"))

import _blehost_compat as compat  # noqa: E402
import micropython  # noqa: E402
import machine  # noqa: E402


def launch(*args, stdin=None, env=None, cwd=None, argv0=None):
    cmd = argv0 or [sys.executable, LAUNCHER]
    proc = subprocess.run(cmd + list(args), input=stdin, env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class TicksTest(unittest.TestCase):
    def test_time_module_is_patched(self):
        for name in ("sleep_ms", "sleep_us", "ticks_ms", "ticks_us", "ticks_cpu",
                     "ticks_diff", "ticks_add"):
            self.assertTrue(callable(getattr(time, name)), name)

    def test_ticks_arithmetic_wraps(self):
        top = compat.TICKS_MAX
        self.assertEqual(time.ticks_add(top, 1), 0)
        self.assertEqual(time.ticks_add(0, -1), top)
        self.assertEqual(time.ticks_diff(0, top), 1)
        self.assertEqual(time.ticks_diff(top, 0), -1)
        self.assertEqual(time.ticks_diff(time.ticks_add(100, 50), 100), 50)
        half = compat.TICKS_PERIOD // 2
        self.assertEqual(time.ticks_diff(half - 1, 0), half - 1)
        self.assertEqual(time.ticks_diff(half, 0), -half)

    def test_sleep_ms_and_us_measure(self):
        t0 = time.ticks_us()
        time.sleep_ms(20)
        self.assertGreaterEqual(time.ticks_diff(time.ticks_us(), t0), 20000)
        t0 = time.ticks_ms()
        time.sleep_us(5000)
        self.assertGreaterEqual(time.ticks_diff(time.ticks_ms(), t0), 4)
        self.assertTrue(0 <= time.ticks_ms() <= compat.TICKS_MAX)


class ScheduleTest(unittest.TestCase):
    def tearDown(self):
        compat.run_scheduled()

    def test_fifo_order_at_sleep(self):
        got = []
        compat.sched_lock()  # keep the pending-call path out of this test
        for i in range(5):
            micropython.schedule(got.append, i)
        self.assertEqual(got, [])
        compat.sched_unlock()
        time.sleep_ms(1)
        self.assertEqual(got, [0, 1, 2, 3, 4])

    def test_runs_between_bytecodes_without_sleeping(self):
        got = []
        micropython.schedule(got.append, "x")
        deadline = time.monotonic() + 2
        while not got and time.monotonic() < deadline:
            pass
        self.assertEqual(got, ["x"])

    def test_queue_full(self):
        compat.sched_lock()
        try:
            for i in range(compat.SCHED_DEPTH):
                micropython.schedule(id, i)
            with self.assertRaises(RuntimeError) as cm:
                micropython.schedule(id, 0)
            self.assertEqual(str(cm.exception), "schedule queue full")
        finally:
            compat.sched_unlock()

    def test_not_callable(self):
        with self.assertRaises(TypeError):
            micropython.schedule(3, None)

    def test_no_nesting_and_exception_does_not_stop_queue(self):
        got = []

        def outer(arg):
            micropython.schedule(got.append, "inner")
            time.sleep_ms(5)  # must not run "inner" inside "outer"
            got.append("outer-end")

        def bad(arg):
            raise ValueError("boom")

        compat.sched_lock()
        micropython.schedule(outer, None)
        micropython.schedule(bad, None)
        compat.sched_unlock()
        for _ in range(50):
            machine.idle()
        self.assertEqual(got, ["outer-end", "inner"])

    def test_schedule_from_thread_wakes_idle(self):
        got = []
        compat.sched_lock()
        compat.sched_unlock()
        t = threading.Timer(0.05, micropython.schedule, (got.append, "t"))
        t.start()
        deadline = time.monotonic() + 2
        while not got and time.monotonic() < deadline:
            machine.idle()
        t.join()
        self.assertEqual(got, ["t"])

    def test_idle_returns_quickly_and_notify_wakes(self):
        t0 = time.monotonic()
        for _ in range(10):
            machine.idle()
        self.assertLess(time.monotonic() - t0, 2.0)
        threading.Timer(0.05, compat.notify).start()
        t0 = time.monotonic()
        compat.wait(10.0, idle=True)
        self.assertLess(time.monotonic() - t0, 5.0)

    def test_wait_hook(self):
        calls = []
        compat.set_wait_hook(lambda t: (calls.append(t), time.sleep(t)))
        try:
            time.sleep_ms(10)
        finally:
            compat.set_wait_hook(None)
        self.assertTrue(calls and 0 < calls[0] <= 0.010)


class MicropythonModuleTest(unittest.TestCase):
    def test_const_and_decorators(self):
        self.assertEqual(micropython.const(0x1234), 0x1234)

        @micropython.native
        def f():
            return 1

        @micropython.viper
        def g():
            return 2

        self.assertEqual((f(), g()), (1, 2))
        self.assertIsNone(micropython.alloc_emergency_exception_buf(100))
        self.assertEqual(micropython.opt_level(), 0)
        micropython.opt_level(2)
        self.assertEqual(micropython.opt_level(), 2)
        micropython.opt_level(0)
        self.assertEqual(micropython.heap_lock(), 0)
        self.assertEqual(micropython.heap_unlock(), 0)
        micropython.kbd_intr(3)

    def test_machine(self):
        self.assertEqual(len(machine.unique_id()), 8)
        self.assertEqual(machine.unique_id(), machine.unique_id())
        self.assertGreater(machine.freq(), 0)
        p = machine.Pin(2, machine.Pin.OUT)
        p.on()
        self.assertEqual(p.value(), 1)
        p.toggle()
        self.assertEqual(p(), 0)
        with self.assertRaises(SystemExit):
            machine.reset()


class AliasTest(unittest.TestCase):
    def test_u_modules(self):
        import utime
        import ustruct
        import ubinascii
        import struct
        import binascii
        self.assertIs(utime, time)
        self.assertIs(ustruct, struct)
        self.assertIs(ubinascii, binascii)

    def test_uasyncio_and_threadsafeflag(self):
        import uasyncio
        import asyncio
        self.assertIs(uasyncio, asyncio)
        flag = asyncio.ThreadSafeFlag()

        async def main():
            await asyncio.sleep_ms(1)
            threading.Timer(0.05, flag.set).start()
            await asyncio.wait_for_ms(flag.wait(), 2000)
            flag.set()
            await flag.wait()  # already set: returns at once
            return "ok"

        self.assertEqual(asyncio.run(main()), "ok")

    def test_print_exception(self):
        import io
        buf = io.StringIO()
        try:
            raise KeyError("k")
        except KeyError as e:
            sys.print_exception(e, buf)
        self.assertIn("KeyError", buf.getvalue())


class LauncherTest(unittest.TestCase):
    def test_dash_c_has_empty_path_entry_and_compat(self):
        rc, out, err = launch("-c", "import sys; print(sys.path[0] == '', sys.argv);"
                              "sys.path.remove(''); import micropython, machine, time;"
                              "print(time.ticks_diff(5, 3))", "a1")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "True ['-c', 'a1']\n2\n")

    def test_script_gets_its_directory_and_argv(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "helper_mod.py"), "w") as f:
                f.write("VALUE = 7\n")
            script = os.path.join(d, "prog.py")
            with open(script, "w") as f:
                f.write("import sys, helper_mod\nprint(__name__, helper_mod.VALUE, sys.argv)\n")
            rc, out, err = launch(script, "x")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "__main__ 7 [%r, 'x']\n" % script)

    def test_program_from_stdin(self):
        rc, out, _ = launch(stdin=b"import sys\nprint(sys.path[0] == '', __name__)\n")
        self.assertEqual((rc, out), (0, "True __main__\n"))

    def test_exception_exit_status_and_traceback(self):
        rc, out, err = launch("-c", "print('before')\nraise ValueError('bad')")
        self.assertEqual((rc, out), (1, "before\n"))
        self.assertIn("ValueError: bad", err)
        self.assertNotIn("blehost_python.py", err)
        rc, _, _ = launch("-c", "raise SystemExit(3)")
        self.assertEqual(rc, 3)

    def test_output_is_unbuffered(self):
        # The line must arrive while the program still waits on stdin.
        proc = subprocess.Popen([sys.executable, LAUNCHER, "-c",
                                 "print('ready')\nimport sys\nprint(sys.stdin.readline().strip())"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            self.assertEqual(proc.stdout.readline(), b"ready\n")
            proc.stdin.write(b"BROADCAST go\r\n")
            proc.stdin.flush()
            self.assertEqual(proc.stdout.readline(), b"BROADCAST go\n")
        finally:
            proc.stdin.close()
            proc.wait(timeout=10)
            proc.stdout.close()

    def test_wrapper_with_empty_environment(self):
        rc, out, err = launch("-c", "import micropython, os; print(os.environ.get('X'))",
                              argv0=[WRAPPER], env={"X": "1"})
        self.assertEqual((rc, out), (0, "1\n"), err)

    def test_bluetooth_dir_from_env(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bluetooth.py"), "w") as f:
                f.write("FLAG_READ = 2\n")
            env = dict(os.environ, BLEHOST_PYTHONPATH=d)
            rc, out, err = launch("-c", "import bluetooth, ubluetooth;"
                                  "print(bluetooth.FLAG_READ, ubluetooth is bluetooth)", env=env)
            self.assertEqual((rc, out), (0, "2 True\n"), err)
            rc, out, _ = launch("--print-path", env=env)
            self.assertEqual(out.splitlines()[1], d)

    def test_missing_bluetooth_explains(self):
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, BLEHOST_PYTHONPATH=d)
            rc, _, err = launch("-c", "import bluetooth", env=env)
        self.assertEqual(rc, 1)
        self.assertIn("BLEHOST_PYTHONPATH", err)

    def test_bad_option(self):
        rc, _, err = launch("--frobnicate")
        self.assertEqual(rc, 2)
        self.assertIn("usage", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
