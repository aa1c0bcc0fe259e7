"""Pages copied from the site that are an inquiry's or a paper's own page are indexed as that
inquiry or paper: one node with the inquiry or paper the other notes list."""

from __future__ import annotations

import shutil
from pathlib import Path

from notesgraph.graph import build_graph, note_of_node, refresh_graph
from notesgraph.indexer import index_folder
from notesgraph.store import Store

PAGES = Path(__file__).resolve().parent / "data" / "page_layouts"
INQUIRY = "Why do strong models follow formatting instructions less reliably than weaker ones?"
PAPER = "Synthetic Preference Data from Self-Critique at Scale"
LISTING = f"""Do larger models obey output formats worse?
A note that lists the inquiry and the paper that have pages of their own.
Larger models break requested formats more often, by the sources below.
Inquiring lines that use this note as a source 1
- {INQUIRY}
Related papers in this collection 1
- {PAPER}
"""


def _nodes(graph, kind: str, label: str) -> list[str]:
    return [n for n, a in graph.nodes(data=True) if a.get("kind") == kind and a.get("label") == label]


def _same(graph, store: Store) -> None:
    full = build_graph(store)
    assert dict(graph.nodes(data=True)) == dict(full.nodes(data=True))
    assert sorted(graph.edges(keys=True)) == sorted(full.edges(keys=True))


def test_an_inquiry_page_and_a_paper_page_are_the_items_they_describe(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "listing.txt").write_text(LISTING, encoding="utf-8")
    for name in ("inquiry.txt", "paper.txt"):
        shutil.copy(PAGES / name, folder / name)
    with Store(tmp_path / "db.sqlite") as store:
        index_folder(store, folder)
        graph = build_graph(store)
        [inquiry] = _nodes(graph, "inquiry", INQUIRY)  # one node: the listed inquiry is the page
        [paper] = _nodes(graph, "paper", PAPER)
        assert graph.nodes[inquiry]["path"] == str(folder / "inquiry.txt")
        assert note_of_node(graph, inquiry) is not None and note_of_node(graph, paper) is not None
        assert [n for n, a in graph.nodes(data=True) if a.get("kind") == "note"] == \
            [n for n, a in graph.nodes(data=True) if a.get("path") == str(folder / "listing.txt")]
        listing = _nodes(graph, "note", "Do larger models obey output formats worse?")[0]
        assert graph.has_edge(listing, inquiry, "source_of") and graph.has_edge(listing, paper, "cites")
        assert store.stats()["inquiries"] >= 1

        # Without the page the inquiry stays (the note still lists it), without its page.
        (folder / "inquiry.txt").unlink()
        index_folder(store, folder)
        refresh_graph(graph, store)
        [inquiry] = _nodes(graph, "inquiry", INQUIRY)
        assert "path" not in graph.nodes[inquiry]
        _same(graph, store)
        # The page comes back; the paper page stops being one (its metadata line is gone).
        shutil.copy(PAGES / "inquiry.txt", folder / "inquiry.txt")
        text = (folder / "paper.txt").read_text(encoding="utf-8")
        (folder / "paper.txt").write_text("\n".join(l for l in text.split("\n") if "arXiv" not in l),
                                          encoding="utf-8")
        index_folder(store, folder)
        refresh_graph(graph, store)
        assert graph.nodes[_nodes(graph, "inquiry", INQUIRY)[0]]["path"] == str(folder / "inquiry.txt")
        _same(graph, store)


def test_an_inquiry_page_alone_makes_its_inquiry(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(PAGES / "inquiry.txt", folder / "inquiry.txt")
    with Store(tmp_path / "db.sqlite") as store:
        index_folder(store, folder)
        store.prune_orphans()
        [inquiry] = _nodes(build_graph(store), "inquiry", INQUIRY)
        assert store.inquiry(int(inquiry.split(":")[1]))["text"] == INQUIRY


def test_graph_commands_take_a_page_by_its_file_and_show_its_item(tmp_path: Path, capsys) -> None:
    from notesgraph.cli import main

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "listing.txt").write_text(LISTING, encoding="utf-8")
    shutil.copy(PAGES / "inquiry.txt", folder / "inquiry.txt")
    db = str(tmp_path / "db.sqlite")
    assert main(["index", str(folder), "--no-embed", "--db", db]) == 0
    capsys.readouterr()
    # The page is a note to the lookup (its file), and the inquiry's node in the graph.
    assert main(["neighbours", str(folder / "inquiry.txt"), "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{INQUIRY}  [inquiry:") and "Do larger models obey output formats worse?" in out
    assert main(["path", str(folder / "inquiry.txt"), "Do larger models obey", "--db", db]) == 0
    assert "1 step" in capsys.readouterr().out


def test_rankings_stay_in_order_when_a_page_lists_papers_and_inquiries_too(tmp_path: Path) -> None:
    """Edges are appended in note-id order while building, which is ranking order only while
    every note is a `note:` node: a page shown as its inquiry's node sorts before every note."""
    from notesgraph.graph_ranking import _ranking_from_adjacency

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a-listing.txt").write_text(LISTING + "- Another shared question?\n", encoding="utf-8")
    page = (PAGES / "inquiry.txt").read_text(encoding="utf-8").rstrip("\n")
    (folder / "z-page.txt").write_text(  # indexed after the listing: a higher note id
        page + f"\nInquiring lines that use this note as a source 1\n- Another shared question?\n"
               f"Related papers in this collection 1\n- {PAPER}\n", encoding="utf-8")
    with Store(tmp_path / "db.sqlite") as store:
        index_folder(store, folder)
        graph = build_graph(store)
        [inquiry] = _nodes(graph, "inquiry", INQUIRY)
        assert "page" in graph.nodes[inquiry] and graph.has_edge(inquiry, _nodes(graph, "paper", PAPER)[0], "cites")
        assert {node: flat for node, flat in graph._ranked.items() if flat != _ranking_from_adjacency(graph, node)} == {}
