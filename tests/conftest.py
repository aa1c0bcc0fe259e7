"""Shared fixtures: a real SQLite file per test, the seed note, the bundled corpus."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from notesgraph.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "data" / "seed-instruction-tuning-note.txt"  # copy of ../shared/seeds/
NOTES = REPO / "notes"


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the user's real database."""
    monkeypatch.setenv("NOTESGRAPH_DB", str(tmp_path / "default.db"))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "test.db") as opened:
        yield opened


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a note file (text as UTF-8, bytes as they are) and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path
