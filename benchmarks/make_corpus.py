"""Generate a synthetic corpus of research notes in the plain-text export format.

Usage::

    python benchmarks/make_corpus.py N DIR [--seed S]

writes ``N`` files ``DIR/note-00001.txt`` ... (zero-padded to at least five
digits, or more when ``N`` needs them), UTF-8 with ``'\\n'`` line endings.
The same ``N`` and seed always produce byte-identical files.

Why
---
The parse+store and graph-building benchmarks need thousands of notes that
look like real exports, but the repository only ships one seed note
(``instruction-tuning-note.txt``, ~17 KB).  Copying that note N times would
hide the costs that matter: every title is different, the inquiry and paper
strings are shared across notes with a skewed distribution (so the store
deduplicates a few very popular strings and many rare ones), and concepts
point at other notes (so the graph has real edges) or at stubs with no note
(so unresolved references are exercised too).

What a generated note contains
------------------------------
Each note follows the export format of the seed::

    Title (a unique question ending in '?')
    Lede (one line)
    4-8 body paragraphs, one line each, 60-150 words
    Inquiring lines that use this note as a source K      (60-180, mean ~120)
    <fixed explanation line>
    - inquiry question?                                   (K bullets)
    Related concepts in this collection K                 (3-7, mean 5)
    <two fixed explanation lines>
    -  / concept title / description / annotation        (K blocks of 4 lines)
    Related papers in this collection K                   (5-10, mean ~8)
    <fixed explanation line>
    - paper title                                         (K bullets, rank order)
    Original note title
    a lower-case title line

Realistic features:

* Titles, inquiries, stub concepts and papers are built from word lists and
  templates; all question strings (note titles, inquiries, stubs) are unique
  case-insensitively, ignoring punctuation, and paper titles are unique too.
* Body paragraphs contain quoted paper titles, arXiv ids in parentheses
  ("... (2309.01809)"), author-year citations ("Webson & Pavlick (2021)",
  "Smith et al. (2020)"), quantitative sentences (percentages, "7.5x",
  "30+ templates", "from 235M to 175B parameters") and verbatim titles of
  other generated notes.
* Inquiries come from a global pool of ``3*N + 200`` questions and papers from
  a pool of ``N//2 + 50`` titles, both drawn with Zipf-like weights
  ``1/(i+1)**1.1``; no duplicates within one note.
* About 80% of concepts are titles of other generated notes (their
  description is that note's lede, as in real exports) and about 20% come
  from a small shared pool of stub concepts that have no note.
* Sizes vary around the seed's: the mean file is ~17 KB (1 KB = 1000 bytes).

The module is importable: :func:`build_plan` precomputes the shared pools,
:func:`make_note_text` renders one note (a pure function of the plan and the
note index) and :func:`write_corpus` writes everything.  Only the standard
library is used.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

# ---------------------------------------------------------------------------
# Fixed lines of the export format (copied from the seed note).
# ---------------------------------------------------------------------------

INQUIRIES_HEADER = "Inquiring lines that use this note as a source {count}"
INQUIRIES_BLURB = (
    "This note is a source for these synthesized inquiries. Follow a line forward "
    "into its question, or open it to trace back to all of its sources."
)
CONCEPTS_HEADER = "Related concepts in this collection {count}"
CONCEPTS_BLURB = (
    "This note in its neighbourhood \u2014 explore the map, then jump to a related "
    "concept in the list below."
)
CONCEPTS_HINT = (
    "Click a node to walk \u00b7 click center to open \u00b7 click Open in graph to "
    "see this note in the full knowledge graph"
)
PAPERS_HEADER = "Related papers in this collection {count}"
PAPERS_BLURB = (
    "Papers most semantically related to this note, ranked by cosine similarity "
    "in the embedding space."
)
ORIGINAL_TITLE_HEADER = "Original note title"

# ---------------------------------------------------------------------------
# Size and sharing parameters.
# ---------------------------------------------------------------------------

ZIPF_EXPONENT = 1.1  # weights 1/(i+1)**s for inquiries, papers and stubs
HUB_EXPONENT = 0.8  # milder skew for which notes are cited as concepts
INQUIRY_RANGE = (60, 180)  # triangular, mode 120 -> mean 120
CONCEPT_COUNTS = (3, 4, 5, 6, 7)
CONCEPT_WEIGHTS = (1, 2, 4, 2, 1)  # mean 5
PAPER_COUNTS = (5, 6, 7, 8, 9, 10)
PAPER_WEIGHTS = (1, 1, 2, 3, 3, 2)  # mean 8
BODY_COUNTS = (4, 5, 6, 7, 8)
BODY_WEIGHTS = (1, 3, 4, 3, 1)  # mean 6
PARAGRAPH_WORDS = (60, 150)
PARAGRAPH_MODE = 60  # triangular(60, 150, 60) -> mean ~90 words (seed: ~87)
RESOLVED_CONCEPT_SHARE = 0.8
MIN_FILENAME_WIDTH = 5

# ---------------------------------------------------------------------------
# Word lists.
# ---------------------------------------------------------------------------

SUBJECTS: tuple[str, ...] = (
    "instruction tuning", "chain-of-thought prompting", "reward modeling",
    "preference optimization", "retrieval augmentation", "in-context learning",
    "sparse autoencoders", "mixture-of-experts routing", "tool use",
    "self-consistency decoding", "process supervision", "curriculum learning",
    "model merging", "knowledge distillation", "synthetic data generation",
    "data contamination", "long-context attention", "tokenization",
    "scaling laws", "emergent abilities", "theory-of-mind probing",
    "world modeling", "multi-agent debate", "self-reflection", "verifier models",
    "speculative decoding", "quantization", "LoRA adapters", "RLHF",
    "constitutional training", "red teaming", "jailbreak prompting",
    "reward hacking", "sycophancy", "confidence calibration",
    "uncertainty estimation", "hallucination detection", "factual recall",
    "memorization", "grokking", "induction heads", "attention sinks",
    "positional encoding", "state space models", "code generation",
    "mathematical reasoning", "task planning", "agent memory",
    "function calling", "dense retrieval", "reranking", "query rewriting",
    "abstractive summarization", "machine translation", "multilingual transfer",
    "vision-language grounding", "benchmark design", "LLM-as-judge evaluation",
    "human feedback", "annotation quality", "prompt sensitivity",
    "demonstration selection", "test-time compute", "tree search over reasoning",
    "latent reasoning", "compositional generalization", "length generalization",
    "domain adaptation", "out-of-distribution detection", "continual learning",
    "catastrophic forgetting", "pretraining data mixtures", "data deduplication",
    "persona prompting", "role-play agents", "social simulation",
    "cognitive bias evaluation", "moral reasoning", "legal reasoning",
    "medical question answering", "scientific discovery agents",
    "citation generation", "knowledge graph construction", "causal reasoning",
    "counterfactual evaluation", "linear probing", "steering vectors",
    "activation patching", "representation engineering", "safety fine-tuning",
    "refusal training", "watermarking", "privacy auditing", "federated fine-tuning",
    "supervised fine-tuning", "model imitation", "reinforcement learning from verifiers",
    "goal-state scaffolding", "exemplar ordering", "format-constrained decoding",
)

PROPERTIES: tuple[str, ...] = (
    "task understanding", "output format", "reasoning quality", "factual accuracy",
    "robustness", "generalization", "calibration", "sample efficiency",
    "faithfulness", "alignment", "output diversity", "long-horizon planning",
    "instruction following", "surface heuristics", "semantic sensitivity",
    "answer consistency", "skill transfer", "internal representations",
    "error recovery", "abstention behavior", "compositional skills",
    "exact-match accuracy", "human preference scores", "truthfulness",
    "style imitation", "domain knowledge", "multi-step reasoning",
    "self-verification", "tool selection", "retrieval precision",
    "latency", "training stability", "data efficiency", "interpretability",
    "adversarial robustness", "label noise tolerance", "refusal accuracy",
    "goal tracking", "world knowledge", "linguistic competence",
    "arithmetic accuracy", "program correctness", "citation accuracy",
    "evaluation validity", "capability elicitation", "distributional matching",
    "prompt-blindness", "format compliance", "knowing-doing gaps",
    "emergent behavior", "transfer to independent work", "learned objectives",
)

CONTEXTS: tuple[str, ...] = (
    "low-resource languages", "multi-turn dialogue", "agentic workflows",
    "long documents", "math word problems", "code repositories",
    "clinical notes", "open-ended generation", "noisy web data",
    "adversarial prompts", "unfamiliar domains", "multiple-choice benchmarks",
    "free-form answers", "scientific literature", "legal contracts",
    "tabular data", "structured prediction", "spoken language",
    "interactive environments", "embodied tasks", "novel syntactic structures",
    "held-out task families", "few-shot settings", "zero-shot settings",
    "long-horizon tasks", "compositional puzzles", "retrieval-heavy tasks",
    "safety-critical domains", "educational settings", "customer support",
    "knowledge-intensive QA", "strategic games", "negotiation tasks",
    "simulated social networks", "theorem proving", "planning benchmarks",
    "distribution shift", "smaller training environments", "real user traffic",
    "multilingual benchmarks",
)

MODEL_GROUPS: tuple[str, ...] = (
    "small models", "frontier models", "instruction-tuned models",
    "reasoning models", "multilingual models", "code models",
    "vision-language models", "retrieval-augmented models", "LLM agents",
    "base models", "distilled students", "mid-tier models", "open-weight models",
    "encoder models", "chat models",
)

METRICS: tuple[str, ...] = (
    "exact-match", "accuracy", "F1", "pass@1", "win rate", "ROUGE-L", "BLEU",
    "calibration error", "agreement", "recall@10", "success rate",
)

BENCHMARKS: tuple[str, ...] = (
    "GSM8K", "MMLU", "BIG-Bench Hard", "HumanEval", "TruthfulQA", "ARC",
    "HellaSwag", "MATH", "SuperNI", "NaturalQuestions", "HotpotQA",
    "AlpacaEval", "MT-Bench", "WinoGrande", "DROP", "SWE-bench", "StrategyQA",
    "BoolQ", "GPQA", "MBPP",
)

ARTIFACTS: tuple[str, ...] = (
    "manually written templates", "prompt variants", "task definitions",
    "demonstration sets", "reward functions", "annotator pools",
    "reasoning traces", "seed tasks", "training environments", "probing tasks",
)

MODEL_SIZES: tuple[str, ...] = (
    "60M", "125M", "235M", "350M", "770M", "1.3B", "1.5B", "2.7B", "7B", "8B",
    "13B", "34B", "70B", "175B", "405B",
)

SURNAMES: tuple[str, ...] = (
    "Webson", "Pavlick", "Smith", "Chen", "Wang", "Li", "Zhang", "Liu", "Kumar",
    "Garcia", "Nguyen", "Kim", "Park", "Müller", "Schmidt", "Rossi", "Dubois",
    "Tanaka", "Sato", "Ivanova", "Cohen", "Levy", "Brown", "Wei", "Khattab",
    "Ouyang", "Min", "Schick", "Lampinen", "Mitchell", "Bender", "Bowman",
    "Jurafsky", "Manning", "Liang", "Hendrycks", "Kaplan", "Hoffmann", "Olsson",
    "Elhage", "Nanda", "Geva", "Meng", "Turpin", "Lanham", "Perez", "Sharma",
    "Huang", "Zhou", "Yao", "Shinn", "Madaan", "Lightman", "Uesato", "Cobbe",
    "Srivastava", "Suzgun", "Kojima", "Honovich", "Sanh", "Longpre", "Chung",
    "Gudibande", "Xia", "Malladi", "Gao", "Shi", "Press", "Anil", "Dziri",
    "McCoy", "Linzen", "Tenney", "Belinkov", "Ravichander", "Ettinger",
    "Andreas", "Lake", "Baroni", "Hupkes", "Kiela", "Ruder", "Søgaard", "Haviv",
)

NAME_HEADS: tuple[str, ...] = (
    "Re", "Self", "Meta", "Auto", "Co", "Omni", "Hyper", "Deep", "Multi",
    "Chain", "Tree", "Graph", "Flash", "Long", "Tiny", "Open", "Safe", "True",
    "Fact", "Think",
)
NAME_TAILS: tuple[str, ...] = (
    "Plan", "Check", "Act", "Verify", "Rank", "Tune", "Align", "Mix", "Probe",
    "Bench", "Instruct", "Reason", "Judge", "Retrieve", "Distill", "Search",
    "Merge", "Guard", "Scope", "Evolve",
)
GERUNDS: tuple[str, ...] = (
    "Selecting", "Measuring", "Disentangling", "Improving", "Evaluating",
    "Learning", "Scaling", "Aligning", "Probing", "Steering", "Compressing",
    "Explaining", "Benchmarking", "Revisiting", "Mitigating", "Predicting",
)
PAPER_NOUNS: tuple[str, ...] = (
    "Limits", "Origins", "Role", "Robustness", "Geometry", "Dynamics",
    "Fragility", "Emergence", "Costs", "Mechanics", "Illusion", "Promise",
)
SMALL_WORDS = frozenset(
    "a an and as at but by for from in into is of on or over the to via vs with".split()
)

# ---------------------------------------------------------------------------
# Templates.  Fields are filled lazily by :class:`Slots` (see SLOT_MAKERS).
# ---------------------------------------------------------------------------

QUESTION_TEMPLATES: tuple[str, ...] = (
    "Does {a} teach {b} or {b2}?",
    "Does {a} improve {b} or only {b2}?",
    "Why does {a} fail to transfer to {c}?",
    "Can {a} substitute for {a2} in {c}?",
    "How does {a} shape {b} in {m}?",
    "Is the gain in {b} from {a} an artifact of {a2}?",
    "When does {a} help {b} more than {a2}?",
    "Do {m} trained with {a} learn {b} or surface heuristics?",
    "How much of {b} comes from {a} versus {a2}?",
    "Should {a} be judged by {b} rather than {b2}?",
    "What makes {a} brittle in {c}?",
    "Does scaling {a} close the gap in {b}?",
    "Can {a} detect failures of {a2}?",
    "Why do {m} struggle more with {b} under {a}?",
    "Does {a} trade {b} for {b2} in {c}?",
    "Can {a} recover the {b} that {a2} destroys?",
    "What explains the effect of {a} on {b} in {c}?",
    "Is {b} in {m} driven by {a} or by {a2}?",
    "Does combining {a} with {a2} compound gains in {b}?",
    "How early in training does {a} determine {b}?",
    "Can {a} be tuned as a task-specific hyperparameter for {c}?",
    "Why does {a} help {m} but hurt {m2}?",
    "Does {a} generalize from {c} to {c2}?",
    "What would a fair benchmark of {a} for {b} look like?",
    "Do gains from {a} survive {a2}?",
    "Is {a} necessary for {b} in {c}?",
    "Can {m} pass tests on {b} while missing {b2}?",
    "Where does {a} break down as {c} grow harder?",
    "Does {a} change what {m} learn about {b}?",
    "How do {a} and {a2} interact in {c}?",
)

STUB_TEMPLATES: tuple[str, ...] = (
    "What is {a} actually measuring?",
    "Is {b} a property of {m} or of {c}?",
    "Which signals tell us that {a} has worked?",
    "How should {b} be defined for {c}?",
)

PAPER_TEMPLATES: tuple[str, ...] = (
    "{name}: {ger} {A} for {B}",
    "A Survey on {A}",
    "Towards {B} in {A}",
    "On the {noun} of {A} in {M}",
    "{A} Is Not All You Need: {ger} {B}",
    "Do {M} Really Learn {B}? An Empirical Study of {A}",
    "Rethinking {A} for {C}",
    "Beyond {A}: {ger} {B} in {C}",
    "When {A} Meets {A2}",
    "Scaling {A} to {C}",
    "{name}: {ger} {A} with {A2}",
    "Exploring {B} for {A}",
    "The {noun} of {A}: Evidence from {C}",
    "Planted in {A}, Swayed by {A2}: A Case Study on {B}",
    "Foundations of {A} for {M}",
    "What Makes {A} Work? {ger} {B} in {M}",
    "{A} as {A2}: {ger} {B}",
    "Is {B} in {M} Just a Side Effect of {A}?",
)

LEDE_TEMPLATES: tuple[str, ...] = (
    "Exploring whether {m} trained with {a} actually learn {b} or merely learn "
    "{b2}. This matters because it challenges assumptions about how {a2} improves "
    "model behavior.",
    "What explains why {m} using {a} behave differently on {c}? The research "
    "isolates {b} and {b2} to measure which one matters more.",
    "Do {m} succeed at {c} by learning {b} rather than {b2}? This matters because "
    "correct outputs may hide reliance on shallow heuristics that fail on {c2}.",
    "While {a} boosts {b}, does it degrade {b2}? This matters for {c}, where "
    "errors are costly and decisions must be auditable.",
    "Investigating how {a} affects {b} when {m} face {c}. The answer decides "
    "whether {a2} is worth its cost or only moves the problem elsewhere.",
    "Does {b} depend primarily on {a} rather than on acquiring new knowledge? "
    "The work tests this by applying {a2} to {m} during training on {c}.",
    "{a} shows surprising sensitivity to {b}, {b2} and annotator style. "
    "Understanding these dimensions could reveal what makes {a2} robust or fragile.",
)

ORIGINAL_TITLE_TEMPLATES: tuple[str, ...] = (
    "{a} teaches {b} not {b2} \u2014 {clause2}",
    "{a} and {a2} converge on {b} \u2014 {clause2}",
    "{b} in {m} comes from {a} \u2014 {clause2}",
    "{a} is inert for {b} \u2014 {clause2}",
)

CLAUSES: tuple[str, ...] = (
    "{a} primarily teaches {b}, not {b2}",
    "correct outputs can mask reliance on surface heuristics",
    "{m} map existing capabilities to the expected {b}",
    "the semantic content of {a} is largely inert",
    "gains in {b} come with losses in {b2}",
    "{a} captures style rather than {b}",
    "the bottleneck is in the base model, not in {a}",
    "{a2} and {a} achieve comparable {b}",
    "{b} transfers while {b2} does not",
    "{m} are more sensitive to {b} than to the meaning of the instructions",
    "the effect disappears once {a2} is controlled for",
)

LEAD_SENTENCES: tuple[str, ...] = (
    '"{pshort}" creates two controls for {a}. First, {artifact} stripped of '
    "semantic content; second, examples with incorrect input-output mappings.",
    '"{pshort}" ({arxiv}) tests whether {a} changes {b} by holding {b2} fixed '
    "across {c}.",
    "{cite} set up the central experiment: {m} trained with {a} are compared "
    "against {m} trained with {a2} on {bench}.",
    "The implication: {a} primarily teaches {m} to produce {b}, not to "
    "understand {b2}.",
    "This connects to a broader pattern. {mention} showed that {clause}.",
    "A complementary theory from \"{pshort}\" ({arxiv}) provides the mechanistic "
    "explanation: {a} enables {b} rather than creating new functional abilities.",
    "{cite} provide the {level}-level parallel.",
    "The {survey} (same source) documents the concern from the other direction.",
)

FEATURE_SENTENCES: tuple[str, ...] = (
    "A {baseline} achieves {pct}% {metric} versus {a}'s {pct2}%.",
    "{mention} showed a {factor}x stronger effect of {b} over {b2}.",
    "Evaluating {count}+ {artifact} and {count2} sets of target words across "
    "{count3}+ prompts, they find {m} learn identically fast from irrelevant or "
    "misleading {artifact} as from instructive ones.",
    "This holds from {size} to {size2} parameters.",
    "On {bench}, {a} improves {metric} by {points} points while {b} drops by "
    "{points2}.",
    "The effect shrinks from {pct}% at {size} to {pct2}% at {size2}, but it never "
    "disappears.",
    "Across {count2} benchmarks and {small_count} model families, {a} explains "
    "{pct}% of the variance in {b}.",
    "{cite} report the opposite pattern for {c}, which suggests the effect "
    "depends on {b}.",
    "As {cite} put it, {m} are \"much more sensitive to {b} as opposed to "
    "{b2}.\"",
    "A follow-up by {cite} replicates the result on {bench} with {size} models.",
    "The \"{pshort}\" study ({arxiv}) documents the same pattern in {c}.",
    "Evidence from \"{pshort}\" points the same way: {clause}.",
    "{mention} asks the same question from the {direction} side.",
    "Compare {mention} \u2014 there, {clause}.",
    "{mention} remains open, but {clause}.",
    "Roughly {pct}% of the gains vanish once {a2} is controlled for.",
)

FILLER_SENTENCES: tuple[str, ...] = (
    "What matters is {b}: how many classes, what format, what vocabulary.",
    "The convergence is striking: both the {a} and the {a2} literature arrive at "
    "the same conclusion from opposite directions.",
    "This reframes concerns about {b}: if {a} functions as a training mechanism "
    "rather than an interface to inherent abilities, the landscape changes.",
    "The capability bottleneck is in the base model, not in {a}.",
    "Taken together, the results suggest that {clause}.",
    "One caveat is that most of these experiments use {c}, where {b} is easy to "
    "measure.",
    "If this holds, evaluations of {a} should report {b} separately from {b2}.",
    "The mechanism is not yet clear; one candidate is that {clause}, another is "
    "that {clause2}.",
    "The semantic content of {a} \u2014 what the task is, how to approach it, what "
    "constitutes a correct answer \u2014 appears largely irrelevant.",
    "{m} trained with {a} can be \"too robust\" \u2014 less sensitive to {b} than "
    "their non-tuned equivalents.",
    "None of this means {a} is useless; it means its benefits are mostly about "
    "{b} rather than {b2}.",
    "A clear pattern emerges: adaptation preferentially captures {b} while "
    "leaving {b2} largely unchanged.",
)

ANNOTATION_TEMPLATES: tuple[str, ...] = (
    "{b} > {b2} at {factor}x; this adds {b} > {a}",
    "same mechanism in {c}",
    "{a} as {b} adapter aligns with {a2} as {b} teacher",
    "{a} raises {metric} because it teaches {b}, not because it improves {b2}",
    "complementary evidence of {b}-over-{b2}: {clause}, while {clause2}",
    "contrasting result: {clause}",
    "mechanistic explanation for the same effect",
    "extends the finding to {c}",
    "counterexample at {size} parameters",
    "shared method, different conclusion about {b}",
)

LEVELS: tuple[str, ...] = ("prompting", "data", "architecture", "evaluation", "training")
DIRECTIONS: tuple[str, ...] = ("evaluation", "training", "data", "deployment", "theory")
SURVEYS: tuple[str, ...] = ("IT Survey", "alignment survey", "post-training survey", "reasoning survey")
BASELINES: tuple[str, ...] = (
    "random baseline", "majority-class baseline", "format-only baseline",
    "zero-shot baseline", "shuffled-label baseline",
)
COUNTS: tuple[int, ...] = (5, 8, 10, 12, 13, 16, 20, 24, 30, 40, 50, 64, 100, 120, 200, 390, 500)

# ---------------------------------------------------------------------------
# Lazy slot filling.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteContext:
    """Per-note material that body templates may quote."""

    paper_ids: tuple[int, ...]
    mentions: tuple[str, ...]


SlotMaker = Callable[[random.Random, "Slots"], str]


class Slots(dict):
    """A mapping that invents template fields on first use.

    ``str.format_map`` asks for fields left to right, so the values depend only
    on the random generator's state: rendering stays deterministic.  Asking for
    the same field twice returns the same value.
    """

    def __init__(
        self,
        rng: random.Random,
        plan: "CorpusPlan | None" = None,
        ctx: NoteContext | None = None,
        base: dict[str, str] | None = None,
    ) -> None:
        super().__init__(base or {})
        self.rng = rng
        self.plan = plan
        self.ctx = ctx

    def __missing__(self, key: str) -> str:
        value = SLOT_MAKERS[key](self.rng, self)
        self[key] = value
        return value


def _distinct(choices: Sequence[str], other: str) -> SlotMaker:
    """A slot maker picking from ``choices`` but never equal to slot ``other``."""

    def make(rng: random.Random, slots: Slots) -> str:
        taken = slots.get(other)
        while True:
            value = rng.choice(choices)
            if value != taken:
                return value

    return make


def _pick(choices: Sequence[str]) -> SlotMaker:
    return lambda rng, slots: rng.choice(choices)


def _title_case(text: str) -> str:
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        if i and word in SMALL_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def _paper_name(rng: random.Random, slots: Slots) -> str:
    if rng.random() < 0.7:
        return rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
    return "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(rng.randint(3, 5)))


def _citation(rng: random.Random, slots: Slots) -> str:
    year = rng.randint(2017, 2025)
    first = rng.choice(SURNAMES)
    roll = rng.random()
    if roll < 0.5:
        return f"{first} et al. ({year})"
    if roll < 0.85:
        second = rng.choice(SURNAMES)
        while second == first:
            second = rng.choice(SURNAMES)
        return f"{first} & {second} ({year})"
    return f"{first} ({year})"


def _quoted_paper(rng: random.Random, slots: Slots) -> str:
    """A paper title to quote, preferably one of the note's related papers."""
    plan, ctx = slots.plan, slots.ctx
    if plan is None or not plan.papers:
        return _title_case(rng.choice(SUBJECTS))
    if ctx is not None and ctx.paper_ids and rng.random() < 0.7:
        pid = rng.choice(ctx.paper_ids)
    else:
        pid = rng.randrange(len(plan.papers))
    slots["_pid"] = str(pid)
    title = plan.papers[pid]
    if ":" in title and rng.random() < 0.5:
        title = title.split(":", 1)[0]
    return title


