"""Hostile: ignores the num_workers it is given and asks for more than the grader's cluster has, every way
a lesson can (64 CPUs where the cluster has 4), then waits on Ray forever. Its requests that only wait
for CPUs something else holds, and its actor pool larger than the cluster, are fine."""
import time

import ray
from ray.util.placement_group import placement_group, remove_placement_group

GREEDY = {"CPU": 64}  # hard-coded: more than the grader's cluster has


def reserve(num_workers):
    group = placement_group([{"CPU": 1}] * 64)
    ray.get(group.ready())
    return "reserved"


def _train_loop():
    pass


def fit_many_workers(num_workers, storage_path):
    from ray.train import RunConfig, ScalingConfig
    from ray.train.xgboost import XGBoostTrainer

    return XGBoostTrainer(_train_loop, scaling_config=ScalingConfig(num_workers=16),
                          run_config=RunConfig(storage_path=storage_path)).fit()


def fit_big_workers(num_workers, storage_path):
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    return TorchTrainer(_train_loop, scaling_config=ScalingConfig(num_workers=num_workers, resources_per_worker=GREEDY),
                        run_config=RunConfig(storage_path=storage_path)).fit()


def _trial(config):
    from ray import tune

    tune.report({"score": 1})


def tune_trial(storage_path):
    from ray import tune

    trial = tune.with_resources(_trial, {"cpu": 64})
    return tune.Tuner(trial, run_config=tune.RunConfig(storage_path=storage_path)).fit()


def tune_fit(storage_path):
    """A trial (one CPU, Tune's default) whose trainer asks for 16 workers."""
    from ray import tune

    def trial(config):
        fit_many_workers(num_workers=1, storage_path=storage_path)

    return tune.Tuner(trial, run_config=tune.RunConfig(storage_path=storage_path)).fit()


class Double:
    def __call__(self, batch):
        return {"x": batch["id"] * 2}


def data_actor():
    return ray.data.range(8).map_batches(Double, compute=ray.data.ActorPoolStrategy(size=1), num_cpus=64).take_all()


def pool_of(size):
    rows = ray.data.range(8).map_batches(Double, compute=ray.data.ActorPoolStrategy(size=size)).take_all()
    return sorted(row["x"] for row in rows)


class Echo:
    def __call__(self, request):
        return "echo"


def serve_replica(name, route_prefix):
    from ray import serve

    return serve.run(serve.deployment(Echo, ray_actor_options={"num_cpus": 64}).bind(), name=name,
                     route_prefix=route_prefix)


@ray.remote
def _nap(seconds):
    time.sleep(seconds)
    return seconds


@ray.remote
class Counter:
    def ping(self):
        return 1


def task():
    return ray.get(_nap.options(num_cpus=64).remote(0))


def actor():
    return ray.get(Counter.options(num_cpus=64).remote().ping.remote())


def wait_turn(cpus):
    """While a task holds every CPU, ask for all of them again: a placement group, an actor, a task. Each
    gets them in turn and lets go (the actor and the group hold them until released)."""
    holder = _nap.options(num_cpus=cpus).remote(3)
    time.sleep(1)
    group, counter = placement_group([{"CPU": 1}] * cpus), Counter.options(num_cpus=cpus).remote()
    release = {group.ready(): lambda: remove_placement_group(group), counter.ping.remote(): lambda: ray.kill(counter),
               _nap.options(num_cpus=cpus).remote(0): lambda: None, holder: lambda: None}
    while release:
        ready, _ = ray.wait(list(release), num_returns=1)
        release.pop(ready[0])()
    return "served"


def wait_on_ray():
    ray.get(_nap.remote(3600))
    return "done"


def double(x):
    return 2 * x
