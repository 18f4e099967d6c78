"""Preprocessing with torch and torchvision, image by image, as the course's ``Compose([ToTensor(),
Normalize((0.5,), (0.5,))])`` does, answering torch tensors; the classifier's ``predict`` is
synchronous and works on tensors.

``ToTensor`` scales only uint8 images, so the pixels (floats once they came through JSON) are turned
back into uint8 first.
"""
from torchvision import transforms as _transforms

_TO_MODEL_INPUT = _transforms.Compose([_transforms.ToTensor(), _transforms.Normalize((0.5,), (0.5,))])


@serve.deployment
class OnlineMNISTPreprocessor(OnlineMNISTPreprocessor.func_or_class):
    def run(self, batch: dict) -> dict:
        pixels = np.asarray(batch["image"]).astype(np.uint8)
        return {"image": torch.stack([_TO_MODEL_INPUT(image) for image in pixels])}


@serve.deployment
class OnlineMNISTClassifier(OnlineMNISTClassifier.func_or_class):
    def predict(self, batch: dict) -> dict:
        images = torch.as_tensor(batch["image"]).float().to(self.device)
        with torch.no_grad():
            labels = torch.argmax(self.model(images), dim=1)
        return {"predicted_label": labels.cpu().numpy().astype(np.int64)}

    async def __call__(self, request: Request):
        try:
            images = parse_images(await request.json(), IMAGE_SHAPE)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return {"predicted_label": self.predict({"image": images})["predicted_label"].tolist()}
