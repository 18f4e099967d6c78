"""``add_label`` that reads the digit from the file name (``7/12.png`` -> 12) instead of its folder (7)."""
BREAKS = ["add_label_from_folder"]


def add_label(batch):
    batch["ground_truth_label"] = np.array([int(PurePath(path).stem) for path in batch["path"]])
    return batch
