"""Which code made a result: the git commit of the package (with +dirty), for run records and
for caches that another run may reuse. Imports nothing of the experiments, so the parts both
replications share can record it without importing the registry."""

from __future__ import annotations

import subprocess
from pathlib import Path

from notesgraph import __version__

__all__ = ["code_version"]


def code_version() -> str:
    """The git commit of the code (with +dirty for uncommitted changes), else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    return f"{commit}{'+dirty' if dirty else ''}" if commit else f"notesgraph {__version__}"
