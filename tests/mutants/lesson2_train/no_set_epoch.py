"""Never calls `set_epoch` on the DistributedSampler: its permutation is seeded by the epoch, so every
epoch replays the first epoch's order. Easy to miss: training runs and the loss falls. Written as the
reference with `set_epoch` doing nothing."""

BREAKS = ["shuffle_changes_each_epoch"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    torch.utils.data.DistributedSampler.set_epoch = lambda sampler, epoch: None  # the epoch stays 0
    _reference_loop(config)
