"""A made-up lesson: requests the cluster can never meet, made every way a lesson can (a placement group,
Ray Train fits, a Tune trial, a Ray Data actor, a Serve replica, a task, an actor), requests that only
wait their turn, a check after them that finds all the cluster's CPUs free, and a wait on Ray that never ends."""
import pytest

from graders.engine import check, wait_for


def in_workers(fn, inputs: list) -> list:
    """``fn(x)`` for each of ``inputs``, each in a Ray task, run on the student's side (``student_side.apply``)."""
    import ray

    task = ray.remote(fn)
    return ray.get([task.remote(x) for x in inputs])


@check(points=1)
def test_ready(student, ray_instance, serve_apps):
    """Starts Ray and Serve: the time the checks below take is their own."""
    assert student.double(2) == 4


@pytest.fixture(scope="module")
def reservation(student, ray_instance):
    return student.reserve(num_workers=2)


@check(points=1)
def test_reserve(reservation):
    assert reservation == "reserved"


@check(points=1)
def test_reserved_again(reservation):
    """Shares the fixture stopped in the check above."""
    assert reservation == "reserved"


@check(points=1)
def test_fit_many_workers(student, storage_path):
    student.fit_many_workers(num_workers=2, storage_path=storage_path)


@check(points=1)
def test_fit_big_workers(student, storage_path):
    student.fit_big_workers(num_workers=2, storage_path=storage_path)


@check(points=1)
def test_tune_trial(student, storage_path):
    student.tune_trial(storage_path=storage_path)


@check(points=1)
def test_tune_fit(student, storage_path):
    student.tune_fit(storage_path=storage_path)


@check(points=1)
def test_data_actor(student, ray_instance):
    student.data_actor()


@check(points=1)
def test_serve_replica(student, serve_apps):
    name, prefix = serve_apps.new("big")
    student.serve_replica(name, prefix)


@check(points=1)
def test_task(student, ray_instance):
    student.task()


@check(points=1)
def test_actor(student, ray_instance):
    student.actor()


@check(points=1)
def test_waits_its_turn(student, ray_instance):
    """Requests the cluster can meet, once what holds its CPUs lets go: none is impossible."""
    assert student.wait_turn(ray_instance.num_cpus) == "served"


@check(points=1)
def test_pool_larger_than_cluster(student, ray_instance):
    """An actor pool larger than the cluster runs on the actors that fit (Ray Data starts them as it can)."""
    assert student.pool_of(4 * ray_instance.num_cpus) == [2 * i for i in range(8)]


@check(points=1)
def test_after(student, student_side, ray_instance):
    """Every CPU free again, no group left waiting: what the checks above asked for is gone."""
    import ray

    cpus = ray_instance.num_cpus
    wait_for(lambda: ray.available_resources().get("CPU") == cpus, timeout=10, what=f"all {cpus} CPUs free")
    pending = [g for g in ray.util.placement_group_table().values() if g["state"] != "REMOVED"]
    assert not pending, f"placement groups left: {pending}"
    assert student_side.apply(in_workers, student.double, list(range(cpus))) == [2 * i for i in range(cpus)]


@check(points=1)
@pytest.mark.timeout(20)
def test_waits(student, ray_instance):
    assert student.wait_on_ray() == "done"
