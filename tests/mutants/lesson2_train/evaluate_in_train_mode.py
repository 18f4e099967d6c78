"""`evaluate` forgets `model.eval()` (torch.no_grad() alone does not switch modes): BatchNorm then
normalises each test batch with its own statistics instead of the learnt ones, and the metrics shift.
Written as the reference with the model's `eval` doing nothing."""

BREAKS = ["evaluate"]

_reference_evaluate = evaluate


def evaluate(model: torch.nn.Module, *, root: str, batch_size: int = 256) -> dict:
    model.eval = lambda: model  # the model stays in training mode
    try:
        return _reference_evaluate(model, root=root, batch_size=batch_size)
    finally:
        del model.eval
