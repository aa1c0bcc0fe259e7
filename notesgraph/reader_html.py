"""A note (as `Store.note` returns it) -> safe HTML for the reader.

Notes are data, never code: raw HTML in a note is escaped (markdown-it with html disabled,
html.escape for export text), and the only links made are `item:` links to other items
and `create:` links for stubs, which the app handles itself. Markdown links keep their
target only when it is an http(s) URL, which the app opens in the browser on a click.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt

from notesgraph.claims import describe_statuses
from notesgraph.kinds import elide, kind_style
from notesgraph.model import ItemKind, RunDetails, item_id

_WIKI = re.compile(r"!?\[\[([^\[\]\n|#]*)(#[^\[\]\n|]*)?(?:\|([^\[\]\n]*))?\]\]")
_LIST_LINE = re.compile(r"^\s*(?:[-*+•]|(\d+)[.)])\s+(.*)$")
_SAFE_SCHEMES = ("item:", "create:", "http://", "https://")


def item_href(kind: ItemKind, ident: int | str) -> str:
    """The link the reader uses for an item: `item:note%3A12`."""
    return "item:" + quote(item_id(kind, ident), safe="")


def create_href(title: str) -> str:
    return "create:" + quote(title, safe="")


def run_href(experiment: str, quick: bool, claim_id: int) -> str:
    """A link that launches a replication run of `experiment` for a claim."""
    return f"run:{quote(experiment, safe='')}:{int(quick)}:{claim_id}"


def replicate_href(experiment: str, claim_id: int) -> str:
    """A link that opens the "Run replication…" dialog for a claim, `experiment` preselected."""
    return f"replicate:{quote(experiment, safe='')}:{claim_id}"


def cite_href(item: str) -> str:
    """A link that copies the BibTeX of an item's papers (a paper's own, a note's listed ones)."""
    return "cite:" + quote(item, safe="")


def parse_href(href: str) -> tuple[str, str]:
    """('item', 'note:12'), ('create', 'Title'), ('run', 'name:quick:claim'), ('cancel', run id),
    ('replicate', 'name:claim'), ('expand', a folded part's key), ('view', an image's path),
    ('report', run id), ('cite', an item id) or ('external', url) for a clicked link."""
    for scheme in ("item", "create", "run", "cancel", "replicate", "expand", "view", "report", "cite"):
        if href.startswith(scheme + ":"):
            return scheme, unquote(href[len(scheme) + 1:])
    return "external", href


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.validateLink = lambda url: url.startswith(_SAFE_SCHEMES)  # type: ignore[method-assign]
    return md


def _link(href: str, text: str, kind: str = "", title: str = "") -> str:
    style = f' style="color:{kind_style(kind).colour}"' if kind else ""
    tip = f' title="{html.escape(title)}"' if title else ""
    return f'<a href="{html.escape(href)}"{style}{tip}>{html.escape(text)}</a>'


def _wiki_to_markdown(source: str, targets: dict[str, int | None]) -> str:
    """[[Target|shown]] -> a Markdown link to the note it resolves to (plain text if none)."""
    def replace(match: re.Match[str]) -> str:
        target, heading, shown = match.group(1).strip(), match.group(2), match.group(3)
        label = (shown or target or (heading or "").lstrip("#")).strip()
        note_id = targets.get(target)
        label_md = label.replace("[", "\\[").replace("]", "\\]")
        return f"[{label_md}]({item_href('note', note_id)})" if note_id else label_md
    return _WIKI.sub(replace, source)


_OBSIDIAN_COMMENT = re.compile(r"%%.*?%%", re.S)
CLAIM_BACKGROUND = "#fff1b8"


