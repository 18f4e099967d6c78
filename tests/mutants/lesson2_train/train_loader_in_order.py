"""``build_data_loader`` that never shuffles: the training digits come in the data set's order each epoch.

The test loader must not shuffle, and a student who writes one ``DataLoader`` for both forgets that
training should. Each epoch then sees the same batches in the same order.
"""
BREAKS = ["data_loader_for_training"]


def build_data_loader(batch_size, *, root, train=True):
    digits = MNIST(root, train=train, download=False, transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
    return DataLoader(digits, batch_size=batch_size, shuffle=False, drop_last=train)
