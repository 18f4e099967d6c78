"""The engine as a house (#31): imports that do nothing, no import cycle, a plugin that only plugs in."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kit

ENGINE = kit.KIT / "graders" / "engine"
PLUGIN = "graders.engine.grading.plugin"
PLUGIN_MAX_LINES = 250
# What a student's notebook kernel, the command line and a reader of results import: none may load pytest or Ray.
LIGHT = ["graders.engine", "graders.engine.commands.cli", "graders.engine.course", "graders.engine.notebook",
         "graders.engine.reporting.results", "graders.engine.reporting.stream", "graders.engine.reporting.progress",
         "graders.engine.reporting.terminal"]


def module_name(path: Path) -> str:
    parts = path.relative_to(kit.KIT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def engine_modules() -> dict[str, Path]:
    return {module_name(p): p for p in ENGINE.rglob("*.py") if "worker_site" not in p.parts}


def imported(path: Path, known) -> set[str]:
    """The modules of ``known`` that ``path`` imports, at its top level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> the modules it imports), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = "done"
        return None

    return next((found for node in sorted(graph) if node not in state and (found := visit(node, [node]))), None)


@pytest.mark.parametrize("module", LIGHT)
def test_importing_loads_neither_pytest_nor_ray(module):
    code = f"import sys, {module}; print(sorted({{'pytest', 'ray', 'torch'}} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=kit.KIT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"importing {module} loads {done.stdout.strip()}"


def test_no_engine_module_imports_one_that_imports_it():
    modules = engine_modules()
    graph = {name: imported(path, modules) - {name} for name, path in modules.items()}
    assert cycle(graph) is None, f"an import cycle in the engine: {' -> '.join(cycle(graph))}"


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_only_pytest_loads_the_plugin():
    sources = [*ENGINE.rglob("*.py"), *(kit.KIT / "graders").glob("*.py"), *(kit.KIT / "bench").glob("*.py")]
    importers = [str(p.relative_to(kit.KIT)) for p in sources if PLUGIN in imported(p, {PLUGIN})]
    assert not importers, f"{importers} import the pytest plugin: put what they need in a module of its own"
    lines = len((ENGINE / "grading" / "plugin.py").read_text().splitlines())
    assert lines < PLUGIN_MAX_LINES, f"plugin.py has {lines} lines: hooks and fixtures only, the work in other modules"
