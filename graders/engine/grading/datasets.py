"""The course's data sets: the kit's fixtures, or what the instructor gave with ``--data NAME=PATH``.

An instructor's data is the source of every read of seed 0 (the public variant), options included:
``taxi`` with ``with_index=True`` is the given file as it is, ``mnist`` with ``train_limit=N`` is a
subset of the given MNIST root, built once into a temporary cache. Seeds other than 0 are the
graders' hidden variants, always the kit's own.

On a cluster of several nodes, a worker on another node cannot open the files of this machine: every
local data set is then copied to every node (``on_every_node``), the same bytes under the same path, by one
task pinned to each node, before its path is handed to anyone. A URI (``s3://...``) is read where it is.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

PUBLIC_SEED = 0
NAMES = ("taxi", "mnist", "mnist_png", "mnist_model")
_BUILDERS = {"taxi": "taxi", "mnist": "mnist_root", "mnist_png": "mnist_png", "mnist_model": "mnist_model"}
SUBSET_CACHE = Path(tempfile.gettempdir()) / "graders-data"
# Where each node keeps its copies, ``<sha256>/<name>``: the same path on every node, node-local (never shared).
NODE_COPIES = SUBSET_CACHE / "on-every-node"


def parse_spec(spec: str) -> tuple[str, str]:
    """``NAME=PATH`` as (name, path); a ValueError that says what is wrong and what is expected."""
    name, sep, path = spec.partition("=")
    if not sep or not path:
        raise ValueError(f"--data {spec!r}: expected NAME=PATH, e.g. taxi=/data/trips.parquet")
    if name not in NAMES:
        raise ValueError(f"--data {spec!r}: no data set {name!r}; the data sets are {', '.join(NAMES)}")
    if "://" not in path and not os.path.exists(path):
        raise ValueError(f"--data {spec!r}: {path} does not exist; give the path of the {name} data")
    return name, path


class DataSets:
    """The data sets of a grading run, with the instructor's ``--data`` overrides applied."""

    def __init__(self, specs: list[str] = ()):
        self.overrides = dict(parse_spec(spec) for spec in specs)
        self.nodes: tuple[str, ...] = ()  # the Ray node ids every path must reach (none: one machine)
        self._copies: dict[str, str] = {}

    def reach(self, nodes) -> None:
        """From now on, hand out paths that exist on each of ``nodes`` (Ray node ids), not only here."""
        self.nodes = tuple(nodes)

    def public(self, name: str) -> str:
        """The public data set ``name`` as the instructor gave it (the kit's own when not overridden)."""
        return self.path(name)

    def path(self, name: str, seed: int = PUBLIC_SEED, **options) -> str:
        """Where data set ``name`` lives; seeds other than 0 are the graders' hidden variants."""
        if name not in NAMES:
            raise ValueError(f"no data set {name!r}; the data sets are {', '.join(NAMES)}")
        from graders.engine.grading.stopping import check_clock_paused

        # Building a fixture on first use, or waiting for another run's build of it, is the grader's time,
        # never the budget of the check that first asked for it.
        with check_clock_paused():
            if seed == PUBLIC_SEED and name in self.overrides:
                return self._everywhere(self._given(name, self.overrides[name], **options))
            import fixtures

            build = getattr(fixtures, _BUILDERS[name])
            return self._everywhere(str(build(**options) if name == "mnist_model" else build(seed, **options)))

    def _everywhere(self, path: str) -> str:
        """``path``, or on a cluster of several nodes the path of its copy on every node."""
        if not self.nodes or "://" in path:
            return path
        if path not in self._copies:
            self._copies[path] = on_every_node(path, self.nodes)
        return self._copies[path]

    @staticmethod
    def _given(name: str, path: str, *, with_index: bool | None = None, train_limit: int | None = None) -> str:
        """The instructor's data with ``options`` applied."""
        if with_index is not None and name != "taxi" or train_limit is not None and name != "mnist":
            raise ValueError(f"data set {name!r} takes no such option")
        if train_limit is None:
            return path  # with_index: the instructor's trips as they are, with or without the column
        from fixtures import cache, mnist

        source = Path(path).resolve()
        key = hashlib.sha256(f"{source}:{source.stat().st_mtime_ns}".encode()).hexdigest()[:16]
        return str(cache.cached(f"mnist-{key}-train{int(train_limit)}",
                                lambda root: mnist.limit_idx_root(source, root, int(train_limit)), SUBSET_CACHE))


def _copy_here(files: dict, name: str, digest: str, root: str) -> tuple[str, str]:
    """Write ``files`` as ``root/<digest>/name`` on this node (once); (its path, this node's id)."""
    import ray
    from fixtures import cache

    return str(cache.write_files(files, name, digest, root)), ray.get_runtime_context().get_node_id()


def on_every_node(path: str, nodes: tuple[str, ...], root: Path = NODE_COPIES) -> str:
    """Copy the file or folder ``path`` to each Ray node of ``nodes`` and to this machine, under one path
    named by its content (``root/<sha256>/<name>``), and return that path. One task pinned to each node
    (``NodeAffinitySchedulingStrategy``, not soft) writes the very bytes read here, checks their sha256, and
    says where it ran: the digit model every node loads is this file, never one rebuilt there."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from fixtures import cache

    source = Path(path)
    digest, files = cache.checksum(source), cache.files_of(source)
    here, _ = _copy_here(files, source.name, digest, str(root))  # the grader reads it from here
    copy = ray.remote(num_cpus=0, max_retries=3)(_copy_here)
    ref = ray.put(files)
    done = ray.get([copy.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                    .remote(ref, source.name, digest, str(root)) for node in nodes])
    wrong = [(node, ran, at) for node, (at, ran) in zip(nodes, done) if (at, ran) != (here, node)]
    if wrong:
        raise RuntimeError(f"copying {path} to every node: expected {here} on each node; got {wrong}")
    return here