def _export_paragraph(text: str, links: list[tuple[int, int, str, str]],
                      claims: Iterable[tuple[int, int, str]] = ()) -> str:
    """Escape plain export text, turning reference spans into links and highlighting claim
    sentences (each followed by a ◆ link to its claim page); list blocks become lists."""
    lines = text.split("\n")
    items = [_LIST_LINE.match(line) for line in lines]
    if all(items):
        tag = "ol" if items[0] and items[0].group(1) else "ul"
        return f"<{tag}>" + "".join(f"<li>{html.escape(m.group(2))}</li>" for m in items if m) + f"</{tag}>"
    marks: list[tuple[int, int, str]] = []  # (offset, order, html) inserted around the text
    for start, end, href in claims:
        marks.append((start, 0, f'<span style="background-color:{CLAIM_BACKGROUND}; color:#1e1e1e">'))
        marks.append((end, 1, "</span>" + f'<sup>{_link(href, "◆", "claim", "open this claim")}</sup>'))
    out, position, used = [], 0, set()
    for start, end, href, kind in sorted(links):
        if start < position:
            continue
        out.append(_escape_marked(text, position, start, marks, used))
        out.append(_link(href, text[start:end], kind))
        position = end
    out.append(_escape_marked(text, position, len(text), marks, used))
    return "<p>" + "".join(out) + "</p>"


def _escape_marked(text: str, start: int, end: int, marks: list[tuple[int, int, str]],
                   used: set[int]) -> str:
    """text[start:end] escaped, with the marks at offsets start..end not yet emitted (a mark
    at `end` goes before whatever follows, such as a link); closing marks before opening."""
    inside = sorted((i for i, m in enumerate(marks) if start <= m[0] <= end and i not in used),
                    key=lambda i: (marks[i][0], -marks[i][1]))
    out, position = [], start
    for i in inside:
        offset, _, markup = marks[i]
        used.add(i)
        out.append(html.escape(text[position:offset]))
        out.append(markup)
        position = offset
    out.append(html.escape(text[position:end]))
    return "".join(out)


def _reference_links(note: dict[str, Any]) -> dict[int, list[tuple[int, int, str, str]]]:
    papers = {p["title"]: p["id"] for p in note["papers"]}
    links: dict[int, list[tuple[int, int, str, str]]] = {}
    for ref in note["references"]:
        if ref["kind"] in ("mention", "wiki_link") and ref.get("note_id"):
            href, kind = item_href("note", ref["note_id"]), "note"
        elif ref["kind"] == "quoted_title" and ref["target"] in papers:
            href, kind = item_href("paper", papers[ref["target"]]), "paper"
        elif ref.get("paper_id"):  # an author-year citation, arXiv id or DOI resolved through the library
            href, kind = item_href("paper", ref["paper_id"]), "paper"
        else:
            continue
        links.setdefault(ref["paragraph"], []).append((ref["start"], ref["end"], href, kind))
    return links


def _citation_spans(note: dict[str, Any]) -> dict[int, list[tuple[int, int, int]]]:
    """paragraph -> (start, end, paper id) of the citations resolved through the library."""
    spans: dict[int, list[tuple[int, int, int]]] = {}
    for ref in note["references"]:
        if ref.get("paper_id") and ref["kind"] in ("author_year", "arxiv", "doi"):
            spans.setdefault(ref["paragraph"], []).append((ref["start"], ref["end"], ref["paper_id"]))
    return spans


def _link_citations(text: str, spans: Iterable[tuple[int, int, int]]) -> str:
    """Markdown source with each resolved citation made a link to its paper (from the end, so
    offsets hold); a span holding brackets or backticks (inside a link or code) or right after
    a slash (an id in a URL: doi.org/10..., arxiv.org/abs/...) stays as it is."""
    for start, end, paper_id in sorted(spans, reverse=True):
        cited = text[start:end]
        if not any(c in cited for c in "[]`") and text[start - 1:start] != "/":
            text = f"{text[:start]}[{cited}]({item_href('paper', paper_id)}){text[end:]}"
    return text


def _section(heading: str, rows: Iterable[str], ordered: bool = False) -> str:
    rows = list(rows)
    if not rows:
        return ""
    tag = "ol" if ordered else "ul"
    return (f"<h3>{html.escape(heading)} ({len(rows)})</h3><{tag}>"
            + "".join(f"<li>{row}</li>" for row in rows) + f"</{tag}>")


