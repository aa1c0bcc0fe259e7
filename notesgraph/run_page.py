"""A replication run as reader HTML: one verdict per claim test, a failed gate stated once,
the plot at the reader's width and the long parts (other conditions, all results) folded.

Experiments give one verdict per claim test and condition (replication 1: 4 tests x 7 task
groups = 28), and a check that gates every verdict repeats its failure in each reason. The
page shows the primary verdict of each test; the gate's failure, when every reason starts
with it, once above them. What is folded opens with an `expand:` link the reader toggles.
Cost: O(verdicts + results) per page.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from notesgraph.model import RunDetails
from notesgraph.reader_html import _link, _section, item_href

Verdict = tuple[str, str, str, str]  # claim test, condition, verdict, reason
FOLDED_RESULTS = 12
"""A run with more result rows than this shows its table folded."""
_MIN_GATE = 30
"""A shared start of the reasons shorter than this is not a gate (e.g. "The claimed 42.6 …")."""


@dataclass(frozen=True)
class VerdictSummary:
    """What a run's page says about its verdicts."""

    gate: str
    """The failed check every reason starts with ('' when there is none)."""
    primary: tuple[Verdict, ...]
    """One per claim test: its primary verdict (or its first), the gate cut from the reason."""
    others: tuple[Verdict, ...]
    """The other conditions' verdicts, the gate cut from their reasons too."""


def shared_gate(reasons: Sequence[str]) -> str:
    """The failed check all `reasons` start with, up to the end of its sentence: e.g. "DR
    check: … (needs > 0): failed, so no verdict." ('' when they share none, or only one)."""
    if len(reasons) < 2:
        return ""
    prefix = os.path.commonprefix(list(reasons))
    if prefix == reasons[0]:
        gate = prefix
    else:
        end = prefix.rfind(". ")
        gate = prefix[:end + 1] if end >= 0 else ""
    return gate if len(gate) >= _MIN_GATE and "fail" in gate.lower() else ""


def _without_gate(reason: str, gate: str) -> str:
    rest = reason[len(gate):].strip() if gate else reason
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    return rest


def summarise_verdicts(verdicts: Iterable[tuple[str, str, str, str, bool]]) -> VerdictSummary:
    """One verdict per claim test (the primary one; the first when none is), the rest apart,
    and the shared failed gate stated once."""
    rows = list(verdicts)
    gate = shared_gate([row[3] for row in rows])
    chosen: dict[str, int] = {}
    for index, (claim, _, _, _, primary) in enumerate(rows):
        if claim not in chosen or (primary and not rows[chosen[claim]][4]):
            chosen[claim] = index
    picked = set(chosen.values())
    trim = [(claim, condition, verdict, _without_gate(reason, gate)) for claim, condition, verdict, reason, _ in rows]
    return VerdictSummary(gate, tuple(trim[i] for i in sorted(picked)),
                          tuple(row for i, row in enumerate(trim) if i not in picked))


def _verdict_items(verdicts: Iterable[Verdict]) -> str:
    return "".join(f"<li><b>{html.escape(v)}</b> {html.escape(claim)} <small>({html.escape(condition)})</small>"
                   + (f": {html.escape(reason)}" if reason else "") + "</li>"
                   for claim, condition, v, reason in verdicts)


def _fold(key: str, label: str, expanded: Collection[str]) -> str:
    """The link that opens (▸) or closes (▾) a folded part of the page."""
    mark = "▾ hide" if key in expanded else "▸"
    return f"<p><small>{_link(f'expand:{key}', f'{label} {mark}')}</small></p>"


def _results_table(details: RunDetails) -> str:
    """condition, metric, value, 95% CI, n: headers that never wrap, metrics that wrap at '/'."""
    head = "".join(f'<th align="left" style="white-space:nowrap">{name}</th>'
                   for name in ("condition", "metric", "value", "95% CI", "n"))
    rows = "".join(
        f"<tr><td>{html.escape(condition)}</td><td>{html.escape(metric).replace('/', '/&#8203;')}</td>"
        f'<td align="right">{value:.1f}</td><td style="white-space:nowrap">[{low:.1f}, {high:.1f}]</td>'
        f'<td align="right">{n}</td></tr>'
        for condition, metric, value, low, high, n in details.results)
    return f'<table cellspacing="0" cellpadding="2" style="font-size:small"><tr>{head}</tr>{rows}</table>'


