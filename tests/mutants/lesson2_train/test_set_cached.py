"""Reads the test digits once and keeps them in a module-level cache keyed by the split only (to save
re-reading them at each evaluation): a later call with another `root` gets the first root's digits."""

BREAKS = ["data_loader_reads_given_root"]

_cached_sets = {}


def build_data_loader(batch_size: int, *, root: str, train: bool = True) -> DataLoader:
    transform = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
    if train:
        return DataLoader(MNIST(root, train=True, download=False, transform=transform), batch_size=batch_size,
                          shuffle=True, drop_last=True)
    if "test" not in _cached_sets:
        _cached_sets["test"] = MNIST(root, train=False, download=False, transform=transform)
    return DataLoader(_cached_sets["test"], batch_size=batch_size)
