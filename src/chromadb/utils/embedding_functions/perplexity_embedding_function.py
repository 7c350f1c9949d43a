"""Perplexity embeddings: POST {API_URL} with `{"input", "model", "dimensions"}`.

    ef = PerplexityEmbeddingFunction(model_name="pplx-embed-v1-0.6b")   # key in PERPLEXITY_API_KEY

The service answers base64 of signed int8 values (its default encoding); they come back as
float32 vectors of those values, as upstream decodes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import NUMBER, STR, check_config
from chromadb.utils.embedding_functions._http import (
    EmbeddingServiceError,
    JsonService,
    api_key_from_env,
    as_vectors,
    decode_int8,
    reject_changes,
)

__all__ = ["PerplexityEmbeddingFunction"]

API_URL = "https://api.perplexity.ai/v1/embeddings"


@register_embedding_function
class PerplexityEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Perplexity model.

    Args:
        dimensions: a smaller size for the vectors (Matryoshka); None for the model's full size.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "pplx-embed-v1-0.6b",
        api_key_env_var: str = "PERPLEXITY_API_KEY",
        dimensions: int | None = None,
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="PERPLEXITY_API_KEY"
        )
        self.model_name = model_name
        self.dimensions = dimensions
        self._service = JsonService("Perplexity", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        payload: dict[str, Any] = {"input": texts, "model": self.model_name}
        if self.dimensions is not None:
            payload["dimensions"] = self.dimensions
        body = self._service.post(API_URL, payload)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise EmbeddingServiceError("Perplexity", f"answered without a 'data' list: {str(body)[:200]}")
        if all("index" in item for item in data):
            data = sorted(data, key=lambda item: item["index"])
        rows = [decode_int8(item["embedding"]) if isinstance(item.get("embedding"), str) else item.get("embedding") for item in data]
        return as_vectors(rows, "Perplexity", len(texts))

    @staticmethod
    def name() -> str:
        return "perplexity"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> PerplexityEmbeddingFunction:
        PerplexityEmbeddingFunction.validate_config(config)
        return PerplexityEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"], model_name=config["model_name"], dimensions=config.get("dimensions")
        )

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model_name": self.model_name, "dimensions": self.dimensions}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "perplexity",
            {"model_name": STR, "api_key_env_var": STR, "dimensions": NUMBER},
            required=("api_key_env_var", "model_name"),
        )
