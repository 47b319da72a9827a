#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run MicroPython-style multi-instance tests against blesim.

A test file defines instance0(), instance1(), ... Each instance runs in its
own process (by default the blehost launcher, bindings/python/blehost_python.py)
and talks to the others through the `multitest` helper: next(), broadcast(),
wait(), globals(), skip(), get_network_ip(), output_metric(). The runner starts
one blesim per test (`blesim --listen unix:<tmp>/sim.sock`); every instance gets
BLEHOST_HCI=unix:<tmp>/sim.sock and therefore its own controller. Each
instance's output is compared with the test's .exp file:

    --- instance0 ---
    <lines>
    --- instance1 ---
    <lines>

The protocol and the comparison follow MicroPython's tests/run-multitests.py,
so MicroPython's own tests/multi_bluetooth/*.py run unchanged. See README.md.
"""

import argparse
import difflib
import glob
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCHER = os.path.join(REPO, "bindings", "python", "blehost_python.py")

# Lines that some MicroPython ports print on their own and that say nothing
# about the test (the same kind of filter MicroPython's runner applies).
NOISE = (
    "libusb: error ",
    "hci_transport_h2_libusb.c",
    "USB Path: ",
    "hci_number_completed_packet",
    "lld_pdu_get_tx_flush_nb HCI packet count mismatch (",
    " ets_task(",
)

# Prepended to every test program: the instance must start with '' on
# sys.path; removing it keeps the test directory from shadowing modules.
PROLOGUE = "import sys\nsys.path.remove('')\n\n"

# Appended after the test file. {globals} are the accumulated SET lines,
# {call} is the instance function to run.
EPILOGUE = '''
import sys


class multitest:
    @staticmethod
    def flush():
        try:
            sys.stdout.flush()
        except AttributeError:
            pass

    @staticmethod
    def _say(*words):
        print(*words)
        multitest.flush()

    @staticmethod
    def next():
        multitest._say("NEXT")

    @staticmethod
    def skip():
        multitest._say("SKIP")
        raise SystemExit

    @staticmethod
    def broadcast(msg):
        multitest._say("BROADCAST", msg)

    @staticmethod
    def wait(msg):
        want = "BROADCAST " + msg
        while True:
            line = sys.stdin.readline()
            if not line:
                raise OSError("multitest.wait: stdin closed")
            if line.rstrip() == want:
                return

    @staticmethod
    def globals(**kw):
        for name in kw:
            print("SET {{}} = {{!r}}".format(name, kw[name]))
        multitest.flush()

    @staticmethod
    def get_network_ip():
        try:
            return nic.ifconfig()[0]
        except Exception:
            pass
        try:
            import network
            if hasattr(network, "WLAN"):
                return network.WLAN().ifconfig()[0]
            return network.LAN().ifconfig()[0]
        except Exception:
            return HOST_IP

    @staticmethod
    def expect_reboot(resume, delay_ms=0):
        multitest._say("WAIT_FOR_REBOOT", resume, delay_ms)

    @staticmethod
    def output_metric(data):
        multitest._say("OUTPUT_METRIC", data)

{globals}
{call}()
multitest.flush()
'''

INSTANCE_RE = re.compile(rb"^def instance([0-9]+)\(\):", re.MULTILINE)


class RunnerError(Exception):
    pass


# --------------------------------------------------------------------------
# Instance commands

class InstanceSpec:
    """How to start one instance: argv, environment overrides, display name."""

    def __init__(self, argv, env, name):
        self.argv = argv
        self.env = env
        self.name = name


def parse_instance_spec(text):
    """blehost | exec:<path> | cmd:<shell words> | cpython | unix, each
    optionally followed by ,VAR=VAL,... (added to the inherited environment)."""
    parts = text.split(",")
    head, env = parts[0], {}
    for item in parts[1:]:
        if "=" not in item:
            raise RunnerError("bad environment item %r in instance %r" % (item, text))
        key, value = item.split("=", 1)
        env[key] = value
    if head in ("", "blehost"):
        return InstanceSpec([sys.executable, "-u", LAUNCHER], env, "blehost")
    if head.startswith("exec:"):
        path = head[len("exec:"):]
        return InstanceSpec([path], env, os.path.basename(path))
    if head.startswith("cmd:"):
        argv = shlex.split(head[len("cmd:"):])
        if not argv:
            raise RunnerError("empty command in instance %r" % text)
        return InstanceSpec(argv, env, os.path.basename(argv[0]))
    if head == "cpython":
        return InstanceSpec([os.getenv("MICROPY_CPYTHON3", "python3"), "-u"], env, "cpython")
    if head == "unix":
        return InstanceSpec([os.getenv("MICROPY_MICROPYTHON", "micropython")], env, "micropython")
    raise RunnerError("unsupported instance %r (boards: use MicroPython's run-multitests.py)"
                      % text)


class Instance:
    """One running instance: a process whose output lines a thread queues."""

    def __init__(self, idx, spec, env, cwd, script, trace):
        self.idx = idx
        self.lines = queue.Queue()
        self.finished = False
        self.last_read = time.monotonic()
        self.trace = trace
        full_env = dict(env)
        full_env.update(spec.env)
        self.proc = subprocess.Popen(
            spec.argv + ["-c", script], cwd=cwd, env=full_env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.put(raw.decode("utf-8", "backslashreplace").rstrip())
            self.trace.activity.set()
        self.lines.put(None)
        self.trace.activity.set()

    def get(self, timeout=None):
        """Next output line; None at end of output; raises queue.Empty."""
        if timeout is None:
            line = self.lines.get_nowait()
        else:
            line = self.lines.get(timeout=timeout)
        if line is None:
            self.finished = True
        else:
            self.last_read = time.monotonic()
            self.trace.line(self.idx, line)
        return line

    def write(self, text):
        if self.finished:
            return
        try:
            self.proc.stdin.write(text.encode("utf-8") + b"\r\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def stop(self):
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.thread.join(timeout=2)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


class Trace:
    """-c/--trace-output: timestamped instance lines as they arrive."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.t0 = time.monotonic()
        self.activity = threading.Event()

    def line(self, idx, text):
        if self.enabled:
            ms = round((time.monotonic() - self.t0) * 1000)
            print("%6d i%d : %s" % (ms, idx, text), flush=True)


