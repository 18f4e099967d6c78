"""The classifier loads the model file on every request instead of once per replica.

It answers correctly while the file is there, but pays the load on each request and fails as soon
as the file it was deployed from is gone.
"""


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    def __init__(self, local_path: str):
        self.local_path = local_path

    async def predict(self, batch: dict) -> dict:
        model = torch.jit.load(self.local_path, map_location="cpu").eval()
        with torch.no_grad():
            logits = model(torch.as_tensor(np.asarray(batch["image"], dtype=np.float32)))
        return {"predicted_label": logits.argmax(dim=1).numpy()}


BREAKS = ["classifier_loads_model_once"]
