"""Run at the start of every Python process of an embedded grading Ray: this folder is on their PYTHONPATH.

``import ray`` loads jsonschema, which imports the optional ``rfc3987_syntax`` where it is installed
(nbgrader's dependencies install it) to check the "iri" format. That import builds an Earley parser:
about 2 s of CPU in each of the dozens of worker processes a grading run starts, half of what
``import ray`` costs. Nothing in grading validates IRIs, so the module is marked absent, as on a
machine without it. Any ``sitecustomize`` this file shadows still runs.
"""
import importlib.machinery
import importlib.util
import os
import sys

sys.modules.setdefault("rfc3987_syntax", None)


def _run_shadowed() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    others = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


if __name__ == "sitecustomize":
    _run_shadowed()
    if os.environ.get("GRADERS_GPU_PROOF"):  # bench/gpu_check.sh, tests/test_gpu_path.py: see gpu_proof.py
        import gpu_proof

        gpu_proof.start()
