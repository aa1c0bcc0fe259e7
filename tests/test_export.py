"""Exports: the offline HTML page (checked in a real headless Chromium with no network), GEXF,
GraphML and node-link JSON, capped selections, the deterministic layout, and hostile titles."""

from __future__ import annotations

import io
import json
import math
import os
import re
from pathlib import Path

import networkx as nx
import pytest

from chromium import Chromium, colour_census, find_chromium
from conftest import write
from notesgraph.export import html_page, select_all, select_around, write_export
from notesgraph.graph import build_graph
from notesgraph.graph_queries import neighbourhood
from notesgraph.indexer import index_folder
from notesgraph.kinds import kind_style
from notesgraph.layout import SPACING, Placed, radial_layout
from notesgraph.lookup import find_note_id
from notesgraph.store import Store

SCRIPT_TITLE = "<script>alert(1)</script>"
IMG_TITLE = '<img src=x onerror="alert(2)" href="#">'
HOSTILE_LEDE = '"><svg onload=alert(3)> & </script><script>alert(4)</script>'


@pytest.fixture
def corpus(bundled_graph):
    return bundled_graph


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    """Notes whose titles and ledes are markup: they must show as text, never run."""
    folder = tmp_path_factory.mktemp("hostile")
    write(folder / "notes", "a.txt", f"{SCRIPT_TITLE}\n{HOSTILE_LEDE}\nBody paragraph.\n"
          "Related concepts in this collection 2\n-\n" + IMG_TITLE + "\nIts description.\nwhy they relate\n"
          "-\n<b>Bold stub</b> & co?\n<i>desc</i>\n<u>annotation</u>\n")
    write(folder / "notes", "b.txt", f"{IMG_TITLE}\nA plain lede.\nBody paragraph.\n")
    with Store(folder / "hostile.db") as store:
        index_folder(store, folder / "notes")
        yield store, build_graph(store)


# -- the page, statically ---------------------------------------------------------------------


def test_html_page_is_standalone(corpus) -> None:
    _, graph = corpus
    page = html_page(graph, select_all(graph))
    assert "vis-network" in page and "new vis.Network" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert "cdn.jsdelivr.net" not in page and "cdnjs.cloudflare.com" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert '"enabled": false' in page.split("var options = ", 1)[1][:2000].replace(" ", " ")
    data = json.JSONDecoder().raw_decode(page.split("nodes = new vis.DataSet(", 1)[1])[0]
    assert len(data) == graph.number_of_nodes()
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data)
    for kind in ("note", "concept", "inquiry", "paper"):
        assert kind_style(kind).label in page  # the legend


def test_hostile_titles_are_escaped_in_the_page(hostile, corpus) -> None:
    store, graph = hostile
    around = neighbourhood(graph, f"note:{find_note_id(store, SCRIPT_TITLE)}", 1)
    for page in (html_page(graph, select_all(graph)), html_page(graph, select_around(graph, around))):
        for raw in (SCRIPT_TITLE, IMG_TITLE, "<svg onload", "<script>alert(4)", "<b>Bold stub</b>"):
            assert raw not in page
        benign = html_page(corpus[1], select_all(corpus[1]))
        assert page.count("<script") == benign.count("<script")  # no script element added
    assert "&lt;script&gt;alert(1)&lt;/script&gt; — depth 1" in page  # the heading, as text
    nodes = json.loads(page.split("nodes = new vis.DataSet(", 1)[1].split(");", 1)[0])
    labels = {n["title"].split("\n")[0] for n in nodes}
    assert SCRIPT_TITLE in labels and IMG_TITLE in labels  # the data keeps the exact text


def test_a_capped_export_says_what_was_left_out(corpus) -> None:
    _, graph = corpus
    selection = select_all(graph, max_nodes=40, max_edges=50)
    assert len(selection.nodes) == 40 and len(selection.edges) <= 50
    kinds = [graph.nodes[n]["kind"] for n in selection.nodes]
    assert kinds[:10] == ["note"] * 10  # notes are kept first
    assert selection.left_out_nodes == graph.number_of_nodes() - 40 and selection.left_out_edges > 0
    text = selection.left_out_text()
    assert f"{graph.number_of_nodes() - 40} nodes" in text and "edges left out" in text
    assert text in html_page(graph, selection)
    everything = set(selection.nodes)
    assert all(u in everything and v in everything for u, v, _ in selection.edges)
    # The strongest edges are kept: every related link among the kept nodes (the top tier).
    related = {(u, v, k) for u, v, k in graph.edges(keys=True)
               if k == "related" and u in everything and v in everything}
    assert 0 < len(related) <= 50 and related <= set(selection.edges)


