"""Gives each worker the whole global batch (`global_batch_size` used as the loader's batch size, as the
single-GPU loop's `batch_size`): with two workers every step then averages twice the global batch, and
an epoch has half the steps. Written as the reference with the global batch scaled by the world size."""

BREAKS = ["per_worker_batch"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    world = ray.train.get_context().get_world_size()
    _reference_loop({**config, "global_batch_size": config["global_batch_size"] * world})
