"""The analysis scripts behind figures in the README and docs still start: each imports what it
uses from the package and answers --help (a refactor that moves a module breaks them here, not
the next time someone redraws a figure)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

SCRIPTS = sorted((REPO / "analysis").glob("*.py"))


def test_there_are_analysis_scripts() -> None:
    assert {path.name for path in SCRIPTS} >= {"replication2_pilot.py", "replication2_learnable.py", "run_report.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_each_script_answers_help(script) -> None:
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
