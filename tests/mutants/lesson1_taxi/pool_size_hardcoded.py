"""The course's pool of 2 actors written in: ``ActorPoolStrategy(size=2)`` whatever ``concurrency`` says.

The notebook wrote ``concurrency=2``; copying the number instead of using the argument ignores the
resources the caller chose.
"""
BREAKS = ["offline_actor_pool"]


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    if LABEL_COLUMN in ds.columns():
        ds = ds.drop_columns([LABEL_COLUMN])
    return ds.map_batches(OfflinePredictor, fn_constructor_kwargs={"checkpoint": checkpoint},
                          batch_format="pandas", batch_size=batch_size,
                          compute=ray.data.ActorPoolStrategy(size=2))