def note_html(note: dict[str, Any], our_ranks: dict[int, int] | None = None,
              claims: Iterable[Any] = ()) -> str:
    """The whole reader page for one note: title, lede, body, inquiry lines, related concepts
    (resolved notes link to the note, stubs offer "Create note"), ranked papers (with our
    similarity rank beside the listed one when `our_ranks` maps paper id -> rank), warnings."""
    parts = [f"<h1>{html.escape(note['title'])}</h1>"]
    paragraphs: list[str] = note["paragraphs"]
    if note["format"] == "markdown":
        targets = {r["target"]: r.get("note_id") for r in note["references"] if r["kind"] == "wiki_link"}
        md = _markdown()
        cited = _citation_spans(note)
        shown = (_OBSIDIAN_COMMENT.sub("", _link_citations(p, cited.get(i, ())))  # Obsidian hides %% comments %%
                 for i, p in enumerate(paragraphs))
        rendered = [md.render(_wiki_to_markdown(p, targets)) if p.strip() else "" for p in shown]
    else:
        links = _reference_links(note)
        spans: dict[int, list[tuple[int, int, str]]] = {}
        for stored in claims:
            spans.setdefault(stored.claim.paragraph, []).append(
                (stored.claim.start, stored.claim.end, item_href("claim", stored.id)))
        rendered = [_export_paragraph(p, links.get(i, []), spans.get(i, ())) for i, p in enumerate(paragraphs)]
    if rendered:
        parts.append(f'<div class="lede"><i>{rendered[0]}</i></div>')
        parts.extend(rendered[1:])
    parts.append(_section("Claims", (
        _link(item_href("claim", c.id), c.claim.text, "claim") + f" <small>· {html.escape(c.status)}</small>"
        for c in claims)))
    parts.append(_section("Inquiry lines", (
        _link(item_href("inquiry", q["id"]), q["text"], "inquiry")
        + (f" <small>· {q['notes']} notes</small>" if q["notes"] > 1 else "")
        for q in note["inquiries"])))
    concept_rows = []
    for concept in note["concepts"]:
        if concept["note_id"]:
            head = _link(item_href("note", concept["note_id"]), concept["title"], "note")
        else:
            head = (_link(item_href("concept", concept["key"]), concept["title"], "concept")
                    + " <small>(no note yet · " + _link(create_href(concept["title"]), "Create note")
                    + ")</small>")
        annotation = f"<br><i>{html.escape(concept['annotation'])}</i>" if concept["annotation"] else ""
        description = f"<br><small>{html.escape(concept['description'])}</small>" if concept["description"] else ""
        concept_rows.append(head + annotation + description)
    parts.append(_section("Related concepts", concept_rows))
    ranks = our_ranks or {}
    parts.append(_section("Related papers", (
        _link(item_href("paper", p["id"]), p["title"], "paper")
        + (f" <small>· our rank {ranks[p['id']]}</small>" if p["id"] in ranks else "")
        + (f" <small>· {p['notes']} notes</small>" if p["notes"] > 1 else "")
        for p in note["papers"]), ordered=True))
    if note["papers"] and "id" in note:
        parts.append(f"<p><small>{_link(cite_href(item_id('note', note['id'])), 'Copy BibTeX of these papers')}"
                     "</small></p>")
    parts.append(_section("Parse warnings", (
        f"line {w['line']}: {html.escape(w['message'])}" for w in note["warnings"])))
    return "\n".join(part for part in parts if part)


def inquiry_html(inquiry: dict[str, Any]) -> str:
    """An inquiry line with every note that is a source for it."""
    return (f"<h1>{html.escape(inquiry['text'])}</h1><p><small>Inquiry line</small></p>"
            + _section("Source notes", (_link(item_href("note", n["id"]), n["title"], "note")
                                        for n in inquiry["notes"])))


def trace_html(trace: Any, shared: Iterable[Any] = ()) -> str:
    """An inquiry line's page, from `graph_queries.trace`: the question, every source note
    (with the papers it cites), the papers pooled (most cited first) and the other inquiries
    its sources share (`graph_queries.shared_inquiries`). O(sources + papers)."""
    def node_link(node: str, text: str) -> str:
        kind, ident = node.split(":", 1)
        return _link(item_href(kind, ident), text, kind)  # type: ignore[arg-type]

    sources = (node_link(s.node, s.title) + (f" <small>· cites {len(s.papers)} papers</small>" if s.papers else "")
               for s in trace.sources)
    papers = (node_link(p.node, p.title)
              + (f" <small>· cited by {p.cited_by} sources</small>" if p.cited_by > 1 else "")
              for p in trace.papers)
    others = (node_link(q.node, q.text) + f" <small>· {q.shared_sources} shared source"
              f"{'s' if q.shared_sources > 1 else ''}</small>" for q in shared)
    return (f"<h1>{html.escape(trace.text)}</h1><p><small>Inquiry line · {len(trace.sources)} source notes · "
            f"{len(trace.papers)} papers</small></p>"
            + _section("Source notes", sources) + _section("Papers, most cited first", papers, ordered=True)
            + _section("Inquiries its sources share", others))


