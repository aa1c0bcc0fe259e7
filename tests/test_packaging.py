"""`pip install .` (not only -e): the wheel carries assets/ and notes/, and an installed
notesgraph run from outside the repository finds and indexes the bundled notes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from notesgraph.config import asset_text, assets_folder, bundled_notes_folder
from notesgraph.kinds import KIND_STYLES

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "notesgraph", "assets", "notes")


def test_assets_hold_an_icon_per_kind_the_style_sheets_and_the_page_files() -> None:
    assert assets_folder() == ROOT / "assets" and bundled_notes_folder() == ROOT / "notes"
    for kind, style in KIND_STYLES.items():
        icon = asset_text(f"icons/{kind}.svg")
        assert f'fill="{style.colour}"' in icon, kind  # the icon wears the kind's colour
    assert "<svg" in asset_text("icons/app.svg")
    palettes = json.loads(asset_text("palettes.json"))
    assert set(palettes) == {"light", "dark"}
    for theme in palettes:
        assert "NeighbourhoodView" in asset_text(f"qss/{theme}.qss")
        assert set(palettes[theme]) == {"qt", "graph"}
    for name in ("reader.css", "export/export.css", "export/export.js"):
        assert asset_text(name).strip()


@pytest.mark.slow
def test_a_built_wheel_installs_and_opens_the_bundled_notes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels)], check=True, cwd=tmp_path, timeout=300)
    wheel = next(wheels.glob("notesgraph-*.whl"))
    # A fresh venv that sees this venv's packages (torch, Qt ...) but not its notesgraph:
    # a .pth line adds a path; the editable install's own .pth files there are not run.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "dev-venv.pth").write_text("\n".join(sorted(here)) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    str(wheel)], check=True, cwd=tmp_path, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([str(venv / "bin" / "notesgraph"), "--db", str(tmp_path / "n.db"), "summary"],
                            cwd=elsewhere, capture_output=True, text=True, timeout=300,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    installed = purelib / "notesgraph"
    assert f"indexed {installed / 'notes'}: 10 added" in result.stdout
    assert re.search(r"^10 notes, \d+ inquiries", result.stdout, re.MULTILINE)
    # The package found its assets inside itself, not in this checkout.
    probe = subprocess.run([str(python), "-c", "from notesgraph.config import assets_folder, asset_text;"
                            "print(assets_folder()); asset_text('export/export.js')"],
                           cwd=elsewhere, check=True, capture_output=True, text=True)
    assert probe.stdout.strip() == str(installed / "assets")
