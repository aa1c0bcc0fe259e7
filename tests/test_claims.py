"""Claims: sentence splitting, detection, quantities, linking, storage and the `claims` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NOTES, REPO, SEED, write
from notesgraph.claim_links import resolve_short_name, short_names
from notesgraph.claims import (
    RunVerdict,
    evidence_status,
    extract_claims,
    is_claim,
    quantities,
    stored_claims,
)
from notesgraph.cli import main
from notesgraph.indexer import index_folder
from notesgraph.model import PaperRef
from notesgraph.parsing import parse_file, parse_text
from notesgraph.parsing.sentences import sentence_spans, split_sentences
from notesgraph.store import Store

LABELLED = REPO / "tests" / "data" / "claim_sentences.tsv"
MIN_PRECISION = 0.85
MIN_RECALL = 0.80
"""Why these bars: the issue asks for precision first ("keep it precise"), so a listed claim should
almost always be one; a missed claim is a smaller loss (the reader still has the note). With ~55
predicted and ~58 labelled positives, each bar leaves room for about four more mistakes than the
rules make today (measured 0.93 precision, 0.88 recall) before the test fails, so a regression
in a rule shows up while rewording a rule does not break the build."""


# -- sentences ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("It reached 42.6% on RTE. Then it fell.", ["It reached 42.6% on RTE.", "Then it fell."]),
    ("Labels (e.g. A or B) matter. Formats too.", ["Labels (e.g. A or B) matter.", "Formats too."]),
    ("Min et al. (2022) agree. So do others.", ["Min et al. (2022) agree.", "So do others."]),
    ("Format vs. domain is the question. It is open.", ["Format vs. domain is the question.", "It is open."]),
    ('"Do Models Really Learn to Follow Instructions?" creates two controls. Second, more.',
     ['"Do Models Really Learn to Follow Instructions?" creates two controls.', "Second, more."]),
    ('A theory from "Are Emergent Abilities just ICL?" (2309.01809) explains it. Next.',
     ['A theory from "Are Emergent Abilities just ICL?" (2309.01809) explains it.', "Next."]),
    ("Does format shape reasoning more than domain? showed a 7.5x effect. Next.",
     ["Does format shape reasoning more than domain? showed a 7.5x effect.", "Next."]),
    ('They are "more sensitive to target words." Tuned models are robust.',
     ['They are "more sensitive to target words."', "Tuned models are robust."]),
    ("Why would it matter? Because it does.", ["Why would it matter?", "Because it does."]),
    ("1. **Order.** Shuffling moved accuracy.\n2. **Style.** Also.",
     ["1. **Order.**", "Shuffling moved accuracy.", "2. **Style.**", "Also."]),
    ("Tested by J. Smith and the U.S. team. Done.", ["Tested by J. Smith and the U.S. team.", "Done."]),
])
def test_sentences_survive_decimals_abbreviations_and_titles(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentence_offsets_point_into_the_text(seed_text: str) -> None:
    note = parse_text(seed_text)
    for paragraph in (note.lede, *note.body):
        spans = sentence_spans(paragraph)
        assert spans and all(paragraph[s:e].strip() == paragraph[s:e] for s, e in spans)
        assert [s for s, _ in spans] == sorted(s for s, _ in spans)


# -- detection and quantities -----------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "Webson & Pavlick (2021) provide the prompting-level parallel.",
    "Section 3.2 describes the setup; see Table 2 and Figure 4.",
    "The survey appeared in 2023 and was revised in 2024.",
    "GPT-3, LLaMA-2-13B and T5 were evaluated on SST-2 and GSM8K.",
    "The preprint (2309.01809) is cited by Lu et al. (2023).",
    "Does a 7.5x gap hold for accuracy?",
    "If the mapping mattered, it would outperform the rest by 20%.",
    "1. Outcome supervision grades only the final answer.",
])
def test_years_sections_ids_model_names_questions_and_hypotheticals_are_not_claims(sentence: str) -> None:
    assert not is_claim(sentence)


def test_quantities_are_structured() -> None:
    def summary(text: str) -> list[tuple]:
        return [(q.value, q.unit, q.measure, q.compared_to, q.relation, q.at_least) for q in quantities(text)]

    assert summary("A random baseline achieves 42.6% exact-match versus instruction tuning's 43%.") == [
        (42.6, "percent", "exact-match", 43.0, "versus", False),
        (43.0, "percent", "exact-match", 42.6, "versus", False)]
    assert summary("a 7.5x stronger effect") == [(7.5, "multiplier", "", None, "", False)]
    assert summary("30+ templates and 13 sets of target words across 390+ prompts") == [
        (30.0, "count", "templates", None, "", True), (13.0, "count", "sets of target words", None, "", False),
        (390.0, "count", "prompts", None, "", True)]
    assert summary("This holds from 235M to 175B parameters.") == [
        (235e6, "parameters", "parameters", 175e9, "range", False),
        (175e9, "parameters", "parameters", 235e6, "range", False)]
    assert summary("The effect was significant (p < 0.01).")[0][:3] == (0.01, "p_value", "p-value")
    assert summary("moved accuracy from 63.1% to 59.8%")[0] == (63.1, "percent", "accuracy", 59.8, "range", False)
    assert summary("keep 80–90% of the performance")[0][:4] == (80.0, "percent", "performance", 90.0)
    assert summary("swings of up to 76 accuracy points")[0][:3] == (76.0, "points", "accuracy")
    assert summary("only at about 30B words of pretraining")[0][:3] == (30e9, "count", "words")


def test_quantity_offsets_are_positions_in_the_paragraph(seed_text: str) -> None:
    note = parse_text(seed_text)
    paragraphs = (note.lede, *note.body)
    for claim in extract_claims(note):
        assert paragraphs[claim.paragraph][claim.start:claim.end] == claim.text
        for quantity in claim.quantities:
            assert paragraphs[claim.paragraph][quantity.start:quantity.end] == quantity.text


# -- the seed note: the four claims of the issue ---------------------------------------------

def _claim_with(claims, words: str):
    found = [c for c in claims if words in c.text]
    assert len(found) == 1, f"{words!r}: {[c.text for c in claims]}"
    return found[0]


def test_the_seed_notes_four_claims_with_values_and_papers() -> None:
    claims = extract_claims(parse_file(SEED))

    baseline = _claim_with(claims, "42.6% exact-match")
    assert [(q.value, q.unit, q.measure) for q in baseline.quantities] == [
        (42.6, "percent", "exact-match"), (43.0, "percent", "exact-match")]
    assert baseline.source.paper == ("Do Models Really Learn to Follow Instructions? "
                                     "An Empirical Study of Instruction Tuning")
    assert baseline.source.listed and baseline.source.kind == "quoted_title"

    format_effect = _claim_with(claims, "7.5x")
    assert [(q.value, q.unit) for q in format_effect.quantities] == [(7.5, "multiplier")]
    assert format_effect.source.kind == "note"
    assert format_effect.source.note == "Does training data format shape reasoning strategy more than domain?"

    templates = _claim_with(claims, "30+ manually written templates")
    assert [(q.value, q.unit) for q in templates.quantities] == [(30, "count"), (13, "count"), (390, "count")]
    sizes = _claim_with(claims, "235M to 175B")
    assert [(q.value, q.unit) for q in sizes.quantities] == [(235e6, "parameters"), (175e9, "parameters")]
    for claim in (templates, sizes):
        assert claim.source.kind == "author_year"
        assert claim.source.citation == "Webson & Pavlick (2021)"
        assert not claim.source.listed  # the note does not list the paper: said, not guessed

    assert len({c.key for c in claims}) == len(claims)


def test_labelled_sentences_precision_and_recall() -> None:
    """Precision and recall of `is_claim` on the hand-labelled set (seed note, bundled notes,
    a few written hard cases); the numbers are printed for the closing note."""
    rows = [line.rstrip("\n").split("\t") for line in LABELLED.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    assert len(rows) >= 100 and {r[1] for r in rows} >= {"seed", "written"}
    assert sum(r[1].startswith("notes/") for r in rows) >= 60
    gold = [r[0] == "1" for r in rows]
    predicted = [is_claim(r[2]) for r in rows]
    true_positives = sum(g and p for g, p in zip(gold, predicted))
    precision = true_positives / sum(predicted)
    recall = true_positives / sum(gold)
    print(f"\nclaim detection on {len(rows)} labelled sentences ({sum(gold)} claims): "
          f"precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= MIN_PRECISION
    assert recall >= MIN_RECALL


# -- linking -----------------------------------------------------------------------------------

def test_short_names_resolve_with_a_score_or_say_why_not() -> None:
    seed_papers = parse_file(SEED).papers
    title, score, why = resolve_short_name("IT Survey", seed_papers)
    assert title == "" and 0 < score < 0.75 and "IT Survey" in why  # several instruction-tuning titles
    title, score, why = resolve_short_name("False Promise finding", seed_papers)
    assert title == "" and "matches no listed paper" in why
    papers = (*seed_papers, PaperRef("The False Promise of Imitating Proprietary LLMs", 9))
    title, score, why = resolve_short_name("False Promise finding", papers)
    assert (title, score, why) == ("The False Promise of Imitating Proprietary LLMs", 1.0, "")
    names = list(short_names("Combined with the False Promise finding that imitation copies style.", papers))
    assert [(n.text, n.paper) for n in names] == [
        ("the False Promise finding", "The False Promise of Imitating Proprietary LLMs")]


def test_a_claim_takes_a_resolved_short_name_and_an_unresolvable_one_says_so() -> None:
    text = ("A short-name note\nA lede.\n"
            "The False Promise finding: imitation models reach 70% of ChatGPT quality.\n"
            "Elsewhere a model gains 12% on MMLU.\n"
            "Related papers in this collection 1\n- The False Promise of Imitating Proprietary LLMs\n")
    named, unnamed = extract_claims(parse_text(text))
    assert named.source.kind == "short_name" and named.source.listed
    assert named.source.paper == "The False Promise of Imitating Proprietary LLMs" and named.source.score == 1.0
    assert unnamed.source.kind == "none" and "no paper or note is named" in unnamed.source.unresolved


def test_citations_written_together_are_one_paper() -> None:
    note = parse_file(NOTES / "cot-exemplar-brittleness.md")
    claim = _claim_with(extract_claims(note), "63.1%")
    assert (claim.source.citation, claim.source.arxiv) == ("Shum, Diao & Zhang (2023)", "2302.12822")
    first = _claim_with(extract_claims(note), "PaLM 540B")
    assert first.source.paper == "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models"
    assert (first.source.citation, first.source.arxiv, first.source.listed) == ("Wei et al. (2022)", "2201.11903", True)


# -- evidence status ----------------------------------------------------------------------------

def test_evidence_status_is_untested_until_a_run_then_its_verdict_or_stale() -> None:
    assert evidence_status([], "h1") == "untested"
    runs = [RunVerdict("k", "inconsistent", "2026-01-01T00:00:00", "h1"),
            RunVerdict("k", "consistent", "2026-02-01T00:00:00", "h1")]
    assert evidence_status(runs, "h1") == "consistent"
    assert evidence_status(runs, "h2") == "stale"


def test_a_claim_tested_by_two_experiments_shows_both_and_their_agreement_or_mixed(store: Store,
                                                                                tmp_path: Path, capsys) -> None:
    write(tmp_path / "notes", "seed.txt", SEED.read_text(encoding="utf-8"))
    index_folder(store, tmp_path / "notes")
    claim = next(c for c in stored_claims(store) if "42.6%" in c.claim.text)
    note_hash = store.db.execute("SELECT content_hash FROM notes WHERE id = ?", [claim.note_id]).fetchone()[0]

    def finished(experiment: str, verdict: str, quick: bool = False) -> None:  # as a worker records a run
        run = store.insert_run(experiment, "1", {}, [0], quick, lambda i: str(tmp_path / f"run{i}"),
                               [(claim.claim.key, "t", note_hash)])
        store.finish_run(run, "done", [("t", "c", verdict, "why", True)])

    finished("random_baseline", "consistent")
    finished("instruction_tuning", "inconsistent")
    finished("random_baseline", "consistent")  # a later run of the first experiment does not hide the second
    again = next(c for c in stored_claims(store) if c.id == claim.id)
    assert again.status == "mixed"
    assert dict(again.statuses) == {"instruction_tuning": "inconsistent", "random_baseline": "consistent"}
    finished("instruction_tuning", "consistent")  # its latest run now agrees
    again = next(c for c in stored_claims(store) if c.id == claim.id)
    assert again.status == "consistent" and len(again.statuses) == 2
    finished("instruction_tuning", "inconsistent", quick=True)  # a quick run does not outvote a full one
    assert next(c for c in stored_claims(store) if c.id == claim.id).status == "consistent"
    run = store.insert_run("random_baseline", "2", {}, [0], True, lambda i: str(tmp_path / f"run{i}"),
                           [(claim.claim.key, "t", note_hash)])  # a new design (version 2), quick only:
    store.finish_run(run, "done", [("t", "c", "inconclusive", "why", True)])  # version 1's full runs no longer count
    again = next(c for c in stored_claims(store) if c.id == claim.id)
    assert dict(again.statuses)["random_baseline"] == "inconclusive" and again.status == "mixed"
    assert main(["claims", "output format", "--db", store.path]) == 0
    out = capsys.readouterr().out
    assert "status: mixed (instruction_tuning: consistent; random_baseline: inconclusive)" in out


# -- the store -----------------------------------------------------------------------------------

def test_claims_are_stored_with_the_note_and_replaced_on_reindex(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "notes"
    path = write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    index_folder(store, folder)
    found = stored_claims(store)
    assert len(found) == len(extract_claims(parse_file(SEED))) >= 4
    note = store.note(found[0].note_id)
    for stored in found:
        assert note["paragraphs"][stored.claim.paragraph][stored.claim.start:stored.claim.end] == stored.claim.text
        assert stored.status == "untested" and stored.replications == () and stored.item == f"claim:{stored.id}"
    baseline = next(c for c in found if "42.6%" in c.claim.text)
    assert baseline.paper_id == next(p["id"] for p in note["papers"] if p["title"].startswith("Do Models Really"))
    assert baseline.claim == next(c for c in extract_claims(parse_file(SEED)) if "42.6%" in c.text)

    path.write_text(SEED.read_text(encoding="utf-8").replace("42.6%", "41.0%"), encoding="utf-8")
    index_folder(store, folder)
    texts = [c.claim.text for c in stored_claims(store)]
    assert any("41.0%" in t for t in texts) and not any("42.6%" in t for t in texts)
    assert store.claim_count() == len(texts)

    path.unlink()
    index_folder(store, folder)
    assert store.claim_count() == 0


def test_a_database_from_before_claims_gets_them_on_the_next_index(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with Store(db) as opened:
        index_folder(opened, NOTES)
        # Make it what migration 2 left: no claims table, no migration 3.
        opened.db.executescript("DROP TABLE claims; DELETE FROM migrations WHERE version = 3;")
    with Store(db) as reopened:
        assert reopened.claim_count() == 0
        report = index_folder(reopened, NOTES)
        assert report.updated == 10 and report.added == 0
        assert reopened.claim_count() > 20
        assert reopened.integrity_check() == "ok"


def test_every_bundled_claim_points_at_its_text(store: Store) -> None:
    index_folder(store, NOTES)
    found = stored_claims(store)
    assert len({c.note_id for c in found}) == 10
    paragraphs = {c.note_id: store.note(c.note_id)["paragraphs"] for c in found}
    for stored in found:
        claim = stored.claim
        assert paragraphs[stored.note_id][claim.paragraph][claim.start:claim.end] == claim.text
        assert claim.quantities or claim.markers
        assert claim.source.kind != "none" or claim.source.unresolved


# -- the command ------------------------------------------------------------------------------

def test_claims_command_text_and_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    folder = tmp_path / "seed"
    write(folder, "seed.txt", SEED.read_text(encoding="utf-8"))
    assert main(["index", str(folder), "--no-embed", "--db", db]) == 0
    capsys.readouterr()

    assert main(["claims", "instruction tuning teach", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "42.6% exact-match (percent; versus 43%)" in out
    assert "235M parameters (parameters; range with 175B)" in out
    assert "paper: Do Models Really Learn to Follow Instructions?" in out
    assert "Webson & Pavlick (2021)" in out and "status: untested" in out

    assert main(["claims", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    baseline = next(r for r in rows if "42.6%" in r["text"])
    assert [q["value"] for q in baseline["quantities"]] == [42.6, 43.0]
    assert baseline["source"]["paper"].startswith("Do Models Really Learn")
    assert baseline["status"] == "untested" and baseline["replications"] == []
    assert baseline["item"] == f"claim:{baseline['id']}"

    assert main(["claims", "no such note at all", "--db", db]) == 1
    assert "no note titled" in capsys.readouterr().err


def test_markup_is_not_a_claim() -> None:
    from notesgraph.claims import claims_in_paragraph

    table = "<table> <tr><td>due 7 days ago</td>\n<td><code>12.00000</code></td></tr>\n</table>"
    assert claims_in_paragraph(table, 1) == []  # an HTML block: values, not sentences
    assert claims_in_paragraph("The score is <code>11.5</code> and `k=5` here.", 1) == []
    found = claims_in_paragraph("Tuning raised accuracy to <b>52.8%</b> versus 41.5%.", 1)
    assert [q.value for q in found[0].quantities] == [52.8, 41.5]  # inline tags keep their text


def test_claims_command_names_the_experiments_that_test_each_claim(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    from notesgraph.experiments.registry import specs_for_claim

    db = str(tmp_path / "cli.db")
    assert main(["index", str(NOTES), "--no-embed", "--db", db]) == 0
    capsys.readouterr()
    assert main(["claims", "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)
    testable = [r for r in rows if r["experiments"]]
    assert 0 < len(testable) < len(rows)
    for row in rows:  # every claim says which experiments test it, cheapest first
        assert row["experiments"] == [spec.name for spec in specs_for_claim(row["text"])]
        assert row["run_command"] == (f"notesgraph run --for-claim {row['id']}" if row["experiments"] else None)
    baseline = next(r for r in rows if "42.6%" in r["text"])
    assert baseline["experiments"][0] == "random_baseline"

    assert main(["claims", "--testable", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.count("experiments: tested by ") == len(testable) and "no experiment tests it" not in out
    assert "experiments: tested by random_baseline (~1 s quick)" in out
    assert f"run: notesgraph run --for-claim {baseline['id']}" in out
    for title in {r["note"] for r in testable}:  # grouped under their notes' titles
        assert f"{title}  [note:" in out
    assert main(["claims", "--db", db]) == 0
    assert capsys.readouterr().out.count("experiments: no experiment tests it yet") == len(rows) - len(testable)