# --------------------------------------------------------------------------
# blesim

def find_blesim(build_dir):
    if build_dir:
        cand = os.path.join(build_dir, "tools", "blesim", "blesim")
        return cand if os.path.isfile(cand) else None
    found = glob.glob(os.path.join(REPO, "build", "*", "tools", "blesim", "blesim"))
    found += glob.glob(os.path.join(REPO, "build", "tools", "blesim", "blesim"))
    found = [p for p in found if os.access(p, os.X_OK)]
    return max(found, key=os.path.getmtime) if found else None


class Blesim:
    """One blesim process listening on a unix socket in the test's tmpdir."""

    READY_PREFIX = "blesim: listening on unix:"

    def __init__(self, path, extra_args, tmpdir, start_timeout):
        self.sock = os.path.join(tmpdir, "sim.sock")
        self.log = []
        self.ready = threading.Event()
        extra = [a.replace("{tmpdir}", tmpdir) for a in extra_args]
        argv = [path, "--listen", "unix:" + self.sock] + extra
        try:
            self.proc = subprocess.Popen(argv, cwd=tmpdir, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except OSError as e:
            raise RunnerError("cannot start blesim %s: %s" % (path, e))
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + start_timeout
        while not self.ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                why = "timeout" if self.proc.returncode is None else \
                    "exited with %s" % self.proc.returncode
                raise RunnerError("blesim did not report '%s...' (%s); its output:\n%s" % (
                    self.READY_PREFIX, why, "\n".join(self.log[-20:])))

    @property
    def hci(self):
        return "unix:" + self.sock

    def _reader(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "backslashreplace").rstrip()
            self.log.append(line)
            if line.startswith(self.READY_PREFIX):
                self.ready.set()

    def stop(self):
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait()
                self.log.append("(runner: blesim killed after SIGTERM timeout)")
        self.thread.join(timeout=2)
        self.proc.stdout.close()


# --------------------------------------------------------------------------
# One test

class Result:
    def __init__(self):
        self.error = None
        self.skip = False
        self.output = ""
        self.metrics = []
        self.blesim_log = []


def count_instances(source):
    nums = [int(m.group(1)) for m in INSTANCE_RE.finditer(source)]
    return max(nums) + 1 if nums else 0


def build_script(source, idx, injected):
    epilogue = EPILOGUE.format(globals=injected, call="instance%d" % idx)
    return PROLOGUE + source.decode("utf-8") + "\n" + epilogue


class TestRun:
    """Drives the instances of one test through setup and run phases."""

    def __init__(self, path, num, specs, env, opts):
        self.path = path
        self.num = num
        self.specs = specs
        self.env = env
        self.opts = opts
        self.output = [[] for _ in range(num)]
        self.metrics = []
        self.instances = []
        self.injected = ""
        self.error = None
        self.skip = False
        self.trace = Trace(opts.trace_output)
        self.t_end = time.monotonic() + opts.test_timeout

    def _record(self, idx, line):
        if not any(n in line for n in NOISE):
            self.output[idx].append(line)

    def setup(self, source):
        """Start instances in order; each runs until NEXT (or its end)."""
        if b"get_network_ip" in source:
            self.injected += "HOST_IP = '127.0.0.1'\n"
        cwd = os.path.dirname(os.path.abspath(self.path))
        for idx in range(self.num):
            script = build_script(source, idx, self.injected)
            env = dict(self.env, BLEHOST_INSTANCE=str(idx))
            inst = Instance(idx, self.specs[idx], env, cwd, script, self.trace)
            self.instances.append(inst)
            while not self._setup_step(inst):
                pass
            if self.error or self.skip:
                return

    def _setup_step(self, inst):
        """Handle one line of an instance in its setup phase; True = done."""
        try:
            line = inst.get(timeout=0.1)
        except queue.Empty:
            return self._check_timeout(inst)
        if line is None or line == "NEXT":
            return True
        if line == "SKIP":
            self.skip = True
            return True
        if line.startswith("SET "):
            self.injected += line[4:] + "\n"
        else:
            self._record(inst.idx, line)
        return False

    def _check_timeout(self, inst):
        now = time.monotonic()
        if now - inst.last_read > self.opts.timeout or now > self.t_end:
            self.output[inst.idx].append("TIMEOUT")
            self.error = "instance%d: no output for %.0f s" % (inst.idx, self.opts.timeout)
            if now > self.t_end:
                self.error = "test took longer than %.0f s" % self.opts.test_timeout
            return True
        return False

    def run(self):
        """Relay lines of all instances until every one has finished."""
        now = time.monotonic()
        for inst in self.instances:
            inst.last_read = now
        while not self.error:
            self.trace.activity.clear()
            busy = False
            running = [i for i in self.instances if not i.finished]
            if not running:
                return
            for inst in running:
                busy |= self._drain(inst)
                if self.error:
                    return
            if not busy:
                self.trace.activity.wait(0.1)

    def _drain(self, inst):
        got = False
        while not inst.finished:
            try:
                line = inst.get()
            except queue.Empty:
                self._check_timeout(inst)
                return got
            got = True
            if line is not None:
                self._dispatch(inst, line)
        return got

    def _dispatch(self, inst, line):
        if any(n in line for n in NOISE):
            return
        if line.startswith("BROADCAST "):
            for other in self.instances:
                if other is not inst:
                    other.write(line)
        elif line.startswith("OUTPUT_METRIC "):
            self.metrics.append(line.split(" ", 1)[1])
        elif line.startswith("WAIT_FOR_REBOOT"):
            self.output[inst.idx].append(line)
            self.error = "instance%d: expect_reboot() needs a board instance" % inst.idx
        else:
            self.output[inst.idx].append(line)

    def stop(self):
        for inst in self.instances:
            inst.stop()
            # Lines that arrived after the last poll still belong to the output.
            while True:
                try:
                    line = inst.lines.get_nowait()
                except queue.Empty:
                    break
                if line is not None and not self.error and not self.skip:
                    self._dispatch(inst, line)

    def text(self):
        return "".join("--- instance%d ---\n%s\n" % (i, "\n".join(lines))
                       for i, lines in enumerate(self.output))


def run_one(path, num, specs, opts):
    res = Result()
    with open(path, "rb") as f:
        source = f.read()
    tmpdir = tempfile.mkdtemp(prefix="bhmt-", dir=_short_tmp())
    blesim = None
    env = dict(os.environ)
    if opts.pythonpath and "BLEHOST_PYTHONPATH" not in env:
        env["BLEHOST_PYTHONPATH"] = opts.pythonpath
    test = TestRun(path, num, specs, env, opts)
    try:
        if not opts.no_blesim:
            blesim = Blesim(opts.blesim, opts.blesim_args, tmpdir, opts.timeout)
            env["BLEHOST_HCI"] = blesim.hci
        env["BLEHOST_TEST_TMPDIR"] = tmpdir
        test.setup(source)
        if not test.error and not test.skip:
            test.run()
    except RunnerError as e:
        res.error = str(e)
    finally:
        test.stop()
        if blesim is not None:
            blesim.stop()
            res.blesim_log = blesim.log
        if opts.keep_tmp:
            print("(kept %s)" % tmpdir)
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)
    res.error = res.error or test.error
    res.skip = test.skip
    res.output = test.text()
    res.metrics = test.metrics
    return res