def _arxiv(rng: random.Random, slots: Slots) -> str:
    plan = slots.plan
    if plan is None or not plan.paper_arxiv:
        return _arxiv_id(rng)
    pid = slots.get("_pid")
    index = int(pid) if pid is not None else rng.randrange(len(plan.paper_arxiv))
    return plan.paper_arxiv[index]


def _arxiv_id(rng: random.Random) -> str:
    return f"{rng.randint(17, 25):02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"


def _mention(rng: random.Random, slots: Slots) -> str:
    ctx = slots.ctx
    if ctx is not None and ctx.mentions:
        return rng.choice(ctx.mentions)
    return rng.choice(("Prior work", "Earlier work", "A related study"))


def _pct(rng: random.Random, slots: Slots) -> str:
    return f"{rng.uniform(12.0, 92.0):.1f}"


def _pct2(rng: random.Random, slots: Slots) -> str:
    base = float(slots["pct"])
    value = max(1.0, min(99.0, base + rng.uniform(-6.0, 6.0)))
    return f"{value:.0f}" if rng.random() < 0.4 else f"{value:.1f}"


def _size_pair(rng: random.Random, slots: Slots) -> tuple[str, str]:
    i, j = sorted(rng.sample(range(len(MODEL_SIZES)), 2))
    return MODEL_SIZES[i], MODEL_SIZES[j]


