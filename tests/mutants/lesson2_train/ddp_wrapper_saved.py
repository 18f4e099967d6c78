"""Saves the state_dict of the DDP wrapper that `prepare_model` returns instead of the model inside
it: every key starts with `module.`, and `build_model().load_state_dict` refuses the checkpoint.
The course's single-GPU loop had no wrapper, so `model.state_dict()` looks right. (`load_trained_model`
is judged on a checkpoint the grader writes from the trained weights: the loop's mistake costs its own check.)"""

BREAKS = ["checkpoint_holds_unwrapped_model"]


def train_loop_per_worker(config: dict) -> None:
    world = ray.train.get_context().get_world_size()
    model = ray.train.torch.prepare_model(build_model())
    loader = ray.train.torch.prepare_data_loader(
        build_data_loader(config["global_batch_size"] // world, root=config["data_root"]))
    optimizer = Adam(model.parameters(), lr=config["lr"])
    device = ray.train.torch.get_device()
    for epoch in range(config["num_epochs"]):
        loader.sampler.set_epoch(epoch)
        accuracy = Accuracy(task="multiclass", num_classes=10).to(device)
        auroc = AUROC(task="multiclass", num_classes=10).to(device)
        losses = []
        for images, labels in loader:
            outputs = model(images)
            loss = CrossEntropyLoss()(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            accuracy(outputs, labels)
            auroc(outputs, labels)
        metrics = {"loss": sum(losses) / len(losses), "epoch": epoch, "accuracy": float(accuracy.compute()),
                   "auroc": float(auroc.compute())}
        with tempfile.TemporaryDirectory() as folder:
            torch.save(model.state_dict(), os.path.join(folder, MODEL_FILE))  # the DDP wrapper's keys
            checkpoint = Checkpoint.from_directory(folder) if ray.train.get_context().get_world_rank() == 0 else None
            ray.train.report(metrics, checkpoint=checkpoint)
