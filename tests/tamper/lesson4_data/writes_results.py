"""A wrong ``label_summary`` from a module that, as the student's side imports it, writes full marks into
the run's output files (``TAMPERING``). The run writes them again afterwards."""
TAMPERING = "writes_results"
BREAKS = ["label_summary_matches"]


def label_summary(ds_preds):
    return {"count": 0, "min": 0, "max": 0, "mean": 0.0, "sum": 0, "std": 0.0}
