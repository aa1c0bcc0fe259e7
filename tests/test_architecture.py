"""Import rules: the layers of the design guide (import-linter contracts in pyproject.toml),
the core never imports Qt, and imports nothing heavy at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

CORE = ["notesgraph", "notesgraph.model", "notesgraph.parsing", "notesgraph.store",
        "notesgraph.indexer", "notesgraph.lookup", "notesgraph.config", "notesgraph.cli",
        "notesgraph.passages", "notesgraph.embeddings", "notesgraph.vectorindex", "notesgraph.similarity",
        "notesgraph.cli.runs", "notesgraph.cli.output", "notesgraph.experiments", "notesgraph.experiments.spec",
        "notesgraph.experiments.registry", "notesgraph.experiments.verdicts", "notesgraph.experiments.runner",
        "notesgraph.experiments.ray_backend", "notesgraph.system_libs"]

PROBE = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'PySide6', 'shiboken6'}:
            raise ImportError('core imported ' + name)
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
heavy = sorted(m for m in ('torch', 'sentence_transformers', 'networkx', 'pyvis', 'ray') if m in sys.modules)
print(','.join(heavy))
"""


def test_core_imports_without_qt_and_without_heavy_modules() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *CORE], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_pyside6_appears_only_under_ui() -> None:
    offenders = [
        str(path.relative_to(REPO)) for path in (REPO / "notesgraph").rglob("*.py")
        if "ui" not in path.relative_to(REPO / "notesgraph").parts[:1]
        and any(line.lstrip().startswith(("import PySide6", "from PySide6"))
                for line in path.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []


def test_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    assert lint_imports.exists(), "lint-imports is missing: pip install -e '.[test]'"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([str(lint_imports), "--no-cache"], capture_output=True, text=True, cwd=REPO, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_experiment_spec_sits_beside_its_implementation() -> None:
    """The spec is defined in its replication folder's specs.py, next to the module that runs it
    (the replications' independence itself is an import-linter contract, checked above)."""
    import importlib
    import importlib.util

    from notesgraph.experiments.registry import experiments

    for spec in experiments():
        folder = spec.implementation.rsplit(".", 1)[0]
        assert folder.split(".")[-1] in {"replication1", "replication2"}, spec.implementation
        specs = importlib.import_module(folder + ".specs")
        assert any(value is spec for value in vars(specs).values()), (spec.name, folder)
        assert importlib.util.find_spec(spec.implementation) is not None, spec.implementation


def test_every_command_function_is_short() -> None:
    """A command parses, calls the core and prints: 20 lines at most (the design guide)."""
    import ast

    long = []
    for path in (REPO / "notesgraph" / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("cmd_"):
                lines = node.end_lineno - node.lineno + 1
                if lines > 20:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert long == []


def test_the_app_window_imports_no_graph_or_model_library_before_it_needs_them() -> None:
    """Time to first window: networkx comes with the graph, torch with embedding (the window
    module importing clusters -> graph_queries -> networkx cost ~0.2 s of a ~0.8 s start), Ray
    never (its driver is the run's worker process; the Run dialog only looks it up)."""
    probe = ("import sys; import notesgraph.ui.main_window, notesgraph.ui.run_dialog; "
             "print(','.join(sorted(m for m in ('networkx', 'torch', 'sentence_transformers', 'pyvis', 'ray')"
             " if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_numpy_is_kept_out_of_huge_pages_unless_the_user_says_otherwise() -> None:
    """notesgraph turns off numpy's huge-page advice (kernel compaction stalls made fresh big
    arrays ~20x slower on this machine), whether numpy was imported before it or not, and
    leaves the user's own NUMPY_MADVISE_HUGEPAGE alone."""
    code = ("{first}import notesgraph, numpy, os; "
            "print(numpy._core.multiarray._get_madvise_hugepage(), os.environ['NUMPY_MADVISE_HUGEPAGE'])")
    for first, env, expected in [("", {}, "False 0"), ("import numpy; ", {}, "False 0"),
                                 ("", {"NUMPY_MADVISE_HUGEPAGE": "1"}, "True 1")]:
        environ = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"} | env
        done = subprocess.run([sys.executable, "-c", code.format(first=first)], capture_output=True, text=True,
                              env=environ, cwd=REPO, check=True)
        assert done.stdout.split() == expected.split(), (first, env, done.stdout)
