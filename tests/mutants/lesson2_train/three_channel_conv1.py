"""Keeps a three-channel `conv1` (the course's swap written as `Conv2d(3, 64, ...)`, or ResNet18's own
layer left in place): the model expects colour images and fails on one-channel digits."""

BREAKS = ["model_architecture"]


def build_model() -> torch.nn.Module:
    model = resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model
