"""Find a note by what a user types: exact title, a prefix, a fragment, or a near miss."""

from __future__ import annotations

import difflib

from notesgraph.model import normalise_title
from notesgraph.store import Store


class NoteNotFound(LookupError):
    """No note matches; `suggestions` holds the nearest titles (may be empty)."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f"; did you mean: {'; '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no note titled {query!r}{hint}")


class AmbiguousTitle(LookupError):
    """Several notes match equally well; `candidates` lists their titles."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(f"{query!r} matches {len(candidates)} notes: {'; '.join(candidates)} "
                         "(type more of the title)")


def find_note_id(store: Store, query: str) -> int:
    """The id of the note `query` names: exact title, else a unique prefix, else a unique
    fragment. Raises AmbiguousTitle or NoteNotFound (with suggestions). O(notes)."""
    key = normalise_title(query)
    notes = store.note_titles()
    for tier in (
        lambda k: k == key,
        lambda k: k.startswith(key),
        lambda k: key in k,
    ):
        found = [n for n in notes if key and tier(n["key"])]
        if len(found) == 1:
            return found[0]["id"]
        if len(found) > 1:
            raise AmbiguousTitle(query, [n["title"] for n in found[:10]])
    by_key = {n["key"]: n["title"] for n in notes}
    close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.5)
    raise NoteNotFound(query, [by_key[k] for k in close])
