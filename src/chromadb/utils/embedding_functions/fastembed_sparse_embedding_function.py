"""FastembedSparseEmbeddingFunction: a fastembed `SparseTextEmbedding` model run locally.

    ef = FastembedSparseEmbeddingFunction("prithivida/Splade_PP_en_v1")

Needs `pip install fastembed`, which fetches its model files on first use.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVectors,
    register_sparse_embedding_function,
)
from chromadb.utils.embedding_functions._fastembed import embed_with_task, import_fastembed_module
from chromadb.utils.embedding_functions._local_schema import KWARGS, QUERY_CONFIG, TASK, Field, check_config
from chromadb.utils.embedding_functions.sentence_transformer_embedding_function import check_primitive_kwargs

__all__ = ["FastembedSparseEmbeddingFunction", "FastembedSparseEmbeddingFunctionQueryConfig", "TaskType"]

TaskType = Literal["document", "query"]

_SCHEMA = {
    "model_name": Field((str,), required=True),
    "task": TASK,
    "query_config": QUERY_CONFIG,
    "cache_dir": Field((str,)),
    "threads": Field((int,)),
    "cuda": Field((bool,)),
    "device_ids": Field((list,)),
    "lazy_load": Field((bool,)),
    "kwargs": KWARGS,
}


class FastembedSparseEmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


@register_sparse_embedding_function
class FastembedSparseEmbeddingFunction(SparseEmbeddingFunction[list[str]]):
    """Sparse vectors from fastembed (e.g. Qdrant/bm25, prithivida/Splade_PP_en_v1, Qdrant/minicoil-v1)."""

    def __init__(
        self,
        model_name: str,
        task: TaskType | None = "document",
        cache_dir: str | None = None,
        threads: int | None = None,
        cuda: bool | None = None,
        device_ids: list[int] | None = None,
        lazy_load: bool | None = None,
        query_config: FastembedSparseEmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        fastembed = import_fastembed_module()
        self.task = task
        self.query_config = query_config
        self.model_name = model_name
        self.cache_dir = cache_dir
        self.threads = threads
        self.cuda = cuda
        self.device_ids = device_ids
        self.lazy_load = lazy_load
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        # Positional, as upstream passes them.
        self._model = fastembed.SparseTextEmbedding(
            model_name, cache_dir, threads, cuda, device_ids, lazy_load, **kwargs
        )

    def __call__(self, input: list[str]) -> SparseVectors:
        import_fastembed_module()
        return embed_with_task(self._model, input, self.task)

    def embed_query(self, input: list[str]) -> SparseVectors:
        if self.query_config is None:
            return self.__call__(input)
        import_fastembed_module()
        return embed_with_task(self._model, input, self.query_config.get("task"))

    @staticmethod
    def name() -> str:
        return "fastembed_sparse"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> FastembedSparseEmbeddingFunction:
        FastembedSparseEmbeddingFunction.validate_config(config)
        return FastembedSparseEmbeddingFunction(
            model_name=config["model_name"],
            task=config.get("task"),
            query_config=config.get("query_config"),
            cache_dir=config.get("cache_dir"),
            threads=config.get("threads"),
            cuda=config.get("cuda"),
            device_ids=config.get("device_ids"),
            lazy_load=config.get("lazy_load"),
            **(config.get("kwargs") or {}),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "task": self.task,
            "query_config": self.query_config,
            "cache_dir": self.cache_dir,
            "threads": self.threads,
            "cuda": self.cuda,
            "device_ids": self.device_ids,
            "lazy_load": self.lazy_load,
            "kwargs": self.kwargs,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "fastembed_sparse", _SCHEMA)
