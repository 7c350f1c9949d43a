"""Chroma's import path for the sparse-vector helper (`normalize_sparse_vector`)."""

from chromadb.embedding_functions.sparse import normalize_sparse_vector

__all__ = ["normalize_sparse_vector"]
