"""Forgets `prepare_model` (the course's single-GPU model code carried over as it was): no
DistributedDataParallel, so gradients are never averaged and each worker's replica drifts apart,
trained on its own shard only. Rank 0's checkpoint, having learnt from half the digits, still clears the
accuracy bar, which judges that the model learnt, not how the gradients were shared (that is
`replicas_in_sync`'s). Written as the reference with `prepare_model` doing nothing."""

BREAKS = ["replicas_in_sync"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    ray.train.torch.prepare_model = lambda model, *args, **kwargs: model  # never wrapped in DDP
    _reference_loop(config)
