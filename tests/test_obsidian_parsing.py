"""Obsidian vault semantics on the parsing side (issue 14, section 3): where links are, which
kind each is, empty notes, Excalidraw drawings, front matter, tags, odd bytes and names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO
from notesgraph.parsing import parse_bytes, parse_text
from notesgraph.parsing.obsidian_links import NO_PARAGRAPH, scan_block

DATA = REPO / "tests" / "data" / "obsidian"


def links(note_or_text, kinds=("wiki_link",)) -> list[str]:
    """Targets of the note's references of the given kinds, in order."""
    note = parse_text(note_or_text, "vault/note.md") if isinstance(note_or_text, str) else note_or_text
    return [r.target for r in note.references if r.kind in kinds]


def refs(text: str) -> list[tuple[str, str, str]]:
    """(kind, text, target) of every link-like reference in one block."""
    return [(r.kind, r.text, r.target) for r in scan_block(text, 0)[0]]


# -- where links are -----------------------------------------------------------------------------

EVERY_BLOCK_KIND = """# Title

Paragraph [[P]].

###### upstream: [[Deep Learning]]

Setext heading [[Setext]]
-------------------------

- bullet [[B1]]
  - nested [[B2]]
    - deeper [[B3]]
      1. ordered inside [[B4]]

1. ordered [[O1]]
2. second

> quote [[Q1]]
> > nested quote [[Q2]]

> [!note] A callout [[C1]]
> body of the callout [[C2]]

| Concept | Link |
|---------|------|
| alias   | [[T1\\|shown]] |
| plain   | [[T2]] |

<details>
<summary>[[H1]]</summary>
</details>

---

Text with a footnote.[^1]

[^1]: The source is [[F1]].

[^2]: [[F2]]

[ref]: [[R1]]

%% a comment [[K1]] %%
"""


def test_links_are_found_in_every_block_kind() -> None:
    note = parse_text(EVERY_BLOCK_KIND, "vault/every.md")
    assert links(note) == ["P", "Deep Learning", "Setext", "B1", "B2", "B3", "B4", "O1", "Q1", "Q2",
                           "C1", "C2", "T1", "T2", "H1", "F1", "F2", "R1", "K1"]
    shown = {r.target: r.text for r in note.references}
    assert shown["T1"] == "shown"  # `\|` inside a table is the alias pipe
    # Offsets point into the paragraph each link is in.
    paragraphs = (note.lede, *note.body)
    for ref in note.references:
        if ref.kind == "wiki_link":
            assert paragraphs[ref.paragraph][ref.start:ref.end].startswith("[[")


def test_a_heading_link_counts_as_a_link() -> None:
    # The vault's most linked note lost 17 of its 41 backlinks to heading lines.
    note = parse_text("# Neural networks\n\n###### upstream: [[Deep Learning]]\n\nText.\n", "n.md")
    assert links(note) == ["Deep Learning"]
    assert note.lede == "###### upstream: [[Deep Learning]]"


NOT_LINKS = """Lede with `[[code span]]`, ``[[double `tick` span]]``, $[[inline math]]$ and
$$[[display math]]$$ on one line.

$$
\\frac{a}{b} [[math block]]
$$

```
[[fenced]]
```

~~~python
x = "[[tilde fenced]]"
~~~

    [[indented code]]

- a list item
  ```
  [[fenced in a list]]
  ```
- with [[Real]] link

> ```
> [[fenced in a quote]]
> ```

A [[split
link]] is not a link.
"""


def test_no_links_in_code_math_or_across_lines() -> None:
    assert links(NOT_LINKS, kinds=("wiki_link", "embed", "attachment", "heading_link")) == ["Real"]


def test_a_link_that_starts_before_a_backtick_wins() -> None:
    assert refs("see [[`code` in name]] and `[[not]]`") == [
        ("wiki_link", "`code` in name", "`code` in name")]


def test_dollar_amounts_are_not_math() -> None:
    assert [t for _, _, t in refs("Costs $5 and [[Budget]] costs $10.")] == ["Budget"]
    assert [t for _, _, t in refs("$x$ then [[After]] and $ not math [[Too]] $")] == ["After", "Too"]


def test_unclosed_backticks_are_text() -> None:
    assert [t for _, _, t in refs("a ` lone backtick [[A]] and ``` three [[B]]")] == ["A", "B"]


# -- kinds ---------------------------------------------------------------------------------------

