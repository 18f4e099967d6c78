"""Issue #28's six lines (``TAMPERING``), with a ``predict_offline`` that writes in the course's pool of 2
actors: it must score what that mistake alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["offline_actor_pool"]


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    if LABEL_COLUMN in ds.columns():
        ds = ds.drop_columns([LABEL_COLUMN])
    return ds.map_batches(OfflinePredictor, fn_constructor_kwargs={"checkpoint": checkpoint},
                          batch_format="pandas", batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=2))
