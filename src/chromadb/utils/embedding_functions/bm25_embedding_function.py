"""Bm25EmbeddingFunction: fastembed's BM25 ("Qdrant/bm25"); deprecated upstream for ChromaBm25EmbeddingFunction.

Needs `pip install fastembed`, which fetches the model's stopword files on first use.
`ChromaBm25EmbeddingFunction` computes BM25 vectors here with no download.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, TypedDict

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVectors,
    register_sparse_embedding_function,
)
from chromadb.utils.embedding_functions._fastembed import embed_with_task, import_fastembed_module
from chromadb.utils.embedding_functions._local_schema import KWARGS, QUERY_CONFIG, TASK, Field, check_config
from chromadb.utils.embedding_functions.sentence_transformer_embedding_function import check_primitive_kwargs

__all__ = ["Bm25EmbeddingFunction", "Bm25EmbeddingFunctionQueryConfig", "TaskType"]

TaskType = Literal["document", "query"]

_SCHEMA = {
    "task": TASK,
    "query_config": QUERY_CONFIG,
    "cache_dir": Field((str,)),
    "k": Field((float,)),
    "b": Field((float,)),
    "avg_len": Field((float,)),
    "language": Field((str,)),
    "token_max_length": Field((int,)),
    "disable_stemmer": Field((bool,)),
    "specific_model_path": Field((str,)),
    "kwargs": KWARGS,
}

# The constructor arguments handed to fastembed's Bm25 when set (None: fastembed's default).
_MODEL_ARGUMENTS = (
    "cache_dir", "k", "b", "avg_len", "language", "token_max_length", "disable_stemmer", "specific_model_path",
)


class Bm25EmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


@register_sparse_embedding_function
class Bm25EmbeddingFunction(SparseEmbeddingFunction[list[str]]):
    """BM25 sparse vectors from `fastembed.sparse.bm25.Bm25("Qdrant/bm25", ...)`."""

    def __init__(
        self,
        avg_len: float | None = None,
        task: TaskType | None = "document",
        cache_dir: str | None = None,
        k: float | None = None,
        b: float | None = None,
        language: str | None = None,
        token_max_length: int | None = None,
        disable_stemmer: bool | None = None,
        specific_model_path: str | None = None,
        query_config: Bm25EmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        warnings.warn(
            "Bm25EmbeddingFunction is deprecated. Please use ChromaBm25EmbeddingFunction instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        bm25 = import_fastembed_module("fastembed.sparse.bm25")
        self.task = task
        self.query_config = query_config
        self.cache_dir = cache_dir
        self.k = k
        self.b = b
        self.avg_len = avg_len
        self.language = language
        self.token_max_length = token_max_length
        self.disable_stemmer = disable_stemmer
        self.specific_model_path = specific_model_path
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        arguments: dict[str, Any] = {"model_name": "Qdrant/bm25"}
        arguments.update({name: getattr(self, name) for name in _MODEL_ARGUMENTS if getattr(self, name) is not None})
        arguments.update({key: value for key, value in kwargs.items() if value is not None})
        self._model = bm25.Bm25(**arguments)

    def __call__(self, input: list[str]) -> SparseVectors:
        import_fastembed_module("fastembed.sparse.bm25")
        return embed_with_task(self._model, input, self.task)

    def embed_query(self, input: list[str]) -> SparseVectors:
        if self.query_config is None:
            return self.__call__(input)
        import_fastembed_module("fastembed.sparse.bm25")
        return embed_with_task(self._model, input, self.query_config.get("task"))

    @staticmethod
    def name() -> str:
        return "bm25"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Bm25EmbeddingFunction:
        Bm25EmbeddingFunction.validate_config(config)
        return Bm25EmbeddingFunction(
            task=config.get("task"),
            query_config=config.get("query_config"),
            **{name: config.get(name) for name in _MODEL_ARGUMENTS},
            **(config.get("kwargs") or {}),
        )

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"task": self.task, "query_config": self.query_config}
        config.update({name: getattr(self, name) for name in _MODEL_ARGUMENTS})
        config["kwargs"] = self.kwargs
        return config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "bm25", _SCHEMA)
