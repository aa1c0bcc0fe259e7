"""The reader's HTML: links for every item, and nothing from a note can run."""

from __future__ import annotations

from pathlib import Path

from conftest import NOTES, write
from notesgraph.indexer import index_folder
from notesgraph.reader_html import note_html, parse_href
from notesgraph.store import Store


def page_for(store: Store, title: str) -> str:
    note_id = next(n["id"] for n in store.note_titles() if n["title"] == title)
    return note_html(store.note(note_id))


def test_bundled_note_page_links_every_item(store: Store) -> None:
    index_folder(store, NOTES)
    page = page_for(store, "Does instruction tuning teach task understanding or output format?")
    assert page.count('href="item:inquiry%3A') >= 20
    assert 'href="item:paper%3A' in page and 'href="item:note%3A' in page
    assert 'href="create:' in page  # a stub offers "Create note"
    assert "42.6%" in page


def test_markdown_wiki_links_become_item_links(store: Store) -> None:
    index_folder(store, NOTES)
    page = page_for(store, "Can small models reason well by just learning output format?")
    assert 'href="item:note%3A' in page and "[[" not in page


def test_note_markup_is_shown_as_text(store: Store, tmp_path: Path) -> None:
    evil = tmp_path / "evil"
    write(evil, "a.md", "# <script>alert(1)</script>\n\nLede <img src=x onerror=alert(1)> "
                        "[click](javascript:alert(1)) [web](https://example.org)\n\n"
                        "## Related concepts\n- <b>bold</b> stub — <i>annotation</i>\n")
    write(evil, "b.txt", "Plain <script>x</script>?\nLede <|start_header_id|> & more\n")
    index_folder(store, evil)
    for title in ("<script>alert(1)</script>", "Plain <script>x</script>?"):
        page = page_for(store, title)
        assert "<script>" not in page and "<img" not in page and "<b>bold" not in page
        assert 'href="javascript:' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page_for(store, "<script>alert(1)</script>")
    assert 'href="https://example.org"' in page_for(store, "<script>alert(1)</script>")
    assert "&lt;|start_header_id|&gt;" in page_for(store, "Plain <script>x</script>?")


def test_html_in_a_markdown_note_shows_its_text_not_its_tags(store: Store, tmp_path: Path) -> None:
    """As Obsidian shows it (the data-engineering wiki ends notes with a <span> footer)."""
    folder = tmp_path / "vault"
    write(folder, "a.md", "# Footer\n\nLede.\n\n<span class=\"git-footer\">[Edit](https://example.org/e) | "
                          "**Copy**</span> line<br>two\n\n<div class=\"box\">\n<p>Boxed <b>text</b></p>\n</div>\n\n"
                          "<!-- a hidden comment -->\n\n<script>alert(1)</script>\n\n<style>p {}</style>\n")
    index_folder(store, folder)
    page = page_for(store, "Footer")
    assert "span" not in page and "git-footer" not in page and "&lt;" not in page
    assert 'href="https://example.org/e"' in page and "<strong>Copy</strong>" in page and "line<br>two" in page
    assert "Boxed text" in page and "<b>" not in page and "box" not in page
    assert "hidden comment" not in page and "alert" not in page and "p {}" not in page


def test_hrefs_round_trip() -> None:
    assert parse_href("item:concept%3Aa%20b") == ("item", "concept:a b")
    assert parse_href("create:A%20title%3F") == ("create", "A title?")
    assert parse_href("https://x.org") == ("external", "https://x.org")


def test_obsidian_comments_are_hidden_as_obsidian_hides_them(store: Store, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    write(vault, "a.md", "# Commented\n\nShown text %% a private remark %% and more.\n\n"
                         "%% wiki footer: do not edit below %%\n\nThe last paragraph.\n")
    index_folder(store, vault)
    page = page_for(store, "Commented")
    assert "private remark" not in page and "wiki footer" not in page and "%%" not in page
    assert "Shown text" in page and "and more." in page and "The last paragraph." in page


def test_a_run_page_states_a_shared_failed_gate_once_and_keeps_one_verdict_per_claim_test() -> None:
    from notesgraph.run_page import shared_gate, summarise_verdicts

    gate = "The template check failed: the animal template did not beat the entailment template."
    same = [("a", f"M{i}", "inconclusive", gate, i == 1) for i in range(3)]  # prompt_sensitivity's way
    summary = summarise_verdicts(same)
    assert summary.gate == gate and [v[1] for v in summary.primary] == ["M1"] and len(summary.others) == 2
    assert all(v[3] == "" for v in summary.primary + summary.others)
    close = ["The claimed 42.6 lies within the 95% interval [40.1, 44.0] (n=20, condition binary).",
             "The claimed 42.6 lies within the 95% interval [41.3, 43.9] (n=20, condition two_or_three)."]
    assert shared_gate(close) == ""  # a shared start that is no failed check
    it = "DR check: tuned - random = +1.7 (needs >= 10): failed, so no verdict."
    rows = [("t1", "all", "inconclusive", f"{it} (t1 all)", True), ("t1", "LI", "inconclusive", f"{it} (t1 LI)", False),
            ("t2", "LI", "inconclusive", f"{it} (t2 LI)", False), ("t2", "all", "inconclusive", f"{it} (t2 all)", True)]
    summary = summarise_verdicts(rows)
    assert summary.gate == it
    assert summary.primary == (("t1", "all", "inconclusive", "t1 all"), ("t2", "all", "inconclusive", "t2 all"))
