"""HuggingFaceSparseEmbeddingFunction: a SPLADE-style `sentence_transformers.SparseEncoder` run locally.

    ef = HuggingFaceSparseEmbeddingFunction("naver/splade-v3", device="cpu")

Needs `pip install sentence_transformers`. `task` picks the model's document or query
encoder for `__call__`; `query_config={"task": ...}` picks the one `embed_query` uses.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

import numpy as np

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVectors,
    normalize_sparse_vector,
    register_sparse_embedding_function,
)
from chromadb.utils.embedding_functions._local_schema import KWARGS, QUERY_CONFIG, TASK, Field, check_config
from chromadb.utils.embedding_functions._optional import import_optional
from chromadb.utils.embedding_functions.sentence_transformer_embedding_function import check_primitive_kwargs

__all__ = ["HuggingFaceSparseEmbeddingFunction", "HuggingFaceSparseEmbeddingFunctionQueryConfig", "TaskType"]

TaskType = Literal["document", "query"]

_SCHEMA = {
    "model_name": Field((str,), required=True),
    "device": Field((str,), required=True),
    "task": TASK,
    "query_config": QUERY_CONFIG,
    "kwargs": KWARGS,
}


class HuggingFaceSparseEmbeddingFunctionQueryConfig(TypedDict):
    task: TaskType


def _import_sentence_transformers() -> Any:
    return import_optional("sentence_transformers", "sentence_transformers", "sentence_transformers")


def _as_sparse(row: Any) -> Any:
    # The encoder returns torch tensors (often sparse ones); keep the non-zero dimensions.
    if hasattr(row, "to_dense"):
        dense = row.to_dense().numpy()
    else:
        dense = row.numpy() if hasattr(row, "numpy") else np.array(row)
    nonzero = np.where(dense != 0)[0]
    return normalize_sparse_vector(indices=nonzero.tolist(), values=dense[nonzero].tolist())


@register_sparse_embedding_function
class HuggingFaceSparseEmbeddingFunction(SparseEmbeddingFunction[list[str]]):
    """Sparse vectors from a Hugging Face SparseEncoder (e.g. prithivida/Splade_PP_en_v1, naver/splade-v3)."""

    # Loaded models by name, shared by instances (dynamic import, so typed Any).
    models: dict[str, Any] = {}

    def __init__(
        self,
        model_name: str,
        device: str,
        task: TaskType | None = "document",
        query_config: HuggingFaceSparseEmbeddingFunctionQueryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        st = _import_sentence_transformers()
        self.model_name = model_name
        self.device = device
        self.task = task
        self.query_config = query_config
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        if model_name not in self.models:
            self.models[model_name] = st.SparseEncoder(model_name_or_path=model_name, device=device, **kwargs)
        self._model = self.models[model_name]

    def _encode(self, texts: list[str], task: str | None) -> SparseVectors:
        _import_sentence_transformers()
        if task == "document":
            rows = self._model.encode_document(list(texts))
        elif task == "query":
            rows = self._model.encode_query(list(texts))
        else:
            raise ValueError(f"Invalid task: {task}")
        return [_as_sparse(row) for row in rows]

    def __call__(self, input: list[str]) -> SparseVectors:
        return self._encode(input, self.task)

    def embed_query(self, input: list[str]) -> SparseVectors:
        if self.query_config is None:
            return self.__call__(input)
        return self._encode(input, self.query_config.get("task"))

    @staticmethod
    def name() -> str:
        return "huggingface_sparse"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HuggingFaceSparseEmbeddingFunction:
        HuggingFaceSparseEmbeddingFunction.validate_config(config)
        return HuggingFaceSparseEmbeddingFunction(
            model_name=config["model_name"],
            device=config["device"],
            task=config.get("task"),
            query_config=config.get("query_config"),
            **(config.get("kwargs") or {}),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "device": self.device,
            "task": self.task,
            "query_config": self.query_config,
            "kwargs": self.kwargs,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "huggingface_sparse", _SCHEMA)
