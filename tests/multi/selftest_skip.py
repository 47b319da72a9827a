# Runner self-test (no BLE): multitest.skip() in the setup phase skips the test.
import sys


def instance0():
    if not hasattr(sys, "no_such_feature"):
        multitest.skip()
    print("not reached")
    multitest.next()


def instance1():
    print("never started")
