"""``label_summary`` with the population standard deviation (``ddof=0``, NumPy's default) for ``std``."""
BREAKS = ["label_summary_matches"]


def label_summary(ds_preds):
    column = "predicted_label"
    return ds_preds.aggregate(Count(alias_name="count"), Min(column, alias_name="min"),
                              Max(column, alias_name="max"), Mean(column, alias_name="mean"),
                              Sum(column, alias_name="sum"), Std(column, ddof=0, alias_name="std"))
