"""First launch on a fresh machine: Qt's window needs system libraries pip cannot bring.

The app is started for real (subprocesses, a real X server under Xvfb); a missing library is
made by copying Qt's real xcb plugin and renaming one of the libraries it needs, so `ldd`
reports it "not found" exactly as on a machine without it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTES, REPO
from notesgraph.system_libs import PACKAGES, describe_missing, missing_libraries, platform_plugin, window_problem

ABSENT = b"libxcb-cursor.so.9"  # same length as the real name, so the ELF stays valid


def _without_qt_platform() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}


def _free_display() -> str:
    """A display number no X server listens on."""
    number = next(n for n in range(77, 200)
                  if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists())
    return f":{number}"


@pytest.fixture
def broken_pyside(tmp_path: Path) -> Path:
    """A PySide6 package folder whose xcb plugin (a copy of the real one) needs a library
    this machine lacks; its Qt libraries are the real ones. Returns the folder holding it."""
    real = platform_plugin()
    assert real is not None and real.exists()
    site = tmp_path / "site"
    platforms = site / "PySide6" / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (site / "PySide6" / "__init__.py").write_text("")
    (site / "PySide6" / "Qt" / "lib").symlink_to(real.parents[2] / "lib")  # the plugin's RUNPATH
    data = real.read_bytes()
    assert data.count(b"libxcb-cursor.so.0\0") == 1
    (platforms / real.name).write_bytes(data.replace(b"libxcb-cursor.so.0\0", ABSENT + b"\0"))
    return site


def test_a_missing_plugin_library_is_named(broken_pyside: Path) -> None:
    plugin = broken_pyside / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    assert missing_libraries(plugin) == [ABSENT.decode()]
    problem = window_problem({"DISPLAY": ":0"}, plugin)
    assert problem is not None and ABSENT.decode() in problem and "apt-file search" in problem
    assert window_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, plugin) is None


def test_every_x11_library_of_the_real_plugin_has_its_debian_package() -> None:
    plugin = platform_plugin()
    assert plugin is not None
    listed = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    names = {line.split("=>")[0].strip() for line in listed.splitlines() if "=>" in line}
    x11 = {name for name in names if re.match(r"lib(xcb|X11|xkbcommon)", name)}
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= x11
    assert x11 <= set(PACKAGES), f"no Debian package listed for {sorted(x11 - set(PACKAGES))}"
    message = describe_missing(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in message


def test_app_without_qt_libraries_prints_the_summary_instead_of_aborting(broken_pyside: Path,
                                                                         tmp_path: Path) -> None:
    env = {**_without_qt_platform(), "DISPLAY": ":0", "PYTHONPATH": str(broken_pyside)}
    done = subprocess.run([sys.executable, "-m", "notesgraph", "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert ABSENT.decode() in done.stderr and "text summary" in done.stderr
    assert "Notes:" in done.stdout and "could not load the Qt platform plugin" not in done.stderr


def test_an_unreachable_display_prints_the_summary(tmp_path: Path) -> None:
    display = _free_display()
    env = {**_without_qt_platform(), "DISPLAY": display}
    done = subprocess.run([sys.executable, "-m", "notesgraph", "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert f"DISPLAY={display} does not answer" in done.stderr and "Notes:" in done.stdout
    shot = subprocess.run([sys.executable, "-m", "notesgraph", "--db", str(tmp_path / "x.db"), "app",
                           "--screenshot", str(tmp_path / "x.png")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert shot.returncode == 2 and "no screenshot" in shot.stderr and not (tmp_path / "x.png").exists()


def test_setup_step_runs_with_only_the_standard_library() -> None:
    """The README's first command runs it with the system's Python, before pip install."""
    done = subprocess.run([sys.executable, "-S", "-m", "notesgraph.system_libs", "--help"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0 and "apt-get" in done.stdout, done.stderr
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m notesgraph.system_libs && python3 -m venv .venv" in readme
    assert "python3 -m notesgraph.system_libs" in ci


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (.ci/run installs it)")
def test_the_app_opens_a_real_x11_window_under_xvfb(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    shot = tmp_path / "window.png"
    env = {**_without_qt_platform(), "QT_QPA_PLATFORM": "xcb", "HOME": str(tmp_path),
           "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox"}
    done = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "notesgraph",
                           "--db", str(tmp_path / "a.db"), "app", str(NOTES), "--screenshot", str(shot),
                           "--no-embed"], capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert image.width() >= 1000 and image.height() >= 700
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50  # a drawn window, not a blank or black one
