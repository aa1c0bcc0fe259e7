"""Every command, run the way a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOTES, REPO, SEED, write
from notesgraph.cli import COMMANDS, build_parser, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "seed"
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    write(folder, "other.txt", "Does instruction tuning help small models?\nA lede.\nBody.\n")
    return folder


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    rows = {line.split("`")[1].split()[1]: line.split("` | ", 1)[1] for line in readme.splitlines()
            if line.startswith("| `notesgraph ") and not line.startswith("| `notesgraph search --")}
    for name, (help_text, _, _) in COMMANDS.items():
        assert len(help_text) > 20
        assert name in rows, f"README does not document `notesgraph {name}`"
        # `--help` and the README say the same thing (the README may say more after it)
        assert rows[name].startswith(help_text.replace("|", "\\|")), (name, help_text, rows[name][:120])
    assert "--json" in parser.format_help()
    assert "With no command: open the desktop app" in " ".join(parser.format_help().split())


def test_index_bundled_notes_then_nothing_changes(capsys, db: str) -> None:
    code, out, err = run(capsys, "index", "--db", db)
    assert code == 0, err
    assert "added" in out and str(NOTES) in out
    code, out, _ = run(capsys, "index", "--db", db, "--json")
    report = json.loads(out)
    assert code == 0 and report["added"] == 0 and report["unchanged"] >= 8


def test_index_reports_skipped_files_with_exit_1(capsys, db: str, seed_folder: Path) -> None:
    write(seed_folder, "broken.txt", b"Title\nbad \xff\n")
    code, out, err = run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    assert code == 1
    assert f"skipped {seed_folder / 'broken.txt'}:2: is not valid UTF-8" in err
    assert "2 added" in out and "1 file skipped" in out


def test_index_missing_folder_exits_2(capsys, db: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "index", str(tmp_path / "nowhere"), "--db", db)
    assert code == 2 and "no such folder" in err


def test_show_by_title_prefix_and_fragment(capsys, db: str, seed_folder: Path) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    code, out, _ = run(capsys, "show", "Does instruction tuning teach task understanding or output format?", "--db", db)
    assert code == 0
    assert "Inquiry lines (122)" in out and "Related concepts (5)" in out and "Related papers (8)" in out
    assert "(stub: no note yet)" in out and "author_year: Webson & Pavlick (2021)" in out
    code, out, _ = run(capsys, "show", "does", "instruction", "tuning", "teach", "--db", db)
    assert code == 0 and out.startswith("Does instruction tuning teach")
    code, out, _ = run(capsys, "show", "output format", "--db", db, "--json")
    note = json.loads(out)
    assert len(note["inquiries"]) == 122 and note["papers"][0]["rank"] == 1


def test_show_ambiguous_and_unknown_titles(capsys, db: str, seed_folder: Path) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    code, _, err = run(capsys, "show", "does instruction tuning", "--db", db)
    assert code == 1 and "matches 2 notes" in err and "help small models" in err
    code, _, err = run(capsys, "show", "instruction tunning help smal models", "--db", db)
    assert code == 1 and "did you mean" in err and "help small models" in err


def test_search(capsys, db: str, seed_folder: Path) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    code, out, _ = run(capsys, "search", "delusive", "examples", "--db", db)
    assert code == 0 and "Does instruction tuning teach" in out and "[delusive]" in out.lower()
    code, out, _ = run(capsys, "search", "delusive", "--db", db, "--json")
    assert json.loads(out)[0]["title"].startswith("Does instruction tuning teach")
    code, _, err = run(capsys, "search", "zebra", "--db", db)
    assert code == 1 and "no notes match" in err


def test_stats(capsys, db: str, seed_folder: Path) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    code, out, _ = run(capsys, "stats", "--db", db, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["notes"] == 2 and stats["inquiries"] == 122 and stats["papers"] == 8
    assert stats["resolved_concept_links"] + stats["stub_concept_links"] == stats["concept_links"]  # parts add up
    code, out, _ = run(capsys, "stats", "--db", db)
    assert "2 notes, 122 inquiries" in out
    assert (f"{stats['concept_links']} concept links ({stats['resolved_concept_links']} to notes, "
            f"{stats['stub_concept_links']} to {stats['unresolved_stubs']} stubs") in out
    assert "0 warnings, 0 problem files" in out


def test_check_writes_nothing(capsys, tmp_path: Path, seed_folder: Path) -> None:
    write(seed_folder, "binary.md", b"# Title\n\x00")  # (an empty file is a note: issue 14)
    code, out, _ = run(capsys, "check", str(seed_folder))
    assert code == 1
    assert f"error   {seed_folder / 'binary.md'}:2: looks like a binary file" in out and "2 notes parse" in out
    assert not (tmp_path / "default.db").exists()
    code, out, _ = run(capsys, "check", str(NOTES), "--json")
    assert code == 0 and json.loads(out)["problems"] == []


def test_summary_of_the_bundled_notes(capsys, db: str) -> None:
    code, out, err = run(capsys, "summary", "--db", db)
    assert code == 0, err
    assert "Notes:" in out and "Does instruction tuning teach task understanding or output format?" in out
    code, out, _ = run(capsys, "summary", "--db", db, "--json")
    assert json.loads(out)["stats"]["notes"] >= 8


def test_no_command_without_a_display_prints_the_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "notesgraph", "--db", str(tmp_path / "x.db")],
                          capture_output=True, text=True, timeout=120, env=env, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "no display found" in done.stderr and "Notes:" in done.stdout
    assert "PySide6" not in done.stderr


def test_default_database_comes_from_the_environment(capsys, tmp_path: Path, seed_folder: Path) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed")
    assert (tmp_path / "default.db").exists()


def test_console_script_runs(tmp_path: Path, seed_folder: Path) -> None:
    script = shutil.which("notesgraph", path=str(Path(sys.executable).parent)) or shutil.which("notesgraph")
    command = [script] if script else [sys.executable, "-m", "notesgraph"]
    done = subprocess.run([*command, "--db", str(tmp_path / "s.db"), "index", str(seed_folder), "--no-embed", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 2
    assert "Usage" in subprocess.run([*command, "--help"], capture_output=True, text=True).stdout.title()


def test_escape_codes_in_a_note_do_not_reach_the_terminal(capsys, db: str, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    write(folder, "evil.md", "# Evil \x1b]0;pwned\x07title\n\nClears \x1b[2J\x1b[H the screen,\x9b31m bell\x07 "
                             "and form\x0cfeed.\n")
    run(capsys, "index", str(folder), "--no-embed", "--db", db)
    code, out, err = run(capsys, "show", "Evil", "--db", db)
    assert code == 0 and "Evil title" in out and "Clears  the screen, bell and form" in out
    assert not any(ch in out + err for ch in "\x1b\x07\x0c\x9b")
    code, out, _ = run(capsys, "show", "Evil", "--db", db, "--json")
    assert "\x1b[2J" in json.loads(out)["lede"]  # JSON keeps the text, escaped


def test_search_snippets_read_as_text_and_an_empty_search_is_a_usage_error(capsys, db: str, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    write(folder, "a.md", "# Alpha\n\nSee [[Beta note|the beta]] for\nthe zebra\n\nline [docs](https://x.org/zebra).\n")
    write(folder, "Beta note.md", "# Beta note\n\nText.\n")
    run(capsys, "index", str(folder), "--no-embed", "--db", db)
    code, out, _ = run(capsys, "search", "zebra", "--db", db)
    snippet = out.splitlines()[1]
    assert code == 0 and out.startswith("Alpha  [note:")
    assert "[[" not in snippet and "See the beta for the [zebra]" in snippet  # one line, links as text
    code, _, err = run(capsys, "search", "", "--db", db)
    assert code == 2 and "nothing to search for" in err


def test_index_summary_names_what_it_ignored_with_plurals(capsys, db: str, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    write(folder, "a.md", "# A\n\n---\ntitle: late front matter is a rule\n")
    write(folder, "b.md", "---\ntags: [unclosed\n---\n# B\n")
    write(folder, "fig.png", b"\x89PNG")
    write(folder, "board.canvas", "{}")
    code, out, _ = run(capsys, "index", str(folder), "--no-embed", "--db", db)
    assert "1 warning (see" in out and "2 non-note files ignored (1 × an Obsidian canvas, 1 × an image;" in out
    assert f"`notesgraph check {folder}` lists them" in out
    code, out, _ = run(capsys, "check", str(folder))
    assert f"ignored {folder / 'fig.png'}: an image (an attachment)" in out


def test_long_titles_wrap_to_the_terminal_width(capsys, db: str, seed_folder: Path, monkeypatch) -> None:
    run(capsys, "index", str(seed_folder), "--no-embed", "--db", db)
    _, whole, _ = run(capsys, "show", "output format", "--db", db)  # not a terminal: lines kept whole
    assert max(len(line) for line in whole.splitlines()) > 200
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "show", "output format", "--db", db)
    assert code == 0 and max(len(line) for line in out.splitlines() if str(seed_folder) not in line) <= 80
    assert "       [inquiry:" in out or "?  [inquiry:" in out  # an item's later lines under its text
    code, out, _ = run(capsys, "neighbours", "output format", "--db", db)
    assert all(len(line) <= 80 or "[concept:" in line for line in out.splitlines())  # a stub's id is its title
