# Runner self-test (no BLE): the launcher's MicroPython compatibility layer as
# a multitest instance sees it (sys.path, const, ticks, sleep_ms, schedule,
# machine.idle, u-module aliases, get_network_ip).
import sys
from micropython import const
import time, machine, micropython

_LIMIT = const(200)


def instance0():
    print("'' left on sys.path:", "" in sys.path)
    t0 = time.ticks_ms()
    time.sleep_ms(30)
    dt = time.ticks_diff(time.ticks_ms(), t0)
    print("sleep_ms(30) took 30..999 ms:", 30 <= dt < 1000)
    print("ticks_diff(ticks_add(0, -1), 0) =", time.ticks_diff(time.ticks_add(0, -1), 0))
    got = []
    micropython.schedule(got.append, 1)
    micropython.schedule(got.append, 2)
    for _ in range(_LIMIT):
        if len(got) == 2:
            break
        machine.idle()
    print("scheduled:", got)
    import utime, ustruct, ubinascii
    print("aliases:", utime is time, ustruct.pack("<H", 0x1234), ubinascii.hexlify(b"\x01\xff"))
    print("get_network_ip() is a str:", isinstance(multitest.get_network_ip(), str))
    multitest.next()
