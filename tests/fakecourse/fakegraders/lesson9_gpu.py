"""A made-up lesson on the GPU path: the grader hands the student's function a GPU, then judges its device."""
import pytest

from graders.engine import check
from graders.engine import skip_without_cuda


def on_half_a_gpu(fn, *args) -> tuple:
    """``fn(*args)`` in a Ray task given half a GPU, and the GPU ids the task held: run on the student's side
    (``student_side.apply``)."""
    import ray

    def run():
        return fn(*args), ray.get_gpu_ids()

    return ray.get(ray.remote(num_gpus=0.5)(run).remote())


@check(points=1, hint="Compute on 'cuda' when torch.cuda.is_available().")
def test_double_on_a_gpu(student, student_side, use_gpu):
    if not use_gpu:
        pytest.skip("a GPU check: graded only with GPUs (--use-gpu auto or yes)")
    value, gpus = student_side.apply(on_half_a_gpu, student.double, 2)
    assert value == 4 and gpus, f"double(2) in a task given half a GPU: got {value} holding GPUs {gpus}; expected 4 on a GPU"
    skip_without_cuda("whether device() ran on the GPU")
    device, _ = student_side.apply(on_half_a_gpu, student.device)
    assert device == "cuda", "device() in a GPU task: expected cuda"
