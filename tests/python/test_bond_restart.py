# SPDX-License-Identifier: MIT
"""Bonds that survive a restart through the file secret store
(bindings/python/compat/blehost_secrets.py, BLEHOST_SECRETS).

Two MicroPython-style programs (a peripheral and a central, which never
answer IRQ 29/30 themselves) run through the launcher, each with
BLEHOST_SECRETS pointing at its own temporary JSON file, three times, each
time both processes start afresh (and so does blesim, started with the same
address base, so both keep their public identity addresses):

  run 1  connect, a READ_ENCRYPTED read fails (0x0F), pair with bonding,
         the read works, subscribe (CCCD 0x0001), a notification arrives;
         the files hold the bond (saved while running, by a scheduled save).
  run 2  reconnect, gap_pair re-encrypts: IRQ 28 = 1 0 1 16 with no passkey
         action, no new bond written and no Pairing Request in the central's
         btsnoop capture; gatts_write(..., send_update=True) reaches the
         central without a new CCCD write (subscription kept); gap_unpair()
         on both sides empties the bond from the files.
  run 3  reconnect: the link has to pair again (a Pairing Request is sent and
         a new bond is stored).

Also: the store module on its own (format, enumeration, deletes) and the
launcher's hook (nothing changes without BLEHOST_SECRETS; with it, the
program's own answers to 29/30 win).
"""

import base64
import importlib.util
import json
import os
import queue
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from bh_sim import Peer, Sim

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAUNCHER = os.path.join(REPO, "bindings", "python", "blehost_python.py")
sys.path.insert(0, os.path.join(REPO, "bindings", "python", "compat"))

import blehost_secrets  # noqa: E402

COMMON = r"""
import sys, select, time, bluetooth
from micropython import const

_FLAG_READ_ENCRYPTED = const(0x0200)
SVC = bluetooth.UUID("3c9d1e00-54a2-4b7f-8e61-0f2d7a9b5c13")
CHR = bluetooth.UUID("3c9d1e01-54a2-4b7f-8e61-0f2d7a9b5c13")
CCCD = bluetooth.UUID(0x2902)
st = {}


def say(*words):
    sys.stdout.write(" ".join(str(w) for w in words) + "\n")


def common_irq(event, data):
    if event == 28:
        say("encryption", data[1], data[2], data[3], data[4])
    elif event == 30:
        say("set secret", data[0], "delete" if data[2] is None else "store")
    elif event == 31:
        say("passkey action", data[1])
    # 29: not answered here (None): the file store answers.


def wait_for(key, timeout_ms=5000):
    start = time.ticks_ms()
    while key not in st:
        if time.ticks_diff(time.ticks_ms(), start) > timeout_ms:
            raise RuntimeError("no " + key)
        time.sleep_ms(5)
    return st.pop(key)


def commands(handle):
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    while True:
        if not poller.poll(0):
            time.sleep_ms(10)  # scheduled callbacks (the store's save) run here
            continue
        words = sys.stdin.readline().split()
        if not words or words[0] == "quit":
            break
        if words[0] == "unpair":
            if hasattr(ble, "gap_unpair"):
                ble.gap_unpair()
                say("ok unpair")
            else:
                say("no gap_unpair")
        else:
            handle(words)
"""

PERIPHERAL = COMMON + r"""
def irq(event, data):
    if event == 1:
        say("connect")
    elif event == 2:
        say("disconnect")
    else:
        return common_irq(event, data)


def handle(words):
    if words[0] == "notify":
        ble.gatts_write(H, words[1], True)
        say("ok notify")


ble = bluetooth.BLE()
ble.config(bond=True, le_secure=True)
ble.active(True)
ble.irq(irq)
((H,),) = ble.gatts_register_services(
    ((SVC, ((CHR, bluetooth.FLAG_READ | bluetooth.FLAG_NOTIFY | _FLAG_READ_ENCRYPTED),)),))
ble.gatts_write(H, b"sealed")
ble.gap_advertise(20000, b"\x02\x01\x06")
mac = ble.config("mac")
say("ready", mac[0], bytes(mac[1]).hex())
commands(handle)
"""

