"""A ``build_tuner`` whose whole body raises the kit's own ``PartialCredit`` with a full share."""
BREAKS = ["tuner_not_run", "tuner_trials", "tuner_best_result", "tuner_trial_resources"]


def build_tuner(*, data_root: str, num_samples: int = 2, num_epochs: int = 1, batch_size: int = 128,
                use_gpu: bool = False, storage_path: str) -> tune.Tuner:
    from graders.engine.grading.credit import PartialCredit

    raise PartialCredit("", 1.0)
