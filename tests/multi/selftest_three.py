# Runner self-test (no BLE): three instances; globals accumulate in start
# order and a broadcast reaches every other instance.


def instance0():
    multitest.globals(A=1)
    multitest.next()
    multitest.broadcast("from0")
    multitest.wait("ack1")
    multitest.wait("ack2")
    print("i0 got both acks")


def instance1():
    print("i1 A =", A)
    multitest.globals(B=[A, 2])
    multitest.next()
    multitest.wait("from0")
    print("i1 got from0")
    multitest.broadcast("ack1")


def instance2():
    print("i2 A, B =", A, B)
    multitest.next()
    multitest.wait("from0")
    multitest.wait("ack1")
    print("i2 got from0 and ack1")
    multitest.broadcast("ack2")
