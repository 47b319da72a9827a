#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of tools/multitest/run_multitests.py (run by CTest, label multi).

Runs the runner on tests/multi/selftest_*.py, which use the multitest
protocol without BLE, and checks what it reports: passes, the skip, the
metrics, the summary line and exit status; the deliberately failing tests
(selftest_xfail_*) must be reported as failures with a diff; and the blesim
handling is checked with a stand-in blesim written to a temporary directory
(it listens on the socket, logs attaches, and records that SIGTERM stopped it).
"""

import glob
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(REPO, "tools", "multitest", "run_multitests.py")
WRAPPER = os.path.join(REPO, "scripts", "blehost-python")

FAKE_BLESIM = r'''
import os, signal, socket, sys
args = sys.argv[1:]
path = args[args.index("--listen") + 1][len("unix:"):]
marker = os.environ.get("FAKE_BLESIM_MARKER")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
def stop(sig, frame):
    os.unlink(path)
    if marker:
        with open(marker, "a") as f:
            f.write("stopped cleanly, extra args %r\n" % (args[2:],))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("blesim: listening on unix:" + path, flush=True)
n = 0
conns = []
while True:
    c, _ = srv.accept()
    conns.append(c)
    print("blesim: controller %d attached" % n, flush=True)
    n += 1
'''

FAKE_BLESIM_BROKEN = "import sys\nprint('blesim: cannot listen', flush=True)\nsys.exit(3)\n"


def passing_tests():
    names = sorted(glob.glob(os.path.join(HERE, "selftest_*.py")))
    return [n for n in names if "_xfail_" not in n and "_sim_" not in n]


def run_runner(*args, env=None, timeout=120):
    proc = subprocess.run([sys.executable, RUNNER] + list(args), cwd=HERE, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


class RunnerSelfTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bh-selftest-")
        self.addCleanup(self.tmp.cleanup)

    def write_fake(self, text):
        path = os.path.join(self.tmp.name, "blesim")
        with open(path, "w") as f:
            f.write("#!%s\n%s" % (sys.executable, text))
        os.chmod(path, 0o755)
        return path

    def assert_summary(self, out, passed, failed, skipped):
        last = out.rstrip("\n").splitlines()[-1]
        self.assertEqual(last, "%d passed, %d failed, %d skipped" % (passed, failed, skipped),
                         out)

    def test_passing_selftests(self):
        files = passing_tests()
        self.assertGreaterEqual(len(files), 5)
        rc, out = run_runner("--no-blesim", *files)
        self.assertEqual(rc, 0, out)
        n_skip = sum(1 for f in files if f.endswith("selftest_skip.py"))
        self.assert_summary(out, len(files) - n_skip, 0, n_skip)
        self.assertIn("selftest_protocol.py on blehost|blehost: pass", out)
        self.assertIn("selftest_three.py on blehost|blehost|blehost: pass", out)
        self.assertIn("selftest_skip.py on blehost|blehost: skip", out)
        self.assertIn("selftest_metric.py: selftest rate = 42 ops/s", out)
        self.assertIn("selftest_metric.py: selftest latency = 7 ms", out)

    def test_output_mismatch_is_failure_with_diff(self):
        rc, out = run_runner("--no-blesim", "selftest_xfail_output.py")
        self.assertEqual(rc, 1, out)
        self.assertIn("selftest_xfail_output.py on blehost|blehost: FAIL", out)
        self.assertIn("### DIFF ###", out)
        self.assertIn("\n-expected line\n", out)
        self.assertIn("\n+actual line\n", out)
        self.assert_summary(out, 0, 1, 0)

    def test_silent_instance_times_out(self):
        t0 = time.monotonic()
        rc, out = run_runner("--no-blesim", "--timeout", "2", "selftest_xfail_timeout.py")
        self.assertEqual(rc, 1, out)
        self.assertLess(time.monotonic() - t0, 30, "instances were not stopped")
        self.assertIn("FAIL", out)
        self.assertIn("\n+TIMEOUT\n", out)
        self.assert_summary(out, 0, 1, 0)

    def test_mixed_run_counts_and_fails(self):
        rc, out = run_runner("--no-blesim", "selftest_protocol.py", "selftest_skip.py",
                             "selftest_xfail_output.py")
        self.assertEqual(rc, 1, out)
        self.assertIn("1 tests failed: selftest_xfail_output.py", out)
        self.assert_summary(out, 1, 1, 1)

    def test_exec_instance_form_and_env_items(self):
        # MicroPython's `-t exec:<path>,VAR=VAL` form, with our sh wrapper.
        spec = "exec:%s,BLEHOST_SELFTEST=1" % WRAPPER
        rc, out = run_runner("--no-blesim", "-t", spec, "-t", spec, "selftest_protocol.py")
        self.assertEqual(rc, 0, out)
        self.assertIn("selftest_protocol.py on blehost-python|blehost-python: pass", out)

    def test_blesim_started_shared_and_stopped(self):
        marker = os.path.join(self.tmp.name, "marker")
        fake = self.write_fake(FAKE_BLESIM)
        env = dict(os.environ, FAKE_BLESIM_MARKER=marker)
        rc, out = run_runner("--blesim", fake, "--blesim-args", "--seed 7",
                             "selftest_sim_env.py", "selftest_protocol.py", env=env)
        self.assertEqual(rc, 0, out)
        self.assert_summary(out, 2, 0, 0)
        with open(marker) as f:
            stops = f.read().splitlines()
        # One blesim per test, each stopped with SIGTERM, extra args passed on.
        self.assertEqual(stops, ["stopped cleanly, extra args ['--seed', '7']"] * 2)

    def test_blesim_that_fails_to_start_fails_the_test(self):
        fake = self.write_fake(FAKE_BLESIM_BROKEN)
        rc, out = run_runner("--blesim", fake, "selftest_protocol.py")
        self.assertEqual(rc, 1, out)
        self.assertIn("blesim did not report", out)
        self.assertIn("blesim: cannot listen", out)
        self.assert_summary(out, 0, 1, 0)

    def test_missing_blesim_binary_fails_the_test(self):
        rc, out = run_runner("--blesim", os.path.join(self.tmp.name, "none"),
                             "selftest_protocol.py")
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot start blesim", out)

    def test_missing_exp_and_write_exp(self):
        src = os.path.join(self.tmp.name, "new_test.py")
        with open(src, "w") as f:
            f.write("def instance0():\n    multitest.next()\n    print('hello')\n")
        rc, out = run_runner("--no-blesim", src)
        self.assertEqual(rc, 1, out)
        self.assertIn("no expected output", out)
        rc, out = run_runner("--no-blesim", "--write-exp", src)
        self.assertEqual(rc, 0, out)
        with open(src + ".exp") as f:
            self.assertEqual(f.read(), "--- instance0 ---\nhello\n")
        rc, out = run_runner("--no-blesim", src)
        self.assertEqual(rc, 0, out)

    def test_directory_argument_and_instance_count_option(self):
        d = os.path.join(self.tmp.name, "suite")
        os.mkdir(d)
        with open(os.path.join(d, "t_one.py"), "w") as f:
            f.write("import sys\n\ndef instance0():\n    print(len(sys.argv))\n")
        with open(os.path.join(d, "helper.py"), "w") as f:
            f.write("X = 1\n")
        with open(os.path.join(d, "t_one.py.exp"), "w") as f:
            f.write("--- instance0 ---\n1\n")
        rc, out = run_runner("--no-blesim", d)
        self.assertEqual(rc, 0, out)
        self.assert_summary(out, 1, 0, 0)
        # -i 2 runs an extra instance (which has no instance1: NameError).
        rc, out = run_runner("--no-blesim", "-i", "2", d)
        self.assertEqual(rc, 1, out)
        self.assertIn("NameError", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
