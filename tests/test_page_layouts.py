"""Pages copied from the seed's site, one test note per layout (tests/data/page_layouts/).

The notes are written for these tests in the site's layouts: plain, page copy, synthesis, a
closing `Source:` line, topic hub, inquiring line, paper; the title is always the question
line and what the other lines say lands in metadata, tags and inquiries.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import write
from notesgraph.claims import extract_claims
from notesgraph.indexer import index_folder
from notesgraph.model import Note
from notesgraph.parsing import NoteParseError, detect_format, parse_bytes, parse_file, parse_text
from notesgraph.parsing.page_layout import (
    is_category_line,
    metadata_line,
    split_categories,
    split_questions,
    split_tags,
)
from notesgraph.parsing.sentences import split_sentences
from notesgraph.store import Store

LAYOUTS = Path(__file__).resolve().parent / "data" / "page_layouts"
LAYOUT_FILES = sorted(p.name for p in LAYOUTS.iterdir())


def layout(name: str) -> Note:
    return parse_file(LAYOUTS / name)


def claim_with_number(note: Note, number: str) -> bool:
    return any(number in claim.text for claim in extract_claims(note))


# -- one test per layout -----------------------------------------------------------------------

def test_plain_layout_title_first() -> None:
    note = layout("plain.txt")
    assert note.title == "Does longer pretraining make few-shot prompts matter less?"
    assert note.lede.startswith("Asks whether models trained on more tokens")
    assert note.body[0].startswith("A sweep over four checkpoints")
    assert note.metadata["page_kind"] == "note"
    assert "categories" not in note.metadata and note.tags == ()
    assert [p.title for p in note.papers] == ["Scaling Laws for Prompt Sensitivity in Pretrained Transformers"]
    assert claim_with_number(note, "14.2 points")
    assert note.warnings == ()


def test_page_copy_category_line_is_not_the_title() -> None:
    note = layout("page-copy.txt")
    assert note.format == "export"
    assert note.title == "Can a reranker fix what a weak retriever misses?"
    assert note.lede.startswith("Looks at whether putting a stronger reranking stage")
    assert note.body[0].startswith("The short answer is that a reranker")
    meta = note.metadata
    assert meta["page_kind"] == "note"
    assert meta["kind"] == "Note"
    assert meta["date"] == "2026-02-22"
    assert meta["sourced_from"] == "Retrieval Pipelines"
    categories = ["Reasoning, Retrieval, and Evaluation", "Training, RL, and Test-Time Scaling",
                  "Model Architecture and Internals"]
    assert meta["categories"].split("\n") == categories
    assert list(note.tags[:3]) == categories


def test_page_copy_related_questions_and_their_tag_word() -> None:
    note = layout("page-copy.txt")
    questions = ["How do retrievers decide which passages to rank first?",
                 "How should we allocate compute budget at inference time?",
                 "What kind of thing is an LLM really?"]
    assert note.metadata["related_questions"].split("\n") == questions
    assert note.metadata["related_question_tags"] == "RAG"
    assert "RAG" in note.tags
    assert [i.text for i in note.inquiries] == questions
    assert all(i.line == 9 for i in note.inquiries)
    assert not any(q.startswith("RAG") for q in note.metadata["related_questions"].split("\n"))


def test_page_copy_list_without_bullets_keeps_its_paragraphs() -> None:
    note = layout("page-copy.txt")
    index = note.body.index("Key findings:")
    assert note.body[index + 1].startswith("Recall at the first stage bounds everything")
    assert note.body[index + 2].startswith("Rerankers help most")


def test_page_copy_claims_are_found_in_the_body() -> None:
    note = layout("page-copy.txt")
    assert claim_with_number(note, "41.5%")
    assert all(claim.paragraph >= 1 for claim in extract_claims(note))  # the lede states none


def test_title_mentioned_inside_a_sentence_keeps_its_question_mark() -> None:
    note = layout("page-copy.txt")
    paragraph = next(p for p in note.body if p.startswith("Since Does polished"))
    assert len(split_sentences(paragraph)) == 1
    mentions = [r for r in note.references if r.kind == "mention"]
    assert [(r.text, r.target) for r in mentions] == [
        ("Does polished AI output trick audiences into trusting it?",
         "Does polished AI output trick audiences into trusting it?")]
    assert [c.title for c in note.concepts] == ["Does polished AI output trick audiences into trusting it?"]


def test_related_question_mentioned_in_the_body_is_a_mention() -> None:
    text = ("Psychology, Society, and Alignment\n\nDoes tone change trust?\n\nA lede.\n\n"
            "Note · 2026-02-22 · sourced from Trust\n\nDo hedges lower acceptance? Why do users defer?\n\n"
            "Because Do hedges lower acceptance?, the tone study matters: 38% versus 61%.\n")
    note = parse_text(text, "copy.txt")
    assert [(r.kind, r.text, r.paragraph) for r in note.references] == [
        ("mention", "Do hedges lower acceptance?", 1)]


def test_closing_source_line_after_two_blank_lines_is_metadata() -> None:
    note = layout("page-copy.txt")
    assert note.metadata["source_topic"] == "Retrieval Pipelines reading list"
    assert not any("Source:" in text for text in (note.lede, *note.body))
    one_blank = parse_text("Title?\nLede.\nBody.\n\nSource: a line in the body\nMore body.\n", "x.txt")
    assert "Source: a line in the body" in one_blank.body
    assert "source_topic" not in one_blank.metadata


def test_page_copy_saved_as_markdown_without_related_questions() -> None:
    path = LAYOUTS / "page-copy-no-questions.md"
    assert detect_format(path.read_text(encoding="utf-8"), ".md") == "export"
    note = parse_file(path)
    assert note.title == "Do users defer more to a model that sounds confident?"
    assert note.lede.startswith("Whether the tone of a model's answer")
    assert note.body[0].startswith("In a lab task with 120 participants")
    assert note.metadata["categories"] == "Psychology, Society, and Alignment"
    assert note.metadata["date"] == "2025-11-03" and note.metadata["sourced_from"] == "Human Factors"
    assert note.metadata["source_topic"] == "Human Factors"
    assert "related_questions" not in note.metadata and note.inquiries == ()
    assert claim_with_number(note, "38%")
    assert note.warnings == ()


def test_synthesis_layout() -> None:
    note = layout("synthesis.txt")
    assert note.title == "Does reward model overoptimization look the same across tasks?"
    assert note.lede.startswith("Pulls together results")
    assert note.body[0].startswith("Across the three studies gathered here")
    meta = note.metadata
    assert (meta["page_kind"], meta["kind"], meta["kind_line"]) == ("synthesis", "Synthesis note", "SYNTHESIS NOTE")
    assert meta["date"] == "2026-01-09" and meta["sourced_from"] == "Reward Modeling RLHF PPO"
    assert meta["categories"].split("\n") == ["Training, RL, and Test-Time Scaling",
                                              "Psychology, Society, and Alignment"]
    assert meta["source_topic"] == "Reward modeling survey notes"
    # Listed inquiries first, then the related questions not already listed.
    assert [i.text for i in note.inquiries] == [
        "Can a reward ensemble delay overoptimization?",
        "Is the KL budget a task property or a model property?",
        "Why does reward hacking appear earlier in code than in dialogue?"]
    assert claim_with_number(note, "10 nats")
    assert note.warnings == ()  # the section's stated 2 is checked against the 2 it lists


def test_topic_hub_lists_its_notes_as_links() -> None:
    note = layout("hub.txt")
    assert note.title == "How do language models use their context window?"
    assert note.lede.startswith("A map of the notes on what models do with long inputs")
    assert note.body == ()
    meta = note.metadata
    assert (meta["page_kind"], meta["kind"]) == ("hub", "Topic Hub")
    assert (meta["linked_notes"], meta["sections"]) == ("6", "3")
    assert [(c.title, c.annotation) for c in note.concepts] == [
        ("Do models ignore the middle of long prompts?", "Position effects"),
        ("Does putting the question last help long-context answers?", "Position effects"),
        ("Can summary tokens replace the full context?", "Memory and Compression"),
        ("Do retrieval heads decide what a model can recall?", "Memory and Compression"),
        ("Does KV cache pruning hurt multi-hop reasoning?", "Memory and Compression"),
        ("Are needle-in-a-haystack scores a good proxy for long-context use?", "Evaluation")]
    assert [c.order for c in note.concepts] == [1, 2, 3, 4, 5, 6]
    assert not any(c.title in ("View as", "Explore related Read →") for c in note.concepts)
    assert note.warnings == ()


def test_topic_hub_counts_are_checked_and_repeats_merged() -> None:
    text = ("← All notes\n\nWhat limits agents?\n\nA hub lede.\n\nTopic Hub · 4 linked notes · 2 sections\n\n"
            "View as\n\nPlanning\n3 notes\nCan agents plan ahead?\nDo agents replan?\n\n"
            "Tools\n1 note\nCan agents plan ahead?\n\nExplore related Read →\nHow do agents use memory? Read →\n")
    note = parse_text(text, "hub.md")
    assert note.metadata["page_kind"] == "hub"
    assert [(c.title, c.annotation) for c in note.concepts] == [
        ("Can agents plan ahead?", "Planning; Tools"), ("Do agents replan?", "Planning")]
    assert note.metadata["explore_related"] == "How do agents use memory?"
    messages = [w.message for w in note.warnings]
    assert any("'Planning' says 3 notes but lists 2" in m for m in messages)
    assert any("says 4 linked notes but lists 2" in m for m in messages)


def test_indexed_hub_links_to_the_notes_it_lists(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    write(folder, "hub.txt", (LAYOUTS / "hub.txt").read_text(encoding="utf-8"))
    write(folder, "middle.txt", "Do models ignore the middle of long prompts?\nA lede.\nA body line.\n")
    index_folder(store, folder)
    hub_id = next(n["id"] for n in store.note_titles()
                  if n["title"] == "How do language models use their context window?")
    concepts = {c["title"]: c["note_id"] for c in store.note(hub_id)["concepts"]}
    assert len(concepts) == 6
    middle_id = next(n["id"] for n in store.note_titles()
                     if n["title"] == "Do models ignore the middle of long prompts?")
    assert concepts["Do models ignore the middle of long prompts?"] == middle_id
    assert store.note(hub_id)["metadata"]["page_kind"] == "hub"


def test_explore_related_is_a_label_line_not_a_sentence() -> None:
    prose = parse_text("Title?\nLede.\nExplore related work by Smith, which found 12% gains.\nMore.\n", "a.txt")
    assert prose.body == ("Explore related work by Smith, which found 12% gains.", "More.")
    listed = parse_text("Title?\nLede.\nBody.\nExplore related Read →\nHow do agents use memory? Read →\n"
                        "A closing sentence here.\n", "b.txt")
    assert listed.body == ("Body.", "A closing sentence here.")
    assert listed.metadata["explore_related"] == "How do agents use memory?"


def test_inquiring_line_page_with_kind_line() -> None:
    note = layout("inquiry.txt")
    assert note.title == "Why do strong models follow formatting instructions less reliably than weaker ones?"
    assert note.lede.startswith("Follows a thread through several notes")
    assert note.body[0].startswith("Two of the sources report")
    assert note.metadata["page_kind"] == "inquiry"
    assert note.metadata["kind_line"] == "INQUIRING LINE"
    assert (note.metadata["date"], note.metadata["sources"]) == ("2026-03-01", "4")
    assert claim_with_number(note, "9%")


def test_inquiring_line_page_straight_to_the_question() -> None:
    note = layout("inquiry-straight.txt")
    assert note.title == "Can self-consistency voting replace a verifier for math problems?"
    assert note.lede.startswith("A line of questions on whether majority voting")
    assert note.body[0].startswith("With 40 samples per problem")
    assert note.metadata["page_kind"] == "inquiry" and "kind_line" not in note.metadata
    assert claim_with_number(note, "71%")


def test_paper_page_keeps_arxiv_id_date_and_tags() -> None:
    note = layout("paper.txt")
    assert note.title == "Synthetic Preference Data from Self-Critique at Scale"
    assert note.lede.startswith("Proposes generating preference pairs")
    assert note.body[0].startswith("The authors build 400k preference pairs")
    meta = note.metadata
    assert (meta["page_kind"], meta["kind"]) == ("paper", "Paper")
    assert (meta["arxiv"], meta["published"]) == ("2406.08464", "2024-06-12")
    assert meta["tags"].split("\n") == ["alignment", "preference-data", "self-critique", "DPO"]
    assert meta["categories"] == "Training, RL, and Test-Time Scaling"
    assert set(note.tags) == {"Training, RL, and Test-Time Scaling", "alignment", "preference-data",
                              "self-critique", "DPO"}
    assert claim_with_number(note, "58%")


@pytest.mark.parametrize("name", LAYOUT_FILES)
def test_every_layout_title_is_its_question_line_not_a_layout_line(name: str) -> None:
    note = layout(name)
    assert note.format == "export"
    assert note.metadata["page_kind"] in ("note", "synthesis", "hub", "inquiry", "paper")
    assert metadata_line(note.title) is None and not is_category_line(note.title)
    assert note.title.endswith("?") or note.metadata["page_kind"] == "paper"
    assert note.lede and metadata_line(note.lede) is None
    assert not any(metadata_line(p) for p in note.body)


# -- variants without blank lines, without a lede or without a metadata line ------------------

def test_page_copy_without_blank_lines() -> None:
    text = ("Model Architecture and Internals\nDo attention sinks matter?\nA lede.\n"
            "Note · 2026-02-22 · sourced from Attention\nWhat do sink tokens store?\n"
            "Removing the first token cut accuracy by 12 points.\n")
    note = parse_text(text, "tight.txt")
    assert note.title == "Do attention sinks matter?" and note.lede == "A lede."
    assert note.body == ("Removing the first token cut accuracy by 12 points.",)
    assert note.metadata["related_questions"] == "What do sink tokens store?"


def test_page_copy_without_a_lede() -> None:
    text = ("Psychology, Society, and Alignment\n\nDo people trust fluent text?\n\n"
            "Note · 2026-02-22 · sourced from Trust\n\nFluent answers were accepted 20% more often.\n")
    note = parse_text(text, "nolede.txt")
    assert note.title == "Do people trust fluent text?"
    assert note.metadata["categories"] == "Psychology, Society, and Alignment"
    assert note.lede == "Fluent answers were accepted 20% more often."
    assert any("no lede" in w.message for w in note.warnings)


def test_category_line_without_a_metadata_line() -> None:
    text = ("Reasoning, Retrieval, and Evaluation Model Architecture and Internals\n\n"
            "Can small models reason well by just learning output format?\n\nA lede.\n\nBody.\n")
    note = parse_text(text, "nometa.txt")
    assert note.title == "Can small models reason well by just learning output format?"
    assert note.metadata["categories"].split("\n") == ["Reasoning, Retrieval, and Evaluation",
                                                       "Model Architecture and Internals"]
    assert note.metadata["page_kind"] == "note"


def test_metadata_line_late_in_a_plain_note_does_not_move_the_title() -> None:
    text = ("Does format matter?\nA lede about it.\nFirst body line, a sentence.\nSecond one.\n"
            "Note · 2026-02-22 · sourced from Format\n")
    note = parse_text(text, "late.txt")
    assert note.title == "Does format matter?"
    assert note.body == ("First body line, a sentence.", "Second one.")
    assert note.metadata["date"] == "2026-02-22"


def test_legacy_header_before_the_title_still_reads() -> None:
    note = parse_text("SYNTHESIS NOTE\nSynthesis note · 2026-02-22 · sourced from x\nTitle?\nLede.\n", "h.txt")
    assert note.title == "Title?" and note.lede == "Lede."
    assert note.metadata["page_kind"] == "synthesis" and note.metadata["meta_date"] == "2026-02-22"


# -- format detection --------------------------------------------------------------------------

@pytest.mark.parametrize("text, suffix, expected", [
    ("Categories And Things\n\nTitle?\n\nLede.\n\nNote · 2026-02-22 · sourced from X\n\nBody.\n", ".md", "export"),
    ("SYNTHESIS NOTE\nTitle?\nLede.\n", ".md", "export"),
    ("← All notes\nTitle?\nLede.\n", ".md", "export"),
    ("Title?\nLede.\nTopic Hub · 3 linked notes · 1 sections\n", ".md", "export"),
    ("Title\nLede.\nPaper · arXiv 2406.08464 · Published June 12, 2024\n", ".md", "export"),
    ("Title?\n\nLede.\n\nInquiring line · 2026-03-01 · 4 sources\n\nBody.\n", ".md", "export"),
    ("# Title\n\nNote · 2026-02-22 · sourced from X\n", ".md", "markdown"),
    ("---\ntitle: T\n---\nSYNTHESIS NOTE\n", ".md", "markdown"),
    ("Title\nNote · 2026-02-22 · sourced from X\nSee [[Other]].\n", ".md", "markdown"),
    ("Title\nA middle dot · in a sentence.\n", ".md", "markdown"),
])
def test_layout_markers_pick_the_plain_text_parser(text: str, suffix: str, expected: str) -> None:
    assert detect_format(text, suffix) == expected


# -- the line recognisers ----------------------------------------------------------------------

@pytest.mark.parametrize("line, names", [
    ("Training, RL, and Test-Time Scaling Psychology, Society, and Alignment",
     ["Training, RL, and Test-Time Scaling", "Psychology, Society, and Alignment"]),
    # Names invented in the site's style (not in the known list):
    ("Language, Meaning, and Cognition Theory of Mind and Social Reasoning",
     ["Language, Meaning, and Cognition", "Theory of Mind and Social Reasoning"]),
    ("Memory and Long-Context Modeling Safety, Security, and Privacy",
     ["Memory and Long-Context Modeling", "Safety, Security, and Privacy"]),
    ("Data, Benchmarks, and Evaluation Agents and Tool Use",
     ["Data, Benchmarks, and Evaluation", "Agents and Tool Use"]),
    ("Interpretability and Probing Hardware, Systems, and Efficiency Ethics and Law",
     ["Interpretability and Probing", "Hardware, Systems, and Efficiency", "Ethics and Law"]),
    ("Agents and Tools Long-Context Memory, Retrieval, and Search",
     ["Agents and Tools", "Long-Context Memory, Retrieval, and Search"]),
    ("Safety & Alignment Data and Fine-Tuning Model Architecture and Internals",
     ["Safety & Alignment", "Data and Fine-Tuning", "Model Architecture and Internals"]),
    ("Multimodal Models Reasoning, Retrieval, and Evaluation",
     ["Multimodal Models", "Reasoning, Retrieval, and Evaluation"]),
    ("Compression and Distillation\tScaling Laws", ["Compression and Distillation", "Scaling Laws"]),
    ("Agents", ["Agents"]),
    ("and", ["and"]),
    ("", []),
])
def test_category_line_splits_into_names(line: str, names: list[str]) -> None:
    assert split_categories(line) == names


def test_questions_line_splits_at_question_marks() -> None:
    assert split_questions("How should we allocate compute budget at inference time? "
                           "What kind of thing is an LLM really?") == [
        ("", "How should we allocate compute budget at inference time?"),
        ("", "What kind of thing is an LLM really?")]
    assert split_questions('Does "Is It ICL?" still hold? LLM Agents Why do tools fail?') == [
        ("", 'Does "Is It ICL?" still hold?'), ("LLM Agents", "Why do tools fail?")]
    assert split_questions("To what extent is CoT faithful?") == [("", "To what extent is CoT faithful?")]
    assert split_questions("A sentence. Then a question?") is None
    assert split_questions("Why? because of this?") is None
    assert split_questions("No question here") is None


def test_metadata_lines() -> None:
    assert metadata_line("Note · 2026-02-22 · sourced from Training Fine Tuning") == {
        "kind": "Note", "date": "2026-02-22", "sourced_from": "Training Fine Tuning"}
    assert metadata_line("Topic Hub · 26 linked notes · 9 sections") == {
        "kind": "Topic Hub", "linked_notes": "26", "sections": "9"}
    assert metadata_line("Paper · arXiv 2406.08464 · Published June 12, 2024") == {
        "kind": "Paper", "arxiv": "2406.08464", "published": "2024-06-12"}
    assert metadata_line("Click a node to walk · click center to open · click Open in graph") is None
    assert metadata_line("Format · meaning") is None


def test_tag_lines() -> None:
    assert split_tags("alignment preference-data DPO") == ["alignment", "preference-data", "DPO"]
    assert split_tags("Instruction Tuning · Alignment") == ["Instruction Tuning", "Alignment"]
    assert split_tags("#rlhf #reward-models") == ["rlhf", "reward-models"]


# -- robustness --------------------------------------------------------------------------------

LAYOUT_TEXTS = [(LAYOUTS / name).read_text(encoding="utf-8") for name in LAYOUT_FILES]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(LAYOUT_TEXTS))), st.randoms(use_true_random=False),
       st.sampled_from([".txt", ".md"]), st.integers(min_value=0, max_value=40))
def test_shuffled_layout_lines_never_raise_anything_but_a_parse_error(
        which: int, rng: random.Random, suffix: str, keep: int) -> None:
    lines = LAYOUT_TEXTS[which].split("\n")
    rng.shuffle(lines)
    data = "\n".join(lines[:keep] if keep else lines).encode("utf-8")
    try:
        note = parse_bytes(data, "shuffled" + suffix)
    except NoteParseError:
        return
    assert note.title.strip()
    assert note.metadata.get("page_kind", "note") in ("note", "synthesis", "hub", "inquiry", "paper")
    assert all(isinstance(v, str) for v in note.metadata.values())
    assert len({i.key for i in note.inquiries}) == len(note.inquiries)
