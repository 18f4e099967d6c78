"""Other orders of independent calls and other shapes: the per-worker batch computed inside
`build_data_loader`'s caller through a keyword, the optimizer before the loss, the metrics updated
through their `forward` (`metric(outputs, labels)`, as the course wrote it) and reset at the end of
each epoch after reporting, `model.train()` once before the loop, the checkpoint written by every
rank but reported by rank 0 only, the model unwrapped with `getattr`; `evaluate` passes log-softmax
scores (torchmetrics turns them into the same probabilities) and moves nothing."""


def train_loop_per_worker(config: dict) -> None:
    metrics = {"accuracy": Accuracy(task="multiclass", num_classes=NUM_CLASSES),
               "auroc": AUROC(task="multiclass", num_classes=NUM_CLASSES)}
    model = ray.train.torch.prepare_model(build_model())
    optimizer = Adam(model.parameters(), lr=config["lr"])
    criterion = CrossEntropyLoss()
    loader = build_data_loader(batch_size=config["global_batch_size"] // ray.train.get_context().get_world_size(),
                               root=config["data_root"])
    loader = ray.train.torch.prepare_data_loader(loader)
    for metric in metrics.values():
        metric.to(ray.train.torch.get_device())
    model.train()
    for epoch in range(config["num_epochs"]):
        if ray.train.get_context().get_world_size() > 1:
            loader.sampler.set_epoch(epoch)
        losses = []
        for images, labels in loader:
            outputs = model(images)
            loss = criterion(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            for metric in metrics.values():
                metric(outputs.detach(), labels)
        report = {"epoch": epoch, "loss": torch.stack(losses).mean().item()}
        report.update({name: metric.compute().item() for name, metric in metrics.items()})
        with tempfile.TemporaryDirectory() as folder:
            torch.save(getattr(model, "module", model).state_dict(), os.path.join(folder, MODEL_FILE))
            is_rank_zero = ray.train.get_context().get_world_rank() == 0
            ray.train.report(report, checkpoint=Checkpoint.from_directory(folder) if is_rank_zero else None)
        for metric in metrics.values():
            metric.reset()


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    accuracy = Accuracy(task="multiclass", num_classes=NUM_CLASSES)
    auroc = AUROC(task="multiclass", num_classes=NUM_CLASSES)
    model.train(False)
    for images, labels in build_data_loader(batch_size, root=root, train=False):
        with torch.no_grad():
            scores = torch.log_softmax(model(images), dim=1)
        accuracy.update(scores, labels)
        auroc.update(scores, labels)
    return {"accuracy": float(accuracy.compute()), "auroc": float(auroc.compute())}
