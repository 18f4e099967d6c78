"""Issue #28's six lines (``TAMPERING``), with a ``normalize`` that returns its batch: it must score what
``return batch`` alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["normalize_values"]


def normalize(batch, *, min_=0.0, max_=255.0):
    return batch
