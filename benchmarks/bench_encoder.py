"""Benchmark: encoder paths against bare `SentenceTransformer.encode`, in the same run.

On a fixed sample of the generated corpus's texts (body paragraphs, ~90 words, and short
texts: titles + ledes, inquiries, papers) each path encodes the same texts; the baseline is
measured first and last (its mean is the reference, so a drift in machine load shows as the
gap between the two). For each path: texts/s, the ratio to the baseline, and the cosine of
its vectors to the float32 sentence-transformers vectors (the goal: >= 0.995 for every text).

Paths: notesgraph's Encoder model (transformers alone, length-sorted batches; what indexing
runs), int8 dynamic quantisation (per-tensor, per-channel, and per-channel on the feed-forward
layers only), 2 torch threads. bf16 is measured only where the CPU has native bf16
(avx512_bf16 / amx_bf16 in /proc/cpuinfo).

Also: start-up to a first query vector in a fresh process (sentence-transformers against the
Encoder), and the extrapolated time to embed a 10k-note folder (passage counts from an
indexed 1k-note corpus x 10).

    python benchmarks/bench_encoder.py [--paragraphs 64] [--short 128] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import write_corpus  # noqa: E402

from notesgraph.embeddings import Encoder, _is_paragraph, _load_model, plan_embedding  # noqa: E402
from notesgraph.indexer import index_folder  # noqa: E402
from notesgraph.store import Store  # noqa: E402


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def sample_texts(workdir: Path, notes: int) -> tuple[list[str], list[str], int, int]:
    """(paragraphs, short texts, paragraph passages, short passages) of an indexed corpus."""
    folder = workdir / f"corpus-{notes}"
    if not folder.exists():
        write_corpus(notes, folder, seed=0)
    with Store(workdir / f"encoder-{notes}.db") as store:
        index_folder(store, folder)
        todo = plan_embedding(store, Encoder().model_id).todo
    paragraphs = [p.text for p in todo if _is_paragraph(p)]
    short = [p.text for p in todo if not _is_paragraph(p)]
    return paragraphs, short, len(paragraphs), len(short)


def rate(encode, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = np.asarray(encode(texts), dtype=np.float32)
    return len(texts) / (time.perf_counter() - started), vectors


def quantized(model, per_channel: bool, ffn_only: bool):
    """A copy of the transformer with int8 dynamic quantisation of its Linear layers."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    if ffn_only:
        spec = {name: qconfig for name, module in model.named_modules()
                if isinstance(module, torch.nn.Linear) and (".intermediate." in name or name.endswith("output.dense"))
                and ".attention." not in name}
    else:
        spec = {torch.nn.Linear: qconfig}
    return quantize_dynamic(copy.deepcopy(model), qconfig_spec=spec, dtype=torch.qint8)


def startup_seconds(code: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=64)
    parser.add_argument("--short", type=int, default=128)
    parser.add_argument("--notes", type=int, default=1000, help="corpus whose passage counts are scaled to 10k")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch
    from sentence_transformers import SentenceTransformer

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        paragraphs, short, n_paragraphs, n_short = sample_texts(workdir, args.notes)
    rng = np.random.default_rng(0)
    paragraphs = [paragraphs[i] for i in rng.choice(len(paragraphs), min(args.paragraphs, len(paragraphs)), replace=False)]
    short = [short[i] for i in rng.choice(len(short), min(args.short, len(short)), replace=False)]
    encoder = Encoder(threads=1)
    ours = _load_model(encoder.path)
    bare = SentenceTransformer(str(encoder.path), device="cpu", local_files_only=True)
    torch.set_num_threads(1)
    bare_encode = lambda texts: bare.encode(texts, batch_size=64, normalize_embeddings=True,  # noqa: E731
                                            show_progress_bar=False)
    bare_encode(short[:8])
    ours.encode(short[:8])
    results: dict = {"benchmark": "bench_encoder", "cores": os.cpu_count(), "load_average_start": os.getloadavg()[0],
                     "sample": {"paragraphs": len(paragraphs), "short": len(short)},
                     "cpu_bf16": bool(cpu_flags() & {"avx512_bf16", "amx_bf16"}), "rows": []}
    reference = {}
    base_rates = {}
    for label, texts in (("paragraphs", paragraphs), ("short", short)):
        base_rates[label], reference[label] = rate(bare_encode, texts)

    def fp32_threads(threads):
        def run(texts):
            torch.set_num_threads(threads)
            try:
                return ours.encode(texts, batch_size=64)
            finally:
                torch.set_num_threads(1)
        return run

    def with_model(model):
        def run(texts):
            saved = ours.model
            ours.model = model
            try:
                return ours.encode(texts, batch_size=64)
            finally:
                ours.model = saved
        return run

    paths = [("Encoder (transformers, length-sorted), 1 thread", fp32_threads(1)),
             ("Encoder, 2 threads", fp32_threads(2)),
             ("int8 dynamic, per-tensor (the naive try)", with_model(quantized(ours.model, False, False))),
             ("int8 dynamic, per-channel", with_model(quantized(ours.model, True, False))),
             ("int8 dynamic, per-channel, feed-forward only", with_model(quantized(ours.model, True, True)))]
    if results["cpu_bf16"]:
        paths.append(("bf16", with_model(copy.deepcopy(ours.model).to(torch.bfloat16))))
    for name, encode in paths:
        row = {"path": name}
        for label, texts in (("paragraphs", paragraphs), ("short", short)):
            per_second, vectors = rate(encode, texts)
            cosines = (vectors * reference[label]).sum(axis=1)
            row[label] = {"texts_per_s": round(per_second, 2), "cosine_min": round(float(cosines.min()), 5),
                          "cosine_mean": round(float(cosines.mean()), 5)}
        results["rows"].append(row)
        print(json.dumps(row), flush=True)
    for label, texts in (("paragraphs", paragraphs), ("short", short)):  # the baseline again, last
        again, _ = rate(bare_encode, texts)
        results[f"baseline_{label}_texts_per_s"] = [round(base_rates[label], 2), round(again, 2)]
        base_rates[label] = (base_rates[label] + again) / 2
    for row in results["rows"]:
        for label in ("paragraphs", "short"):
            row[label]["ratio_to_baseline"] = round(row[label]["texts_per_s"] / base_rates[label], 3)
            row[label]["faithful"] = row[label]["cosine_min"] >= 0.995
    scale = 10_000 / args.notes
    results["folder_10k"] = {"paragraph_passages": round(n_paragraphs * scale), "short_passages": round(n_short * scale)}
    for name, short_rate, para_rate in [("baseline", base_rates["short"], base_rates["paragraphs"])] + [
            (r["path"], r["short"]["texts_per_s"], r["paragraphs"]["texts_per_s"]) for r in results["rows"]]:
        results["folder_10k"][name] = {
            "searchable_minutes": round(n_short * scale / short_rate / 60, 1),
            "complete_minutes": round((n_short * scale / short_rate + n_paragraphs * scale / para_rate) / 60, 1)}
    if not args.skip_startup:
        path = str(encoder.path)
        results["startup_to_first_vector_s"] = {
            "sentence_transformers": round(startup_seconds(
                "from sentence_transformers import SentenceTransformer\n"
                f"SentenceTransformer({path!r}, device='cpu', local_files_only=True).encode(['a query'])"), 2),
            "notesgraph Encoder": round(startup_seconds(
                "from notesgraph.embeddings import Encoder\nEncoder(threads=1).encode(['a query'])"), 2)}
    results["load_average_end"] = os.getloadavg()[0]
    print(json.dumps(results, indent=1) if args.json else results["folder_10k"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
