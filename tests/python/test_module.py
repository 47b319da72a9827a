# SPDX-License-Identifier: MIT
"""The bluetooth module without a controller: attributes, the BLE singleton,
argument errors, ENODEV while inactive, ETIMEDOUT when nothing answers
(shared/API.md 1.1, 1.3, 1.6)."""

import errno
import os
import socket
import subprocess
import sys
import tempfile
import unittest

import bluetooth


class ModuleAttributes(unittest.TestCase):
    def test_flags(self):
        self.assertEqual(bluetooth.FLAG_READ, 0x0002)
        self.assertEqual(bluetooth.FLAG_WRITE, 0x0008)
        self.assertEqual(bluetooth.FLAG_NOTIFY, 0x0010)
        self.assertEqual(bluetooth.FLAG_INDICATE, 0x0020)
        self.assertEqual(bluetooth.FLAG_WRITE_NO_RESPONSE, 0x0004)

    def test_only_the_documented_names(self):
        public = sorted(n for n in dir(bluetooth) if not n.startswith("_"))
        self.assertEqual(public, ["BLE", "FLAG_INDICATE", "FLAG_NOTIFY", "FLAG_READ",
                                  "FLAG_WRITE", "FLAG_WRITE_NO_RESPONSE", "UUID"])

    def test_ubluetooth_alias(self):
        import ubluetooth
        self.assertIs(ubluetooth, bluetooth)

    def test_ble_is_a_singleton(self):
        a = bluetooth.BLE()
        self.assertIs(bluetooth.BLE(), a)
        self.assertIs(bluetooth.BLE(1, x=2), a)
        self.assertIsInstance(a, bluetooth.BLE)

    def test_methods_exist(self):
        ble = bluetooth.BLE()
        for name in ("active", "config", "irq", "gap_advertise", "gap_scan", "gap_connect",
                     "gap_disconnect", "gatts_register_services", "gatts_read", "gatts_write",
                     "gatts_notify", "gatts_indicate", "gatts_set_buffer",
                     "gattc_discover_services", "gattc_discover_characteristics",
                     "gattc_discover_descriptors", "gattc_read", "gattc_write",
                     "gattc_exchange_mtu", "l2cap_listen", "l2cap_connect", "l2cap_disconnect",
                     "l2cap_send", "l2cap_recvinto"):
            self.assertTrue(callable(getattr(ble, name)), name)


class Inactive(unittest.TestCase):
    def setUp(self):
        self.ble = bluetooth.BLE()
        self.ble.active(False)

    def assert_enodev(self, fn, *args, **kw):
        with self.assertRaises(OSError) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.errno, errno.ENODEV)
        self.assertEqual(str(cm.exception), "[Errno 19] ENODEV")

    def test_active_is_false(self):
        self.assertIs(self.ble.active(), False)
        self.assertIs(self.ble.active(False), False)
        self.assertIs(self.ble.active(0), False)

    def test_operations_raise_enodev(self):
        b = self.ble
        self.assert_enodev(b.gap_advertise, 100000, b"\x02\x01\x06")
        self.assert_enodev(b.gap_scan, 1000)
        self.assert_enodev(b.gap_connect, 0, b"\x01\x02\x03\x04\x05\x06")
        self.assert_enodev(b.gatts_register_services, [])
        self.assert_enodev(b.gatts_write, 5, b"x")
        self.assert_enodev(b.gatts_notify, 0, 5)
        self.assert_enodev(b.gattc_discover_services, 0)
        self.assert_enodev(b.gattc_read, 0, 5)
        self.assert_enodev(b.gattc_write, 0, 5, b"x", 1)
        self.assert_enodev(b.gattc_exchange_mtu, 0)
        self.assert_enodev(b.config, "mac")
        self.assert_enodev(b.config, "mtu")

    def test_inactive_reads_and_stops_are_quiet(self):
        self.assertEqual(self.ble.gatts_read(5), b"")
        self.assertIsNone(self.ble.gap_advertise(None))

    def test_gap_name_works_while_inactive(self):
        self.assertIsInstance(self.ble.config("gap_name"), bytes)


