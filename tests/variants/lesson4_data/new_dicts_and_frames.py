"""Functions that build new batches instead of changing the one they get, return DataFrames and
plain floats, and sort the per-digit table their own way."""


def normalize(batch):
    images = np.asarray(batch["image"]).astype(np.float32)
    return {**batch, "image": np.expand_dims(images / 127.5 - 1.0, axis=1).astype(np.float32)}


def add_label(batch):
    labels = np.array([PurePath(p).parent.name for p in batch["path"]]).astype(np.int32)
    return {**batch, "ground_truth_label": labels}


class MNISTClassifier:
    def __init__(self, local_path):
        self.model = torch.jit.load(str(local_path))
        self.model.eval()

    def __call__(self, batch):
        with torch.no_grad():
            logits = self.model(torch.tensor(batch["image"]))
        return {**batch, "predicted_label": logits.numpy().argmax(axis=-1).astype(np.int64)}


def compute_accuracy(group):
    truth = group["ground_truth_label"]
    return pd.DataFrame({"ground_truth_label": [truth[0]],
                         "accuracy": [float((group["predicted_label"] == truth).sum()) / len(truth)]})


def accuracy_by_label(ds_preds):
    rows = ds_preds.groupby("ground_truth_label").map_groups(compute_accuracy).take_all()
    return pd.DataFrame(rows)[["ground_truth_label", "accuracy"]].sort_values("accuracy").reset_index(drop=True)


def overall_accuracy(ds_preds):
    marked = ds_preds.map_batches(lambda b: {"ok": (b["predicted_label"] == b["ground_truth_label"]).astype(int)})
    return marked.sum("ok") / marked.count()


def label_summary(ds_preds):
    column = "predicted_label"
    found = ds_preds.aggregate(Count(), Min(column), Max(column), Mean(column), Sum(column), Std(column, ddof=1))
    names = {"count()": "count", f"min({column})": "min", f"max({column})": "max", f"mean({column})": "mean",
             f"sum({column})": "sum", f"std({column})": "std"}
    return {names[key]: float(value) for key, value in found.items()}
