# Runner self-test (blesim process management, no BLE): every instance gets
# BLEHOST_HCI pointing at the runner's blesim socket, which accepts it.
import os, socket


def _attach():
    hci = os.environ.get("BLEHOST_HCI", "")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(hci[len("unix:"):])
    return hci, s


def instance0():
    hci, s = _attach()
    print("i0 unix socket:", hci.startswith("unix:") and hci.endswith("/sim.sock"))
    multitest.globals(HCI0=hci)
    multitest.next()
    multitest.wait("attached1")
    s.close()


def instance1():
    hci, s = _attach()
    print("i1 same blesim:", hci == HCI0, "instance", os.environ.get("BLEHOST_INSTANCE"))
    multitest.next()
    multitest.broadcast("attached1")
    s.close()
