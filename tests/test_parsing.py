"""The parsers on the seed note and on one note written for each variant real exports show."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SEED, write
from notesgraph.model import normalise_title
from notesgraph.parsing import NoteParseError, detect_format, parse_bytes, parse_file, parse_text

INQUIRY_BOILERPLATE = ("This note is a source for these synthesized inquiries. Follow a line forward "
                       "into its question, or open it to trace back to all of its sources.")
CONCEPT_BOILERPLATE = (
    "This note in its neighbourhood — explore the map, then jump to a related concept in the list below.\n"
    "Click a node to walk · click center to open · click Open in graph to see this note in the full "
    "knowledge graph")
PAPER_BOILERPLATE = ("Papers most semantically related to this note, ranked by cosine similarity in "
                     "the embedding space.")


def export_note(*, header: str = "", body: str = "Body paragraph one.\nBody paragraph two.",
                inquiries: str | None = None, concepts: str | None = None,
                papers: str | None = None, original: str | None = "a lower-case title") -> str:
    """An export-format note assembled from the given section texts (None leaves one out)."""
    parts = [header + "Does format beat meaning?", "A lede about format.", body]
    if inquiries is not None:
        parts.append(inquiries)
    if concepts is not None:
        parts.append(concepts)
    if papers is not None:
        parts.append(papers)
    if original is not None:
        parts.append(f"Original note title\n{original}")
    return "\n".join(parts) + "\n"


# -- the seed note -----------------------------------------------------------------------------

def test_seed_note_sections(seed_text: str) -> None:
    note = parse_file(SEED)
    assert note.format == "export"
    assert note.title == "Does instruction tuning teach task understanding or output format?"
    assert note.lede.startswith("Exploring whether models trained on instructions")
    assert len(note.body) == 6
    assert len(note.inquiries) == 122
    assert note.inquiries[0].text == ("Why do workers who understand AI generations learn more than "
                                      "those who only use output?")
    assert note.inquiries[-1].text == "Why do strong models struggle more with instruction following than mid-tier ones?"
    assert [c.title for c in note.concepts][:2] == [
        "Does training data format shape reasoning strategy more than domain?",
        "Can models pass tests while missing the actual grammar?"]
    assert note.concepts[0].annotation == "format > domain at 7.5x; this adds format > instruction semantics"
    assert note.concepts[2].description.startswith("Does reasoning performance depend primarily")
    assert all(c.description and c.annotation for c in note.concepts)
    assert [c.order for c in note.concepts] == [1, 2, 3, 4, 5]
    assert len(note.papers) == 8
    assert note.papers[0].rank == 1
    assert note.papers[0].title.startswith("Do Models Really Learn to Follow Instructions?")
    assert note.papers[-1] == note.papers[-1].__class__("Foundations of Large Language Models", 8,
                                                       note.papers[-1].line)
    assert note.metadata["original_title"].startswith("instruction tuning teaches output format")
    assert note.warnings == ()


def test_seed_note_in_body_references(seed_text: str) -> None:
    note = parse_text(seed_text, "seed.txt")
    found = {(r.kind, r.text, r.target) for r in note.references}
    papers = [p.title for p in note.papers]
    assert ("quoted_title", "Do Models Really Learn to Follow Instructions?", papers[0]) in found
    assert ("quoted_title", "Are Emergent Abilities just ICL?", papers[3]) in found
    assert ("arxiv", "2309.01809", "") in found
    assert ("author_year", "Webson & Pavlick (2021)", "") in found
    mentioned = {r.target for r in note.references if r.kind == "mention"}
    assert mentioned == {"Does training data format shape reasoning strategy more than domain?",
                         "Can models pass tests while missing the actual grammar?"}
    # Quoted phrases that are not titles are not references.
    assert not any(r.text in ("too robust", "implicit in-context learning") for r in note.references)
    # Offsets point at the text in its paragraph (0 is the lede).
    for ref in note.references:
        paragraph = (note.lede, *note.body)[ref.paragraph]
        assert paragraph[ref.start:ref.end].casefold() == ref.text.casefold() or ref.kind == "author_year"


# -- export-format variants --------------------------------------------------------------------

def test_optional_header_lines_are_metadata() -> None:
    text = export_note(header="SYNTHESIS NOTE\nSynthesis note · 2026-02-22 · sourced from instruction tuning\n"
                              "Source: prompt sensitivity\n")
    note = parse_text(text, "n.txt")
    assert note.title == "Does format beat meaning?"
    assert note.lede == "A lede about format."
    assert note.metadata["kind_line"] == "SYNTHESIS NOTE"
    assert note.metadata["meta_date"] == "2026-02-22"
    assert note.metadata["meta_sourced_from"] == "instruction tuning"
    assert note.metadata["source_topic"] == "prompt sensitivity"


def test_note_cut_after_its_body_is_valid() -> None:
    note = parse_text(export_note(original=None), "cut.txt")
    assert note.body == ("Body paragraph one.", "Body paragraph two.")
    assert (note.inquiries, note.concepts, note.papers) == ((), (), ())
    assert note.warnings == ()


def test_section_header_without_count_and_count_on_next_line() -> None:
    text = export_note(
        inquiries=f"Inquiring lines that use this note as a source\n{INQUIRY_BOILERPLATE}\n- First?\n- Second?",
        papers=f"Related papers in this collection\n2\n{PAPER_BOILERPLATE}\n- Paper A\n- Paper B",
    )
    note = parse_text(text, "n.txt")
    assert [q.text for q in note.inquiries] == ["First?", "Second?"]
    assert [(p.title, p.rank) for p in note.papers] == [("Paper A", 1), ("Paper B", 2)]
    assert note.warnings == ()


def test_concept_map_line_is_a_concepts_header() -> None:
    text = export_note(concepts="Concept map\n-\nSome other idea?\nWhat the idea is about.\nsame mechanism")
    note = parse_text(text, "n.txt")
    assert [(c.title, c.description, c.annotation) for c in note.concepts] == [
        ("Some other idea?", "What the idea is about.", "same mechanism")]


def test_concept_map_line_inside_concepts_section_is_boilerplate() -> None:
    text = export_note(concepts=f"Related concepts in this collection 1\n{CONCEPT_BOILERPLATE}\nConcept map\n"
                                "-\nIdea?\nDescription.\nannotation")
    note = parse_text(text, "n.txt")
    assert [c.title for c in note.concepts] == ["Idea?"]
    assert note.warnings == ()


def test_count_that_disagrees_keeps_items_and_warns() -> None:
    text = export_note(inquiries=f"Inquiring lines that use this note as a source 5\n{INQUIRY_BOILERPLATE}\n"
                                 "- One?\n- Two?\n- Three?")
    note = parse_text(text, "n.txt")
    assert len(note.inquiries) == 3
    assert any("says 5 inquiries but lists 3" in w.message for w in note.warnings)
    assert note.warnings[0].line == 5


def test_bullets_and_numbered_lists_in_body_are_body_text() -> None:
    body = ("Three controls matter:\n- simplified definitions\n- delusive examples\n"
            "Then the steps:\n1. train\n2. evaluate\nA closing paragraph.")
    text = export_note(body=body, inquiries=f"Inquiring lines that use this note as a source 1\n"
                                            f"{INQUIRY_BOILERPLATE}\n- Only real inquiry?")
    note = parse_text(text, "n.txt")
    assert [q.text for q in note.inquiries] == ["Only real inquiry?"]
    assert note.body == ("Three controls matter:", "- simplified definitions\n- delusive examples",
                         "Then the steps:", "1. train\n2. evaluate", "A closing paragraph.")


def test_blank_lines_crlf_bom_and_special_characters() -> None:
    body = ("Format → meaning — not the reverse · see <|start_header_id|>user<|end_header_id|>.\n\n"
            "Second paragraph after a blank line.")
    text = export_note(body=body, papers=f"Related papers in this collection 1\n\n{PAPER_BOILERPLATE}\n\n- P")
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    note = parse_bytes(data, "win.txt")
    assert note.title == "Does format beat meaning?"
    assert note.body[0] == "Format → meaning — not the reverse · see <|start_header_id|>user<|end_header_id|>."
    assert note.body[1] == "Second paragraph after a blank line."
    assert [p.title for p in note.papers] == ["P"]
    assert not any("\r" in s for s in (note.title, note.lede, *note.body))


def test_concept_blocks_with_title_on_dash_line_and_missing_annotation() -> None:
    concepts = ("Related concepts in this collection 3\n" + CONCEPT_BOILERPLATE +
                "\n- Inline title?\nIts description.\nits annotation"
                "\n-\nNo annotation here?\nA description only."
                "\n-\nAnnotation only?\nlower-case annotation")
    note = parse_text(export_note(concepts=concepts), "n.txt")
    got = [(c.title, c.description, c.annotation) for c in note.concepts]
    assert got == [("Inline title?", "Its description.", "its annotation"),
                   ("No annotation here?", "A description only.", ""),
                   ("Annotation only?", "", "lower-case annotation")]
    assert any("has no relation annotation" in w.message for w in note.warnings)


def test_duplicate_items_are_kept_once_with_a_warning() -> None:
    text = export_note(inquiries=f"Inquiring lines that use this note as a source 3\n{INQUIRY_BOILERPLATE}\n"
                                 "- Same question?\n- Other?\n- same  question")
    note = parse_text(text, "n.txt")
    assert [q.text for q in note.inquiries] == ["Same question?", "Other?"]
    assert any("listed twice" in w.message for w in note.warnings)


def test_note_with_only_a_section_header_has_no_title() -> None:
    with pytest.raises(NoteParseError) as raised:
        parse_text("\nRelated papers in this collection 1\n- P\n", "bad.txt")
    assert raised.value.line == 2
    assert "no title" in str(raised.value) and "bad.txt:2" in str(raised.value)


# -- bad bytes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    (b"Title\nlede\x00binary", "binary"),
    (b"Title line\nA lede\nbad \xff byte here\n", "not valid UTF-8"),
])
def test_bad_bytes_give_a_clear_error(data: bytes, expected: str) -> None:
    with pytest.raises(NoteParseError) as raised:
        parse_bytes(data, "x.txt")
    assert expected in str(raised.value)
    assert str(raised.value).startswith("x.txt")


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_a_note_titled_by_its_file_name(data: bytes) -> None:
    # Issue 14: Obsidian shows empty files as notes (it makes them for unresolved links).
    for name in ("x.txt", "x.md"):
        note = parse_bytes(data, f"folder/{name}")
        assert (note.title, note.lede, note.body, note.warnings) == ("x", "", (), ())


def test_not_utf8_names_the_line() -> None:
    with pytest.raises(NoteParseError) as raised:
        parse_bytes(b"\xef\xbb\xbfTitle line\nA lede\nbad \xff byte here\n", "x.txt")
    assert raised.value.line == 3
    assert "UTF-8" in raised.value.hint


def test_huge_file_is_refused_without_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.txt", b"Title\n" + b"word " * (11 * 1024 * 1024))
    with pytest.raises(NoteParseError) as raised:
        parse_file(path)
    assert "MB" in str(raised.value) and "split" in raised.value.hint


def test_missing_file_is_a_parse_error(tmp_path: Path) -> None:
    with pytest.raises(NoteParseError, match="cannot be read"):
        parse_file(tmp_path / "nope.txt")


# -- Markdown ----------------------------------------------------------------------------------

MARKDOWN = """---
title: Does format beat meaning in Markdown?
tags: [instruction-tuning, evaluation]
papers:
  - Front Matter Paper
