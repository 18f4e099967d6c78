"""torchmetrics' task-specific classes (`MulticlassAccuracy`, `MulticlassAUROC`) built by a helper at
each epoch's start, one epoch's training in its own function, positional Conv2d arguments, the
transforms imported as a module, `build_trainer` with keyword-ordered configs, and `evaluate` on the
model as given (already on the CPU). `MulticlassAccuracy` needs `average="micro"`: its own default is
"macro" (the mean of per-class recalls), unlike `Accuracy(task="multiclass")`'s "micro"."""

import torchvision.transforms as T  # noqa: E402
from torchmetrics.classification import MulticlassAccuracy, MulticlassAUROC  # noqa: E402


def build_model() -> torch.nn.Module:
    model = resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return model


def build_data_loader(batch_size: int, *, root: str, train: bool = True) -> DataLoader:
    transform = T.Compose([T.ToTensor(), T.Normalize(mean=(0.5,), std=(0.5,))])
    return DataLoader(MNIST(root=root, train=train, transform=transform, download=False), batch_size=batch_size,
                      shuffle=bool(train), drop_last=bool(train))


def _epoch_metrics(device):
    return MulticlassAccuracy(num_classes=10, average="micro").to(device), MulticlassAUROC(num_classes=10).to(device)


def _train_one_epoch(model, loader, optimizer, device):
    accuracy, auroc = _epoch_metrics(device)
    total = 0.0
    for images, labels in loader:
        optimizer.zero_grad()
        outputs = model(images)
        loss = torch.nn.CrossEntropyLoss()(outputs, labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        accuracy.update(outputs, labels)
        auroc.update(outputs, labels)
    return total / len(loader), float(accuracy.compute()), float(auroc.compute())


def train_loop_per_worker(config: dict) -> None:
    context = ray.train.get_context()
    model = ray.train.torch.prepare_model(build_model())
    optimizer = Adam(model.parameters(), lr=config["lr"])
    per_worker = config["global_batch_size"] // context.get_world_size()
    loader = ray.train.torch.prepare_data_loader(build_data_loader(per_worker, root=config["data_root"]))
    for epoch in range(config["num_epochs"]):
        if context.get_world_size() > 1:
            loader.sampler.set_epoch(epoch)
        loss, accuracy, auroc = _train_one_epoch(model, loader, optimizer, ray.train.torch.get_device())
        metrics = dict(loss=loss, epoch=epoch, accuracy=accuracy, auroc=auroc)
        if context.get_world_rank() != 0:
            ray.train.report(metrics)
            continue
        with tempfile.TemporaryDirectory() as folder:
            state = model.module.state_dict() if context.get_world_size() > 1 else model.state_dict()
            torch.save(state, os.path.join(folder, MODEL_FILE))
            ray.train.report(metrics, checkpoint=Checkpoint.from_directory(folder))


def build_trainer(*, train_loop_config: dict, num_workers: int = 2, use_gpu: bool = False, storage_path: str,
                  name: str | None = None) -> TorchTrainer:
    run_config = RunConfig(name=name, storage_path=storage_path)
    scaling_config = ScalingConfig(use_gpu=use_gpu, num_workers=num_workers)
    return TorchTrainer(train_loop_per_worker=train_loop_per_worker, train_loop_config=train_loop_config,
                        run_config=run_config, scaling_config=scaling_config)


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    accuracy, auroc = _epoch_metrics("cpu")
    model.eval()
    with torch.no_grad():
        for images, labels in build_data_loader(batch_size, root=root, train=False):
            logits = model(images)
            accuracy.update(logits, labels)
            auroc.update(logits, labels)
    return {"accuracy": accuracy.compute().item(), "auroc": auroc.compute().item()}
