"""``test_size`` of 0.7: the share of the training set written where the validation share belongs.

``train_test_split(test_size=0.7)`` puts 70 % of the rows in the validation set, not in training.
"""
BREAKS = ["split_sizes", "split_other_data"]


def load_and_split(path, *, test_size=0.3, seed=42):
    dataset = ray.data.read_parquet(path, columns=FEATURE_COLUMNS + [LABEL_COLUMN])
    return dataset.train_test_split(test_size=0.7, shuffle=True, seed=seed)
