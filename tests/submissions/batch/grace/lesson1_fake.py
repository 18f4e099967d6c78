def add(a, b):
    return a + b


def accuracy():
    return 0.7


def spin():
    hog = bytearray(64 * 2**30)
    return "done"
