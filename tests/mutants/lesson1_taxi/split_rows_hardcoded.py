"""The split point written in as a row count: 70 % of the 30,000 trips the student saw.

Shuffled with the seed, then cut at row 21,000: right on the public file, wrong on a file of another size
(the hidden check's), where validation ends up empty.
"""
BREAKS = ["split_other_data"]


def load_and_split(path, *, test_size=0.3, seed=42):
    dataset = ray.data.read_parquet(path, columns=FEATURE_COLUMNS + [LABEL_COLUMN]).random_shuffle(seed=seed)
    train_ds, valid_ds = dataset.split_at_indices([21_000])
    return train_ds, valid_ds
