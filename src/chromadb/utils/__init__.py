"""Helpers under Chroma's import paths (`chromadb.utils.embedding_functions`)."""