class Arguments(unittest.TestCase):
    def setUp(self):
        self.ble = bluetooth.BLE()

    def test_config_needs_one_query(self):
        with self.assertRaises(TypeError) as cm:
            self.ble.config()
        self.assertEqual(str(cm.exception), "must query one param")
        with self.assertRaises(TypeError):
            self.ble.config("mac", "mtu")

    def test_config_no_mixing(self):
        with self.assertRaises(TypeError):
            self.ble.config("mac", mtu=100)

    def test_config_unknown(self):
        for call in (lambda: self.ble.config("nonsense"), lambda: self.ble.config(nonsense=1),
                     lambda: self.ble.config("rxbuf"), lambda: self.ble.config(rxbuf=100),
                     lambda: self.ble.config("addr_mode"), lambda: self.ble.config(mac=b"x")):
            with self.assertRaises(ValueError) as cm:
                call()
            self.assertEqual(str(cm.exception), "unknown config param")

    def test_config_query_must_be_str(self):
        with self.assertRaises(TypeError):
            self.ble.config(1)

    def test_irq_handler_checks(self):
        with self.assertRaises(ValueError) as cm:
            self.ble.irq(1)
        self.assertEqual(str(cm.exception), "invalid handler")
        self.assertIsNone(self.ble.irq(None))
        self.assertIsNone(self.ble.irq(lambda e, d: None))
        self.assertIsNone(self.ble.irq(None))
        with self.assertRaises(TypeError):
            self.ble.irq()

    def test_gap_connect_addr_checks(self):
        with self.assertRaises(TypeError) as cm:
            self.ble.gap_connect(0)
        self.assertEqual(str(cm.exception), "invalid addr")
        with self.assertRaises(ValueError) as cm:
            self.ble.gap_connect(0, b"\x01\x02")
        self.assertEqual(str(cm.exception), "invalid addr")
        with self.assertRaises(ValueError):
            self.ble.gap_connect(0, 5)

    def test_gattc_uuid_filter_type(self):
        with self.assertRaises(TypeError) as cm:
            self.ble.gattc_discover_services(0, 0x180F)
        self.assertEqual(str(cm.exception), "UUID")

    def test_gattc_write_mode(self):
        with self.assertRaises(OSError) as cm:
            self.ble.gattc_write(0, 5, b"x", 2)
        self.assertEqual(cm.exception.errno, errno.EINVAL)

    def test_register_services_shapes(self):
        U = bluetooth.UUID
        R = bluetooth.FLAG_READ
        cases = (
            ([(0x180F, ())], "invalid service UUID"),
            ([(U(1), ((U(2),),))], "invalid characteristic tuple"),
            ([(U(1), ((U(2), R, (), 4),))], "invalid characteristic tuple"),
            ([(U(1), ((1, R),))], "invalid characteristic UUID"),
            ([(U(1), ((U(2), R, ((U(3),),)),))], "invalid descriptor tuple"),
            ([(U(1), ((U(2), R, ((3, R),)),))], "invalid descriptor UUID"),
        )
        for services, msg in cases:
            with self.assertRaises(ValueError, msg=msg) as cm:
                self.ble.gatts_register_services(services)
            self.assertEqual(str(cm.exception), msg)

    def test_int_args_reject_floats(self):
        with self.assertRaises(TypeError):
            self.ble.gattc_read(0.5, 1)


def _closed_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class NoController(unittest.TestCase):
    """active(True) with nothing behind BLEHOST_HCI: OSError(ETIMEDOUT) naming
    the transport. Run in a child so this process's environment stays put."""

    def run_child(self, spec, code):
        env = dict(os.environ)
        if spec is None:
            env.pop("BLEHOST_HCI", None)
        else:
            env["BLEHOST_HCI"] = spec
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=60)

    CHECK = (
        "import bluetooth\n"
        "b = bluetooth.BLE()\n"
        "for i in range(2):\n"
        "    try:\n"
        "        b.active(True)\n"
        "    except OSError as e:\n"
        "        print(type(e).__name__, e.errno, e)\n"
        "print(b.active())\n"
    )

    def check(self, spec, name):
        r = self.run_child(spec, self.CHECK)
        lines = r.stdout.splitlines()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(lines), 3, r.stdout + r.stderr)
        for line in lines[:2]:
            self.assertTrue(line.startswith("TimeoutError 110 [Errno 110] ETIMEDOUT"), line)
            self.assertIn(name, line)
        self.assertEqual(lines[2], "False")

    def test_unix_socket_missing(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "none.sock")
            self.check("unix:" + path, "unix:" + path)

    def test_tcp_refused(self):
        spec = "tcp:127.0.0.1:%d" % _closed_tcp_port()
        self.check(spec, spec)

    def test_tty_missing(self):
        self.check("tty:/dev/does-not-exist-blehost", "tty:/dev/does-not-exist-blehost")

    def test_silent_controller(self):
        # A socket that accepts and never answers: the HCI init times out.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "mute.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(4)
            try:
                r = self.run_child("unix:" + path, self.CHECK.replace("range(2)", "range(1)"))
            finally:
                srv.close()
            lines = r.stdout.splitlines()
            self.assertEqual(len(lines), 2, r.stdout + r.stderr)
            self.assertTrue(lines[0].startswith("TimeoutError 110"), lines[0])
            self.assertIn("unix:" + path, lines[0])

    def test_unset(self):
        r = self.run_child(None, self.CHECK)
        self.assertIn("TimeoutError 110", r.stdout)
        self.assertIn("BLEHOST_HCI", r.stdout)


if __name__ == "__main__":
    unittest.main()