def _size(rng: random.Random, slots: Slots) -> str:
    small, large = _size_pair(rng, slots)
    slots["size2"] = large
    return small


def _size2(rng: random.Random, slots: Slots) -> str:
    small, large = _size_pair(rng, slots)
    slots["size"] = small
    return large


def _clause(rng: random.Random, slots: Slots) -> str:
    return rng.choice(CLAUSES).format_map(slots)


def _clause2(rng: random.Random, slots: Slots) -> str:
    # A fresh scope so that the second clause does not repeat the first's slots.
    inner = Slots(rng, slots.plan, slots.ctx)
    return rng.choice(CLAUSES).format_map(inner)


SLOT_MAKERS: dict[str, SlotMaker] = {
    "a": _pick(SUBJECTS),
    "a2": _distinct(SUBJECTS, "a"),
    "b": _pick(PROPERTIES),
    "b2": _distinct(PROPERTIES, "b"),
    "c": _pick(CONTEXTS),
    "c2": _distinct(CONTEXTS, "c"),
    "m": _pick(MODEL_GROUPS),
    "m2": _distinct(MODEL_GROUPS, "m"),
    "A": lambda rng, s: _title_case(s["a"]),
    "A2": lambda rng, s: _title_case(s["a2"]),
    "B": lambda rng, s: _title_case(s["b"]),
    "C": lambda rng, s: _title_case(s["c"]),
    "M": lambda rng, s: _title_case(s["m"]),
    "name": _paper_name,
    "ger": _pick(GERUNDS),
    "noun": _pick(PAPER_NOUNS),
    "cite": _citation,
    "pshort": _quoted_paper,
    "arxiv": _arxiv,
    "mention": _mention,
    "pct": _pct,
    "pct2": _pct2,
    "factor": lambda rng, s: f"{rng.uniform(1.3, 12.0):.1f}",
    "points": lambda rng, s: f"{rng.uniform(0.5, 15.0):.1f}",
    "points2": lambda rng, s: f"{rng.uniform(0.5, 9.0):.1f}",
    "count": lambda rng, s: str(rng.choice(COUNTS)),
    "count2": lambda rng, s: str(rng.choice(COUNTS[:9])),
    "count3": lambda rng, s: str(rng.choice(COUNTS[6:])),
    "small_count": lambda rng, s: str(rng.randint(2, 9)),
    "size": _size,
    "size2": _size2,
    "metric": _pick(METRICS),
    "bench": _pick(BENCHMARKS),
    "artifact": _pick(ARTIFACTS),
    "baseline": _pick(BASELINES),
    "level": _pick(LEVELS),
    "direction": _pick(DIRECTIONS),
    "survey": _pick(SURVEYS),
    "clause": _clause,
    "clause2": _clause2,
}

