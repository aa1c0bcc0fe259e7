"""A folder of hostile files, indexed the way a user indexes it: the run finishes in bounded
time and memory, every good note is there, every bad file is listed with its reason, and
nothing outside the folder is read (issue 22's probe, kept as a test)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, write

GOOD_NOTES = 24
MEMORY_BOUND_MB = 400
"""Peak memory of the whole index run (a clean index of this folder peaks near 100 MB; the
alias bomb alone took 2.3 GB before it was bounded)."""
OUTSIDE_MARKER = "zanzibarquokka"


def _alias_bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\ntitle: *i\ntags: *i\n---\n# Alias bomb\n\nBody.\n"


def _hostile_files(rng: random.Random) -> dict[str, bytes | str]:
    """name -> content of every hostile file (all end in .md or .txt: they are read as notes)."""
    files: dict[str, bytes | str] = {
        "alias-bomb.md": _alias_bomb(),
        "deep-front-matter.md": "---\nk: " + "[" * 20_000 + "]" * 20_000 + "\n---\n# Deep front matter\n",
        "deep-quote.md": "# Deep quote\n\n" + ">" * 20_000 + " text\n",
        "deep-list.md": "# Deep list\n\n" + "".join("  " * i + "- item\n" for i in range(2_000)),
        "run-on-numbers.md": "# Run-on\n\n" + " ".join(f"{i}.5% versus {i + 1}%" for i in range(60_000)) + "\n",
        "many-claims.txt": "Many claims?\n" + " ".join(f"Model {i} scores {i}.5% vs {i + 1}%." for i in range(8_000)),
        "abbreviations.md": "# Abbreviations\n\n" + "see e.g. A " * 40_000 + "\n",
        "too-big.md": "# Too big\n\n" + "word " * (1_100_000),
        "binary.md": bytes(rng.randrange(256) for _ in range(4096)),
        "nul.md": b"# NUL\n\nA \x00 byte.\n",
        "latin1.md": "# Caf\xe9\n\nNot UTF-8.\n".encode("latin-1"),
        "unclosed.md": "---\ntitle: never closed\n# Unclosed front matter\n\n```\nan unclosed fence\n",
        "only-dashes.md": "---",
        "empty.md": "",
        "crlf.md": "# CRLF note\r\n\r\nWith [[Good note 1]] and\r\n#tag.\r\n",
        "controls.md": "# Controls \x1b[2J\x07\n\nForm\x0cfeed \x1b]0;title\x07 text.\n",
        "brackets.md": "# Brackets\n\n" + "[[" * 50_000 + "\n" + "![[x|" * 20_000 + "\n",
        "table.md": "# Table\n\n" + "| a | b |\n|---|---|\n" + "| [[x\\|y]] | 1.5% |\n" * 20_000,
        "html.md": "# HTML\n\n" + "<code>" * 30_000 + "\n\n" + "](" * 30_000 + "\n",
        "bad-yaml.md": "---\ntitle: [unclosed\n---\n# Bad YAML\n",
    }
    for i in range(6):  # random bytes that happen to be text, and that do not
        files[f"random-{i}.md"] = bytes(rng.randrange(1, 128) for _ in range(rng.randrange(10, 20_000)))
    return files


def _build(folder: Path, outside: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """Write the folder; return the good notes' titles and every hostile entry's name."""
    titles = []
    for i in range(1, GOOD_NOTES + 1):
        title = f"Good note {i}"
        write(folder, f"good/{title}.md", f"# {title}\n\nA lede that links [[Good note {i % GOOD_NOTES + 1}]].\n")
        titles.append(title)
    hostile = _hostile_files(rng)
    for name, content in hostile.items():
        write(folder, f"hostile/{name}", content)
    write(outside, "secret.md", f"# Secret\n\nThe word {OUTSIDE_MARKER} is outside the notes folder.\n")
    links = {"loop-a.md": folder / "hostile" / "loop-b.md", "loop-b.md": folder / "hostile" / "loop-a.md",
             "secret-link.md": outside / "secret.md", "outside-dir": outside, "passwd.md": Path("/etc/passwd"),
             "dangling.md": folder / "nowhere.md"}
    for name, target in links.items():
        (folder / "hostile" / name).symlink_to(target, target_is_directory=name == "outside-dir")
    odd = os.fsencode(str(folder / "hostile")) + b"/odd-\xff-name.md"
    Path(os.fsdecode(odd)).write_bytes(b"# Odd name\n\nText.\n")
    return titles, [*hostile, *links, "odd-"]


_MEASURED = ("import re, resource, sys\n"
             "from notesgraph.cli import main\n"
             "code = main(sys.argv[1:])\n"
             "own = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
             "workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
             "sys.stderr.write(f'\\npeak-kb {max(own, workers)}\\n')\n"
             "sys.exit(code)\n")
"""`notesgraph` as the CLI runs it, reporting its peak memory (its worker processes included).
VmHWM, not RUSAGE_SELF: Linux carries ru_maxrss over an exec, so a process started from a big
pytest process would report the pytest process's size."""


def _index(db: Path, folder: Path) -> tuple[dict, float, float]:
    """`notesgraph index --no-embed --json` in its own process: (report, seconds, peak MB)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _MEASURED, "--db", str(db), "index", str(folder),
                               "--no-embed", "--json"], cwd=REPO, env=env, capture_output=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.fail("the index did not finish in 180 s")
    seconds = time.perf_counter() - started
    err = done.stderr.decode(errors="replace")
    assert done.returncode in (0, 1), err
    peak_kb = int(err.rsplit("peak-kb ", 1)[1])
    return json.loads(done.stdout), seconds, peak_kb / 1024


def test_a_folder_of_hostile_files_indexes_everything_good_and_lists_the_rest(tmp_path: Path) -> None:
    folder, outside, db = tmp_path / "notes", tmp_path / "outside", tmp_path / "hostile.db"
    titles, hostile = _build(folder, outside, random.Random(22))
    report, seconds, peak_mb = _index(db, folder)
    assert not report["stopped"] and report["left"] == 0

    from notesgraph.store import Store

    with Store(db) as store:
        indexed = {row["title"] for row in store.note_titles()}
        assert set(titles) <= indexed  # every good note is there
        assert store.search(OUTSIDE_MARKER) == [] and store.search("root") == []
        listed = {Path(p["path"]).name for p in report["problems"]} | {Path(p["path"]).name for p in report["ignored"]}
        paths = {Path(row["path"]).name for row in store.note_titles()}
        for name in hostile:  # every hostile file is a note (with warnings) or listed with its reason
            assert any(n.startswith(name) for n in paths | listed), name
        for entry in report["problems"] + report["ignored"]:
            assert entry.get("message") or entry.get("reason")
    assert OUTSIDE_MARKER.encode() not in db.read_bytes()
    assert peak_mb < MEMORY_BOUND_MB, f"peak {peak_mb:.0f} MB"
    assert seconds < 60  # before the linear-time fixes: 65 s (a 20,000-row table alone took 55 s)
