"""Hard-codes the course's two workers in `ScalingConfig` instead of the `num_workers` argument: the
grader (or a cluster) that asks for another number of workers does not get it."""

BREAKS = ["trainer_configuration"]


def build_trainer(*, train_loop_config: dict, num_workers: int = 2, use_gpu: bool = False, storage_path: str,
                  name: str | None = None) -> TorchTrainer:
    return TorchTrainer(train_loop_per_worker, train_loop_config=train_loop_config,
                        scaling_config=ScalingConfig(num_workers=2, use_gpu=use_gpu),
                        run_config=RunConfig(storage_path=storage_path, name=name))
