"""``write_predictions`` writes under a folder of its own (``predictions`` in the temporary directory,
as a student tried it), whatever ``path`` says: the caller finds nothing where it asked."""
import tempfile

BREAKS = ["write_predictions_parquet"]


def write_predictions(ds_preds, path):
    ds_preds.select_columns(PREDICTION_COLUMNS).write_parquet(f"{tempfile.gettempdir()}/predictions")