---
# Heading that front matter overrides

The lede paragraph, with a [[Does training data format shape reasoning strategy more than domain?]] link.

Body with "Do Prompt-Based Models Really Understand the Meaning of Their Prompts?" and (2305.11383),
as Webson & Pavlick (2021) showed. See [[Other note|shown text]], [[Other note#Section]], [[#Local heading]]
and ![[Embedded note]]. Code is not a link: `[[Not a link]]`. A #format-tag here.

```
[[Also not a link]] #not-a-tag
```

---

A rule above is not front matter.

## Inquiring lines
- Do models read instructions?
- Does format transfer?

## Related concepts
- [[Can models pass tests while missing the actual grammar?]] — same mechanism in grammar
  Do models succeed on grammar benchmarks through surface patterns?
- Plain concept title — plain annotation

## Related papers
1. Do Prompt-Based Models Really Understand the Meaning of Their Prompts?
2. [[LIMA: Less Is More for Alignment]]
"""


def test_markdown_note_sections_and_links() -> None:
    note = parse_text(MARKDOWN, "folder/fmt.md")
    assert note.format == "markdown"
    assert note.title == "Does format beat meaning in Markdown?"
    assert note.lede.startswith("The lede paragraph")
    assert note.tags == ("instruction-tuning", "evaluation", "format-tag")
    assert [q.text for q in note.inquiries] == ["Do models read instructions?", "Does format transfer?"]
    assert [(c.title, c.annotation, c.description) for c in note.concepts] == [
        ("Can models pass tests while missing the actual grammar?", "same mechanism in grammar",
         "Do models succeed on grammar benchmarks through surface patterns?"),
        ("Plain concept title", "plain annotation", "")]
    assert [(p.title, p.rank) for p in note.papers] == [
        ("Do Prompt-Based Models Really Understand the Meaning of Their Prompts?", 1),
        ("LIMA: Less Is More for Alignment", 2)]
    # Issue 14: a same-note heading link and a transclusion are their own kinds.
    links = [(r.kind, r.text, r.target) for r in note.references
             if r.kind in ("wiki_link", "heading_link", "embed")]
    assert links == [
        ("wiki_link", "Does training data format shape reasoning strategy more than domain?",
         "Does training data format shape reasoning strategy more than domain?"),
        ("wiki_link", "shown text", "Other note"), ("wiki_link", "Other note", "Other note"),
        ("heading_link", "Local heading", ""), ("embed", "Embedded note", "Embedded note")]
    kinds = {r.kind for r in note.references}
    assert {"quoted_title", "arxiv", "author_year"} <= kinds
    assert any("A rule above is not front matter." in p for p in note.body)
    assert not any("Not a link" in r.text or "Also not" in r.text for r in note.references)


def test_markdown_title_falls_back_to_heading_then_file_name() -> None:
    assert parse_text("# From Heading\n\nLede.\n", "x.md").title == "From Heading"
    assert parse_text("Just a lede with [[Link]].\n", "notes/File Name.md").title == "File Name"


def test_markdown_front_matter_papers_used_without_section() -> None:
    note = parse_text("---\ntitle: T\npapers: [A paper, Another paper]\n---\nLede.\n", "t.md")
    assert [p.title for p in note.papers] == ["A paper", "Another paper"]


def test_markdown_broken_front_matter_is_a_warning() -> None:
    note = parse_text("---\ntitle: [unclosed\n---\n# Real title\n\nLede.\n", "t.md")
    assert note.title == "Real title"
    assert any("front matter" in w.message for w in note.warnings)


def test_markdown_count_in_heading_is_checked() -> None:
    note = parse_text("# T\n\nLede.\n\n## Related papers 3\n- A\n- B\n", "t.md")
    assert len(note.papers) == 2
    assert any("says 3 papers but lists 2" in w.message for w in note.warnings)


@pytest.mark.parametrize("text, suffix, expected", [
    ("Title\nlede\nRelated papers in this collection 1\n- P\n", ".md", "export"),
    ("# Title\n\nlede\n", ".txt", "markdown"),
    ("---\ntitle: T\n---\nlede\n", ".txt", "markdown"),
    ("Title\nsome [[Link]] here\n", ".txt", "markdown"),
    ("Title\nplain lede\n", ".txt", "export"),
    ("Title\nplain lede\n", ".md", "markdown"),
])
def test_format_is_picked_from_content_first(text: str, suffix: str, expected: str) -> None:
    assert detect_format(text, suffix) == expected


def test_export_note_with_md_extension_parses_as_export() -> None:
    text = export_note(papers=f"Related papers in this collection 1\n{PAPER_BOILERPLATE}\n- Paper A")
    note = parse_text(text, "misnamed.md")
    assert note.format == "export" and [p.title for p in note.papers] == ["Paper A"]


def test_normalised_titles_identify_items() -> None:
    assert normalise_title("Does X shape Y?") == normalise_title("does  x shape y")
    assert normalise_title("Format – over — domain!") == "format over domain"


# -- robustness --------------------------------------------------------------------------------

SECTION_LINES = st.sampled_from([
    "Inquiring lines that use this note as a source 3", "Related concepts in this collection",
    "Related papers in this collection 2", "Original note title", "Concept map", "-", "- item?",
    "1. item", "", "3", "---", "# Heading", "## Related papers", "[[Link]]", "```", "title: x",
    "SYNTHESIS NOTE", "Source: x", "a · 2026-01-01 · sourced from y", "\ufeff", "\r",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(SECTION_LINES, st.text(max_size=40)), max_size=30), st.sampled_from([".txt", ".md"]))
def test_random_text_never_raises_anything_but_a_parse_error(lines: list[str], suffix: str) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    try:
        note = parse_bytes(data, "random" + suffix)
    except NoteParseError:
        return
    assert note.title.strip()
    assert all(p.rank == i for i, p in enumerate(note.papers, 1))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_a_parse_error(data: bytes) -> None:
    try:
        parse_bytes(data, "random.txt")
    except NoteParseError:
        pass


def test_item_ids_round_trip() -> None:
    from notesgraph.model import item_id, split_item_id
    assert split_item_id(item_id("note", 12)) == ("note", "12")
    assert split_item_id("concept:a: b") == ("concept", "a: b")
    with pytest.raises(ValueError, match="not an item id"):
        split_item_id("bogus:1")