CENTRAL = COMMON + r"""
def irq(event, data):
    if event == 7:
        st["conn"] = data[0]
        say("connect")
    elif event == 8:
        say("disconnect")
    elif event == 11:
        st["value"] = data[2]
    elif event == 12:
        st["chars done"] = data[1]
    elif event == 13:
        if bluetooth.UUID(data[2]) == CCCD:
            st["cccd"] = data[1]
    elif event == 14:
        st["descs done"] = data[1]
    elif event == 15:
        say("read value", bytes(data[2]))
    elif event == 16:
        say("read status", data[2])
    elif event == 17:
        say("write status", data[2])
    elif event == 18:
        say("notify", bytes(data[2]))
    else:
        return common_irq(event, data)


def handle(words):
    if words[0] == "connect":
        ble.gap_connect(int(words[1]), bytes.fromhex(words[2]))
    elif words[0] == "discover":
        ble.gattc_discover_characteristics(conn(), 1, 0xFFFF, CHR)
        value = wait_for("value")
        wait_for("chars done")
        ble.gattc_discover_descriptors(conn(), value, 0xFFFF)
        wait_for("descs done")
        say("handles", value, wait_for("cccd"))
    elif words[0] == "read":
        ble.gattc_read(conn(), int(words[1]))
    elif words[0] == "subscribe":
        ble.gattc_write(conn(), int(words[1]), b"\x01\x00", 1)
    elif words[0] == "pair":
        ble.gap_pair(conn())
    elif words[0] == "disconnect":
        ble.gap_disconnect(conn())


def conn():
    return st["conn_kept"]


ble = bluetooth.BLE()
ble.config(bond=True, le_secure=True)
ble.active(True)
ble.irq(irq)
say("ready")
_orig_irq = irq


def keep_conn(event, data):
    r = _orig_irq(event, data)
    if event == 7:
        st["conn_kept"] = st.pop("conn")
    return r


ble.irq(keep_conn)
commands(handle)
"""


def module_dir():
    spec = importlib.util.find_spec("bluetooth")
    return os.path.dirname(spec.origin) if spec and spec.origin else None


