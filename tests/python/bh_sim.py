# SPDX-License-Identifier: MIT
"""Helpers for the bluetooth-module tests that need a controller: start a
blesim on a temporary unix socket, and run peer programs (another process,
another controller) whose output lines the test waits for."""

import glob
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def find_blesim():
    path = os.environ.get("BLESIM")
    if path:
        return path
    found = glob.glob(os.path.join(REPO, "build", "*", "tools", "blesim", "blesim"))
    return max(found, key=os.path.getmtime) if found else None


class Sim:
    """blesim --listen unix:<tmp>/sim.sock; sets BLEHOST_HCI for this process."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bh-py-")
        self.sock = os.path.join(self.tmp.name, "sim.sock")
        self.spec = "unix:" + self.sock
        exe = find_blesim()
        if exe is None:
            raise RuntimeError("blesim not found: set BLESIM")
        self.proc = subprocess.Popen([exe, "--listen", self.spec], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError("blesim did not start: %r" % line)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        os.environ["BLEHOST_HCI"] = self.spec

    def _drain(self):
        for _ in self.proc.stdout:
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "reader", None) is not None:
            self.reader.join(5)
        self.proc.stdout.close()
        self.tmp.cleanup()


PRELUDE = "import micropython, machine, time, sys, bluetooth\n"


class Peer:
    """A Python program on its own controller. Lines it prints are queued;
    expect() waits for one; send() writes a line to its stdin."""

    def __init__(self, program, env=None):
        self.lines = queue.Queue()
        self.seen = []
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([sys.executable, "-u", "-c", PRELUDE + program],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=full_env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix, timeout=10.0):
        """The first line starting with prefix (earlier lines are kept in seen)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = None
                left = 0
            if line is None and left <= 0 or line is None and self.proc.poll() is not None:
                raise AssertionError("peer: no line %r; output so far:\n%s"
                                     % (prefix, "\n".join(self.seen)))
            if line is None:
                continue
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout=15.0):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        while True:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        self.reader.join(5)
        self.proc.stdout.close()
        return self.seen


def wait_for(cond, timeout=10.0):
    """Sleep in time.sleep_ms slices (events flow meanwhile) until cond()."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep_ms(5)
    return True