def test_link_kinds_and_targets() -> None:
    assert refs("[[a|alias]] [[a#Heading]] [[a#^block1]] [[folder/a.md]] [[ spaced ]]") == [
        ("wiki_link", "alias", "a"), ("wiki_link", "a", "a"), ("wiki_link", "a", "a"),
        ("wiki_link", "folder/a", "folder/a"), ("wiki_link", "spaced", "spaced")]
    assert refs("[[#Heading]] [[#^block]] [[]] [[|x]]") == [
        ("heading_link", "Heading", ""), ("heading_link", "block", "")]
    assert refs("![[note]] ![[note#heading]] ![[note|shown]]") == [
        ("embed", "note", "note"), ("embed", "note", "note"), ("embed", "shown", "note")]


@pytest.mark.parametrize("name", [
    "image.png", "photo.JPG", "scan.jpeg", "anim.gif", "old.bmp", "diagram.svg", "pic.webp",
    "pic.avif", "talk.mp3", "clip.webm", "sound.wav", "memo.m4a", "song.ogg", "phone.3gp",
    "lossless.flac", "video.mp4", "film.ogv", "movie.mov", "show.mkv", "paper.pdf",
    "board.canvas", "data.csv", "folder/sub/report.docx"])
def test_attachments_are_not_notes(name: str) -> None:
    for text in (f"[[{name}]]", f"![[{name}]]", f"![[{name}|300]]", f"![[{name}|640x480]]"):
        assert refs(text) == [("attachment", name, name)]
    assert refs(f"![[{name}|a caption]]") == [("attachment", "a caption", name)]


def test_an_excalidraw_link_is_a_note_link() -> None:
    # [[Drawing.excalidraw]] opens Drawing.excalidraw.md, a note.
    assert refs("[[Drawing.excalidraw]] ![[Drawing.excalidraw|400]]") == [
        ("wiki_link", "Drawing.excalidraw", "Drawing.excalidraw"),
        ("embed", "400", "Drawing.excalidraw")]


def test_markdown_links_to_notes() -> None:
    text = ("[one](Other%20Note.md) [two](<Other Note.md>) [three](folder/Other%20Note.md#heading) "
            "[four](../up/Note.md \"title\") [five](No%20Extension) ![img](pics/a%20b.png) "
            "![emb](Embedded.md) [pdf](docs/spec.pdf)")
    assert refs(text) == [
        ("md_link", "one", "Other Note"), ("md_link", "two", "Other Note"),
        ("md_link", "three", "folder/Other Note"), ("md_link", "four", "../up/Note"),
        ("md_link", "five", "No Extension"), ("attachment", "img", "pics/a b.png"),
        ("embed", "emb", "Embedded"), ("attachment", "pdf", "docs/spec.pdf")]


def test_external_urls_and_anchors_are_not_links() -> None:
    assert refs("[web](https://example.org/a.md) [mail](mailto:a@b.c) [app](obsidian://open?x=1) "
                "[anchor](#section) [proto](//cdn.example.org/x.md) `[code](x.md)`") == []


def test_reference_text_is_what_the_reader_sees() -> None:
    note = parse_text("Lede [[Target note|the shown words]] and [read](Other%20Note.md).\n", "n.md")
    assert [(r.text, note.lede[r.start:r.end]) for r in note.references] == [
        ("the shown words", "[[Target note|the shown words]]"), ("read", "[read](Other%20Note.md)")]


# -- front matter ---------------------------------------------------------------------------------

FRONT_MATTER = """---
title: Front title
up: "[[Parent]]"
related:
  - "[[Sibling A]]"
  - "[[folder/Sibling B|B]]"
unquoted: [[Not A Link]]
nested:
  key: "[[Deep Value]]"
tags: [one, "#two"]
---
Body [[Body Link]].
"""


def test_front_matter_links_have_paragraph_minus_one() -> None:
    note = parse_text(FRONT_MATTER, "fm.md")
    assert note.title == "Front title"
    outside = [r for r in note.references if r.paragraph == NO_PARAGRAPH]
    assert [(r.kind, r.target, r.text) for r in outside] == [
        ("wiki_link", "Parent", "Parent"), ("wiki_link", "Sibling A", "Sibling A"),
        ("wiki_link", "folder/Sibling B", "B"), ("wiki_link", "Deep Value", "Deep Value")]
    raw = FRONT_MATTER[4:FRONT_MATTER.index("\n---", 4) + 1]
    assert [raw[r.start:r.end] for r in outside] == [
        "[[Parent]]", "[[Sibling A]]", "[[folder/Sibling B|B]]", "[[Deep Value]]"]
    assert links(note) == ["Parent", "Sibling A", "folder/Sibling B", "Deep Value", "Body Link"]
    assert note.tags == ("one", "two")