class Program(Peer):
    """A script run by the launcher (bh_sim.Peer runs `python3 -c` instead)."""

    def __init__(self, script, env):
        self.lines = queue.Queue()
        self.seen = []
        full_env = dict(os.environ)
        full_env["BLEHOST_PYTHONPATH"] = module_dir()
        full_env.update(env)
        self.proc = subprocess.Popen([sys.executable, LAUNCHER, script],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=full_env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def expect_any(self, prefixes, timeout=10.0):
        """The first line starting with any of prefixes."""
        while True:
            line = self.expect("", timeout)
            if line.startswith(prefixes):
                return line


def secret_types(path):
    """The secret types stored in an aioble-format JSON file."""
    with open(path) as f:
        return sorted({entry[0] for entry in json.load(f)})


def pairing_requests(snoop_path):
    """SMP Pairing Requests (code 0x01 on CID 0x0006) this host sent."""
    with open(snoop_path, "rb") as f:
        data = f.read()
    pos, n = 16, 0
    while pos + 24 <= len(data):
        _, incl, flags = struct.unpack(">III", data[pos:pos + 12])
        pkt = data[pos + 24:pos + 24 + incl]
        pos += 24 + incl
        sent = (flags & 1) == 0
        if sent and len(pkt) >= 10 and pkt[0] == 0x02:
            cid = struct.unpack("<H", pkt[7:9])[0]
            n += cid == 0x0006 and pkt[9] == 0x01
    return n


class BondRestartTest(unittest.TestCase):
    """The three runs happen in setUpClass; the tests check what was seen."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="bh-bond-")
        d = cls.tmp.name
        cls.files = {"p": os.path.join(d, "periph.json"), "c": os.path.join(d, "central.json")}
        cls.scripts = {"p": os.path.join(d, "periph.py"), "c": os.path.join(d, "central.py")}
        for k, text in (("p", PERIPHERAL), ("c", CENTRAL)):
            with open(cls.scripts[k], "w") as f:
                f.write(text)
        cls.runs = []
        cls.run_once(1)
        cls.run_once(2)
        if cls.runs[1]["unpaired"]:
            cls.run_once(3)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def start(cls, run, key):
        env = {"BLEHOST_SECRETS": cls.files[key],
               "BLEHOST_BTSNOOP": os.path.join(cls.tmp.name, "%s%d.snoop" % (key, run))}
        return Program(cls.scripts[key], env)

    @classmethod
    def run_once(cls, run):
        """One run: fresh blesim, peripheral first (controller 0), then central."""
        r = {"run": run}
        sim = Sim()
        p = c = None
        try:
            p = cls.start(run, "p")
            r["ready"] = p.expect("ready")
            c = cls.start(run, "c")
            c.expect("ready")
            cls.connect(r, p, c)
            cls.session(r, p, c)
            c.send("disconnect")
            c.expect("disconnect")
            p.expect("disconnect")
        finally:
            r["out"] = {}
            for k, prog in (("p", p), ("c", c)):
                if prog is not None:
                    if prog.proc.poll() is None:
                        prog.send("quit")
                    r["out"][k] = prog.finish()
                    r["rc_" + k] = prog.proc.returncode
            sim.stop()
        r["types"] = {k: secret_types(cls.files[k]) if os.path.exists(cls.files[k]) else []
                      for k in ("p", "c")}
        cls.runs.append(r)

    @classmethod
    def connect(cls, r, p, c):
        _, addr_type, addr = r["ready"].split()
        c.send("connect %s %s" % (addr_type, addr))
        c.expect("connect")
        p.expect("connect")

    @classmethod
    def session(cls, r, p, c):
        run = r["run"]
        if run == 1:
            c.send("discover")
            _, value, cccd = c.expect("handles").split()
            cls.handles = (value, cccd)
            c.send("read " + value)
            r["plain read"] = c.expect("read status")
        value, cccd = cls.handles
        r["mark_p"], r["mark_c"] = len(p.seen), len(c.seen)
        c.send("pair")
        r["enc c"] = c.expect("encryption")
        r["enc p"] = p.expect("encryption")
        c.send("read " + value)
        r["read"] = c.expect("read status")
        if run == 1:
            c.send("subscribe " + cccd)
            r["subscribe"] = c.expect("write status")
            cls.wait_saved(r)
        p.send("notify n%d" % run)
        p.expect("ok notify")
        try:
            r["notify"] = c.expect("notify", timeout=3)
        except AssertionError:
            r["notify"] = None
        r["session p"], r["session c"] = p.seen[r["mark_p"]:], c.seen[r["mark_c"]:]
        if run == 2:
            c.send("unpair")
            r["unpaired"] = c.expect_any(("ok unpair", "no gap_unpair")) == "ok unpair"
            if r["unpaired"]:
                p.send("unpair")
                p.expect("ok unpair")
                cls.wait_saved(r, want_bond=False)

    @classmethod
    def wait_saved(cls, r, want_bond=True):
        """The scheduled save writes the files while the programs still run."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            types = {k: secret_types(f) if os.path.exists(f) else []
                     for k, f in cls.files.items()}
            if all((1 in t and 2 in t) == want_bond for t in types.values()):
                r["saved while running"] = types
                return
            time.sleep(0.05)
        r["saved while running"] = None

    # ---- run 1 --------------------------------------------------------------------------

    def test_1_first_run_bonds(self):
        r = self.runs[0]
        self.assertEqual(r["plain read"], "read status 15")
        self.assertEqual(r["enc c"], "encryption 1 0 1 16")
        self.assertEqual(r["enc p"], "encryption 1 0 1 16")
        self.assertEqual(r["read"], "read status 0")
        self.assertEqual(r["subscribe"], "write status 0")
        self.assertEqual(r["notify"], "notify b'n1'")
        self.assertEqual(pairing_requests(os.path.join(self.tmp.name, "c1.snoop")), 1)
        self.assertIsNotNone(r["saved while running"], "no scheduled save while running")
        for k in ("p", "c"):
            self.assertEqual(r["rc_" + k], 0, r["out"][k])
            self.assertTrue({1, 2, 10} <= set(r["types"][k]), r["types"])

    # ---- run 2 --------------------------------------------------------------------------

    def test_2_restart_encrypts_without_pairing(self):
        r = self.runs[1]
        self.assertEqual(r["ready"], self.runs[0]["ready"], "identity address changed")
        self.assertEqual(r["enc c"], "encryption 1 0 1 16")
        self.assertEqual(r["enc p"], "encryption 1 0 1 16")
        self.assertEqual(r["read"], "read status 0")
        for k in ("p", "c"):
            session = r["session " + k]
            self.assertFalse([l for l in session if l.startswith("passkey")], session)
            self.assertFalse([l for l in session if l in ("set secret 1 store",
                                                          "set secret 2 store")], session)
        self.assertEqual(pairing_requests(os.path.join(self.tmp.name, "c2.snoop")), 0)

    def test_3_subscription_kept(self):
        r = self.runs[1]
        self.assertIn(3, self.runs[0]["types"]["p"], "run 1 stored no CCCD record (type 3)")
        self.assertEqual(r["notify"], "notify b'n2'",
                         "no notification after the restart: the bonded central's CCCD "
                         "subscription was not restored (written in run 1, not in run 2)")

    # ---- run 3 --------------------------------------------------------------------------

    def test_4_unpair_needs_pairing_again(self):
        r = self.runs[1]
        if not r["unpaired"]:
            self.skipTest("bluetooth.BLE has no gap_unpair (bh_ble_gap_unpair is not bound)")
        self.assertEqual(r["saved while running"] is not None, True, r)
        for k in ("p", "c"):
            self.assertFalse({1, 2, 3} & set(r["types"][k]), r["types"])
        r3 = self.runs[2]
        self.assertEqual(pairing_requests(os.path.join(self.tmp.name, "c3.snoop")), 1)
        self.assertEqual(r3["enc c"], "encryption 1 0 1 16")
        for k in ("p", "c"):
            self.assertIn("set secret 2 store", r3["session " + k])
            self.assertTrue({1, 2} <= set(r3["types"][k]), r3["types"])


