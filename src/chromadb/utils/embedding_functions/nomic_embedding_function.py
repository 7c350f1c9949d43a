"""Nomic Atlas embeddings: POST {API_URL} with `{"model", "texts", "task_type"}`.

    ef = NomicEmbeddingFunction(model="nomic-embed-text-v1.5", task_type="search_document",
                                query_config={"task_type": "search_query"})
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import DICT, STR, check_config
from chromadb.utils.embedding_functions._http import (
    EmbeddingServiceError,
    JsonService,
    api_key_from_env,
    as_vectors,
    reject_changes,
    require_texts,
)

__all__ = ["NomicEmbeddingFunction", "NomicQueryConfig"]

API_URL = "https://api-atlas.nomic.ai/v1/embedding/text"


class NomicQueryConfig(TypedDict):
    """The task type used for queries (`embed_query`) instead of the documents' one."""

    task_type: str


@register_embedding_function
class NomicEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Nomic model.

    Args:
        task_type: search_document, search_query, classification or clustering.
        query_config: optional, e.g. {"task_type": "search_query"} for `embed_query`.
    """

    def __init__(
        self,
        model: str,
        task_type: str,
        query_config: NomicQueryConfig | None,
        api_key_env_var: str = "NOMIC_API_KEY",
    ) -> None:
        self.model = model
        self.task_type = task_type
        self.query_config = query_config
        self.api_key_env_var, self.api_key = api_key_from_env(None, api_key_env_var)
        self._service = JsonService("Nomic", {"Authorization": f"Bearer {self.api_key}"})

    def _embed(self, input: Sequence[str], task_type: str) -> list[np.ndarray]:
        texts = require_texts(input, "Nomic")
        if not texts:
            return []
        body = self._service.post(API_URL, {"model": self.model, "texts": texts, "task_type": task_type})
        if not isinstance(body, dict) or "embeddings" not in body:
            raise EmbeddingServiceError("Nomic", f"answered without 'embeddings': {str(body)[:200]}")
        return as_vectors(body["embeddings"], "Nomic", len(texts))

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        return self._embed(input, self.task_type)

    def embed_query(self, input: Sequence[str]) -> list[np.ndarray]:
        task_type = self.query_config.get("task_type") if self.query_config else None
        return self._embed(input, task_type or self.task_type)

    @staticmethod
    def name() -> str:
        return "nomic"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NomicEmbeddingFunction:
        NomicEmbeddingFunction.validate_config(config)
        return NomicEmbeddingFunction(
            model=config["model"],
            api_key_env_var=config["api_key_env_var"],
            task_type=config["task_type"],
            query_config=config.get("query_config"),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "api_key_env_var": self.api_key_env_var,
            "task_type": self.task_type,
            "query_config": self.query_config,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        # Upstream's schema requires nothing, but a function cannot be built without these three.
        check_config(
            config,
            "nomic",
            {"model": STR, "api_key_env_var": STR, "task_type": STR, "query_config": DICT},
            required=("model", "api_key_env_var", "task_type"),
        )
