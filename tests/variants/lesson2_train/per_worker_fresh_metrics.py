"""Metrics kept strictly per worker (`sync_on_compute=False`: each worker reports its own shard's
values, the contract's letter) and created afresh each epoch instead of reset; the loader built before
the model and the optimizer, softmax probabilities fed to the metrics; `evaluate` under
`torch.inference_mode()`, gathering every output first and computing both metrics once with
torchmetrics' functional forms; `load_trained_model` with `weights_only=True`."""

import torchmetrics.functional as metric_functions  # noqa: E402


def train_loop_per_worker(config: dict) -> None:
    world, rank = ray.train.get_context().get_world_size(), ray.train.get_context().get_world_rank()
    loader = ray.train.torch.prepare_data_loader(
        build_data_loader(config["global_batch_size"] // world, root=config["data_root"]))
    model = ray.train.torch.prepare_model(build_model())
    criterion = CrossEntropyLoss()
    optimizer = Adam(model.parameters(), lr=config["lr"])
    for epoch in range(config["num_epochs"]):
        if world > 1:
            loader.sampler.set_epoch(epoch)
        accuracy = Accuracy(task="multiclass", num_classes=10, sync_on_compute=False).to(ray.train.torch.get_device())
        auroc = AUROC(task="multiclass", num_classes=10, sync_on_compute=False).to(ray.train.torch.get_device())
        running = 0.0
        for step, (images, labels) in enumerate(loader, start=1):
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
            probabilities = outputs.detach().softmax(dim=1)
            accuracy.update(probabilities, labels)
            auroc.update(probabilities, labels)
        checkpoint_dir = tempfile.mkdtemp()
        checkpoint = None
        if rank == 0:
            torch.save(model.module.state_dict() if world > 1 else model.state_dict(),
                       os.path.join(checkpoint_dir, MODEL_FILE))
            checkpoint = Checkpoint.from_directory(checkpoint_dir)
        ray.train.report({"loss": running / step, "epoch": epoch, "accuracy": accuracy.compute().item(),
                          "auroc": auroc.compute().item()}, checkpoint=checkpoint)


def load_trained_model(checkpoint: Checkpoint) -> torch.nn.Module:
    model = build_model()
    with checkpoint.as_directory() as folder:
        model.load_state_dict(torch.load(f"{folder}/{MODEL_FILE}", map_location="cpu", weights_only=True))
    model.eval()
    return model


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    model.eval()
    outputs, labels = [], []
    with torch.inference_mode():
        for images, targets in build_data_loader(batch_size, root=root, train=False):
            outputs.append(model(images))
            labels.append(targets)
    outputs, labels = torch.cat(outputs), torch.cat(labels)
    return {"accuracy": float(metric_functions.accuracy(outputs, labels, task="multiclass", num_classes=10)),
            "auroc": float(metric_functions.auroc(outputs, labels, task="multiclass", num_classes=10))}
