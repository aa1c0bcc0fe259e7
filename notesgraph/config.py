"""Where things are: the bundled notes folder and the default database."""

from __future__ import annotations

from pathlib import Path

from notesgraph.store import default_db_path

__all__ = ["bundled_notes_folder", "default_db_path"]


def bundled_notes_folder() -> Path:
    """The `notes/` folder shipped beside the package (the corpus the app opens by default)."""
    return Path(__file__).resolve().parent.parent / "notes"
