"""Every column of the file kept: the stray ``__index_level_0__`` column rides along into both parts.

A student who reads the whole file (``ray.data.read_parquet(path)``) and splits it sees the right columns
on a file without the index column, and never notices the course's file carries one.
"""
BREAKS = ["split_columns", "split_other_data"]


def load_and_split(path, *, test_size=0.3, seed=42):
    return ray.data.read_parquet(path).train_test_split(test_size=test_size, shuffle=True, seed=seed)
