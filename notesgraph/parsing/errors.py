"""The one error type the parsers raise for bad input."""

from __future__ import annotations


class NoteParseError(ValueError):
    """A note file that cannot be read as a note.

    Carries the file, the 1-based line (0 when the problem is the whole file) and what the
    user can do about it, so every front end can print one clear message.
    """

    def __init__(self, source: str, message: str, line: int = 0, hint: str = "") -> None:
        self.source = source
        self.line = line
        self.reason = message
        self.hint = hint
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.reason}"
        return f"{text} ({self.hint})" if self.hint else text
