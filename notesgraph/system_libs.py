"""The system libraries Qt needs for a window, checked and installed without loading Qt.

PySide6's wheels bring Qt but not the X11 helper libraries its xcb platform plugin links
against; on a fresh Debian machine Qt then aborts ("xcb-cursor0 or libxcb-cursor0 is needed")
before any Python code can react. This module never imports Qt (or anything outside the
standard library): it asks `ldd` about the plugin file and libxcb about the display, so the
CLI can name what is missing and print the text summary instead. Run as a program
(`python3 -m notesgraph.system_libs`, the README's first command and `.ci/run`), it installs
the missing Debian packages; it works before `pip install`, with the system's Python.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

BASE_LIBRARIES = {
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
"""What Qt loads on every platform, offscreen included: soname -> Debian package."""

XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1", "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6",
}
"""What Qt 6's xcb platform plugin (a window on X11) links against: soname -> Debian package."""

PACKAGES = {**BASE_LIBRARIES, **XCB_LIBRARIES}
SETUP_COMMAND = "python3 -m notesgraph.system_libs"


# -- what is missing ---------------------------------------------------------------------------

def platform_plugin(name: str = "xcb") -> Path | None:
    """PySide6's platform plugin file (`Qt/plugins/platforms/libqxcb.so`), found from the
    package's location only: nothing of Qt is imported. None without PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / f"libq{name}.so"


def missing_libraries(binary: Path) -> list[str]:
    """The libraries `binary` needs that the dynamic loader cannot find, per `ldd` (one
    process, ~10 ms). Empty when all are found, or when `ldd` itself is unavailable."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    done = subprocess.run([ldd, str(binary)], capture_output=True, text=True, timeout=30)
    return sorted({line.split("=>")[0].strip() for line in done.stdout.splitlines()
                   if "=>" in line and line.split("=>")[1].strip() == "not found"})


def missing_packages(sonames: Mapping[str, str]) -> list[str]:
    """The Debian packages of `sonames` whose library the loader's cache (`ldconfig -p`)
    does not list; works before PySide6 is installed. Empty without ldconfig."""
    ldconfig = shutil.which("ldconfig") or ("/sbin/ldconfig" if Path("/sbin/ldconfig").exists() else None)
    if ldconfig is None:
        return []
    cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=30).stdout
    known = {line.split()[0] for line in cache.splitlines() if line.startswith(("\t", " ")) and line.split()}
    return sorted({package for soname, package in sonames.items() if soname not in known})


def describe_missing(libraries: Sequence[str]) -> str:
    """Which libraries are missing, which Debian packages provide them, and the command."""
    packages = sorted({PACKAGES[name] for name in libraries if name in PACKAGES})
    unknown = [name for name in libraries if name not in PACKAGES]
    lines = [f"Qt's window (xcb) platform needs libraries that are not installed: {', '.join(libraries)}."]
    if packages:
        lines.append(f"  Debian/Ubuntu packages: {' '.join(packages)}; install them with\n"
                     f"    sudo apt-get install {' '.join(packages)}\n  or: {SETUP_COMMAND}")
    if unknown:
        lines.append(f"  No package known for {', '.join(unknown)}: `apt-file search NAME` finds it.")
    return "\n".join(lines)


# -- can a window open? ------------------------------------------------------------------------

def qt_platform(env: Mapping[str, str]) -> str:
    """The platform Qt will try first: QT_QPA_PLATFORM's first entry, else what Qt picks."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    return "wayland" if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY") else "xcb"


def display_reachable(display: str) -> bool:
    """Whether an X server accepts us at `display`: one xcb_connect through libxcb (the
    library Qt uses, so the same answer; a local socket is ~1 ms, a remote host may take a
    TCP timeout). True when libxcb cannot be loaded: `ldd` reports that case."""
    name = ctypes.util.find_library("xcb")
    if name is None:
        return True
    xcb = ctypes.CDLL(name)
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def window_problem(env: Mapping[str, str] | None = None, plugin: Path | None = None) -> str | None:
    """Why Qt could not open a window here (None: it can, as far as can be told without Qt).

    Checked only for X11 (xcb, Qt's default on Linux): no display, a plugin library missing,
    or an X server that does not answer. Other platforms (offscreen, wayland) are trusted.
    """
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux") or qt_platform(env) != "xcb":
        return None
    display = env.get("DISPLAY", "")
    if not display:
        return "no display found (DISPLAY is not set)"
    plugin = plugin or platform_plugin()
    if plugin is not None and plugin.exists():
        missing = missing_libraries(plugin)
        if missing:
            return describe_missing(missing)
    if not display_reachable(display):
        return f"no display found: the X server at DISPLAY={display} does not answer"
    return None


# -- installing --------------------------------------------------------------------------------

def install_prefix() -> list[str] | None:
    """How to run apt-get as root: directly when root, with sudo when there is one; None
    when neither (the caller prints the command instead)."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    return ["sudo"] if shutil.which("sudo") else None


def needed_packages(extra: Iterable[str] = ()) -> list[str]:
    """Qt's libraries that are missing, `python3-venv` when this Python cannot make a venv
    with pip (Debian splits it out), and the `extra` packages dpkg does not list as installed."""
    needed = missing_packages(PACKAGES)
    if importlib.util.find_spec("ensurepip") is None:
        needed.append("python3-venv")
    for package in extra if shutil.which("dpkg-query") else ():
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                                capture_output=True, text=True).stdout
        if "install ok installed" not in status:
            needed.append(package)
    return needed


def install(packages: Sequence[str]) -> int:
    """apt-get install `packages` (saying what and why), or print the command to run."""
    if not packages:
        return 0
    print(f"notesgraph needs system packages for Qt's window and tools: {' '.join(packages)}", file=sys.stderr)
    prefix = install_prefix()
    command = ["apt-get", "install", "-y", "-q", *packages]
    if prefix is None:
        print(f"  install them (as root) with: apt-get install {' '.join(packages)}\n"
              "  (no apt-get, or not root and no sudo: continuing; `notesgraph` prints a text "
              "summary until they are there)", file=sys.stderr)
        return 0
    print(f"  running: {' '.join(prefix + command)}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    updated = subprocess.run([*prefix, "apt-get", "update", "-q"], env=env, stdout=sys.stderr)
    if updated.returncode != 0:
        return updated.returncode
    return subprocess.run([*prefix, *command], env=env, stdout=sys.stderr).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=SETUP_COMMAND, description="Install the Debian packages Qt needs to open notesgraph's "
        "window (with apt-get as root or through sudo), or print the command.")
    parser.add_argument("--also", nargs="*", default=[], metavar="PACKAGE",
                        help="more Debian packages to install if missing (CI: xvfb, chromium)")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        return 0
    return install(needed_packages(args.also))


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["PACKAGES", "SETUP_COMMAND", "describe_missing", "display_reachable", "install",
           "missing_libraries", "missing_packages", "needed_packages", "platform_plugin",
           "qt_platform", "window_problem"]