def paper_html(paper: dict[str, Any]) -> str:
    """A paper: its library metadata when it has an entry (authors, year, venue, links to its
    DOI and arXiv pages, which the app opens in the browser only when clicked, abstract,
    keywords), a "Copy BibTeX" link, the notes that list it with the rank each gives it, and
    the papers co-cited with it or sharing authors (`Store.paper_page`; `Store.paper` works too)."""
    entry = paper.get("entry")
    parts = [f"<h1>{html.escape(paper['title'])}</h1>"]
    if entry is None:
        parts.append("<p><small>Paper · not in your library (File → Import library…)</small></p>")
    else:
        parts.append(_paper_metadata(entry))
    parts.append(f"<p><small>{_link(cite_href(item_id('paper', paper['id'])), 'Copy BibTeX')}</small></p>")
    parts.append(_section("Listed by", (_link(item_href("note", n["id"]), n["title"], "note")
                                        + f" <small>· rank {n['rank']}</small>" for n in paper["notes"])))
    parts.append(_section("Co-cited with (listed by the same notes)", (
        _link(item_href("paper", p["id"]), p["title"], "paper") + f" <small>· {p['count']} notes</small>"
        for p in paper.get("cocited", ()))))
    parts.append(_section("Shares authors with", (
        _link(item_href("paper", p["id"]), p["title"], "paper")
        + (f" <small>· {p['count']} authors</small>" if p["count"] > 1 else "")
        for p in paper.get("shares_authors", ()))))
    return "\n".join(part for part in parts if part)


def author_names(authors: Iterable[tuple[str, str]]) -> str:
    """"Albert Webson, Ellie Pavlick"; BibTeX's "and others" becomes "et al."."""
    names = [f"{given} {family}".strip() for family, given in authors if (family, given) != ("others", "")]
    more = any((family, given) == ("others", "") for family, given in authors)
    return ", ".join(names) + (" et al." if more else "")


def _paper_metadata(entry: Any) -> str:
    """Authors, year and venue, the external links (http(s) only), abstract and keywords."""
    line = " · ".join(html.escape(x) for x in (author_names(entry.authors), str(entry.year or ""), entry.venue) if x)
    links = [(f"https://doi.org/{quote(entry.doi, safe='/')}", f"doi:{entry.doi}") if entry.doi else None,
             (f"https://arxiv.org/abs/{quote(entry.arxiv, safe='/')}", f"arXiv:{entry.arxiv}") if entry.arxiv else None,
             (entry.url, "web page") if entry.url.startswith(("http://", "https://")) else None]
    shown = " · ".join(_link(href, text, title=f"{href} (opens in your browser)") for href, text in
                       (x for x in links if x is not None))
    out = [f"<p>{line}</p>" if line else "",
           f"<p><small>Paper · <code>{html.escape(entry.citation_key)}</code>"
           + (f" · {shown}" if shown else "") + "</small></p>"]
    if entry.abstract:
        out.append(f"<h3>Abstract</h3><p>{html.escape(entry.abstract)}</p>")
    if entry.keywords:
        out.append(f"<p><small>Keywords: {html.escape(', '.join(entry.keywords))}</small></p>")
    return "".join(out)


def concept_html(concept: dict[str, Any]) -> str:
    """An unresolved concept: its description, the notes listing it, and "Create note"."""
    description = f"<p>{html.escape(concept['description'])}</p>" if concept["description"] else ""
    return (f"<h1>{html.escape(concept['title'])}</h1>"
            f"<p><small>Concept with no note yet · {_link(create_href(concept['title']), 'Create note')}"
            f"</small></p>{description}"
            + _section("Listed by", (_link(item_href("note", n["id"]), n["title"], "note")
                                     + (f"<br><i>{html.escape(n['annotation'])}</i>" if n["annotation"] else "")
                                     for n in concept["listed_by"])))