def test_file_formats_round_trip_with_every_attribute(corpus, tmp_path: Path) -> None:
    store, graph = corpus
    selection = select_all(graph)
    main = f"note:{find_note_id(store, 'instruction tuning teach')}"
    for fmt, read in (("gexf", nx.read_gexf), ("graphml", nx.read_graphml)):
        target = tmp_path / f"g.{fmt}"
        with open(target, "w", encoding="utf-8") as stream:
            write_export(graph, selection, fmt, stream)
        back = read(target)
        assert back.number_of_nodes() == graph.number_of_nodes()
        assert back.number_of_edges() == graph.number_of_edges()
        assert back.nodes[main]["kind"] == "note" and back.nodes[main]["path"].endswith(".txt")
        kinds = {d["kind"] for _, _, d in back.edges(data=True)}
        assert kinds == {"related", "mentions", "cites", "claims", "source_of", "cocited"}  # papers two notes list
    buffer = io.StringIO()
    write_export(graph, selection, "json", buffer)
    data = json.loads(buffer.getvalue())
    back = nx.node_link_graph(data, edges="edges")
    assert back.is_multigraph() and back.number_of_edges() == graph.number_of_edges()
    related = [d for u, v, k, d in back.edges(keys=True, data=True) if k == "related" and u == main]
    listed = store.note(int(main[5:]))["concepts"]
    assert sorted(d["order"] for d in related) == [c["position"] for c in listed]
    assert all(d["annotation"] for d in related)
    with pytest.raises(ValueError, match="unknown export format"):
        write_export(graph, selection, "pdf", io.StringIO())


# -- layout -----------------------------------------------------------------------------------


