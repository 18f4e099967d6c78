"""A made-up lesson on the GPU path: the grader hands the student's function a GPU, then judges its device."""
import pytest

from graders.engine import check
from graders.engine import skip_without_cuda


@check(points=1, hint="Compute on 'cuda' when torch.cuda.is_available().")
def test_double_on_a_gpu(student, ray_cluster, use_gpu):
    import ray

    if not use_gpu:
        pytest.skip("a GPU check: graded only with GPUs (--use-gpu auto or yes)")
    value, gpus = ray.get(ray.remote(num_gpus=0.5)(lambda x: (student.double(x), ray.get_gpu_ids())).remote(2))
    assert value == 4 and gpus, f"double(2) in a task given half a GPU: got {value} holding GPUs {gpus}; expected 4 on a GPU"
    skip_without_cuda("whether device() ran on the GPU")
    assert ray.get(ray.remote(num_gpus=0.5)(student.device).remote()) == "cuda", "device() in a GPU task: expected cuda"