def _short_tmp():
    """A tmp dir short enough for a unix socket path (108 bytes)."""
    base = tempfile.gettempdir()
    return base if len(base) < 60 else "/tmp"


# --------------------------------------------------------------------------
# Reporting and main

class Totals:
    def __init__(self):
        self.passed = []
        self.failed = []
        self.skipped = []


def check_result(path, res, opts, totals):
    exp_path = path + ".exp"
    if res.skip:
        print("skip")
        totals.skipped.append(path)
        return
    expected = None
    if os.path.isfile(exp_path):
        with open(exp_path, encoding="utf-8") as f:
            expected = f.read()
    elif opts.write_exp and not res.error:
        with open(exp_path, "w", encoding="utf-8") as f:
            f.write(res.output)
        print("pass (wrote %s)" % exp_path)
        totals.passed.append(path)
        return
    if expected is not None and res.output == expected and not res.error:
        print("pass")
        totals.passed.append(path)
        if opts.show_output:
            print(res.output, end="")
        return
    print("FAIL")
    totals.failed.append(path)
    if res.error:
        print("### ERROR ###\n%s" % res.error)
    if expected is None:
        print("### ERROR ###\nno expected output %s (--write-exp creates it)" % exp_path)
        expected = ""
    print("### OUTPUT ###\n%s### DIFF ###" % res.output, end="\n")
    diff = difflib.unified_diff(expected.splitlines(True), res.output.splitlines(True),
                                fromfile=exp_path, tofile=path + ".out")
    sys.stdout.writelines(diff)
    if res.blesim_log:
        print("### BLESIM (last 20 lines) ###")
        print("\n".join(res.blesim_log[-20:]))


