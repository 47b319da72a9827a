# Runner self-test (no BLE): a DELIBERATELY FAILING test. instance1 waits for
# a broadcast that never comes; the runner must record TIMEOUT, stop the
# instances and report FAIL. Run by test_runner_selftest.py with --timeout 2.


def instance0():
    multitest.next()
    print("i0 exits at once")


def instance1():
    multitest.next()
    multitest.wait("never sent")
    print("not reached")
