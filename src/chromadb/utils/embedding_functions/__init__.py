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

# --- remote embedding functions (services called over HTTP) ---
from chromadb.utils.embedding_functions._http import EmbeddingServiceError
from chromadb.utils.embedding_functions.cohere_embedding_function import CohereEmbeddingFunction
from chromadb.utils.embedding_functions.huggingface_embedding_function import (
    HuggingFaceEmbeddingFunction,
    HuggingFaceEmbeddingServer,
)
from chromadb.utils.embedding_functions.ollama_embedding_function import OllamaEmbeddingFunction
from chromadb.utils.embedding_functions.openai_embedding_function import OpenAIEmbeddingFunction

_REMOTE = [
    "CohereEmbeddingFunction",
    "EmbeddingServiceError",
    "HuggingFaceEmbeddingFunction",
    "HuggingFaceEmbeddingServer",
    "OllamaEmbeddingFunction",
    "OpenAIEmbeddingFunction",
]
# --- end of remote embedding functions ---

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


__all__ += _REMOTE
