"""``num_workers=16`` written in, for the student's own 16-core machine: on the grader's cluster the fit
can never be placed. The request must fail within seconds, and cost the checks that judge the trainer
only: the tuning run and the predictors use the grader's own trainer and model.
"""
BREAKS = ["trainer_config", "trainer_logloss", "trainer_checkpoint", "trainer_excludes_label"]

_build_trainer_as_asked = build_trainer


def build_trainer(train_ds, valid_ds, **options):
    return _build_trainer_as_asked(train_ds, valid_ds, **{**options, "num_workers": 16})
