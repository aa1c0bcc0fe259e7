"""The user's reference library: BibTeX, CSL-JSON and RIS import (bad entries, re-import),
matching to the papers notes cite, citations resolved through it, paper edges and BibTeX out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NOTES, write
from notesgraph.cli import main
from notesgraph.graph import _ranking_from_adjacency, build_graph, refresh_graph, set_similar_edges
from notesgraph.indexer import index_folder
from notesgraph.library import CLOSE_TITLE_SCORE, bibtex_for, import_library, papers_for
from notesgraph.paper_map import set_paper_edges
from notesgraph.parsing.library import LibraryFileError, entry_bibtex, parse_library, parse_library_text
from notesgraph.parsing.references import find_references
from notesgraph.store import Store

NOTE = """---
title: What do prompts teach?
---
# What do prompts teach?

A lede about prompts.

Webson & Pavlick (2021) found misleading templates learned as fast as instructive ones, 71% either way.

"Calibrate Before Use" (2102.09690) traced instability to a majority-label bias of 12 points.

Min et al. (2022) replaced gold labels with random ones and lost under 5% accuracy.

## Related papers
1. Do Prompt-Based Models Really Understand the Meaning of Their Prompts?
2. Calibrate Before Use: Improving Few-Shot Performance of Language Models
3. Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?
"""
OTHER = """# Which demonstrations matter?

Lede.

Body.

## Related papers
1. Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?
2. Calibrate Before Use: Improving Few-Shot Performance of Language Models
"""

BIB = r"""@inproceedings{webson2022prompt,
  title = {Do Prompt-Based Models Really Understand the Meaning of Their Prompts?},
  author = {Webson, Albert and Pavlick, Ellie},
  booktitle = {Proceedings of NAACL},
  year = {2022},
  eprint = {2109.01247},
  archivePrefix = {arXiv},
  abstract = {Irrelevant and misleading templates teach about as fast as instructive ones.}
}

@inproceedings{zhao2021calibrate,
  title = {Calibrate before use: improving few-shot performance of language models},
  author = {Zhao, Tony Z. and Wallace, Eric and Feng, Shi and Klein, Dan and Singh, Sameer},
  year = {2021}
}

