"""A ``load_and_split`` that splits in file order (the notebook's), from a module that first replaces the
grader's assertions, wherever it can reach them, with functions that assert nothing."""
BREAKS = ["split_partition", "split_other_data"]

import graders.engine.grading.probes as _probes  # noqa: E402
import graders.engine.grading.shapes as _shapes  # noqa: E402
import graders.lesson1_taxi as _grader  # noqa: E402


def _nothing(*args, **kwargs):
    return None


_grader.assert_split_sizes = _grader.assert_split_columns = _grader.assert_split_partition = _nothing
_grader.assert_rows = _grader.assert_predictions = _nothing
_grader.same_rows = lambda *args: True
_shapes.assert_best_is_lowest = _shapes.assert_bad_bodies_refused = _shapes.assert_survives_removal = _nothing
_probes.assert_stored_under = _nothing


def load_and_split(path, *, test_size=0.3, seed=42):
    dataset = ray.data.read_parquet(path, columns=FEATURE_COLUMNS + [LABEL_COLUMN])
    return dataset.train_test_split(test_size=test_size)
