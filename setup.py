"""The one build step pyproject.toml cannot declare: copy the top-level `assets/` and `notes/`
into the built package, so a wheel (`pip install .`) carries them as package data.

An editable install (`pip install -e .`) skips the copy: notesgraph.config finds both
beside the package. Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("assets", "notes")


class BuildWithData(build_py):
    """build_py, then the shipped folders copied to <build_lib>/notesgraph/<folder>."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            target = Path(self.build_lib) / "notesgraph" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        for name in SHIPPED:
            folder = Path(self.build_lib) / "notesgraph" / name
            outputs += [str(p) for p in folder.rglob("*") if p.is_file()]
        return outputs


setup(cmdclass={"build_py": BuildWithData})
