"""The embedding and similarity commands, run the way a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTES, REPO, write
from notesgraph.store import Store
from test_cli import run

MAIN = "Does instruction tuning teach task understanding or output format?"


@pytest.fixture
def embedded_db(embedded_store: Store) -> str:
    return embedded_store.path


def test_index_embeds_then_embeds_nothing_when_unchanged(capsys, tmp_path: Path, encoder) -> None:
    folder = tmp_path / "notes"
    write(folder, "a.md", (NOTES / "format-over-domain.md").read_text(encoding="utf-8"))
    db = str(tmp_path / "cli.db")
    code, out, err = run(capsys, "index", str(folder), "--db", db)
    assert code == 0, err
    assert "1 added" in out and "embedded " in out and f"with {encoder.model_id}" in out
    code, out, _ = run(capsys, "index", str(folder), "--db", db, "--json")
    report = json.loads(out)
    assert code == 0 and report["embeddings"]["embedded"] == 0 and report["embeddings"]["unchanged"] > 20


def test_index_no_embed_then_related_says_what_to_run(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "plain.db")
    code, out, _ = run(capsys, "index", "--no-embed", "--db", db, "--json")
    assert code == 0 and json.loads(out)["embeddings"] is None
    code, _, err = run(capsys, "related", MAIN, "--db", db)
    assert code == 1 and "run `notesgraph index`" in err


def test_missing_model_folder_is_named_and_full_text_search_still_works(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "m.db")
    code, out, err = run(capsys, "index", "--model", str(tmp_path / "no-model"), "--db", db)
    assert code == 2
    assert f"{tmp_path / 'no-model'} does not exist" in err and "full-text index is up to date" in err
    assert "10 added" in out
    code, out, _ = run(capsys, "search", "delusive", "--db", db)
    assert code == 0 and MAIN in out


def test_related_text_and_json(capsys, embedded_db: str) -> None:
    code, out, err = run(capsys, "related", "instruction tuning teach", "--k", "5", "--db", embedded_db)
    assert code == 0, err
    assert out.startswith(f"Related to {MAIN}")
    assert out.count("why: ") == 5 and "    1. 0." in out
    code, out, _ = run(capsys, "related", "instruction tuning teach", "--kind", "paper", "--kind", "inquiry",
                       "--exclude-linked", "--k", "4", "--json", "--db", embedded_db)
    data = json.loads(out)
    assert code == 0 and data["title"] == MAIN and len(data["related"]) == 4
    assert {r["kind"] for r in data["related"]} <= {"paper", "inquiry"}
    assert all(r["why"]["match_text"] for r in data["related"])


def test_related_by_item_id_and_unknown_titles(capsys, embedded_db: str) -> None:
    with Store(embedded_db) as store:
        paper = store.rows("SELECT id FROM papers ORDER BY id LIMIT 1")[0]["id"]
    code, out, _ = run(capsys, "related", f"paper:{paper}", "--k", "2", "--db", embedded_db)
    assert code == 0 and f"[paper:{paper}]" in out
    code, _, err = run(capsys, "related", "zebra crossing", "--db", embedded_db)
    assert code == 1 and "no item titled" in err
    code, _, err = run(capsys, "related", "paper:999999", "--db", embedded_db)
    assert code == 1 and "has no embedding" in err


def test_search_semantic_and_hybrid(capsys, embedded_db: str, encoder) -> None:
    code, out, err = run(capsys, "search", "--semantic", "models", "copy", "the", "answer", "format",
                         "--limit", "3", "--db", embedded_db)
    assert code == 0, err
    assert len([line for line in out.splitlines() if line[:2] == "0."]) == 3
    code, out, _ = run(capsys, "search", "--semantic", "human feedback", "--kind", "paper", "--json",
                       "--limit", "2", "--db", embedded_db)
    hits = json.loads(out)
    assert code == 0 and [h["kind"] for h in hits] == ["paper", "paper"]
    code, out, _ = run(capsys, "search", "--hybrid", "delusive", "examples", "--db", embedded_db)
    assert code == 0 and "words #1" in out and "meaning #" in out and "[delusive]" in out.lower()
    code, out, _ = run(capsys, "search", "--hybrid", "delusive", "--json", "--limit", "3", "--db", embedded_db)
    assert code == 0 and len(json.loads(out)) == 3


def test_search_with_another_model_than_the_vectors_is_refused(capsys, embedded_db: str, tmp_path: Path) -> None:
    write(tmp_path / "model", "config.json", "{}")
    code, _, err = run(capsys, "search", "--semantic", "format", "--model", str(tmp_path / "model"),
                       "--db", embedded_db)
    assert code == 2 and "were made with" in err


def test_papers_shows_both_rankings_and_the_correlation(capsys, embedded_db: str) -> None:
    code, out, err = run(capsys, "papers", "instruction tuning teach", "--db", embedded_db)
    assert code == 0, err
    assert "given  ours" in out and "Spearman rank correlation" in out
    assert "Do Models Really Learn to Follow Instructions?" in out
    code, out, _ = run(capsys, "papers", "instruction tuning teach", "--json", "--db", embedded_db)
    ranking = json.loads(out)
    assert len(ranking["papers"]) == 8 and -1 <= ranking["spearman"] <= 1


def test_commands_that_do_not_embed_never_import_torch(embedded_notes_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    shutil.copyfile(embedded_notes_db, db)
    probe = (
        "import sys, contextlib, io\n"
        "from notesgraph.cli import main\n"
        f"db = {str(db)!r}\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    codes = [main(['index', '--db', db]), main(['related', 'instruction tuning teach', '--db', db]),\n"
        "             main(['papers', 'instruction tuning teach', '--db', db]), main(['search', 'format', '--db', db])]\n"
        "print(codes, sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0, 0, 0, 0] []"
