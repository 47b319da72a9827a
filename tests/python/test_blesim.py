# SPDX-License-Identifier: MIT
"""The bluetooth module against blesim: this process is one device, a peer
process (tests/python/bh_sim.Peer) the other. Covers event tuple types,
memoryview lifetime, synchronous SCAN_DONE, restart cycles, connections,
discovery chained from the handler, delivery while the peer's main thread
blocks in stdin, and handler exceptions (shared/API.md 1.3, 1.4)."""

import time
import unittest

import micropython  # noqa: F401  installs time.sleep_ms & co
import bluetooth

from bh_sim import Peer, Sim, wait_for

FLAGS_RWN = bluetooth.FLAG_READ | bluetooth.FLAG_WRITE | bluetooth.FLAG_NOTIFY
SVC = bluetooth.UUID("A5A5A5A5-FFFF-9999-1111-5A5A5A5A5A5A")
CHR = bluetooth.UUID("00000000-1111-2222-3333-444444444444")
DSC = bluetooth.UUID(0x2901)
ADV = b"\x02\x01\x06\x05\x09peer"
SCAN_RSP = b"\x04\xffabc"

PERIPHERAL = r"""
SVC = bluetooth.UUID("A5A5A5A5-FFFF-9999-1111-5A5A5A5A5A5A")
CHR = bluetooth.UUID("00000000-1111-2222-3333-444444444444")
ble = bluetooth.BLE()
conn = [None]
def irq(ev, data):
    if ev == 1:
        conn[0] = data[0]
        print("central connect", type(data[0]).__name__, type(data[1]).__name__,
              type(data[2]).__name__, len(bytes(data[2])))
    elif ev == 2:
        print("central disconnect"); conn[0] = None
    elif ev == 3:
        print("gatts write", bytes(ble.gatts_read(data[1])))
    elif ev == 4:
        print("read request", data[1] == H)
        ble.gatts_write(H, b"fresh")
        return 0
    else:
        print("irq", ev)
ble.irq(irq)
ble.active(True)
((H, D),) = ble.gatts_register_services(((SVC, ((CHR, %d, ((bluetooth.UUID(0x2901), 2),)),)),))
ble.gatts_write(H, "periph0")
print("handles", H, D)
ble.gap_advertise(20000, b"\x02\x01\x06")
print("advertising")
MODE
"""


def peripheral(mode):
    return PERIPHERAL.replace("%d", str(FLAGS_RWN)).replace("MODE", mode)


class BlesimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim()
        cls.ble = bluetooth.BLE()

    @classmethod
    def tearDownClass(cls):
        cls.ble.irq(None)
        cls.ble.active(False)
        cls.sim.stop()

    def setUp(self):
        self.events = []
        self.ble.irq(None)
        self.assertTrue(self.ble.active(True))

    def tearDown(self):
        self.ble.irq(None)
        self.ble.active(False)

    def find_peer(self, want_adv_type=None, timeout=5.0):
        found = {}

        def irq(ev, data):
            if ev == 5 and "addr" not in found and \
                    (want_adv_type is None or data[2] == want_adv_type):
                found["addr"] = (data[0], bytes(data[1]))
        self.ble.irq(irq)
        self.ble.gap_scan(0, 20000, 20000)
        ok = wait_for(lambda: "addr" in found, timeout)
        self.ble.gap_scan(None)
        self.assertTrue(ok, "peer not seen while scanning")
        return found["addr"]

    def test_scan_result_types_and_adv_types(self):
        peer = Peer("ble = bluetooth.BLE(); ble.active(True)\n"
                    "ble.gap_advertise(20000, %r, resp_data=%r)\n"
                    "print('on'); sys.stdin.readline()\n"
                    "ble.gap_advertise(20000, %r, connectable=False)\n"
                    "print('nonconn'); sys.stdin.readline()\n" % (ADV, SCAN_RSP, ADV))
        try:
            peer.expect("on")
            seen = {}
            views = []

            def irq(ev, data):
                if ev == 5:
                    types = tuple(type(x).__name__ for x in data)
                    self.assertEqual(types, ("int", "memoryview", "int", "int", "memoryview"))
                    views.append(data[4])
                    seen.setdefault(data[2], bytes(data[4]))
                elif ev == 6:
                    seen["done"] = True
            self.ble.irq(irq)
            self.ble.gap_scan(1000, 20000, 20000, True)
            self.assertTrue(wait_for(lambda: "done" in seen, 5))
            self.assertEqual(seen.get(0), ADV)
            self.assertEqual(seen.get(4), SCAN_RSP)
            # memoryviews are valid only during the callback
            with self.assertRaises(ValueError):
                bytes(views[0])
            peer.send("next")
            peer.expect("nonconn")
            seen.clear()
            self.ble.gap_scan(1000, 20000, 20000)
            self.assertTrue(wait_for(lambda: "done" in seen, 5))
            self.assertEqual(seen.get(2), ADV)
            self.assertNotIn(0, seen)
        finally:
            peer.finish()

    def test_scan_stop_delivers_scan_done_inside_the_call(self):
        got = []
        self.ble.irq(lambda ev, data: got.append(ev))
        self.ble.gap_scan(0, 20000, 20000)
        time.sleep_ms(50)
        self.ble.gap_scan(None)
        self.assertEqual(got[-1:], [6])
        self.assertEqual(got.count(6), 1)

    def test_restart_cycles(self):
        name = b"cycle"
        for _ in range(3):
            self.assertIs(self.ble.active(False), False)
            self.assertIs(self.ble.active(True), True)
            addr_type, addr = self.ble.config("mac")
            self.assertIsInstance(addr_type, int)
            self.assertEqual(len(addr), 6)
            self.ble.config(gap_name=name)
            self.assertEqual(self.ble.config("gap_name"), name)
            ((h,),) = self.ble.gatts_register_services(((SVC, ((CHR, FLAGS_RWN),)),))
            self.assertEqual(self.ble.gatts_write(h, "abc"), 3)
            self.assertEqual(self.ble.gatts_read(h), b"abc")

    def test_register_returns_value_and_descriptor_handles(self):
        res = self.ble.gatts_register_services((
            (SVC, ((CHR, FLAGS_RWN, ((DSC, 2), (bluetooth.UUID(0x2904), 2))),
                   (bluetooth.UUID(0x2A00), 0x10002))),
            (bluetooth.UUID(0x180F), []),
        ))
        self.assertIsInstance(res, tuple)
        self.assertEqual(len(res), 2)
        (v, d1, d2, v2), () = res
        self.assertEqual(d1, v + 2)  # the CCCD sits at v + 1 and is not returned
        self.assertEqual(d2, d1 + 1)
        self.assertGreater(v2, d2)
        self.assertEqual(self.ble.gatts_read(v), b"")
        self.assertIsNone(self.ble.gatts_set_buffer(v, 4, True))
        with self.assertRaises(OSError):
            self.ble.gatts_write(0x7FFF, b"x")

    def test_connect_and_discover_from_handler(self):
        peer = Peer(peripheral("sys.stdin.readline(); print('bye')"))
        try:
            peer.expect("advertising")
            addr = self.find_peer()
            log = []
            st = {}

            def irq(ev, data):
                if ev == 7:
                    st["conn"] = data[0]
                    log.append(("connect", data[1], bytes(data[2]) == addr[1]))
                    self.ble.gattc_discover_services(data[0])
                elif ev == 9:
                    if data[3] == SVC:
                        st["svc"] = (data[1], data[2])
                elif ev == 10:
                    log.append(("services", data[1]))
                    self.ble.gattc_discover_characteristics(data[0], *st["svc"])
                elif ev == 11:
                    st["chr"] = data
                elif ev == 12:
                    log.append(("chars", data[1]))
                    self.ble.gattc_discover_descriptors(data[0], st["chr"][2], st["svc"][1])
                elif ev == 13:
                    st.setdefault("dsc", []).append(data[2])
                elif ev == 14:
                    log.append(("descs", data[1]))
                    self.ble.gattc_write(data[0], st["chr"][2], "central0", 1)
                elif ev == 17:
                    log.append(("written", data[2]))
                elif ev == 8:
                    log.append(("disconnect",))
            self.ble.irq(irq)
            self.ble.gap_connect(*addr)
            self.assertTrue(wait_for(lambda: ("written", 0) in log or len(log) > 6, 10), log)
            peer.expect("central connect int int memoryview 6")
            peer.expect("gatts write b'central0'")
            self.assertEqual(log[:5], [("connect", addr[0], True), ("services", 0),
                                       ("chars", 0), ("descs", 0), ("written", 0)])
            conn, end, value, props, uuid = st["chr"]
            self.assertEqual(uuid, CHR)
            self.assertEqual(props, FLAGS_RWN & 0xFF)
            self.assertEqual(st["dsc"][:2], [bluetooth.UUID(0x2902), DSC])
            self.assertIs(self.ble.gap_disconnect(st["conn"]), True)
            self.assertTrue(wait_for(lambda: ("disconnect",) in log, 5), log)
            peer.expect("central disconnect")
            self.assertIs(self.ble.gap_disconnect(st["conn"]), False)
        finally:
            peer.finish()

    def test_peer_blocked_in_stdin_still_gets_events(self):
        # The peer's main thread sits in sys.stdin.readline(): the connect
        # event must still reach its handler (dispatcher thread).
        # Its READ_REQUEST handler (an answer the host thread waits for) must
        # run too, and its gatts_write must be what the read returns.
        peer = Peer(peripheral("line = sys.stdin.readline(); print('got', line.strip())"))
        try:
            handle = int(peer.expect("handles").split()[1])
            peer.expect("advertising")
            addr = self.find_peer()
            st = {}

            def irq(ev, data):
                if ev == 15:
                    st["value"] = bytes(data[2])
                st[ev] = data[0] if data else None
            self.ble.irq(irq)
            self.ble.gap_connect(*addr)
            self.assertTrue(wait_for(lambda: 7 in st, 5))
            peer.expect("central connect", timeout=5)
            self.ble.gattc_read(st[7], handle)
            self.assertTrue(wait_for(lambda: 16 in st, 5))
            self.assertEqual(st.get("value"), b"fresh")
            peer.expect("read request True", timeout=5)
            self.ble.gap_disconnect(st[7])
            peer.expect("central disconnect", timeout=5)
            peer.send("hello")
            peer.expect("got hello")
        finally:
            peer.finish()

    def test_handler_exception_unregisters(self):
        self.ble.gap_advertise(20000, ADV)
        peer = Peer("ble = bluetooth.BLE(); ble.active(True)\n"
                    "n = [0]\n"
                    "def irq(ev, data):\n"
                    "    n[0] += 1\n"
                    "    raise KeyError('boom')\n"
                    "ble.irq(irq)\n"
                    "ble.gap_scan(0, 20000, 20000)\n"
                    "time.sleep_ms(600)\n"
                    "print('calls', n[0])\n")
        lines = peer.finish()
        self.assertIn("Unhandled exception in IRQ callback handler", lines)
        self.assertIn("KeyError: 'boom'", lines)
        self.assertIn("Traceback (most recent call last):", lines)
        self.assertIn("calls 1", lines)

    def test_no_nested_delivery(self):
        # Scan results flood in while the handler sleeps: none may start
        # inside a running handler, and the handler may call BLE methods.
        self.ble.gap_advertise(20000, ADV)
        peer = Peer("ble = bluetooth.BLE(); ble.active(True)\n"
                    "st = {'in': False, 'nested': 0, 'n': 0}\n"
                    "def irq(ev, data):\n"
                    "    if st['in']: st['nested'] += 1\n"
                    "    st['in'] = True\n"
                    "    st['n'] += 1\n"
                    "    ble.config('mac')\n"
                    "    time.sleep_ms(3)\n"
                    "    st['in'] = False\n"
                    "ble.irq(irq)\n"
                    "ble.gap_scan(0, 20000, 20000)\n"
                    "t = time.ticks_ms()\n"
                    "while time.ticks_diff(time.ticks_ms(), t) < 500: machine.idle()\n"
                    "ble.gap_scan(None)\n"
                    "print('nested', st['nested'], st['n'] > 5)\n")
        lines = peer.finish()
        self.assertIn("nested 0 True", lines)


if __name__ == "__main__":
    unittest.main()