@article{broken,
  title = {Unclosed
@inproceedings{min2022rethinking,
  title = {Rethinking the Role of Demonstration: What Makes In-Context Learning Work},
  author = {Min, Sewon and Lyu, Xinxi and Holtzman, Ari and others},
  year = {2022},
  url = {https://arxiv.org/abs/2202.12837v2}
}

@misc{untitled, year = {2020}}

@article{pavlick2019linzen,
  title = {A paper no note cites},
  author = {Pavlick, Ellie and Linzen, Tal},
  journal = {TACL},
  year = {2019},
  doi = {https://doi.org/10.1162/TACL_A_00293}
}
"""


@pytest.fixture
def indexed(tmp_path: Path, store: Store) -> Store:
    folder = tmp_path / "notes"
    write(folder, "prompts.md", NOTE)
    write(folder, "demos.md", OTHER)
    index_folder(store, folder)
    return store


def note_id(store: Store, title: str) -> int:
    return next(n["id"] for n in store.note_titles() if n["title"] == title)


def paper_id(store: Store, title: str) -> int:
    return store.rows("SELECT id FROM papers WHERE title = ?", [title])[0]["id"]


# -- parsing ---------------------------------------------------------------------------------------

def test_bibtex_entries_with_their_fields_and_bad_ones_with_line_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.bib", BIB)
    entries, problems = parse_library(path)
    assert [e.citation_key for e in entries] == ["webson2022prompt", "zhao2021calibrate", "min2022rethinking",
                                                 "pavlick2019linzen"]
    webson, _, minetal, pavlick = entries
    assert webson.authors == (("Webson", "Albert"), ("Pavlick", "Ellie")) and webson.year == 2022
    assert webson.arxiv == "2109.01247" and webson.venue == "Proceedings of NAACL" and webson.line == 1
    assert webson.bibtex.startswith("@inproceedings{webson2022prompt,") and "abstract" in webson.bibtex
    assert minetal.arxiv == "2202.12837" and minetal.authors[-1] == ("others", "")
    assert pavlick.doi == "10.1162/tacl_a_00293"
    assert [(p.line, p.reason.split(":")[0]) for p in problems] == [(17, "@article entry not readable"),
                                                                    (26, "@misc{untitled")]
    assert str(problems[0]).startswith(f"{path}:17: ")
    assert "no title" in problems[1].reason


CSL = """[
  {"id": "webson", "type": "paper-conference",
   "title": "Do Prompt-Based Models Really Understand the Meaning of Their Prompts?",
   "author": [{"family": "Webson", "given": "Albert"}, {"family": "Pavlick", "given": "Ellie"}],
   "issued": {"date-parts": [[2022, 7]]}, "container-title": "NAACL",
   "DOI": "10.18653/v1/2022.naacl-main.167", "URL": "https://arxiv.org/abs/2109.01247",
   "keyword": "prompts, nli"},
  "not an object",
  {"id": "empty", "author": [{"family": "Nobody"}]},
  {"id": "lit", "title": "By a group", "author": [{"literal": "BigScience Workshop"}], "issued": {"raw": "2022"}}
]
"""


def test_csl_json_items_keep_their_lines_and_bad_items_are_reported(tmp_path: Path) -> None:
    entries, problems = parse_library(write(tmp_path, "refs.json", CSL))
    assert [e.citation_key for e in entries] == ["webson", "lit"]
    webson, group = entries
    assert webson.year == 2022 and webson.venue == "NAACL" and webson.doi == "10.18653/v1/2022.naacl-main.167"
    assert webson.arxiv == "2109.01247" and webson.keywords == ("prompts", "nli") and webson.line == 2
    assert group.authors == (("BigScience Workshop", ""),) and group.year == 2022 and group.line == 10
    assert [(p.line, p.reason) for p in problems] == [
        (8, "a CSL-JSON item must be an object, not str"), (9, "item 'empty': no title")]
    assert "@inproceedings{webson," in entry_bibtex(webson) and "doi = {10.18653" in entry_bibtex(webson)


def test_broken_json_is_one_error_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(LibraryFileError, match=r"refs.json:3: not valid JSON"):
        parse_library(write(tmp_path, "refs.json", '[\n  {"id": "a",\n   "title": }\n]'))
    with pytest.raises(LibraryFileError, match="unknown library format '.txt'"):
        parse_library(write(tmp_path, "refs.txt", "x"))


RIS = """TY  - JOUR
ID  - zhao2021
AU  - Zhao, Tony Z.
AU  - Wallace, Eric
TI  - Calibrate Before Use: Improving Few-Shot Performance of Language Models
PY  - 2021
T2  - ICML
UR  - https://arxiv.org/abs/2102.09690
AB  - Contextual calibration removes majority-label and recency biases.
KW  - few-shot
KW  - calibration
ER  - 

stray line
TY  - GEN
AU  - Nobody, A.
ER  - 
TY  - CONF
TI  - Never closed
"""


def test_ris_records_and_their_problems(tmp_path: Path) -> None:
    entries, problems = parse_library(write(tmp_path, "refs.ris", RIS))
    (zhao,) = entries
    assert zhao.citation_key == "zhao2021" and zhao.authors == (("Zhao", "Tony Z."), ("Wallace", "Eric"))
    assert zhao.year == 2021 and zhao.venue == "ICML" and zhao.arxiv == "2102.09690"
    assert zhao.keywords == ("few-shot", "calibration") and zhao.abstract.startswith("Contextual") and zhao.line == 1
    assert [(p.line, p.reason) for p in problems] == [
        (14, "text outside a 'TY  -' ... 'ER  -' record"), (15, "record has no title (TI or T1)"),
        (18, "record has no 'ER  -' line (the file ends inside it)")]


def test_entries_without_a_key_get_one_and_dois_are_found_in_text() -> None:
    entries, _ = parse_library_text("TY  - JOUR\nAU  - Müller, Jörg\nTI  - Über Prompts\nPY  - 2020\nER  - \n",
                                    "x.ris", "ris")
    assert entries[0].citation_key == "muller2020uber"
    refs = find_references(["See doi:10.1162/TACL_A_00293, and https://doi.org/10.18653/v1/2022.naacl-main.167."])
    assert [(r.kind, r.text) for r in refs if r.kind == "doi"] == [
        ("doi", "10.1162/tacl_a_00293"), ("doi", "10.18653/v1/2022.naacl-main.167")]


# -- importing -------------------------------------------------------------------------------------

def test_import_matches_cited_papers_and_keeps_the_rest_as_library_papers(tmp_path: Path, indexed: Store) -> None:
    store = indexed
    report = import_library(store, write(tmp_path, "refs.bib", BIB))
    how = {m.citation_key: (m.how, m.score, m.paper_title) for m in report.matches}
    webson = "Do Prompt-Based Models Really Understand the Meaning of Their Prompts?"
    assert how["webson2022prompt"] == ("title", 100.0, webson)
    assert how["zhao2021calibrate"] == ("title", 100.0, "Calibrate Before Use: Improving Few-Shot Performance "
                                                         "of Language Models")  # case and punctuation only
    close = how["min2022rethinking"]
    assert close[0] == "close title" and CLOSE_TITLE_SCORE <= close[1] < 100
    assert close[2] == "Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?"
    assert how["pavlick2019linzen"][0] == "" and report.added == 4 and report.matched == 3
    assert [p.line for p in report.problems] == [17, 26]
    entry = store.paper_entry(paper_id(store, webson))
    assert entry is not None and entry.year == 2022 and entry.abstract.startswith("Irrelevant")
    library_only = paper_id(store, "A paper no note cites")
    assert store.paper(library_only)["notes"] == []
    store.prune_orphans()  # what every index run does: a library paper stays
    assert store.paper_entry(library_only) is not None


def test_reimport_updates_in_place_and_a_removed_entry_keeps_its_paper(tmp_path: Path, indexed: Store) -> None:
    store = indexed
    path = write(tmp_path, "refs.bib", BIB)
    import_library(store, path)
    ids = {m.citation_key: m.paper_id for m in import_library(store, path).matches}
    changed = BIB.replace("booktitle = {Proceedings of NAACL}", "booktitle = {NAACL 2022}")
    changed = changed[:changed.index("@inproceedings{zhao2021calibrate")] + changed[changed.index("@article{broken"):]
    report = import_library(store, write(tmp_path, "refs.bib", changed))
    assert report.added == 0 and report.updated == 3 and report.removed == 1
    assert {m.citation_key: m.paper_id for m in report.matches} == {k: v for k, v in ids.items() if k != "zhao2021calibrate"}
    assert store.paper_entry(ids["webson2022prompt"]).venue == "NAACL 2022"
    assert store.paper_entry(ids["zhao2021calibrate"]) is None  # its entry went; the paper notes list stays
    assert store.paper(ids["zhao2021calibrate"])["notes"]
    assert len(store.library_index()) == 3
    renamed = changed.replace("title = {A paper no note cites}", "title = {A paper no note cites, renamed}")
    report = import_library(store, write(tmp_path, "refs.bib", renamed))
    assert store.paper(ids["pavlick2019linzen"])["title"] == "A paper no note cites, renamed"  # only the library has it


def test_an_id_written_next_to_a_quoted_title_matches_a_renamed_entry(tmp_path: Path, indexed: Store) -> None:
    ris = RIS.split("\n\n")[0].replace("TI  - Calibrate Before Use: Improving Few-Shot Performance of Language Models",
                                       "TI  - A title the notes never use")
    report = import_library(indexed, write(tmp_path, "refs.ris", ris + "\n"))
    (match,) = report.matches
    assert match.how == "arxiv" and match.paper_title.startswith("Calibrate Before Use")


def test_citations_and_claims_resolve_through_the_library(tmp_path: Path, indexed: Store) -> None:
    store = indexed
    claims = {c["citation"]: c for c in store.rows("SELECT citation, paper, listed FROM claims")}
    assert claims["Webson & Pavlick (2021)"]["paper"] == "" and not claims["Webson & Pavlick (2021)"]["listed"]
    report = import_library(store, write(tmp_path, "refs.bib", BIB))
    assert report.citations_resolved == 2  # Webson & Pavlick (arXiv year 2021), Min et al.
    claims = {c["citation"]: c for c in store.rows("SELECT citation, paper, listed FROM claims")}
    assert claims["Webson & Pavlick (2021)"]["paper"].startswith("Do Prompt-Based") and claims["Webson & Pavlick (2021)"]["listed"]
    assert claims["Min et al. (2022)"]["listed"]
    note = store.note(note_id(store, "What do prompts teach?"))
    cited = {r["text"]: r["paper_id"] for r in note["references"] if r["kind"] == "author_year"}
    assert cited["Webson & Pavlick (2021)"] == paper_id(store, "Do Prompt-Based Models Really Understand the "
                                                              "Meaning of Their Prompts?")
    # Indexing the note again writes its claims afresh: they resolve again through the library.
    write(tmp_path / "notes", "prompts.md", NOTE + "\nOne more line.\n")
    index_folder(store, tmp_path / "notes")
    assert store.rows("SELECT listed FROM claims WHERE citation = 'Webson & Pavlick (2021)'")[0]["listed"] == 1


def test_every_citation_in_the_bundled_notes_resolves_through_notes_library_bib(store: Store) -> None:
    indexed = index_folder(store, NOTES)
    assert [(Path(i.path).name, i.reason.split(" (")[0]) for i in indexed.ignored] == [
        ("library.bib", "a reference library")]  # listed with how to import it, not as a data file
    report = import_library(store, NOTES / "library.bib")
    assert report.problems == [] and report.matched == store.stats()["papers"] - (len(report.matches) - report.matched)
    unresolved = store.rows("SELECT text FROM note_references WHERE kind = 'author_year' AND target = ''")
    assert unresolved == []
    assert store.rows("SELECT count(*) AS n FROM note_references WHERE kind = 'author_year'")[0]["n"] >= 40
    # The seed note's claims citing Webson & Pavlick (2021) now name the paper it lists third.
    from notesgraph.claims import describe_source, stored_claims

    seed = next(n["id"] for n in store.note_titles() if n["title"].startswith("Does instruction tuning teach"))
    webson = [describe_source(c.claim.source) for c in stored_claims(store, [seed])
              if c.claim.source.citation == "Webson & Pavlick (2021)"]
    assert webson and all(s.startswith("paper: Do Prompt-Based Models Really Understand") and "(listed paper;" in s
                          for s in webson)
    # Two "Wei et al. (2022)" papers: each note's citation goes to the one that note lists.
    wei = store.rows("SELECT n.title, r.target FROM note_references r JOIN notes n ON n.id = r.note_id"
                     " WHERE r.text = 'Wei et al. (2022)'")
    assert {r["target"] for r in wei} == {"Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
                                          "Emergent Abilities of Large Language Models"}


# -- the paper map and BibTeX out ------------------------------------------------------------------

def test_cocited_and_shared_author_edges(tmp_path: Path, indexed: Store) -> None:
    store = indexed
    graph = build_graph(store)
    calibrate = f"paper:{paper_id(store, 'Calibrate Before Use: Improving Few-Shot Performance of Language Models')}"
    demos = f"paper:{paper_id(store, 'Rethinking the Role of Demonstrations: What Makes In-Context Learning Work?')}"
    webson = f"paper:{paper_id(store, 'Do Prompt-Based Models Really Understand the Meaning of Their Prompts?')}"
    pair = sorted([calibrate, demos], key=lambda n: int(n.split(':')[1]))
    assert graph.edges[pair[0], pair[1], "cocited"]["count"] == 2  # both notes list both
    assert not graph.has_edge(webson, calibrate, "cocited") and not graph.has_edge(calibrate, webson, "cocited")
    assert not any(k == "shares_author" for _, _, k in graph.edges(keys=True))
    import_library(store, write(tmp_path, "refs.bib", BIB))
    write(tmp_path / "notes", "demos.md", OTHER + "\nEdited.\n")
    index_folder(store, tmp_path / "notes")
    assert refresh_graph(graph, store).updated == 1  # a refresh brings the library's edges too
    pavlick = f"paper:{paper_id(store, 'A paper no note cites')}"
    ends = sorted([webson, pavlick], key=lambda n: int(n.split(':')[1]))
    assert graph.edges[ends[0], ends[1], "shares_author"]["count"] == 1  # Ellie Pavlick
    assert graph.edges[ends[0], ends[1], "shares_author"]["count"] == 1
    similar = [(webson, pavlick, 0.9), (calibrate, demos, 0.5)]
    set_similar_edges(graph, similar)  # the last tier, after the paper map
    set_paper_edges(graph, store)  # again: the rankings are spliced, not re-sorted
    for node, flat in graph._ranked.items():
        assert flat == _ranking_from_adjacency(graph, node), node
    page = store.paper_page(int(webson.split(":")[1]))
    assert [p["title"] for p in page["shares_authors"]] == ["A paper no note cites"] and page["cocited"] == []


def test_bibtex_out_library_entries_as_imported_others_as_misc(tmp_path: Path, indexed: Store) -> None:
    store = indexed
    import_library(store, write(tmp_path, "refs.ris", RIS))
    note = {"id": note_id(store, "What do prompts teach?")}
    papers = papers_for(store, f"note:{note['id']}")
    text = bibtex_for(store, papers)
    assert text.count("@") == 3 and "@article{zhao2021," in text and "eprint = {2102.09690}" in text
    assert "@misc{paper" in text and "title = {Do Prompt-Based Models Really Understand" in text
    around = papers_for(store, f"note:{note['id']}", depth=1)
    assert set(around) == set(papers)


def test_library_and_cite_commands(capsys, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    write(tmp_path / "notes", "prompts.md", NOTE)
    assert main(["index", str(tmp_path / "notes"), "--no-embed", "--db", db]) == 0
    bib = write(tmp_path, "refs.bib", BIB)
    capsys.readouterr()
    assert main(["library", "import", str(bib), "--db", db]) == 1  # two entries skipped
    out, err = capsys.readouterr()
    assert "4 new entries" in out and "3 matched" in out and "close title match (score" in out
    assert f"skipped {bib}:17: @article entry not readable" in err
    assert main(["library", "--db", db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    years = [p["year"] for p in listed]
    assert years == sorted((y for y in years if y), reverse=True) + [None] * years.count(None)
    assert main(["show", "Do Prompt-Based Models", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Albert Webson, Ellie Pavlick · 2022 · Proceedings of NAACL" in out and "arXiv:2109.01247" in out
    assert main(["cite", "What do prompts teach", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith("@inproceedings{webson2022prompt,") and out.count("\n@") == 2
    target = tmp_path / "out.bib"
    assert main(["cite", "--around", "What do prompts teach", "--depth", "1", "-o", str(target), "--db", db]) == 0
    assert target.read_text(encoding="utf-8").count("@") == 3
    assert main(["library", "import", str(tmp_path / "nope.bib"), "--db", db]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_a_papers_vector_reads_its_abstract(embedded_store: Store, encoder) -> None:
    from notesgraph.embeddings import embed_store
    from notesgraph.passages import kind_passages
    from notesgraph.similarity import Similarity

    store = embedded_store
    webson = paper_id(store, "Do Prompt-Based Models Really Understand the Meaning of Their Prompts?")
    import_library(store, NOTES / "library.bib")
    (passage,) = kind_passages(store, "paper", [str(webson)])
    assert passage.text.startswith("Do Prompt-Based Models Really Understand the Meaning of Their Prompts?\nModels "
                                   "prompted for natural language inference")
    report = embed_store(store, encoder)
    assert report.embedded == 43  # every paper's text changed (all have abstracts); nothing else
    seed = note_id(store, "Are instruction-tuned models more or less sensitive to prompt semantics than others?")
    ranking = Similarity(store).paper_ranking(seed)
    first = next(p for p in ranking.papers if p.item == f"paper:{webson}")
    assert first.why is not None and "misleading templates" in first.why.match_text


def test_two_entries_for_one_new_paper_keep_the_first(tmp_path: Path, store: Store) -> None:
    bib = "@misc{a, title = {One Paper}, year = 2020}\n@misc{b, title = {One paper.}, year = 2021}\n"
    report = import_library(store, write(tmp_path, "refs.bib", bib))
    assert [m.citation_key for m in report.matches] == ["a"]
    assert [(p.line, p.reason) for p in report.problems] == [(2, "b: the same paper as a (line 1); kept the first")]


def test_resolved_citations_link_in_markdown_but_never_inside_a_url(tmp_path: Path, store: Store) -> None:
    from notesgraph.reader_html import note_html

    write(tmp_path / "n", "a.md", "# A note\n\nLede.\n\nPavlick & Linzen (2019) in [their paper]"
                                  "(https://doi.org/10.1162/tacl_a_00293), also doi:10.1162/tacl_a_00293.\n")
    index_folder(store, tmp_path / "n")
    import_library(store, write(tmp_path, "refs.bib", BIB))
    page = note_html(store.note(note_id(store, "A note")))
    paper = paper_id(store, "A paper no note cites")
    assert page.count(f'href="item:paper%3A{paper}"') == 2  # the citation and the bare DOI
    assert '<a href="https://doi.org/10.1162/tacl_a_00293">their paper</a>' in page


def test_the_docstring_examples_hold() -> None:
    import doctest

    import notesgraph.paper_map
    import notesgraph.parsing.library

    for module in (notesgraph.parsing.library, notesgraph.paper_map):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