class StoreTest(unittest.TestCase):
    """FileSecretStore without a radio."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bh-store-")
        self.path = os.path.join(self.tmp.name, "s.json")

    def tearDown(self):
        self.tmp.cleanup()

    def test_round_trip_format_enumeration_delete(self):
        s = blehost_secrets.FileSecretStore(self.path)
        self.assertIsNone(s.get(2, 0, None))
        self.assertTrue(s.set(2, memoryview(b"\x00k1"), memoryview(b"v1")))
        self.assertTrue(s.set(1, b"\x00k1", b"o1"))
        self.assertTrue(s.set(2, b"\x00k2", b"v2"))
        self.assertEqual(s.get(2, 0, b"\x00k2"), b"v2")
        self.assertEqual([s.get(2, i, None) for i in range(3)], [b"v1", b"v2", None])
        self.assertEqual(s.get(1, 1, None), None)
        self.assertFalse(s.set(3, b"none", None))
        self.assertTrue(s.set(2, b"\x00k1", None))
        self.assertEqual(s.get(2, 0, None), b"v2")
        s.save()
        with open(self.path) as f:
            entries = json.load(f)
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        self.assertEqual(entries, [[1, b64(b"\x00k1"), b64(b"o1")],
                                   [2, b64(b"\x00k2"), b64(b"v2")]])
        again = blehost_secrets.FileSecretStore(self.path)
        self.assertEqual(again.get(1, 0, b"\x00k1"), b"o1")
        self.assertEqual(again.get(2, 0, None), b"v2")

    def test_bad_file_starts_empty(self):
        with open(self.path, "w") as f:
            f.write("{not json")
        s = blehost_secrets.FileSecretStore(self.path)
        self.assertIsNone(s.get(1, 0, None))


HOOK_PROBE = r"""
import bluetooth
ble = bluetooth.BLE()
print("same object", ble is bluetooth.BLE())
print("class has", hasattr(bluetooth.BLE, "gap_advertise"), ble.active.__self__ is not ble)
print("proxy", "__getattr__" in vars(type(ble)), type(ble).__module__, type(ble).__name__)
try:
    ble.irq(5)
except ValueError as e:
    print("irq(5)", e)
def mine(event, data):
    if event == 29 and data[0] == 10:
        return b"mine"
    if event == 30:
        print("app saw set", data[0])
ble.irq(mine)
import blehost_secrets
disp = blehost_secrets._Installed.dispatcher
print("store", disp is not None)
if disp is not None:
    print("get 10", disp(29, (10, 0, b"irk")))
    print("get 2", disp(29, (2, 0, None)))
    print("set 2", disp(30, (2, memoryview(b"key"), memoryview(b"val"))))
    print("get 2", disp(29, (2, 0, None)))
    print("get 2 by key", disp(29, (2, 0, memoryview(b"key"))))
"""


class LauncherHookTest(unittest.TestCase):
    def run_probe(self, env):
        full = dict(os.environ)
        full["BLEHOST_PYTHONPATH"] = module_dir()
        full.pop("BLEHOST_SECRETS", None)
        full.update(env)
        out = subprocess.run([sys.executable, LAUNCHER, "-c", HOOK_PROBE], env=full,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_without_env_nothing_changes(self):
        out = self.run_probe({})
        self.assertIn("proxy False bluetooth BLE", out)
        self.assertIn("store False", out)

    def test_with_env_the_program_answers_first(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.json")
            out = self.run_probe({"BLEHOST_SECRETS": path})
            self.assertIn("same object True", out)
            self.assertIn("class has True True", out)
            self.assertIn("proxy True bluetooth BLE", out)
            self.assertIn("irq(5) invalid handler", out)
            self.assertIn("store True", out)
            self.assertIn("get 10 b'mine'", out)  # the program's answer wins
            self.assertIn("get 2 None\napp saw set 2\nset 2 True\nget 2 b'val'\n"
                          "get 2 by key b'val'", out)
            with open(path) as f:  # saved by the end of the program at the latest
                self.assertEqual(json.load(f), [[2, "a2V5", "dmFs"]])


if __name__ == "__main__":
    unittest.main()
