"""The preprocessor only adds the channel axis: pixels stay 0..255, not the [-1, 1] the model was trained on.

A student who forgets that ``ToTensor()`` scales and ``Normalize`` shifts gets an app that answers, with
labels the offline classifier would not give. The composition checks expect what this preprocessor,
then the model, give: they keep their points.
"""


@serve.deployment
class OnlineMNISTPreprocessor(OnlineMNISTPreprocessor.func_or_class):
    def run(self, batch: dict) -> dict:
        return {"image": np.asarray(batch["image"], dtype=np.float32)[:, None, :, :]}


BREAKS = ["preprocessor_normalizes", "preprocessor_app"]