def test_layout_is_deterministic_centred_and_kinds_keep_their_side(corpus) -> None:
    store, graph = corpus
    centre = f"note:{find_note_id(store, 'instruction tuning teach')}"
    hood = neighbourhood(graph, centre, 2, max_nodes=80)
    selection = select_around(graph, hood)

    def placed(nodes):
        return [Placed(n, graph.nodes[n]["kind"], selection.depths[n], graph.nodes[n]["label"],
                       selection.parents[n]) for n in nodes]

    first = radial_layout(placed(selection.nodes))
    assert first == radial_layout(placed(reversed(selection.nodes)))  # input order does not matter
    assert first[centre] == (0.0, 0.0)
    # Depth-1 notes to the right, inquiries to the left.
    ring = [n for n in selection.nodes if selection.depths[n] == 1]
    notes = [first[n][0] for n in ring if graph.nodes[n]["kind"] == "note"]
    inquiries = [first[n][0] for n in ring if graph.nodes[n]["kind"] == "inquiry"]
    assert min(notes) > 0 and sum(inquiries) / len(inquiries) < 0
    # Rings grow with depth.
    radius = {n: math.hypot(*first[n]) for n in selection.nodes}
    assert max(radius[n] for n in ring) < min(radius[n] for n in selection.nodes if selection.depths[n] == 2)
    # One more node moves the others by less than a slot.
    extra = next(h for h in neighbourhood(graph, centre, 2, max_nodes=None).hits if h.node not in first)
    second = radial_layout(placed(selection.nodes) + [Placed(extra.node, graph.nodes[extra.node]["kind"],
                                                             2, graph.nodes[extra.node]["label"], extra.parent)])
    moved = [math.dist(first[n], second[n]) for n in selection.nodes]
    assert max(moved) < 2 * SPACING and sorted(moved)[len(moved) // 2] < SPACING


# -- in a real browser, offline ---------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if os.environ.get("NOTESGRAPH_REQUIRE_BROWSER"):
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run requires it")
    with Chromium(executable) as opened:
        yield opened


def open_page(browser: Chromium, page: str, path: Path) -> None:
    path.write_text(page, encoding="utf-8")
    browser.requests.clear()
    browser.open(path)
    browser.wait_until("document.body !== null && document.body.getAttribute('data-drawn') === '1'")


def assert_offline(browser: Chromium) -> None:
    assert browser.requests, "the page load was not logged"
    remote = [url for url in browser.requests if not url.startswith(("file:", "data:", "blob:", "about:"))]
    assert remote == []
    assert browser.dialogs == [] and browser.errors == []


def test_the_exported_page_draws_in_chromium_with_the_network_off(browser: Chromium, corpus, tmp_path: Path) -> None:
    _, graph = corpus
    open_page(browser, html_page(graph, select_all(graph)), tmp_path / "graph.html")
    assert browser.evaluate("nodes.length") == graph.number_of_nodes()
    assert browser.evaluate("network.physics.options.enabled") is False
    shot = browser.call("Page.captureScreenshot", session=True, format="png",
                        clip={"x": 0, "y": 0, "width": 1200, "height": 900, "scale": 0.25})
    import base64

    census = colour_census(base64.b64decode(shot["data"]), step=1)
    background, most = max(census.items(), key=lambda kv: kv[1])
    assert most < 0.97 * sum(census.values()), "the screenshot is blank"
    assert len(census) > 50
    note_blue = tuple(int(kind_style("note").colour[i:i + 2], 16) for i in (1, 3, 5))
    assert any(max(abs(a - b) for a, b in zip(colour, note_blue)) < 12 for colour in census)
    assert_offline(browser)


def hover(browser: Chromium, node: str) -> str:
    """Move the mouse onto a node and return the tooltip's text once it shows."""
    x, y = browser.evaluate(
        f"(() => {{ const p = network.canvasToDOM(network.getPosition({json.dumps(node)}));"
        " const r = document.getElementById('mynetwork').getBoundingClientRect();"
        " return [p.x + r.left, p.y + r.top]; })()")
    browser.mouse_move(x - 40, y - 40)
    browser.evaluate("document.querySelectorAll('div.vis-tooltip').forEach(t => t.textContent = '')")
    for dx in (0, 1, 2):  # vis-network shows the tooltip after a hover delay
        browser.mouse_move(x + dx, y)
    browser.wait_until("(() => { const t = document.querySelector('div.vis-tooltip');"
                       " return t && t.style.visibility !== 'hidden' && t.textContent.length > 0; })()")
    return browser.evaluate("document.querySelector('div.vis-tooltip').textContent")


def test_hostile_titles_show_as_text_in_chromium(browser: Chromium, hostile, tmp_path: Path) -> None:
    store, graph = hostile
    open_page(browser, html_page(graph, select_all(graph)), tmp_path / "hostile.html")
    scripts = browser.evaluate("document.scripts.length")
    script_node = f"note:{find_note_id(store, SCRIPT_TITLE)}"
    img_node = f"note:{find_note_id(store, IMG_TITLE)}"
    tooltip = hover(browser, script_node)
    assert tooltip.startswith(SCRIPT_TITLE) and HOSTILE_LEDE in tooltip
    assert hover(browser, img_node).startswith(IMG_TITLE)
    # Set as text: the only elements inside are the line breaks innerText makes of newlines,
    # nothing anywhere in the page was made from a note, and nothing ran.
    assert browser.evaluate("[...document.querySelectorAll('div.vis-tooltip *')].map(e => e.tagName)"
                            ".filter(t => t !== 'BR')") == []
    assert browser.evaluate("document.querySelectorAll('img, svg, b, i, u').length") == 0
    assert browser.evaluate("document.scripts.length") == scripts == 4
    assert_offline(browser)
    # A neighbourhood page puts the hostile title in its heading: as text too.
    open_page(browser, html_page(graph, select_around(graph, neighbourhood(graph, script_node, 1))),
              tmp_path / "around.html")
    assert browser.evaluate("document.querySelector('#ng-header h1').textContent") == f"{SCRIPT_TITLE} — depth 1"
    assert browser.evaluate("document.querySelectorAll('img, svg, b, i, u').length") == 0
    assert_offline(browser)


def test_the_offline_check_reads_tags_not_the_data_in_scripts() -> None:
    from notesgraph.export import _remote_reference

    assert _remote_reference('<link rel="stylesheet" href="https://cdn.example.org/a.css">')
    assert _remote_reference("<SCRIPT SRC=//cdn.example.org/a.js></SCRIPT>")
    assert _remote_reference('<img src=" HTTP://example.org/x.png"/>')
    data = '<script>var nodes = [{"title": "src=https://example.org \\u003cimg src=http://x\\u003e"}];</script>'
    assert _remote_reference(f"<p>src=https://example.org/fig.png is text</p>{data}") == ""
    assert _remote_reference('<img src="fig.png"><a href="#top">top</a>') == ""


# -- reading the page: labels, legend, search, kind filters (issue 15) ------------------------


def test_the_page_has_a_search_box_kind_filters_and_label_priorities(corpus) -> None:
    store, graph = corpus
    around = neighbourhood(graph, f"note:{find_note_id(store, 'instruction tuning teach')}", 2)
    page = html_page(graph, select_around(graph, around))
    assert 'id="ng-search"' in page and 'type="search"' in page
    kinds = sorted({graph.nodes[n]["kind"] for n in around.nodes})
    for kind in kinds:  # one checkbox per kind shown, in the legend
        assert f'<input type="checkbox" checked data-kind="{kind}">' in page
        assert kind_style(kind).plural in page
    nodes = json.JSONDecoder().raw_decode(page.split("nodes = new vis.DataSet(", 1)[1])[0]
    assert "label" not in nodes[0]  # the page's script draws the labels, not vis-network
    assert sorted(n["rank"] for n in nodes) == list(range(len(nodes)))
    by_rank = sorted(nodes, key=lambda n: n["rank"])
    assert by_rank[0]["id"] == around.centre and by_rank[0]["r"] == 24
    assert all("\n" not in n["text"] and n["text"] == graph.nodes[n["id"]]["label"].strip() for n in nodes[:20])
    assert "ngSearch" in page and "<script src" not in page.lower()  # the script is inline


def visible_labels(browser: Chromium) -> list[dict]:
    """The labels the page drew last, each {id, text, rect: [x, y, w, h]} in CSS pixels;
    asserts that no two overlap."""
    labels = browser.evaluate("window.ngLabels")
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = a["rect"], b["rect"]
            assert not (ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah), (a, b)
    return labels


def test_searching_the_page_in_chromium_focuses_the_node_and_filters_hide_kinds(
        browser: Chromium, corpus, tmp_path: Path) -> None:
    store, graph = corpus
    open_page(browser, html_page(graph, select_all(graph)), tmp_path / "search.html")
    main = f"note:{find_note_id(store, 'instruction tuning teach')}"
    overview = visible_labels(browser)
    assert len(overview) >= 30 and all(label["rect"][3] == 18 for label in overview)
    assert any(label["text"].endswith("…") for label in overview)
    # Typed as a user types: focus the box, insert the text.
    browser.evaluate("document.getElementById('ng-search').focus()")
    browser.call("Input.insertText", session=True, text="instruction tuning teach")
    browser.wait_until(f"document.body.getAttribute('data-focused') === {json.dumps(main)}")
    assert browser.evaluate("network.getSelectedNodes()") == [main]
    # Focused: the node sits in the middle of the canvas, zoomed in enough to read labels.
    x, y, width, height, scale = browser.evaluate(
        f"(() => {{ const p = network.canvasToDOM(network.getPosition({json.dumps(main)}));"
        " const c = document.getElementById('mynetwork');"
        " return [p.x, p.y, c.clientWidth, c.clientHeight, network.getScale()]; })()")
    assert abs(x - width / 2) < 5 and abs(y - height / 2) < 5 and scale >= 1.2
    close = visible_labels(browser)
    assert close[0]["id"] == main and close[0]["text"].startswith("Does instruction tuning teach")
    assert re.match(r"1 of \d+: Does instruction tuning teach task understanding or output format\?$",
                    browser.evaluate("document.getElementById('ng-found').textContent"))
    # Several matches: Enter walks through them.
    matches = browser.evaluate("ngSearch('instruction')")
    assert len(matches) > 2 and main in matches
    browser.call("Input.dispatchKeyEvent", session=True, type="keyDown", key="Enter", code="Enter",
                 windowsVirtualKeyCode=13)
    assert browser.evaluate("network.getSelectedNodes()") == [matches[1]]
    # The legend's checkboxes hide and show a kind.
    inquiry = next(n for n in graph if graph.nodes[n]["kind"] == "inquiry")
    title = graph.nodes[inquiry]["label"]
    assert inquiry in browser.evaluate(f"ngSearch({json.dumps(title)})")
    browser.evaluate("document.querySelector('input[data-kind=inquiry]').click()")
    assert browser.evaluate("nodes.get({filter: n => n.group === 'inquiry' && !n.hidden}).length") == 0
    assert browser.evaluate("nodes.get({filter: n => n.group === 'note' && !n.hidden}).length") > 0
    assert browser.evaluate(f"ngSearch({json.dumps(title)})") == []
    browser.evaluate("document.querySelector('input[data-kind=inquiry]').click()")
    assert browser.evaluate("nodes.get({filter: n => n.group === 'inquiry' && n.hidden}).length") == 0
    assert_offline(browser)