def similar_html(matches: Iterable[Any], exclude_linked: bool) -> str:
    """The "Similar" section: items close in meaning, each with its cosine and *why* (the
    pair of passages that matched best). `matches` are similarity.Match objects."""
    rows = []
    for match in matches:
        kind, ident = match.item.split(":", 1)
        why = match.why
        rows.append(
            _link(item_href(kind, ident), match.title, kind)  # type: ignore[arg-type]
            + f" <small>· {kind_style(kind).label.lower()} · cosine {match.score:.2f}</small>"
            + f"<br><small><i>why:</i> {html.escape(why.query_part)}: “{html.escape(elide(why.query_text, 140))}”"
            + f" ~ {html.escape(why.match_part)}: “{html.escape(elide(why.match_text, 140))}”</small>")
    heading = "Similar (not already linked)" if exclude_linked else "Similar"
    return _section(heading, rows) or f"<h3>{heading}</h3><p><small>Nothing similar enough.</small></p>"


def claim_html(stored: Any, experiments: Iterable[Any] = (), runs: Iterable[RunDetails] = (), width: int = 380,
               expanded: Collection[str] = ()) -> str:
    """The claim panel: the sentence, its structured values, its source, its evidence status,
    the experiments that test it (links that launch a run, and the command to type) and its
    past runs with results (`run_page`: plots `width` px wide, `expanded` parts unfolded)."""
    from notesgraph.claims import describe_quantity, describe_source
    from notesgraph.run_page import run_section_html

    claim = stored.claim
    values = [html.escape(describe_quantity(q)) for q in claim.quantities]
    markers = f"<p><small>comparison: {html.escape(', '.join(claim.markers))}</small></p>" if claim.markers else ""
    paper = (_link(item_href("paper", stored.paper_id), claim.source.paper or "the paper", "paper")
             if stored.paper_id else html.escape(describe_source(claim.source)))
    launch = [f"{html.escape(spec.title)} — "
              + _link(replicate_href(spec.name, stored.id), "Run replication…") + " · "
              + _link(run_href(spec.name, True, stored.id), "Run replication (quick)")
              + " · " + _link(run_href(spec.name, False, stored.id), "full run")
              + f"<br><small>{html.escape(spec.description)}</small>" for spec in experiments]
    return (f"<h1>Claim</h1><p style=\"background-color:{CLAIM_BACKGROUND}; color:#1e1e1e\">{html.escape(claim.text)}</p>"
            f"<p><small>in {_link(item_href('note', stored.note_id), stored.note_title, 'note')}"
            f" · evidence: <b>{html.escape(stored.status)}</b>{_each_experiment(stored)}</small></p>"
            f"{_stale_verdict(stored.status)}{markers}"
            + _section("Values", values)
            + f"<h3>Source</h3><p>{paper}</p>"
            + (_section("Replications", launch) or "<h3>Replications</h3><p><small>No experiment tests "
               "this claim yet.</small></p>")
            + (f"<p><small>or type: <code>notesgraph run --for-claim {stored.id}</code></small></p>"
               if launch else "")
            + "".join(run_section_html(run, width, expanded) for run in runs))


def _each_experiment(stored: Any) -> str:
    """Each experiment's verdict when more than one tested the claim (what "mixed" or an
    agreement summarises)."""
    each = describe_statuses(stored)
    return f" ({html.escape(each)})" if each else ""


def _stale_verdict(status: str) -> str:
    """Why a verdict is stale: a claim keeps its key (and its runs) while its sentence is the
    same, so "stale" means the note around it changed since the run that judged it."""
    if status != "stale":
        return ""
    return ("<p><small><i>⟳ verdict from an older version of this claim's note: the note changed "
            "since the run that judged it. Run the replication again to refresh it.</i></small></p>")


def stale_similarity_html(refreshing: bool) -> str:
    """The line a note's page shows while its vectors are older than its text."""
    then = "refreshing…" if refreshing else "they refresh the next time embeddings run"
    return (f"<p><small><i>⟳ similarities out of date — {then} (this note changed since it was "
            "embedded)</i></small></p>")
