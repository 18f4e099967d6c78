"""Per-image work as the notebook did it: torchvision's transform image by image, a path split by
hand, softmax before argmax, and every summary statistic from its own ``Dataset`` method."""
from torchvision.transforms import Compose, Normalize, ToTensor

TRANSFORM = Compose([ToTensor(), Normalize((0.5,), (0.5,))])


def normalize(batch):
    batch["image"] = np.stack([TRANSFORM(image).numpy() for image in batch["image"]])
    return batch


def add_label(batch):
    batch["ground_truth_label"] = [int(path.split("/")[-2]) for path in batch["path"]]
    return batch


class MNISTClassifier:
    def __init__(self, local_path):
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = torch.jit.load(local_path).to(device).eval()
        self.device = device

    def __call__(self, batch):
        with torch.no_grad():
            probabilities = torch.softmax(self.model(torch.as_tensor(batch["image"]).to(self.device)), dim=1)
        batch["predicted_label"] = probabilities.argmax(dim=1).cpu().numpy()
        return batch


def overall_accuracy(ds_preds):
    right = ds_preds.filter(lambda row: row["predicted_label"] == row["ground_truth_label"]).count()
    return right / ds_preds.count()


def label_summary(ds_preds):
    column = "predicted_label"
    return {"count": ds_preds.count(), "min": ds_preds.min(column), "max": ds_preds.max(column),
            "mean": ds_preds.mean(column), "sum": ds_preds.sum(column), "std": ds_preds.std(column)}
