"""Find a note or an inquiry by what a user types: exact title, a prefix, a fragment, or a
near miss; or any item by its id ("paper:3")."""

from __future__ import annotations

import difflib
from collections import Counter
from pathlib import Path

from notesgraph.model import item_id, normalise_title, split_item_id
from notesgraph.store import Store


class NoteNotFound(LookupError):
    """No note (or inquiry, ...: `noun`) matches; `suggestions` holds the nearest titles."""

    def __init__(self, query: str, suggestions: list[str], noun: str = "note titled") -> None:
        self.query = query
        self.suggestions = suggestions
        hint = f"; did you mean: {'; '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no {noun} {query!r}{hint}")


class AmbiguousTitle(LookupError):
    """Several notes match equally well; `candidates` lists their titles."""

    def __init__(self, query: str, candidates: list[str], nouns: str = "notes") -> None:
        self.query = query
        self.candidates = candidates
        super().__init__(f"{query!r} matches {len(candidates)} {nouns}: {'; '.join(candidates)} "
                         "(type more of the title)")


def find_note_id(store: Store, query: str) -> int:
    """The id of the note `query` names: its id ("note:12"), its file's path (absolute, or any
    tail of it: "topics/x.md"), its exact title, else a unique prefix, else a unique fragment
    of a title. A note is its file, so titles may repeat: then the candidates are listed with
    their paths. Raises AmbiguousTitle or NoteNotFound (with suggestions). O(notes)."""
    notes = store.note_titles()
    typed = typed_item_id(query.strip())
    if typed is not None and typed.startswith("note:"):
        if any(n["id"] == int(typed[5:]) for n in notes):
            return int(typed[5:])
        raise NoteNotFound(query, [], "note with the id")
    if _looks_like_path(query):
        found = _by_path(notes, query)
        if len(found) == 1:
            return found[0]["id"]
        if found:
            raise AmbiguousTitle(query, [n["path"] for n in found[:10]], "files")
    repeats = Counter(n["key"] for n in notes)
    return _find(query, [(n["id"], n["key"], f"{n['title']} ({n['path']})" if repeats[n["key"]] > 1
                          else n["title"]) for n in notes], "note titled", "notes")


def _looks_like_path(query: str) -> bool:
    return "/" in query or "\\" in query or query.lower().endswith((".md", ".txt", ".markdown"))


def _by_path(notes: list[dict], query: str) -> list[dict]:
    """Notes whose file is `query`: the same absolute path, else a path ending with it."""
    wanted = query.strip().replace("\\", "/")
    absolute = str(Path(wanted).expanduser().resolve()) if not wanted.startswith("/") else wanted
    exact = [n for n in notes if n["path"] == absolute]
    if exact:
        return exact
    while wanted.startswith("./"):
        wanted = wanted[2:]
    tail = "/" + wanted.lstrip("/")
    return [n for n in notes if n["path"].replace("\\", "/").endswith(tail)]


def find_inquiry_id(store: Store, query: str) -> int:
    """The id of the inquiry `query` names, by the same rules as `find_note_id`. Raises
    AmbiguousTitle or NoteNotFound (with suggestions). O(inquiries)."""
    return _find(query, [(q["id"], normalise_title(q["text"]), q["text"]) for q in store.inquiry_list()],
                 "inquiry", "inquiries")


def typed_item_id(text: str) -> str | None:
    """`text` as an item id when it is typed as one ("paper:3", "concept:some title"; numbered
    kinds need a number), else None."""
    try:
        kind, ident = split_item_id(text)
    except ValueError:
        return None
    return item_id(kind, ident) if kind == "concept" or ident.isdigit() else None


def find_item(store: Store, text: str) -> str:
    """The item id `text` types, else the note it names (by `find_note_id`'s rules)."""
    return typed_item_id(text) or item_id("note", find_note_id(store, text))


def find_inquiry_item(store: Store, text: str) -> str:
    """The inquiry id `text` types ("inquiry:7"), else the inquiry it names (by
    `find_inquiry_id`'s rules)."""
    typed = typed_item_id(text)
    return typed if typed is not None and typed.startswith("inquiry:") else item_id(
        "inquiry", find_inquiry_id(store, text))


def _find(query: str, items: list[tuple[int, str, str]], noun: str, nouns: str) -> int:
    """The id among (id, key, title) `items` that `query` names: exact key, else a unique
    prefix, else a unique fragment, else NoteNotFound with the nearest titles."""
    key = normalise_title(query)
    for tier in (
        lambda k: k == key,
        lambda k: k.startswith(key),
        lambda k: key in k,
    ):
        found = [item for item in items if key and tier(item[1])]
        if len(found) == 1:
            return found[0][0]
        if len(found) > 1:
            raise AmbiguousTitle(query, [item[2] for item in found[:10]], nouns)
    by_key = {item[1]: item[2] for item in items}
    close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.5)
    raise NoteNotFound(query, [by_key[k] for k in close], noun)