def test_front_matter_only_at_the_very_start() -> None:
    text = "Lede line.\n\n---\ntitle: Not front matter\n---\n\nMore [[X]].\n"
    note = parse_text(text, "folder/Rule Note.md")
    assert note.title == "Rule Note" and "title" not in note.metadata
    assert links(note) == ["X"]
    leading_blank = parse_text("\n---\ntitle: Nope\n---\nText.\n", "Blank First.md")
    assert leading_blank.title == "Blank First"


def test_front_matter_closed_by_dots_and_with_trailing_spaces() -> None:
    assert parse_text("---\ntitle: Dots\n...\nBody.\n", "d.md").title == "Dots"
    note = parse_text("---\ntitle: Spaces\n---   \n\nBody.\n", "s.md")
    assert (note.title, note.lede) == ("Spaces", "Body.")


def test_unclosed_front_matter_is_body() -> None:
    note = parse_text("---\ntitle: Never closed\n\nBody with [[Link]].\n", "open.md")
    assert note.title == "open"
    assert links(note) == ["Link"]
    assert any("never closes" in w.message for w in note.warnings)


def test_invalid_yaml_warns_with_its_line_and_the_body_parses() -> None:
    note = parse_text("---\ntitle: ok\nbad: [unclosed\nother: x\n---\n# Heading\n\nBody [[Link]].\n",
                      "bad-yaml.md")
    warning = next(w for w in note.warnings if "YAML" in w.message)
    assert 2 <= warning.line <= 5
    assert note.title == "Heading" and links(note) == ["Link"]


# -- tags -----------------------------------------------------------------------------------------

def test_body_tags() -> None:
    text = ("Tags #a/b, #with-hyphen and #1a and #über; not #123, not `#code`, not "
            "http://x.com/#frag, not [[a#b]], not [l](#anchor), not a&#39;b.\n\n"
            "## Heading #in-heading\n\n#start-of-line text\n\n```\n#fenced\n```\n\n"
            "# Not a tag heading\n")
    note = parse_text(text, "tags.md")
    assert note.tags == ("a/b", "with-hyphen", "1a", "über", "in-heading", "start-of-line")


@pytest.mark.parametrize("front, expected", [
    ("tags: [alpha, beta]", ("alpha", "beta")),
    ("tags:\n  - alpha\n  - '#beta'", ("alpha", "beta")),
    ("tags: alpha, beta gamma", ("alpha", "beta", "gamma")),
    ("tags: '#alpha #beta'", ("alpha", "beta")),
    ("tag: alpha", ("alpha",)),
    ("Tags: [Alpha]", ("Alpha",)),
    ("tags:", ()),
])
def test_front_matter_tags(front: str, expected: tuple[str, ...]) -> None:
    assert parse_text(f"---\n{front}\n---\nBody.\n", "t.md").tags == expected


# -- empty notes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\r\n\r\n", b"---\n---\n",
                                  b"---\ncreated: 2024-01-01\n---\n\n"])
def test_empty_notes_are_notes_titled_by_their_file_name(data: bytes) -> None:
    note = parse_bytes(data, "vault/Unwritten Idea.md")
    assert (note.title, note.lede, note.body, note.references, note.warnings) == (
        "Unwritten Idea", "", (), (), ())


def test_a_front_matter_only_note_keeps_its_title_and_tags() -> None:
    note = parse_bytes(b"---\ntitle: Placeholder\ntags: [todo]\nup: '[[Parent]]'\n---\n", "p.md")
    assert (note.title, note.lede, note.tags, links(note)) == ("Placeholder", "", ("todo",), ["Parent"])


# -- Excalidraw drawings --------------------------------------------------------------------------

def test_an_excalidraw_drawing_is_a_note_of_its_text() -> None:
    path = DATA / "Transformer sketch.excalidraw.md"
    note = parse_bytes(path.read_bytes(), "drawings/Transformer sketch.excalidraw.md")
    assert note.title == "Transformer sketch"
    assert note.metadata["page_kind"] == "drawing"
    assert note.lede == "Self-attention mixes every token with every other"
    assert note.body == ("Stack of encoder layers, see [[Transformer Architecture|the transformer note]]",
                         "Residual stream\ncarries the signal #architecture")
    assert "excalidraw" in note.tags and "architecture" in note.tags
    assert [(r.kind, r.target, r.paragraph) for r in note.references if r.kind != "quoted_title"] == [
        ("wiki_link", "Deep Learning", NO_PARAGRAPH),
        ("attachment", "Pasted Image 20240312101530_123.png", NO_PARAGRAPH),
        ("wiki_link", "Transformer Architecture", 1)]
    text = note.text
    assert "N4KAkARA" not in text and "Switch to EXCALIDRAW" not in text and "^Xk3Lq9aB" not in text
    assert "Text Elements" not in text and "softmax" not in text


