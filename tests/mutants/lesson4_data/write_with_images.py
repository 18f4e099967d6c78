"""``write_predictions`` as the notebook wrote it: every column, the normalized images too."""
BREAKS = ["write_predictions_parquet"]


def write_predictions(ds_preds, path):
    ds_preds.write_parquet(str(path))
