"""The course notebook's own forms where today's Ray still takes them: ``get_best_result()`` with the
tuner's defaults, ``map_batches(..., concurrency=n)``, ``pandas.read_json`` of the posted string, the
nested search space under ``tune.Tuner(tune.with_parameters(...))``, ``tune.report(result.metrics, ...)``.

How students differ from the reference: they keep what the notebook wrote and change only what no longer
works; the deprecated ``concurrency=`` warns but still sizes the actor pool.
"""
import io as _io


def tune_max_depth(train_ds, valid_ds, *, num_samples=3, num_workers=1, use_gpu=False, storage_path):
    def trial(config, train_ds, valid_ds):
        trainer = build_trainer(train_ds, valid_ds, params=config["params"], num_workers=num_workers,
                                use_gpu=use_gpu, storage_path=storage_path, name=tune.get_context().get_trial_name())
        result = trainer.fit()
        tune.report(result.metrics, checkpoint=result.checkpoint)

    tuner = tune.Tuner(tune.with_parameters(trial, train_ds=train_ds, valid_ds=valid_ds),
                       param_space={"params": {"max_depth": tune.randint(2, 12)}},
                       tune_config=tune.TuneConfig(num_samples=num_samples, metric="valid-logloss", mode="min"),
                       run_config=tune.RunConfig(storage_path=storage_path))
    return tuner.fit()


def best_checkpoint(results):
    return results.get_best_result().checkpoint


def predict_offline(checkpoint, ds, *, concurrency=2, batch_size=None):
    if LABEL_COLUMN in ds.schema().names:
        ds = ds.drop_columns([LABEL_COLUMN])
    return ds.map_batches(OfflinePredictor, fn_constructor_kwargs={"checkpoint": checkpoint},
                          batch_format="pandas", batch_size=batch_size, concurrency=concurrency)


@serve.deployment
class OnlinePredictor:
    def __init__(self, checkpoint):
        self.model = RayTrainReportCallback.get_model(checkpoint)

    async def __call__(self, request):
        try:
            body = await request.json()
            frame = pd.read_json(_io.StringIO(body)) if isinstance(body, str) else pd.DataFrame.from_records(body)
            return {"prediction": self._predict_frame(frame)}
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    def _predict_frame(self, frame):
        if not set(FEATURE_COLUMNS) <= set(frame.columns):
            raise KeyError(f"missing columns {sorted(set(FEATURE_COLUMNS) - set(frame.columns))}")
        return self.model.predict(xgboost.DMatrix(frame[FEATURE_COLUMNS])).tolist()

    def predict(self, records):
        if not isinstance(records, list):
            raise TypeError("expected a list of records")
        return self._predict_frame(pd.DataFrame.from_records(records))
