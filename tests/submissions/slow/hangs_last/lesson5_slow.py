"""Quick work, then a last check that never ends: graded past a batch's wall-clock limit."""
import time


def quick():
    return 1


def last():
    while True:
        time.sleep(1)
