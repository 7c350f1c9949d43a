"""Upstream's import path for Chroma's BM25 text pipeline (the tokenizer of `ChromaBm25EmbeddingFunction`).

    from chromadb.utils.embedding_functions.schemas.bm25_tokenizer import Bm25Tokenizer, get_english_stemmer

    tokenizer = Bm25Tokenizer(get_english_stemmer(), DEFAULT_CHROMA_BM25_STOPWORDS, 40)
    tokenizer.tokenize("The cats ran")  # ['cat', 'ran']
"""

from __future__ import annotations

from chromadb.utils.embedding_functions._bm25_tokenizer import (
    DEFAULT_ENGLISH_STOPWORDS,
    Bm25Tokenizer,
    Murmur3AbsHasher,
    SnowballStemmer,
    get_english_stemmer,
)
from chromadb.utils.embedding_functions.chroma_bm25_embedding_function import DEFAULT_CHROMA_BM25_STOPWORDS

__all__ = [
    "DEFAULT_CHROMA_BM25_STOPWORDS",
    "DEFAULT_ENGLISH_STOPWORDS",
    "Bm25Tokenizer",
    "Murmur3AbsHasher",
    "SnowballStemmer",
    "get_english_stemmer",
]
