"""An ``MNISTClassifier`` that loads the model in ``__call__``: once per batch instead of once per actor.

The predictions are right, but every batch reads the model file again: the point of a stateful actor
pool is lost (and a model file that is gone after start-up breaks every batch).
"""
BREAKS = ["classifier_loads_model_once"]


class MNISTClassifier:
    def __init__(self, local_path):
        self.local_path = local_path

    def __call__(self, batch):
        model = torch.jit.load(str(self.local_path), map_location="cpu").eval()
        with torch.no_grad():
            logits = model(torch.tensor(batch["image"], dtype=torch.float32)).numpy()
        batch["predicted_label"] = np.argmax(logits, axis=1)
        return batch
