"""Every batch function written for pandas batches (``batch_format="pandas"``), not NumPy ones.

``normalize`` and the classifier work on a column of arrays, ``add_label`` with pandas' string
methods, ``compute_accuracy`` on a pandas group; ``predict`` and ``accuracy_by_label`` ask Ray Data
for pandas batches.
"""


def normalize(batch):
    images = np.stack(batch["image"].to_numpy()).astype(np.float32)
    normalized = (images / 255.0 - 0.5) / 0.5
    batch["image"] = list(normalized.astype(np.float32)[:, None])
    return batch


def add_label(batch):
    batch["ground_truth_label"] = batch["path"].str.split("/").str[-2].astype("int64")
    return batch


class MNISTClassifier:
    def __init__(self, local_path):
        self.model = torch.jit.load(local_path, map_location="cpu")
        self.model.eval()

    def __call__(self, batch):
        images = torch.from_numpy(np.stack(batch["image"].to_numpy()).astype(np.float32))
        with torch.inference_mode():
            batch["predicted_label"] = self.model(images).argmax(dim=1).numpy()
        return batch


def predict(ds, model_path, *, concurrency=1, batch_size=100, num_gpus=0):
    normalized = ds.map_batches(normalize, batch_format="pandas")
    return normalized.map_batches(MNISTClassifier, fn_constructor_args=(str(model_path),), batch_format="pandas",
                                  compute=ray.data.ActorPoolStrategy(size=concurrency), batch_size=batch_size,
                                  num_gpus=num_gpus)


def compute_accuracy(group):
    correct = (group["predicted_label"] == group["ground_truth_label"]).mean()
    return pd.DataFrame({"accuracy": [correct], "ground_truth_label": [group["ground_truth_label"].iloc[0]]})


def accuracy_by_label(ds_preds):
    frame = ds_preds.groupby("ground_truth_label").map_groups(compute_accuracy, batch_format="pandas").to_pandas()
    return frame.sort_values("ground_truth_label", ignore_index=True)
