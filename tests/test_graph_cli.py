"""The graph commands (neighbours, trace, path, export), run the way a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from conftest import NOTES, SEED, write
from notesgraph.cli import main

MAIN = "Does instruction tuning teach task understanding or output format?"
COT = "Why do chain-of-thought examples fail across different conditions?"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("graph-cli") / "corpus.db")
    assert main(["index", str(NOTES), "--db", db, "--no-embed", "--json"]) == 0
    return db


@pytest.fixture
def seed_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    write(tmp_path / "seed", "seed.txt", SEED.read_text(encoding="utf-8"))
    db = str(tmp_path / "seed.db")
    assert main(["index", str(tmp_path / "seed"), "--db", db, "--no-embed", "--json"]) == 0
    capsys.readouterr()
    return db


def test_neighbours(capsys, corpus_db: str) -> None:
    code, out, err = run(capsys, "neighbours", "instruction", "tuning", "teach", "--db", corpus_db)
    assert code == 0, err
    assert out.startswith(MAIN) and "Depth 1" in out and "Depth 2" not in out
    assert f"note     {COT}  [note:" in out and "]  (-> related)" in out
    code, out, _ = run(capsys, "neighbours", MAIN, "--depth", "2", "--max-nodes", "10", "--db", corpus_db)
    assert code == 0 and "more within depth 2 not shown (raise --max-nodes)" in out
    code, out, _ = run(capsys, "neighbours", MAIN, "--depth", "2", "--kind", "note", "--json", "--db", corpus_db)
    data = json.loads(out)
    assert {n["kind"] for n in data["nodes"]} == {"note"} and data["left_out"] == 0
    assert data["nodes"][0] == {"id": data["centre"], "kind": "note", "label": MAIN, "depth": 0,
                                "strength": 1.0, "parent": None, "edge": None, "outgoing": False}
    assert {n["depth"] for n in data["nodes"]} == {0, 1, 2}


def test_neighbours_of_the_seed(capsys, seed_db: str) -> None:
    code, out, _ = run(capsys, "neighbours", "output format", "--json", "--db", seed_db)
    kinds: dict[str, int] = {}
    for node in json.loads(out)["nodes"][1:]:
        kinds[node["kind"]] = kinds.get(node["kind"], 0) + 1
    assert code == 0 and kinds == {"concept": 5, "paper": 8, "inquiry": 122, "claim": 6}


def test_neighbours_of_unknown_things(capsys, corpus_db: str) -> None:
    code, _, err = run(capsys, "neighbours", "no such note at all", "--db", corpus_db)
    assert code == 1 and "no item titled" in err
    code, _, err = run(capsys, "neighbours", "paper:9999", "--db", corpus_db)
    assert code == 1 and "paper:9999 is not in the graph" in err


def test_trace(capsys, corpus_db: str) -> None:
    code, out, err = run(capsys, "trace", "What makes a good in-context learning example", "--db", corpus_db)
    assert code == 0, err
    assert "Sources (3)" in out and MAIN in out
    assert "Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?  [paper:" in out
    assert "(cited by 2 sources, best rank" in out and "(cited by 1 source," in out
    code, out, _ = run(capsys, "trace", "good in-context learning example", "--json", "--db", corpus_db)
    data = json.loads(out)
    code2, out2, _ = run(capsys, "trace", data["inquiry"], "--json", "--db", corpus_db)
    assert code2 == 0 and json.loads(out2) == data
    code, _, err = run(capsys, "trace", "does", "--db", corpus_db)
    assert code == 1 and "inquiries" in err and "type more" in err


def test_trace_on_the_seed(capsys, seed_db: str) -> None:
    code, out, _ = run(capsys, "trace", "Can format adaptation alone explain", "--json", "--db", seed_db)
    data = json.loads(out)
    assert code == 0 and [s["title"] for s in data["sources"]] == [MAIN]
    assert [p["rank"] for p in data["sources"][0]["papers"]] == list(range(1, 9))


def test_path(capsys, corpus_db: str) -> None:
    code, out, err = run(capsys, "path", MAIN, COT, "--db", corpus_db)
    assert code == 0, err
    assert "1 step" in out and f'"{MAIN}" lists "{COT}" as related concept #' in out
    code, out, _ = run(capsys, "path", "Can models pass tests", "small models reason", "--json", "--db", corpus_db)
    data = json.loads(out)
    assert code == 0 and data["steps"] and all(s["text"] for s in data["steps"])
    ends = [data["steps"][0]["source"] if data["steps"][0]["forward"] else data["steps"][0]["target"]]
    assert ends[0] == data["from"]


def test_path_on_the_seed_and_no_path(capsys, seed_db: str) -> None:
    code, out, _ = run(capsys, "path", MAIN, "paper:1", "--db", seed_db)
    assert code == 0 and "1 step" in out and "mentions the paper" in out
    code, _, err = run(capsys, "path", "inquiry:1", "inquiry:2", "--edge", "related", "--db", seed_db)
    assert code == 1 and "no path between inquiry:1 and inquiry:2" in err


def test_export_every_format(capsys, corpus_db: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for fmt in ("html", "gexf", "graphml", "json"):
        code, out, err = run(capsys, "export", "--format", fmt, "--db", corpus_db)
        assert code == 0, err
        assert out.startswith(f"wrote notesgraph.{fmt}: 194 nodes")  # 148 + the 46 claims (2 inquiries are notes)
    assert nx.read_gexf(tmp_path / "notesgraph.gexf").number_of_nodes() == 194
    page = (tmp_path / "notesgraph.html").read_text(encoding="utf-8")
    assert "<title>notesgraph</title>" in page and 'src="http' not in page
    code, out, _ = run(capsys, "export", "--format", "json", "-o", "-", "--db", corpus_db)
    assert code == 0 and len(json.loads(out)["nodes"]) == 194
    code, out, _ = run(capsys, "export", "--around", "instruction tuning teach", "--depth", "1",
                       "-o", "around.html", "--json", "--db", corpus_db)
    summary = json.loads(out)
    assert code == 0 and summary["file"] == str(tmp_path / "around.html")
    assert 30 < summary["nodes"] < 150 and summary["left_out_nodes"] == 0
    code, out, _ = run(capsys, "export", "--max-nodes", "20", "--max-edges", "15", "-o", "small.html",
                       "--db", corpus_db)
    assert code == 0 and "174 nodes and" in out and "edges left out" in out
    assert "174 nodes and" in (tmp_path / "small.html").read_text(encoding="utf-8")


def test_similar_edges_come_from_the_stored_vectors(capsys, embedded_store) -> None:
    code, out, err = run(capsys, "neighbours", MAIN, "--similar", "--edge", "similar", "--json",
                         "--db", embedded_store.path)
    assert code == 0, err
    data = json.loads(out)
    assert 5 <= len(data["nodes"]) - 1 <= 9  # its own top 5, and notes that have it in theirs
    assert {n["edge"] for n in data["nodes"][1:]} == {"similar"} and {n["kind"] for n in data["nodes"][1:]} == {"note"}
    code, out, _ = run(capsys, "neighbours", MAIN, "--edge", "similar", "--json", "--db", embedded_store.path)
    assert code == 0 and len(json.loads(out)["nodes"]) == 1  # without --similar there are none


def test_any_items_title_names_it_and_listings_print_ids(capsys, corpus_db: str) -> None:
    paper = "Training language models to follow instructions with human feedback"
    code, out, err = run(capsys, "path", "instruction tuning teach", paper, "--db", corpus_db)
    assert code == 0, err  # a fragment of a note's title, a paper's whole title
    assert out.startswith(f"{MAIN} [note:") and f"{paper} [paper:" in out
    code, out, _ = run(capsys, "show", paper, "--db", corpus_db)
    assert code == 0 and out.startswith(f"{paper}  [paper:") and "Listed by" in out and "[note:" in out
    code, out, _ = run(capsys, "show", "What makes a good in-context learning example", "--db", corpus_db)
    assert code == 0 and "[inquiry:" in out.splitlines()[0] and "Source notes (3)" in out
    inquiry = out.splitlines()[0].rsplit("[", 1)[1].rstrip("]")
    code, out, _ = run(capsys, "trace", inquiry, "--db", corpus_db)
    assert code == 0 and all("[note:" in line for line in out.splitlines() if line.strip()[:4].rstrip(".").isdigit())


def test_near_misses_of_any_length_get_suggestions(capsys, corpus_db: str) -> None:
    code, _, err = run(capsys, "show", "grammer", "--db", corpus_db)
    assert code == 1 and "did you mean: Can models pass tests while missing the actual grammar? [note:" in err
    code, _, err = run(capsys, "neighbours", "instrction tuning tech", "--db", corpus_db)
    assert code == 1 and f"did you mean: {MAIN} [note:" in err


def test_an_empty_index_says_so(capsys, tmp_path: Path) -> None:
    for command in (["show", "anything"], ["neighbours", "instruction tuning teach"], ["related", "x"]):
        code, _, err = run(capsys, *command, "--db", str(tmp_path / "empty.db"))
        assert code == 1 and "the index is empty: run `notesgraph index DIR`" in err, command


# -- exports of ordinary text that looks like markup or is not XML ---------------------------------

URL_NOTE = ("Where do the figures come from?\nThe slides used src=https://example.org/fig.png and "
            "href=//cdn.example.org/a.css, and <img src='http://example.org/x.png'> as text.\nBody.\n")
CONTROL_NOTE = ("Escape\x1b sequences in titles?\nA lede with a form feed\x0c and a vertical tab\x0b.\n"
                "Body.\nRelated concepts in this collection 1\n-\nStub\x1b concept\nIts\x0c description.\nwhy\n")


def _db_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], **notes: str) -> str:
    for name, text in notes.items():
        write(tmp_path / "notes", f"{name}.txt", text)
    db = str(tmp_path / "notes.db")
    assert main(["index", str(tmp_path / "notes"), "--db", db, "--no-embed", "--json"]) == 0
    capsys.readouterr()
    return db


def test_a_note_naming_remote_urls_exports_as_html(capsys, tmp_path: Path) -> None:
    db = _db_of(tmp_path, capsys, urls=URL_NOTE)
    target = tmp_path / "graph.html"
    target.write_text("the previous export", encoding="utf-8")
    code, out, err = run(capsys, "export", "-o", str(target), "--db", db)
    assert code == 0 and "Traceback" not in err, err
    page = target.read_text(encoding="utf-8")
    assert "src=https://example.org/fig.png" in page  # the note's text, as data
    assert "\\u003cimg src=\\u0027http://example.org/x.png\\u0027\\u003e" in page  # never a tag
    assert 'src="http' not in page and "default-src 'none'" in page


def test_a_failed_export_leaves_the_old_file_whole(capsys, tmp_path: Path) -> None:
    from notesgraph.export import select_all, write_export_file
    from notesgraph.graph import build_graph
    from notesgraph.store import Store

    db = _db_of(tmp_path, capsys, urls=URL_NOTE)
    target = tmp_path / "out" / "graph.gexf"
    target.parent.mkdir()
    target.write_text("the previous export", encoding="utf-8")
    with Store(db) as store:
        graph = build_graph(store)
    with pytest.raises(ValueError, match="unknown export format"):
        write_export_file(graph, select_all(graph), "pdf", target)
    assert target.read_text(encoding="utf-8") == "the previous export"
    assert [p.name for p in target.parent.iterdir()] == ["graph.gexf"]  # no temporary file left
    write_export_file(graph, select_all(graph), "gexf", target)
    assert nx.read_gexf(target).number_of_nodes() == graph.number_of_nodes()


def test_control_characters_export_as_xml_networkx_reads_back(capsys, tmp_path: Path) -> None:
    db = _db_of(tmp_path, capsys, control=CONTROL_NOTE)
    for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        target = tmp_path / f"graph.{fmt}"
        code, out, err = run(capsys, "export", "--format", fmt, "-o", str(target), "--db", db)
        assert code == 0, err
        back = read(target)
        labels = {data.get("label", "") for _, data in back.nodes(data=True)}
        assert "Escape\\x1b sequences in titles?" in labels  # shown escaped, not dropped silently
        assert err.count("warning") == 1 and "XML" in err  # said once
    code, out, err = run(capsys, "export", "--format", "json", "-o", str(tmp_path / "g.json"), "--db", db)
    assert code == 0 and err == ""  # JSON holds every character: nothing to say
    assert any("\x1b" in n.get("label", "") for n in json.loads((tmp_path / "g.json").read_text())["nodes"])
