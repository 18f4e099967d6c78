"""The course's `model.to("cuda")` kept as it was: a trial without a GPU fails at once, although Tune
decides per trial whether it gets one."""

BREAKS = ["train_pytorch_reports_every_epoch", "train_pytorch_follows_config", "train_pytorch_uses_trial_device"]


def train_pytorch(config: dict) -> None:
    model = build_model().to("cuda")
    loader = build_data_loader(config["batch_size"], root=config["data_root"])
    criterion, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=config["lr"])
    for _ in range(config["num_epochs"]):
        total = 0.0
        for images, labels in loader:
            loss = criterion(model(images.to("cuda")), labels.to("cuda"))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        tune.report({"loss": total / len(loader)})
