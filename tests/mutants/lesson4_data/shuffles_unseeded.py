"""Shuffles that take ``seed`` and do not pass it on: the same seed gives another order each time."""
BREAKS = ["shuffle_blocks_seeded", "shuffle_rows_seeded"]


def shuffle_blocks(ds, *, seed=None):
    return ds.randomize_block_order()


def shuffle_rows(ds, *, seed=None):
    return ds.random_shuffle()
