# Runner self-test (no BLE): next(), globals(), broadcast() and wait() between
# two instances, in both directions.


def instance0():
    multitest.globals(PEER=(0, b"\x01\x02\xaa"), NAME="peer0")
    print("i0 setup")
    multitest.next()
    multitest.wait("ready1")
    print("i0 got ready1")
    multitest.broadcast("go0")
    multitest.wait("done1")
    print("i0 end")


def instance1():
    print("i1 sees", PEER, NAME)
    multitest.next()
    multitest.broadcast("ready1")
    multitest.wait("go0")
    print("i1 got go0")
    multitest.broadcast("done1")
    print("i1 end")
