"""What every command module shares: exit codes, the command type, JSON output, the progress
bar, short text helpers, and turning the errors a user can cause into one line on stderr and an
exit code."""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import os
import re
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TextIO

EXIT_OK, EXIT_SKIPPED, EXIT_FAILED = 0, 1, 2

Command = Callable[[argparse.Namespace, Any], int]
"""A command: (parsed arguments, the open store or None) -> exit code."""
Arguments = Callable[[argparse.ArgumentParser], None]
"""Adds a command's arguments to its parser."""
CommandTable = dict[str, tuple[str, Command, Arguments]]
"""name -> (help, command, argument adder): what each topic module offers notesgraph.cli."""


class Step(Protocol):
    done: int
    total: int


class ProgressBar:
    """A one-line progress bar on a terminal with rate and ETA; silent when not a terminal."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.enabled = stream.isatty()
        self.started = time.perf_counter()
        self.last_draw = 0.0

    def __call__(self, step: Step) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.last_draw < 0.1 and step.done < step.total):
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = step.done / elapsed
        eta = (step.total - step.done) / rate if rate else 0.0
        filled = int(30 * step.done / max(step.total, 1))
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] "
                          f"{step.done}/{step.total} {rate:.0f}/s ETA {eta:.0f}s ")
        if step.done >= step.total:
            self.stream.write("\n")
        self.stream.flush()


_CONTROLS = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b(?:\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_]?)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
"""Escape sequences (CSI, OSC, two-byte) and control characters other than tab, newline and
carriage return: text from a note must not move the cursor, retitle or recolour the terminal."""
_UNSAFE_ON = {True: re.compile(_CONTROLS + r"|\r"), False: re.compile(_CONTROLS)}


class TerminalSafe:
    """A text stream that drops `_CONTROLS` from everything written (note text printed by
    `show`, titles, file names in messages); the rest is the wrapped stream's. `keep_cr` keeps
    carriage returns, which the progress bar on stderr redraws with."""

    def __init__(self, stream: TextIO, keep_cr: bool = False) -> None:
        self._stream = stream
        self._unsafe = _UNSAFE_ON[not keep_cr]

    def write(self, text: str) -> int:
        self._stream.write(self._unsafe.sub("", text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def terminal_safe_output() -> Iterator[None]:
    """While open, sys.stdout and sys.stderr are TerminalSafe (JSON is already escaped)."""
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafe(stdout), TerminalSafe(stderr, keep_cr=True)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 warning', '3 warnings' ('1 inquiry', '2 inquiries' with `nouns`)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


UNLIMITED = 10_000


def terminal_width() -> int:
    """Columns to lay text out in: $COLUMNS, else the terminal's; never under 60. Output that
    goes to a file or a pipe is not wrapped or cut (UNLIMITED): scripts and grep see whole lines."""
    if os.environ.get("COLUMNS", "").isdigit():
        return max(60, int(os.environ["COLUMNS"]))
    if not sys.stdout.isatty():
        return UNLIMITED
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def wrapped(text: str, indent: int, first: str = "") -> str:
    """`first` then `text` wrapped to the terminal width, later lines indented by `indent`;
    each line of `text` wraps on its own (keeping its leading spaces)."""
    width = terminal_width()
    lines = []
    for number, line in enumerate(text.split("\n")):
        lead = first if number == 0 else ""
        body = line.lstrip(" ")
        start = lead + line[:len(line) - len(body)]
        lines.append(textwrap.fill(body, width, initial_indent=start, subsequent_indent=" " * max(indent, len(start)),
                                   break_on_hyphens=False, break_long_words=False) if body else start)
    return "\n".join(lines)


def print_section(heading: str, items: Sequence[str]) -> None:
    """A numbered list under a heading with its count, each item wrapped to the terminal width
    under its own start; nothing when there are no items."""
    if not items:
        return
    print(f"\n{heading} ({len(items)})")
    for i, item in enumerate(items, 1):
        print(wrapped(item, 7, f"  {i:>3}. "))


def no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def user_errors(exit_codes: Mapping[str, int]) -> Callable[[Command], Command]:
    """A decorator: the exceptions named in `exit_codes` ("module:Class" -> exit code) become
    one line on stderr and that exit code. The classes are imported only when the command
    runs, so naming one in a heavy module costs nothing at start-up."""
    def decorate(handler: Command) -> Command:
        @functools.wraps(handler)
        def run(args: argparse.Namespace, store: Any) -> int:
            caught = [(getattr(importlib.import_module(module), name), code)
                      for module, name, code in ((*path.split(":"), code) for path, code in exit_codes.items())]
            try:
                return handler(args, store)
            except tuple(cls for cls, _ in caught) as error:
                print(f"notesgraph: {error}", file=sys.stderr)
                return next(code for cls, code in caught if isinstance(error, cls))
        return run
    return decorate
