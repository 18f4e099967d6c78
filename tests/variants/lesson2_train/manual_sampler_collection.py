"""A loop without `prepare_data_loader`: its own DistributedSampler (world size and rank from Ray
Train's context), batches moved with `ray.train.torch.get_device()`, both metrics in one
`torchmetrics.MetricCollection` (reset each epoch), the per-worker batch computed in a helper, and
the checkpoint saved from `model.module` after checking for the DDP wrapper. `evaluate` also uses a
MetricCollection and its own test DataLoader."""

from torch.nn.parallel import DistributedDataParallel  # noqa: E402
from torch.utils.data import DistributedSampler  # noqa: E402
from torchmetrics import MetricCollection  # noqa: E402


def _per_worker_batch(global_batch_size: int) -> int:
    return global_batch_size // ray.train.get_context().get_world_size()


def train_loop_per_worker(config: dict) -> None:
    context = ray.train.get_context()
    device = ray.train.torch.get_device()
    dataset = MNIST(config["data_root"], train=True, download=False,
                    transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
    sampler = DistributedSampler(dataset, num_replicas=context.get_world_size(), rank=context.get_world_rank(),
                                 shuffle=True, drop_last=True)
    loader = DataLoader(dataset, batch_size=_per_worker_batch(config["global_batch_size"]), sampler=sampler,
                        drop_last=True)
    model = ray.train.torch.prepare_model(build_model())
    optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
    metrics = MetricCollection({"accuracy": Accuracy(task="multiclass", num_classes=10),
                                "auroc": AUROC(task="multiclass", num_classes=10)}).to(device)
    for epoch in range(config["num_epochs"]):
        sampler.set_epoch(epoch)
        metrics.reset()
        model.train()
        losses = []
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            loss = torch.nn.functional.cross_entropy(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            metrics.update(outputs.detach(), labels)
        values = {name: float(value) for name, value in metrics.compute().items()}
        report = {"epoch": epoch, "loss": sum(losses) / len(losses), **values}
        if context.get_world_rank() == 0:
            with tempfile.TemporaryDirectory() as folder:
                inner = model.module if isinstance(model, DistributedDataParallel) else model
                torch.save(inner.state_dict(), os.path.join(folder, MODEL_FILE))
                ray.train.report(report, checkpoint=Checkpoint.from_directory(folder))
        else:
            ray.train.report(report, checkpoint=None)


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    metrics = MetricCollection({"accuracy": Accuracy(task="multiclass", num_classes=10),
                                "auroc": AUROC(task="multiclass", num_classes=10)})
    test = MNIST(root, train=False, download=False, transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))
    model = model.eval()
    with torch.no_grad():
        for images, labels in DataLoader(test, batch_size=batch_size):
            metrics.update(model(images), labels)
    return {name: value.item() for name, value in metrics.compute().items()}
