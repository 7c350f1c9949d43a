"""Mistral embeddings: POST {API_URL} with `{"model", "input"}`.

    ef = MistralEmbeddingFunction(model="mistral-embed")   # key in MISTRAL_API_KEY
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import STR, check_config
from chromadb.utils.embedding_functions._http import (
    JsonService,
    api_key_from_env,
    openai_style_vectors,
    reject_changes,
    require_texts,
)

__all__ = ["MistralEmbeddingFunction"]

API_URL = "https://api.mistral.ai/v1/embeddings"


@register_embedding_function
class MistralEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Mistral model; the key is read from `api_key_env_var` only."""

    def __init__(self, model: str, api_key_env_var: str = "MISTRAL_API_KEY") -> None:
        self.model = model
        self.api_key_env_var, self.api_key = api_key_from_env(None, api_key_env_var)
        self._service = JsonService("Mistral", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Mistral")
        if not texts:
            return []
        body = self._service.post(API_URL, {"model": self.model, "input": texts})
        return openai_style_vectors(body, "Mistral", len(texts))

    @staticmethod
    def name() -> str:
        return "mistral"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MistralEmbeddingFunction:
        MistralEmbeddingFunction.validate_config(config)
        return MistralEmbeddingFunction(model=config["model"], api_key_env_var=config["api_key_env_var"])

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model, "api_key_env_var": self.api_key_env_var}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "mistral", {"model": STR, "api_key_env_var": STR}, required=("api_key_env_var", "model"))
