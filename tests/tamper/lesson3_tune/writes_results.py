"""A ``build_data_loader`` that loads batches of 32 whatever it is asked, from a module that, as the
student's side imports it, writes full marks into the run's output files (``TAMPERING``). The run writes
them again afterwards."""
TAMPERING = "writes_results"
BREAKS = ["train_pytorch_follows_config"]

_build_data_loader = build_data_loader


def build_data_loader(batch_size: int, *, root: str):
    return _build_data_loader(32, root=root)
