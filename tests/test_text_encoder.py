"""The transformers-only encoder gives sentence-transformers' vectors for the bundled model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import REPO, SEED
from notesgraph.embeddings import _load_model, bundled_model_path
from notesgraph.text_encoder import PlainSentenceEncoder, plain_layout


def test_the_same_vectors_as_sentence_transformers(encoder) -> None:
    from sentence_transformers import SentenceTransformer

    path = bundled_model_path()
    assert isinstance(_load_model(path), PlainSentenceEncoder)  # what the Encoder now runs
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    texts = paragraphs[:24] + ["short", "x", " ".join(paragraphs) * 3]  # the last is cut at 256 pieces
    reference = SentenceTransformer(str(path), device="cpu", local_files_only=True).encode(
        texts, batch_size=8, normalize_embeddings=True)
    ours = encoder.encode(texts)
    cosines = (reference * ours).sum(axis=1)
    assert ours.dtype == np.float32 and ours.shape == reference.shape
    assert cosines.min() > 0.99999, cosines.min()


def test_other_layouts_are_left_to_sentence_transformers(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder, ignore=shutil.ignore_patterns("*.safetensors"))
    assert plain_layout(folder) == {"max_seq_length": 256, "normalize": True}
    pooling = folder / "1_Pooling" / "config.json"
    settings = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**settings, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    assert plain_layout(folder) is None
    pooling.write_text(json.dumps(settings))
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").write_text(json.dumps(modules + [{"idx": 3, "name": "3", "path": "3_Dense",
                                                                "type": "sentence_transformers.models.Dense"}]))
    assert plain_layout(folder) is None
    (folder / "modules.json").unlink()
    assert plain_layout(folder) is None


def test_a_query_embeds_without_importing_sentence_transformers() -> None:
    probe = ("import sys\nfrom notesgraph.embeddings import Encoder\n"
             "v = Encoder(threads=1).encode(['a question about instruction tuning'])\n"
             "print(v.shape, 'sentence_transformers' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["(1,", "384)", "False"]
