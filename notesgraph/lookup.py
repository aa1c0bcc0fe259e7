"""Find a note or an inquiry by what a user types: exact title, a prefix, a fragment, or a
near miss; or any item by its id ("paper:3")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
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


class IndexEmpty(LookupError):
    """Nothing is indexed yet, so no title can match."""

    def __init__(self) -> None:
        super().__init__("the index is empty: run `notesgraph index DIR` first (DIR: your notes folder)")


@dataclass(frozen=True)
class Candidate:
    """An item a user may name: its id, normalised title, and how to show it."""

    ident: str
    key: str
    label: str

    @property
    def kind(self) -> str:
        return self.ident.partition(":")[0]

    def shown(self) -> str:
        return f"{self.label} [{self.ident}]"


def find_note_id(store: Store, query: str) -> int:
    """The id of the note `query` names: its id ("note:12"), its file's path (absolute, or any
    tail of it: "topics/x.md"), its exact title, else a unique prefix, else a unique fragment
    of a title. A note is its file, so titles may repeat: then the candidates are listed with
    their paths. Raises IndexEmpty, AmbiguousTitle or NoteNotFound (with suggestions). O(notes)."""
    return int(split_item_id(find_item(store, query, kinds=("note",)))[1])


def find_item(store: Store, text: str, kinds: Sequence[str] = ("note", "inquiry", "paper", "concept")) -> str:
    """The item id `text` names: an id ("paper:3"), a note's path, or the title of a note,
    inquiry, paper or concept stub (exact, else a unique prefix, else a unique fragment; notes
    that match come before inquiries and papers that match as well). Raises IndexEmpty on an empty
    index, AmbiguousTitle (candidates with ids) or NoteNotFound (near misses, any length).
    O(items)."""
    notes = store.note_titles()
    if not notes:
        raise IndexEmpty()
    typed = typed_item_id(text.strip())
    if typed is not None:
        return _checked(store, typed, notes, kinds)
    if "note" in kinds and _looks_like_path(text):
        found = _by_path(notes, text)
        if len(found) == 1:
            return item_id("note", found[0]["id"])
        if found:
            raise AmbiguousTitle(text, [f"{n['path']} [note:{n['id']}]" for n in found[:10]], "files")
    return _find(text, _candidates(store, notes, kinds), _noun(kinds), _nouns(kinds))


def _checked(store: Store, typed: str, notes: list[dict], kinds: Sequence[str]) -> str:
    """A typed id of an allowed kind that exists (notes are checked; other kinds fail where used)."""
    kind, ident = split_item_id(typed)
    if kind not in kinds:
        raise NoteNotFound(typed, [], f"{_noun(kinds)} with the id (it is a {kind})")
    if kind == "note" and not any(n["id"] == int(ident) for n in notes):
        raise NoteNotFound(typed, [], "note with the id")
    return typed


def _candidates(store: Store, notes: list[dict], kinds: Sequence[str]) -> list[Candidate]:
    found: list[Candidate] = []
    if "note" in kinds:
        repeats = Counter(n["key"] for n in notes)
        found += [Candidate(item_id("note", n["id"]), n["key"],
                            f"{n['title']} ({n['path']})" if repeats[n["key"]] > 1 else n["title"]) for n in notes]
    if "inquiry" in kinds:
        found += [Candidate(item_id("inquiry", q["id"]), normalise_title(q["text"]), q["text"])
                  for q in store.inquiry_list()]
    if "paper" in kinds:
        found += [Candidate(item_id("paper", p["id"]), normalise_title(p["title"]), p["title"])
                  for p in store.paper_list()]
    if "concept" in kinds:
        found += [Candidate(item_id("concept", c["key"]), c["key"], c["title"]) for c in store.concept_stubs()]
    return found


_NOUNS = {"note": ("note titled", "notes"), "inquiry": ("inquiry", "inquiries")}


def _noun(kinds: Sequence[str]) -> str:
    return _NOUNS[kinds[0]][0] if len(kinds) == 1 and kinds[0] in _NOUNS else "item titled"


def _nouns(kinds: Sequence[str]) -> str:
    return _NOUNS[kinds[0]][1] if len(kinds) == 1 and kinds[0] in _NOUNS else "items"


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
    """The id of the inquiry `query` names, by the same rules as `find_item`. Raises
    IndexEmpty, AmbiguousTitle or NoteNotFound (with suggestions). O(inquiries)."""
    return int(split_item_id(find_item(store, query, kinds=("inquiry",)))[1])


def typed_item_id(text: str) -> str | None:
    """`text` as an item id when it is typed as one ("paper:3", "concept:some title"; numbered
    kinds need a number), else None."""
    try:
        kind, ident = split_item_id(text)
    except ValueError:
        return None
    return item_id(kind, ident) if kind == "concept" or ident.isdigit() else None


def find_inquiry_item(store: Store, text: str) -> str:
    """The inquiry id `text` types ("inquiry:7"), else the inquiry it names (by `find_item`'s
    rules)."""
    return find_item(store, text, kinds=("inquiry",))


SUGGESTIONS = 5
SUGGESTION_CUTOFF = 75
"""Near misses are scored by rapidfuzz's partial_ratio (0-100: the typed text against its best-
aligned stretch of a title), so a misspelt fragment of a long title ("grammer", "instrction
tuning tech") finds it as well as a short one; words that merely occur in many titles ("no
such note at all") stay under the cut-off (61 on the bundled notes)."""


def _find(query: str, items: list[Candidate], noun: str, nouns: str) -> str:
    """The id among `items` that `query` names: exact key, else a unique prefix, else a unique
    fragment (in each tier, matching notes come before the other kinds: type the id or more
    of the title for those), else NoteNotFound with the nearest titles."""
    key = normalise_title(query)
    for tier in (
        lambda k: k == key,
        lambda k: k.startswith(key),
        lambda k: key in k,
    ):
        found = [item for item in items if key and tier(item.key)]
        notes = [item for item in found if item.kind == "note"]
        found = notes or found  # notes are what people name most: other kinds by id, or exactly
        if len(found) == 1:
            return found[0].ident
        if len(found) > 1:
            raise AmbiguousTitle(query, [item.shown() for item in found[:10]], "notes" if notes else nouns)
    raise NoteNotFound(query, _near_misses(key, items), noun)


def _near_misses(key: str, items: list[Candidate]) -> list[str]:
    """The titles nearest to `key`: best partial match first, then the closest whole title."""
    if not key:
        return []
    from rapidfuzz import fuzz, process

    keys = [item.key for item in items]
    best = process.extract(key, keys, scorer=fuzz.partial_ratio, limit=SUGGESTIONS * 3,
                           score_cutoff=SUGGESTION_CUTOFF)
    best.sort(key=lambda hit: (-hit[1], -fuzz.ratio(key, hit[0])))
    shown: list[str] = []
    for _, _, index in best:
        label = items[index].shown()
        if label not in shown:
            shown.append(label)
    return shown[:SUGGESTIONS]