# ---------------------------------------------------------------------------
# Pools.
# ---------------------------------------------------------------------------


def normalize_title(title: str) -> str:
    """Case- and punctuation-insensitive key used to keep titles unique."""
    return " ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())


class UniqueTitles:
    """Draws titles from templates, rejecting ones whose normalized key is taken."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def draw(self, templates: Sequence[str]) -> tuple[str, Slots]:
        for attempt in itertools.count():
            slots = Slots(self.rng)
            text = self.rng.choice(templates).format_map(slots)
            text = text[0].upper() + text[1:]
            if attempt >= 50:  # practically unreachable; keeps termination certain
                text = f"{text[:-1]} in {self.rng.choice(CONTEXTS)} setting {attempt}?"
            key = normalize_title(text)
            if key not in self.seen:
                self.seen.add(key)
                return text, slots
        raise AssertionError("unreachable")


def zipf_cumulative(size: int, exponent: float) -> list[float]:
    """Cumulative weights ``sum 1/(i+1)**exponent`` for ``random.choices``."""
    return list(itertools.accumulate(1.0 / (i + 1) ** exponent for i in range(size)))


def sample_distinct(
    rng: random.Random,
    cum_weights: Sequence[float],
    k: int,
    exclude: Iterable[int] = (),
) -> list[int]:
    """Draw ``k`` distinct indices with the given cumulative weights.

    Order is the order of first appearance, so popular items tend to come first.
    """
    population = range(len(cum_weights))
    banned = set(exclude)
    available = len(cum_weights) - sum(1 for index in banned if 0 <= index < len(cum_weights))
    k = min(k, available)
    chosen: dict[int, None] = {}
    while len(chosen) < k:
        batch = rng.choices(population, cum_weights=cum_weights, k=2 * (k - len(chosen)) + 8)
        for index in batch:
            if index not in banned and index not in chosen:
                chosen[index] = None
                if len(chosen) == k:
                    break
    return list(chosen)


@dataclass(frozen=True)
class CorpusPlan:
    """Everything shared between notes, computed once before rendering."""

    seed: int
    titles: list[str]
    ledes: list[str]
    original_titles: list[str]
    topics: list[dict[str, str]]
    inquiries: list[str]
    inquiry_cum: list[float]
    papers: list[str]
    paper_arxiv: list[str]
    paper_cum: list[float]
    stub_titles: list[str]
    stub_descriptions: list[str]
    stub_cum: list[float]
    hub_order: list[int]
    hub_position: list[int]
    hub_cum: list[float]

    @property
    def size(self) -> int:
        return len(self.titles)


def _render(template: str, rng: random.Random, base: dict[str, str] | None = None) -> str:
    text = template.format_map(Slots(rng, base=base))
    return text[0].upper() + text[1:]


def _make_papers(rng: random.Random, count: int) -> tuple[list[str], list[str]]:
    titles: list[str] = []
    arxiv: list[str] = []
    seen: set[str] = set()
    while len(titles) < count:
        title = _render(rng.choice(PAPER_TEMPLATES), rng)
        key = normalize_title(title)
        if key in seen:
            continue
        seen.add(key)
        titles.append(title)
        arxiv.append(_arxiv_id(rng))
    return titles, arxiv


def build_plan(n: int, seed: int = 0) -> CorpusPlan:
    """Precompute titles, ledes and the shared inquiry/paper/stub pools."""
    rng = random.Random(f"notesgraph-corpus:{seed}:plan")
    unique = UniqueTitles(rng)

    titles: list[str] = []
    ledes: list[str] = []
    originals: list[str] = []
    topics: list[dict[str, str]] = []
    for _ in range(n):
        title, slots = unique.draw(QUESTION_TEMPLATES)
        core = {key: slots[key] for key in ("a", "b", "c", "m") if key in slots}
        titles.append(title)
        topics.append(core)
        ledes.append(_render(rng.choice(LEDE_TEMPLATES), rng, core))
        originals.append(_render(rng.choice(ORIGINAL_TITLE_TEMPLATES), rng, core).lower())

    inquiries = [unique.draw(QUESTION_TEMPLATES)[0] for _ in range(3 * n + 200)]

    stub_count = 20 + n // 50
    stub_titles = [unique.draw(STUB_TEMPLATES + QUESTION_TEMPLATES)[0] for _ in range(stub_count)]
    stub_descriptions = [_render(rng.choice(LEDE_TEMPLATES), rng) for _ in range(stub_count)]

    papers, paper_arxiv = _make_papers(rng, n // 2 + 50)

    hub_order = list(range(n))
    rng.shuffle(hub_order)
    hub_position = [0] * n
    for position, note in enumerate(hub_order):
        hub_position[note] = position

    return CorpusPlan(
        seed=seed,
        titles=titles,
        ledes=ledes,
        original_titles=originals,
        topics=topics,
        inquiries=inquiries,
        inquiry_cum=zipf_cumulative(len(inquiries), ZIPF_EXPONENT),
        papers=papers,
        paper_arxiv=paper_arxiv,
        paper_cum=zipf_cumulative(len(papers), ZIPF_EXPONENT),
        stub_titles=stub_titles,
        stub_descriptions=stub_descriptions,
        stub_cum=zipf_cumulative(stub_count, ZIPF_EXPONENT),
        hub_order=hub_order,
        hub_position=hub_position,
        hub_cum=zipf_cumulative(n, HUB_EXPONENT),
    )


# ---------------------------------------------------------------------------
# Rendering one note.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    title: str
    description: str
    annotation: str
    resolved: bool  # True when the title is another generated note's title


def _note_rng(plan: CorpusPlan, index: int) -> random.Random:
    return random.Random(f"notesgraph-corpus:{plan.seed}:note:{index}")


def _pick_concepts(rng: random.Random, plan: CorpusPlan, index: int) -> list[Concept]:
    """3-7 concepts: ~80% other notes (resolved), ~20% shared stubs (unresolved)."""
    count = rng.choices(CONCEPT_COUNTS, weights=CONCEPT_WEIGHTS)[0]
    resolved = sum(rng.random() < RESOLVED_CONCEPT_SHARE for _ in range(count))
    resolved = min(resolved, plan.size - 1)
    positions = sample_distinct(rng, plan.hub_cum, resolved, exclude=[plan.hub_position[index]])
    targets = [plan.hub_order[p] for p in positions]
    stubs = sample_distinct(rng, plan.stub_cum, count - len(targets))

    concepts = [
        Concept(plan.titles[t], plan.ledes[t], _annotation(rng, plan), True) for t in targets
    ] + [
        Concept(plan.stub_titles[s], plan.stub_descriptions[s], _annotation(rng, plan), False)
        for s in stubs
    ]
    rng.shuffle(concepts)
    return concepts


def _annotation(rng: random.Random, plan: CorpusPlan) -> str:
    return rng.choice(ANNOTATION_TEMPLATES).format_map(Slots(rng, plan))


def _sentence(
    rng: random.Random,
    plan: CorpusPlan,
    ctx: NoteContext,
    core: dict[str, str],
    pool: Sequence[str],
    used: set[str],
) -> str:
    """Render a template from ``pool`` not yet in ``used`` (when possible).

    Each of the note's core topic slots is kept with probability 1/2 so the
    paragraph stays on topic without repeating itself.
    """
    template = rng.choice(pool)
    for _ in range(4):
        if template not in used:
            break
        template = rng.choice(pool)
    used.add(template)
    base = {key: value for key, value in core.items() if rng.random() < 0.5}
    text = template.format_map(Slots(rng, plan, ctx, base))
    return text[0].upper() + text[1:]


def _paragraph(
    rng: random.Random, plan: CorpusPlan, ctx: NoteContext, core: dict[str, str]
) -> str:
    """One body paragraph of 60-150 words with at least one quantitative/cited sentence.

    Every template sentence is well under 90 words, so stopping before a
    sentence that would pass 150 words never leaves the paragraph under 60.
    """
    low, high = PARAGRAPH_WORDS
    target = rng.triangular(low, high, PARAGRAPH_MODE)
    used: set[str] = set()
    sentences = [
        _sentence(rng, plan, ctx, core, LEAD_SENTENCES, used),
        _sentence(rng, plan, ctx, core, FEATURE_SENTENCES, used),
    ]
    words = sum(len(s.split()) for s in sentences)
    while words < target:
        pool = FEATURE_SENTENCES if rng.random() < 0.5 else FILLER_SENTENCES
        sentence = _sentence(rng, plan, ctx, core, pool, used)
        length = len(sentence.split())
        # Stop rather than overshoot the target (or the hard cap) by much.
        if words >= low and (words + length > high or words + length / 2 > target):
            break
        if words + length > high:
            continue
        sentences.append(sentence)
        words += length
    return " ".join(sentences)


def _inquiry_count(rng: random.Random) -> int:
    low, high = INQUIRY_RANGE
    return round(rng.triangular(low, high, (low + high) / 2))


def make_note_text(index: int, plan: CorpusPlan) -> str:
    """Render note ``index`` (0-based) of ``plan`` in the export format.

    Pure: the result depends only on ``plan`` (itself a function of n and the
    seed) and ``index``.  The text ends with a single ``'\\n'``.
    """
    rng = _note_rng(plan, index)
    core = plan.topics[index]

    inquiry_ids = sample_distinct(rng, plan.inquiry_cum, _inquiry_count(rng))
    rng.shuffle(inquiry_ids)
    paper_count = rng.choices(PAPER_COUNTS, weights=PAPER_WEIGHTS)[0]
    paper_ids = sample_distinct(rng, plan.paper_cum, paper_count)
    concepts = _pick_concepts(rng, plan, index)

    mentions = tuple(c.title for c in concepts if c.resolved)
    ctx = NoteContext(paper_ids=tuple(paper_ids), mentions=mentions)
    body_count = rng.choices(BODY_COUNTS, weights=BODY_WEIGHTS)[0]
    body = [_paragraph(rng, plan, ctx, core) for _ in range(body_count)]

    lines = [plan.titles[index], plan.ledes[index], *body]
    lines.append(INQUIRIES_HEADER.format(count=len(inquiry_ids)))
    lines.append(INQUIRIES_BLURB)
    lines.extend(f"- {plan.inquiries[i]}" for i in inquiry_ids)
    lines.append(CONCEPTS_HEADER.format(count=len(concepts)))
    lines.append(CONCEPTS_BLURB)
    lines.append(CONCEPTS_HINT)
    for concept in concepts:
        lines.extend(("-", concept.title, concept.description, concept.annotation))
    lines.append(PAPERS_HEADER.format(count=len(paper_ids)))
    lines.append(PAPERS_BLURB)
    lines.extend(f"- {plan.papers[i]}" for i in paper_ids)
    lines.append(ORIGINAL_TITLE_HEADER)
    lines.append(plan.original_titles[index])
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Writing the corpus.
# ---------------------------------------------------------------------------


def note_filename(index: int, n: int) -> str:
    """``note-00001.txt`` style name for 0-based ``index`` in a corpus of ``n``."""
    width = max(MIN_FILENAME_WIDTH, len(str(n)))
    return f"note-{index + 1:0{width}d}.txt"


def write_corpus(n: int, directory: Path, seed: int = 0) -> list[Path]:
    """Write ``n`` synthetic notes into ``directory`` (created if needed).

    Existing files with the same names are overwritten; other files are left
    alone.  Returns the written paths in note order.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    plan = build_plan(n, seed)
    paths: list[Path] = []
    for index in range(n):
        path = directory / note_filename(index, n)
        path.write_bytes(make_note_text(index, plan).encode("utf-8"))
        paths.append(path)
    return paths


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write N synthetic research notes in the export format (seeded)."
    )
    parser.add_argument("n", metavar="N", type=int, help="number of notes to write")
    parser.add_argument("directory", metavar="DIR", type=Path, help="output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    start = time.perf_counter()
    paths = write_corpus(args.n, args.directory, args.seed)
    elapsed = time.perf_counter() - start
    total = sum(path.stat().st_size for path in paths)
    mean_kb = total / len(paths) / 1000 if paths else 0.0
    print(
        f"make_corpus: {len(paths)} notes in {args.directory}, "
        f"{total / 1e6:.1f} MB total, mean {mean_kb:.1f} KB, {elapsed:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
