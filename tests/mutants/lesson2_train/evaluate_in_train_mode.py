"""`evaluate` forgets `model.eval()` (torch.no_grad() alone does not switch modes): BatchNorm then
normalises each test batch with its own statistics instead of the learnt ones, and the metrics shift."""

BREAKS = ["evaluate"]


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    accuracy = Accuracy(task="multiclass", num_classes=NUM_CLASSES)
    auroc = AUROC(task="multiclass", num_classes=NUM_CLASSES)
    with torch.no_grad():
        for images, labels in build_data_loader(batch_size, root=root, train=False):
            outputs = model(images)
            accuracy.update(outputs, labels)
            auroc.update(outputs, labels)
    return {"accuracy": accuracy.compute().item(), "auroc": auroc.compute().item()}
