"""Aggregates computed with pandas after ``to_pandas()``: right values, but every row travels to the driver.

Fine for 500 rows, fatal for a dataset larger than the driver's memory: Ray Data's aggregates run on
the cluster and send back one row.
"""
BREAKS = ["aggregates_on_cluster"]


def overall_accuracy(ds_preds):
    frame = ds_preds.to_pandas()
    return float((frame["predicted_label"] == frame["ground_truth_label"]).mean())


def label_summary(ds_preds):
    column = ds_preds.to_pandas()["predicted_label"]
    return {"count": len(column), "min": column.min(), "max": column.max(), "mean": column.mean(),
            "sum": column.sum(), "std": column.std()}
