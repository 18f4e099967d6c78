"""Builds its own DistributedSampler but passes `rank=0` on every worker (the rank read as "the first
worker", not the worker's own): both workers train on the same half of the digits and the other half
is never seen. Training runs and DDP keeps the replicas in sync, so nothing crashes. The model, having
seen half the digits, still clears the accuracy bar: the shards are `workers_train_on_own_shards`'s to judge."""

BREAKS = ["workers_train_on_own_shards"]

_reference_loop = train_loop_per_worker


def train_loop_per_worker(config: dict) -> None:
    from torch.utils.data import DistributedSampler

    def prepare_with_rank_zero(loader, *args, **kwargs):
        world = ray.train.get_context().get_world_size()
        sampler = DistributedSampler(loader.dataset, num_replicas=world, rank=0, shuffle=True, drop_last=True)
        return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=sampler, drop_last=True)

    ray.train.torch.prepare_data_loader = prepare_with_rank_zero
    _reference_loop(config)
