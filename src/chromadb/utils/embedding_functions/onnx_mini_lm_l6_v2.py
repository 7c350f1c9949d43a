"""Chroma's module path for the built-in all-MiniLM-L6-v2 function (`ONNXMiniLM_L6_V2`)."""

from chromadb.embedding_functions.default import ONNXMiniLM_L6_V2

__all__ = ["ONNXMiniLM_L6_V2"]
