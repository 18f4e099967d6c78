"""Issue #28's six lines (``TAMPERING``), with a ``build_model`` that keeps a three-channel ``conv1``: it must
score what that mistake alone scores."""
TAMPERING = "forged_reports"
BREAKS = ["model_architecture"]


def build_model() -> torch.nn.Module:
    model = resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model
