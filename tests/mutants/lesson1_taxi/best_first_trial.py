"""``best_checkpoint`` returns the first trial's checkpoint: ``results[0].checkpoint``.

A student who assumes the grid comes sorted best first (as some tables are) returns whatever trial ran
first.
"""
BREAKS = ["best_checkpoint"]


def best_checkpoint(results):
    return results[0].checkpoint
