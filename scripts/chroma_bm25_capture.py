"""Print real chromadb's ChromaBm25EmbeddingFunction output for a fixed set of texts, as JSON.

Run with a Python that has the released chromadb (and snowballstemmer, which chromadb
imports on first use but does not depend on); `scripts/chroma_bm25_capture.sh` does
both. Our tests compare `tests/fixtures/chroma_bm25_upstream.json` with our output.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version

import chromadb
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Running runners ran; the runner runs RUNNING!",
    "Don't stop: it's the end of the world as we know it, isn't it?",
    "",
    "   \t\n  ",
    "the a an of and",  # only stopwords
    "C++ & C#, e-mail, state-of-the-art, snake_case_names and 3.14159 or 42",
    "Café naïve résumé coöperate Straße ĲSSELMEER",
    "東京は日本の首都です。 北京 上海",
    "Привет мир, как дела? Ελληνικά γράμματα",
    "emoji 🙂 between 🚀 words 🙂",
    "supercalifragilisticexpialidocious " * 3 + "short",
    "a" * 40 + " " + "b" * 41 + " " + "ccc",  # exactly at and just over the length limit
    "repeat repeat repeat repeat different",
    "generously generation generative generalization generalizations",
    "Hello\u00a0non\u2009breaking\u3000spaces and\u200bzero width",
    "HTML <b>tags</b> &amp; entities &#39; stay",
    "1 22 333 4444 55555 0x1F 1e10 -7",
]

PARAMETERS: list[dict[str, object]] = [
    {},
    {"k": 0.9, "b": 0.4, "avg_doc_length": 12.5},
    {"token_max_length": 5},
    {"stopwords": ["quick", "Fox", "RUNNING", "東京は日本の首都です"]},
    {"stopwords": []},
    {"include_tokens": True},
    {"b": 0.0, "k": 2.0, "include_tokens": True, "stopwords": ["the"]},
]


def vector_json(vector: object) -> dict[str, object]:
    return {
        "indices": list(vector.indices),  # type: ignore[attr-defined]
        "values": list(vector.values),  # type: ignore[attr-defined]
        "labels": None if vector.labels is None else list(vector.labels),  # type: ignore[attr-defined]
    }


def main() -> None:
    cases = []
    for params in PARAMETERS:
        ef = ChromaBm25EmbeddingFunction(**params)  # type: ignore[arg-type]
        cases.append(
            {
                "params": params,
                "config": ef.get_config(),
                "documents": [vector_json(v) for v in ef(TEXTS)],
                "queries": [vector_json(v) for v in ef.embed_query(TEXTS)],
            }
        )
    json.dump(
        {
            "chromadb": chromadb.__version__,
            "snowballstemmer": version("snowballstemmer"),
            "texts": TEXTS,
            "cases": cases,
        },
        sys.stdout,
        ensure_ascii=False,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
