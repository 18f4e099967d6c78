"""``use_gpu=False`` written into the ScalingConfig (the laptop it was written on has no GPU): on a GPU
cluster the grader asks for GPUs and the workers never get one."""

BREAKS = ["trainer_configuration"]


def build_trainer(*, train_loop_config: dict, num_workers: int = 2, use_gpu: bool = False, storage_path: str,
                  name: str | None = None) -> TorchTrainer:
    return TorchTrainer(train_loop_per_worker, train_loop_config=train_loop_config,
                        scaling_config=ScalingConfig(num_workers=num_workers, use_gpu=False),
                        run_config=RunConfig(storage_path=storage_path, name=name))
