"""Embedding functions: the protocol, the registry of known ones, and the default model.

    from chromadb.embedding_functions import DefaultEmbeddingFunction
    vectors = DefaultEmbeddingFunction()(["hello world"])

Importing this package loads no model and no onnxruntime; that happens on first call.
"""

from __future__ import annotations

from chromadb.embedding_functions import registry
from chromadb.embedding_functions._model_files import (
    EmbeddingModelIntegrityError,
    EmbeddingModelNotFoundError,
)
from chromadb.embedding_functions.base import EmbeddingFunction, normalize_embeddings
from chromadb.embedding_functions.default import DefaultEmbeddingFunction, ONNXMiniLM_L6_V2
from chromadb.embedding_functions.registry import (
    check_ef_matches,
    config_for,
    ef_from_config,
    known_embedding_functions,
    register_embedding_function,
)

__all__ = [
    "DefaultEmbeddingFunction",
    "EmbeddingFunction",
    "EmbeddingModelIntegrityError",
    "EmbeddingModelNotFoundError",
    "ONNXMiniLM_L6_V2",
    "check_ef_matches",
    "config_for",
    "ef_from_config",
    "known_embedding_functions",
    "normalize_embeddings",
    "register_embedding_function",
    "registry",
]