def collect_files(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(glob.glob(os.path.join(p, "*.py"))):
                with open(f, "rb") as fh:
                    if count_instances(fh.read()):
                        files.append(f)
        else:
            files.append(p)
    return files


def run_all(files, opts, specs_given):
    totals = Totals()
    for path in files:
        with open(path, "rb") as f:
            num = opts.instances or count_instances(f.read())
        if num == 0:
            print("%s: FAIL\n### ERROR ###\nno instanceN() function found" % path)
            totals.failed.append(path)
            continue
        specs = specs_given[:num] + [parse_instance_spec("blehost")] * (num - len(specs_given))
        print("%s on %s: " % (path, "|".join(s.name for s in specs)), end="", flush=True)
        if opts.trace_output:
            print()
        res = run_one(path, num, specs, opts)
        check_result(path, res, opts, totals)
        for metric in res.metrics:
            print("%s: %s" % (path, metric))
        sys.stdout.flush()
    return totals


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Run MicroPython multi-instance tests (instance0/instance1/...) "
        "against blesim. Instance forms: blehost (default), exec:<path>, "
        "cmd:<shell words>, cpython, unix; each may end in ,VAR=VAL,...")
    ap.add_argument("files", nargs="+", help="test files or directories of them")
    ap.add_argument("-i", "--instances", type=int, default=0,
                    help="number of instances (default: 1 + highest instanceN in the file)")
    ap.add_argument("-t", "--test-instance", action="append", default=[], metavar="INST",
                    help="instance command, once per instance in order")
    ap.add_argument("--blesim", help="blesim binary (default: newest build/*/tools/blesim/blesim)")
    ap.add_argument("--blesim-args", default="",
                    help="extra blesim arguments, shell-split; {tmpdir} is the test's tmp dir")
    ap.add_argument("--no-blesim", action="store_true",
                    help="start no blesim; instances use BLEHOST_HCI from the environment")
    ap.add_argument("--build-dir", help="blehost build dir: blesim and the bluetooth module")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds an instance may stay silent (default 10)")
    ap.add_argument("--test-timeout", type=float, default=120.0,
                    help="seconds a whole test may take (default 120)")
    ap.add_argument("-s", "--show-output", action="store_true", help="print output of passes too")
    ap.add_argument("-c", "--trace-output", action="store_true", help="trace lines live")
    ap.add_argument("--write-exp", action="store_true", help="write missing .exp files")
    ap.add_argument("--keep-tmp", action="store_true", help="keep each test's tmp dir")
    opts = ap.parse_args(argv)
    opts.blesim_args = shlex.split(opts.blesim_args)
    opts.pythonpath = None
    if opts.build_dir:
        opts.build_dir = os.path.abspath(opts.build_dir)
        opts.pythonpath = os.path.join(opts.build_dir, "bindings", "python")
    if not opts.no_blesim:
        opts.blesim = opts.blesim or find_blesim(opts.build_dir)
        if not opts.blesim:
            raise RunnerError("blesim not found: build it, or pass --blesim PATH or --no-blesim")
        opts.blesim = os.path.abspath(opts.blesim)
    return opts


def main(argv):
    try:
        opts = parse_args(argv)
        specs = [parse_instance_spec(t) for t in opts.test_instance]
    except RunnerError as e:
        print("run_multitests: %s" % e, file=sys.stderr)
        return 2
    totals = run_all(collect_files(opts.files), opts, specs)
    if totals.failed:
        print("%d tests failed: %s" % (len(totals.failed), " ".join(totals.failed)))
    print("%d passed, %d failed, %d skipped"
          % (len(totals.passed), len(totals.failed), len(totals.skipped)))
    return 1 if totals.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
