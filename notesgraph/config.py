"""Where things are: the bundled notes folder, the assets folder and the default database.

`notes/` and `assets/` sit at the top of the repository for people; a built wheel carries
copies inside the package (setup.py's build step), so each is looked for there first and
then beside the package (a source checkout or an editable install). Two stat calls.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["assets_folder", "asset_path", "asset_text", "bundled_notes_folder", "default_db_path"]

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    """`name` inside the installed package, else beside it (the repository's top level)."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


def bundled_notes_folder() -> Path:
    """The `notes/` folder shipped with the package (the corpus the app opens by default)."""
    return _shipped("notes")


def assets_folder() -> Path:
    """The `assets/` folder: icons, Qt style sheets, palettes, the reader's and the export's CSS/JS."""
    return _shipped("assets")


def asset_path(name: str) -> Path:
    """The path of asset `name` (e.g. "icons/note.svg"); raises FileNotFoundError if missing."""
    path = assets_folder() / name
    if not path.is_file():
        raise FileNotFoundError(f"asset {name!r} is missing from {assets_folder()} (a broken install?)")
    return path


def asset_text(name: str) -> str:
    """The text of asset `name` (UTF-8)."""
    return asset_path(name).read_text(encoding="utf-8")


def default_db_path() -> Path:
    """`NOTESGRAPH_DB`, else notesgraph.db in the user's data folder (XDG on Linux)."""
    if os.environ.get("NOTESGRAPH_DB"):
        return Path(os.environ["NOTESGRAPH_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "notesgraph" / "notesgraph.db"
