"""Shared fixtures: a real SQLite file per test, the seed note, the bundled corpus."""

from __future__ import annotations

import os
import shutil
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


# -- embeddings: the real model, loaded once per session ---------------------------------------

@pytest.fixture(scope="session")
def encoder():
    """The bundled all-MiniLM-L6-v2, loaded once for the whole session (the CLI in this
    process reuses the same loaded model)."""
    from notesgraph.embeddings import Encoder

    loaded = Encoder()
    loaded.encode(["warm up"])  # import torch and load the weights here, once
    return loaded


@pytest.fixture(scope="session")
def embedded_notes_db(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    """A database of the bundled notes, indexed and embedded once; copy it before writing."""
    from notesgraph.embeddings import embed_store
    from notesgraph.indexer import index_folder

    path = tmp_path_factory.mktemp("embedded") / "notes.db"
    with Store(path) as opened:
        index_folder(opened, NOTES)
        embed_store(opened, encoder)
        opened.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def embedded_store(tmp_path: Path, embedded_notes_db: Path):
    """A private copy of the embedded bundled notes."""
    copy = tmp_path / "embedded.db"
    shutil.copyfile(embedded_notes_db, copy)
    with Store(copy) as opened:
        yield opened


@pytest.fixture(scope="session")
def bundled_graph(tmp_path_factory: pytest.TempPathFactory):
    """(store, knowledge graph) of the bundled notes, built once. Read-only: a test that
    changes the graph builds its own with build_graph(store)."""
    from notesgraph.graph import build_graph
    from notesgraph.indexer import index_folder

    with Store(tmp_path_factory.mktemp("bundled-graph") / "notes.db") as opened:
        index_folder(opened, NOTES)
        yield opened, build_graph(opened)


# -- Ray: one real local instance per session ------------------------------------------------------

@pytest.fixture(scope="session")
def ray_address() -> str:
    """The address of a real local Ray instance (2 CPUs, no dashboard, a small object store),
    started once for the session; runs on the ray backend join it from their own process."""
    import signal

    import ray

    previous = signal.getsignal(signal.SIGTERM)
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 2**20, log_to_driver=False)
    signal.signal(signal.SIGTERM, previous)  # ray.init makes SIGTERM exit pytest
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
