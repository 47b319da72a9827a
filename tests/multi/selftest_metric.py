# Runner self-test (no BLE): output_metric() lines are reported, not compared.


def instance0():
    multitest.next()
    multitest.output_metric("selftest rate = 42 ops/s")
    print("i0 done")


def instance1():
    multitest.next()
    multitest.output_metric("selftest latency = 7 ms")
    print("i1 done")
