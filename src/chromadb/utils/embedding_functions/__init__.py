"""Chroma's import path for embedding functions; re-exports `chromadb.embedding_functions`.

    from chromadb.utils import embedding_functions
    ef = embedding_functions.DefaultEmbeddingFunction()
"""

from __future__ import annotations

from typing import Any

from chromadb.embedding_functions import (
    DefaultEmbeddingFunction,
    EmbeddingFunction,
    ONNXMiniLM_L6_V2,
    ef_from_config,
    known_embedding_functions,
    register_embedding_function,
)

# --- local embedding functions (models run in this process; BM25 computed here) ---
from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    register_sparse_embedding_function,
    sparse_known_embedding_functions,
)
from chromadb.utils.embedding_functions.bm25_embedding_function import Bm25EmbeddingFunction
from chromadb.utils.embedding_functions.chroma_bm25_embedding_function import ChromaBm25EmbeddingFunction
from chromadb.utils.embedding_functions.chroma_langchain_embedding_function import (
    ChromaLangchainEmbeddingFunction,
    create_langchain_embedding,
)
from chromadb.utils.embedding_functions.fastembed_sparse_embedding_function import FastembedSparseEmbeddingFunction
from chromadb.utils.embedding_functions.huggingface_sparse_embedding_function import (
    HuggingFaceSparseEmbeddingFunction,
)
from chromadb.utils.embedding_functions.instructor_embedding_function import InstructorEmbeddingFunction
from chromadb.utils.embedding_functions.open_clip_embedding_function import OpenCLIPEmbeddingFunction
from chromadb.utils.embedding_functions.sentence_transformer_embedding_function import (
    SentenceTransformerEmbeddingFunction,
)
from chromadb.utils.embedding_functions.text2vec_embedding_function import Text2VecEmbeddingFunction

# Upstream's registry key; its name() is "langchain", which upstream leaves unregistered,
# so a persisted "langchain" config reopens without a function, as there.
known_embedding_functions["chroma_langchain"] = ChromaLangchainEmbeddingFunction

_LOCAL = [
    "Bm25EmbeddingFunction",
    "ChromaBm25EmbeddingFunction",
    "ChromaLangchainEmbeddingFunction",
    "FastembedSparseEmbeddingFunction",
    "HuggingFaceSparseEmbeddingFunction",
    "InstructorEmbeddingFunction",
    "OpenCLIPEmbeddingFunction",
    "SentenceTransformerEmbeddingFunction",
    "SparseEmbeddingFunction",
    "Text2VecEmbeddingFunction",
    "create_langchain_embedding",
    "register_sparse_embedding_function",
    "sparse_known_embedding_functions",
]
# --- end of local embedding functions ---

__all__ = [
    "DefaultEmbeddingFunction",
    "EmbeddingFunction",
    "ONNXMiniLM_L6_V2",
    "config_to_embedding_function",
    "get_builtins",
    "known_embedding_functions",
    "register_embedding_function",
]


def config_to_embedding_function(config: dict[str, Any]) -> EmbeddingFunction[Any]:
    """Rebuild a known embedding function from `{"name": ..., "config": ...}` (Chroma's helper)."""
    ef = ef_from_config({"type": "known", **config})
    if ef is None:
        raise ValueError(f"Unknown embedding function {config.get('name')!r}")
    return ef


def get_builtins() -> list[str]:
    """Names of the embedding functions this package provides."""
    return sorted(known_embedding_functions)


__all__ += _LOCAL
