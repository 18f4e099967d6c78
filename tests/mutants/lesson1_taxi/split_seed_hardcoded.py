"""The split's seed written in (``seed=42``, the contract's default), whatever the caller passes: every
split of a file is the same one, so a caller cannot draw another.
"""
BREAKS = ["split_other_data"]


def load_and_split(path, *, test_size=0.3, seed=42):
    dataset = ray.data.read_parquet(path, columns=FEATURE_COLUMNS + [LABEL_COLUMN])
    return dataset.train_test_split(test_size=test_size, shuffle=True, seed=42)