def run_section_html(details: RunDetails, width: int = 380, expanded: Collection[str] = ()) -> str:
    """One run: status and progress, the gate, one verdict per claim test (all conditions
    folded), the plot `width` pixels wide (a link to it at full size), the results (folded
    when long) and a link to the full report."""
    run = details.run
    parts = [f"<h3>Run {run.id} · {html.escape(run.experiment)}{' (quick)' if run.quick else ''}"
             f" · {html.escape(run.status)}</h3>"]
    if run.status in ("queued", "running"):
        parts.append(f"<p><small>{run.progress_done}/{run.progress_total} {html.escape(run.progress_message)} · "
                     + _link(f"cancel:{run.id}", "Cancel") + "</small></p>")
    if run.error:
        parts.append(f"<p><small>{html.escape(run.error)}</small></p>")
    summary = summarise_verdicts(details.verdicts)
    if summary.gate:
        parts.append(f'<p style="background-color:#fde2e1"><b>Check before any verdict failed</b> (so every '
                     f"verdict below is inconclusive): {html.escape(summary.gate)}</p>")
    if summary.primary:
        parts.append(f"<ul>{_verdict_items(summary.primary)}</ul>")
    if summary.others:
        key = f"verdicts:{run.id}"
        parts.append(_fold(key, f"all conditions ({len(summary.others)} more verdicts)", expanded))
        if key in expanded:
            parts.append(f"<ul>{_verdict_items(summary.others)}</ul>")
    if details.plot:
        uri = html.escape(Path(details.plot).as_uri())
        parts.append(f'<p><a href="view:{html.escape(details.plot)}"><img src="{uri}" width="{int(width)}"></a>'
                     "<br><small>click the plot to open it full size</small></p>")
    if details.results:
        key = f"results:{run.id}"
        long = len(details.results) > FOLDED_RESULTS
        if long:
            parts.append(_fold(key, f"results ({len(details.results)} rows)", expanded))
        if not long or key in expanded:
            parts.append(_results_table(details))
    if details.report:
        parts.append(f"<p><small>{_link(f'report:{run.id}', 'full report (report.md) ↗')}</small></p>")
    return "".join(parts)


def run_html(details: RunDetails, claims: Iterable[Any] = (), width: int = 380,
             expanded: Collection[str] = ()) -> str:
    """A run's own page: what it ran, on which claims, and its results."""
    tested = _section("Claims it tests", (
        _link(item_href("claim", c.id), c.claim.text, "claim") + f" <small>· {html.escape(c.status)}</small>"
        for c in claims))
    run = details.run
    facts = (f"<p><small>parameters {html.escape(str(run.parameters))} · seeds "
             f"{html.escape(str(list(run.seeds)))} · code {html.escape(str(run.environment.get('code_version', '')))}"
             f"</small></p>")
    return run_section_html(details, width, expanded) + tested + facts + _reused(run.folder)


def _reused(folder: str | None) -> str:
    """What the run reuses from other runs (its folder's reused.json: what, run, commit)."""
    path = Path(folder) / "reused.json" if folder else None
    if path is None or not path.exists():
        return ""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"<p><small>reused.json unreadable: {html.escape(str(error))}</small></p>"
    return _section("Reuses results of other runs", (
        f"{html.escape(str(e.get('what', '')))} — run {html.escape(str(e.get('run', 'unknown')))}, "
        f"commit {html.escape(str(e.get('commit', 'unknown')))}" for e in entries))


def report_html(details: RunDetails) -> str:
    """A run's report.md for a window of its own (its tables are too wide for the reader):
    Markdown with tables, raw HTML escaped like a note's, headers kept on one line."""
    body = _markdown_tables().render(details.report or "")
    return ("<style>th { white-space: nowrap; } td { padding: 1px 6px; }</style>"
            + body.replace("<table>", '<table cellspacing="0" border="1" cellpadding="3">'))


@lru_cache(maxsize=1)
def _markdown_tables() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


__all__ = ["VerdictSummary", "report_html", "run_html", "run_section_html", "shared_gate", "summarise_verdicts"]
