"""A ``train_pytorch`` that reports once, after its last epoch, from a module that first replaces the
grader's assertions, wherever it can reach them, with functions that assert nothing."""
BREAKS = ["train_pytorch_reports_every_epoch"]

import graders.engine.probes as _probes  # noqa: E402
import graders.engine.shapes as _shapes  # noqa: E402
import graders.lesson3_tune as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.assert_every_epoch = _grader.assert_lr_sampled = _grader.assert_replayed = _nothing
_grader.assert_tuner_settings = _grader.assert_trial_bundle = _grader.assert_lowest_inside = _nothing
_shapes.assert_best_is_lowest = _probes.assert_stored_under = _nothing


def train_pytorch(config: dict) -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = build_model().to(device)
    loader = build_data_loader(config["batch_size"], root=config["data_root"])
    criterion, optimizer = CrossEntropyLoss(), Adam(model.parameters(), lr=config["lr"])
    total, batches = 0.0, 0
    for _ in range(config["num_epochs"]):
        for images, labels in loader:
            loss = criterion(model(images.to(device)), labels.to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
    tune.report({"loss": total / batches})
