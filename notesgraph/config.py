"""Where things are: the bundled notes folder and the default database."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["bundled_notes_folder", "default_db_path"]


def bundled_notes_folder() -> Path:
    """The `notes/` folder shipped beside the package (the corpus the app opens by default)."""
    return Path(__file__).resolve().parent.parent / "notes"


def default_db_path() -> Path:
    """`NOTESGRAPH_DB`, else notesgraph.db in the user's data folder (XDG on Linux)."""
    if os.environ.get("NOTESGRAPH_DB"):
        return Path(os.environ["NOTESGRAPH_DB"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "notesgraph" / "notesgraph.db"
