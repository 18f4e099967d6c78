def add(a, b):
    return a + b


def accuracy():
    return 0.7


def spin():
    return "done"
