"""ChromaBm25EmbeddingFunction: BM25 term weights as sparse vectors, computed here (no model).

Each document becomes one SparseVector: index = murmur3 hash of a stemmed token, value =
its BM25 term-frequency weight `tf * (k + 1) / (tf + k * (1 - b + b * len / avg_doc_length))`.
The inverse document frequency is applied by the server at query time (a sparse index
with `bm25=True`), so the vectors depend only on the text and these parameters; they equal
real Chroma 1.5.9's for the same input (checked against a captured fixture).

    ef = ChromaBm25EmbeddingFunction()
    [vector] = ef(["The quick brown fox"])   # vector.indices, vector.values
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVector,
    SparseVectors,
    register_sparse_embedding_function,
)
from chromadb.utils.embedding_functions._bm25_tokenizer import (
    DEFAULT_ENGLISH_STOPWORDS,
    Bm25Tokenizer,
    english_stemmer,
    murmur3_abs_hasher,
)
from chromadb.utils.embedding_functions._local_schema import Field, check_config

__all__ = [
    "DEFAULT_AVG_DOC_LENGTH",
    "DEFAULT_B",
    "DEFAULT_CHROMA_BM25_STOPWORDS",
    "DEFAULT_K",
    "DEFAULT_TOKEN_MAX_LENGTH",
    "NAME",
    "ChromaBm25Config",
    "ChromaBm25EmbeddingFunction",
]

NAME = "chroma_bm25"

DEFAULT_K = 1.2
DEFAULT_B = 0.75
DEFAULT_AVG_DOC_LENGTH = 256.0
DEFAULT_TOKEN_MAX_LENGTH = 40
DEFAULT_CHROMA_BM25_STOPWORDS: list[str] = list(DEFAULT_ENGLISH_STOPWORDS)

_SCHEMA = {
    "k": Field((float,)),
    "b": Field((float,)),
    "avg_doc_length": Field((float,)),
    "token_max_length": Field((float,)),
    "stopwords": Field((list,)),
    "include_tokens": Field((bool,)),
}


class ChromaBm25Config(TypedDict, total=False):
    k: float
    b: float
    avg_doc_length: float
    token_max_length: int
    stopwords: list[str]
    include_tokens: bool


@register_sparse_embedding_function
class ChromaBm25EmbeddingFunction(SparseEmbeddingFunction[list[str]]):
    """BM25 sparse vectors of English text.

    Args:
        k: term-frequency saturation (1.2).
        b: document-length normalisation (0.75).
        avg_doc_length: average document length in tokens that `b` normalises against (256).
        token_max_length: longer words are dropped before stemming (40).
        stopwords: words to drop (case-insensitive); None for the English default list.
        include_tokens: also return each index's stemmed token as the vector's `labels`.
    """

    def __init__(
        self,
        k: float = DEFAULT_K,
        b: float = DEFAULT_B,
        avg_doc_length: float = DEFAULT_AVG_DOC_LENGTH,
        token_max_length: int = DEFAULT_TOKEN_MAX_LENGTH,
        stopwords: Iterable[str] | None = None,
        include_tokens: bool = False,
    ) -> None:
        self.k = float(k)
        self.b = float(b)
        self.avg_doc_length = float(avg_doc_length)
        self.token_max_length = int(token_max_length)
        self.include_tokens = bool(include_tokens)
        # None (the default list) is kept apart from an explicit list: only the latter is persisted.
        self.stopwords: list[str] | None = None if stopwords is None else [str(w) for w in stopwords]

    def _tokenizer(self) -> Bm25Tokenizer:
        stopwords = DEFAULT_CHROMA_BM25_STOPWORDS if self.stopwords is None else self.stopwords
        return Bm25Tokenizer(english_stemmer(), stopwords, self.token_max_length)

    def _encode(self, tokenizer: Bm25Tokenizer, hash_token: Callable[[str], int], text: str) -> SparseVector:
        tokens = tokenizer.tokenize(text)
        if not tokens:
            return SparseVector(indices=[], values=[])
        # Tokens whose hashes collide count as one term; the first one names it.
        counts: dict[int, int] = {}
        first_token: dict[int, str] = {}
        for token in tokens:
            h = hash_token(token)
            counts[h] = counts.get(h, 0) + 1
            first_token.setdefault(h, token)
        doc_len = float(len(tokens))
        # The same operations in the same order as upstream, so the floats are identical.
        length_norm = 1 - self.b + (self.b * doc_len) / self.avg_doc_length
        indices = sorted(counts)
        values = []
        for h in indices:
            tf = float(counts[h])
            values.append(tf * (self.k + 1) / (tf + self.k * length_norm))
        labels = [first_token[h] for h in indices] if self.include_tokens else None
        return SparseVector(indices=indices, values=values, labels=labels)

    def __call__(self, input: list[str]) -> SparseVectors:
        if not input:
            return []
        tokenizer = self._tokenizer()
        hash_token = murmur3_abs_hasher()
        return [self._encode(tokenizer, hash_token, text) for text in input]

    def embed_query(self, input: list[str]) -> SparseVectors:
        return self.__call__(input)

    @staticmethod
    def name() -> str:
        return NAME

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaBm25EmbeddingFunction:
        return ChromaBm25EmbeddingFunction(
            k=config.get("k", DEFAULT_K),
            b=config.get("b", DEFAULT_B),
            avg_doc_length=config.get("avg_doc_length", DEFAULT_AVG_DOC_LENGTH),
            token_max_length=config.get("token_max_length", DEFAULT_TOKEN_MAX_LENGTH),
            stopwords=config.get("stopwords"),
            include_tokens=config.get("include_tokens", False),
        )

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "k": self.k,
            "b": self.b,
            "avg_doc_length": self.avg_doc_length,
            "token_max_length": self.token_max_length,
            "include_tokens": self.include_tokens,
        }
        if self.stopwords is not None:
            config["stopwords"] = list(self.stopwords)
        return config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        for key in new_config:
            if key not in _SCHEMA:
                raise ValueError(f"Updating '{key}' is not supported for {NAME}")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, NAME, _SCHEMA)
        stopwords = config.get("stopwords")
        if stopwords is not None and not all(isinstance(w, str) for w in stopwords):
            raise ValueError(f"Config validation failed for schema '{NAME}': stopwords must be strings")
