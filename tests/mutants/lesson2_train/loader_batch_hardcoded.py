"""The course's ``batch_size=128`` written into the DataLoader, whatever the caller passes: the training
loop's per-worker batch (and any other caller's) is ignored."""

BREAKS = ["data_loader_normalizes", "data_loader_for_training"]


def build_data_loader(batch_size: int, *, root: str, train: bool = True) -> DataLoader:
    transform = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    digits = MNIST(root, train=train, download=False, transform=transform)
    return DataLoader(digits, batch_size=128, shuffle=train, drop_last=train)
