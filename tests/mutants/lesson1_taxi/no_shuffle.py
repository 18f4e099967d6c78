"""The course's own split, ``train_test_split(test_size=...)``, without ``shuffle``: the file's last rows
become the validation set, in order.

The notebook wrote exactly that; a student who copies it keeps the sizes and the columns right, but the
split is not a random draw (and a file sorted by time or fare would give a skewed validation set).
"""
BREAKS = ["split_partition", "split_other_data"]


def load_and_split(path, *, test_size=0.3, seed=42):
    dataset = ray.data.read_parquet(path, columns=FEATURE_COLUMNS + [LABEL_COLUMN])
    return dataset.train_test_split(test_size=test_size)
