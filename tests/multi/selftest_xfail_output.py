# Runner self-test (no BLE): a DELIBERATELY FAILING test. Its .exp does not
# match; test_runner_selftest.py checks that the runner reports FAIL with a
# diff and a non-zero exit status. Not run on its own.


def instance0():
    multitest.next()
    print("actual line")


def instance1():
    multitest.next()
    print("same in both")