def test_an_old_excalidraw_drawing_and_one_found_by_its_front_matter() -> None:
    old = ("---\n\nexcalidraw-plugin: parsed\n\n---\n==⚠  Switch to EXCALIDRAW VIEW ⚠==\n\n\n"
           "# Text Elements\nHello drawing ^abc12345\n\n[[Linked]] ^def67890\n\n"
           "# Embedded files\n1a2b3c: [[scan.png]]\n\n%%\n# Drawing\n```json\n"
           '{"type":"excalidraw","elements":[{"text":"[[Not from JSON]]"}]}\n```\n%%')
    for name, title in (("Old Sketch.excalidraw.md", "Old Sketch"),
                        ("Named Differently.md", "Named Differently")):
        note = parse_text(old, f"v/{name}")
        assert (note.title, note.lede, note.body) == (title, "Hello drawing", ("[[Linked]]",))
        assert links(note, ("wiki_link", "attachment")) == ["scan.png", "Linked"]


def test_an_empty_excalidraw_drawing() -> None:
    text = ("---\n\nexcalidraw-plugin: parsed\ntags: [excalidraw]\n\n---\n==⚠  Switch ⚠==\n\n\n"
            "# Excalidraw Data\n\n## Text Elements\n%%\n## Drawing\n```compressed-json\nN4Ig\n```\n%%")
    note = parse_text(text, "Blank.excalidraw.md")
    assert (note.title, note.lede, note.body, note.warnings) == ("Blank", "", (), ())


# -- bytes and names ------------------------------------------------------------------------------

def test_crlf_and_bom() -> None:
    text = "---\r\ntitle: Windows note\r\ntags: [win]\r\n---\r\n\r\nLede [[Target]].\r\n\r\n#tagged\r\n"
    note = parse_bytes(b"\xef\xbb\xbf" + text.encode(), "w.md")
    assert (note.title, note.lede, note.tags, links(note)) == (
        "Windows note", "Lede [[Target]].", ("win", "tagged"), ["Target"])
    assert "\r" not in "".join(note.body)


def test_excalidraw_with_crlf() -> None:
    data = (DATA / "Transformer sketch.excalidraw.md").read_bytes().replace(b"\n", b"\r\n")
    note = parse_bytes(data, "Transformer sketch.excalidraw.md")
    assert note.title == "Transformer sketch" and len(note.body) == 2


@pytest.mark.parametrize("name, target", [
    ("笔记/深度学习.md", "机器学习"),
    ("People/two’s complement.md", "two’s complement"),
    ("Meetings/2024-01-01\u202f10\u202fAM.md", "Agenda\u202fitem"),
    ("a/b/c/d/e/f/g/Deep note.md", "a/b/c/Other"),
])
def test_non_ascii_names_and_targets(name: str, target: str) -> None:
    note = parse_bytes(f"Lede [[{target}]] and [md]({target.replace(' ', '%20')}.md).\n".encode(), name)
    assert note.title == Path(name).stem
    assert [(r.kind, r.target) for r in note.references] == [("wiki_link", target), ("md_link", target)]


# -- the dev vaults against their oracle ----------------------------------------------------------

VAULTS = next((p for p in (REPO / "tests" / "data" / "vaults", REPO.parent / "shared" / "corpora" / "vaults")
               if p.is_dir()), None)


def _vault_notes(vault: Path) -> list[Path]:
    return [p for p in sorted(vault.rglob("*.md"))
            if not any(part.startswith(".") for part in p.relative_to(vault).parts)]


@pytest.mark.skipif(VAULTS is None, reason="the dev vaults are not here")
@pytest.mark.parametrize("vault", sorted(p.name for p in VAULTS.iterdir() if p.is_dir()) if VAULTS else [])
def test_vault_link_counts_match_the_independent_counter(vault: str) -> None:
    """Non-embed note links in bodies (the independent counter skips front matter)."""
    oracle = json.loads((VAULTS / f"{vault}.oracle.json").read_text(encoding="utf-8"))
    figures = oracle["independent_regex"]
    body_links = embeds = 0
    for path in _vault_notes(VAULTS / vault):
        note = parse_bytes(path.read_bytes(), path.relative_to(VAULTS / vault).as_posix())
        body_links += sum(r.kind == "wiki_link" and r.paragraph >= 0 for r in note.references)
        embeds += sum(r.kind == "embed" for r in note.references)
    assert body_links == figures["wikilink_edges_total(note->target, non-embed, incl. unresolved)"]
    assert embeds == figures["embeds_of_notes_total"]

