"""Voyage AI embeddings: POST {API_URL} with `{"input", "model", "input_type", "truncation"}`.

    ef = VoyageAIEmbeddingFunction(model_name="voyage-3", input_type="document")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import BOOL, STR, check_config
from chromadb.utils.embedding_functions._http import (
    JsonService,
    api_key_from_env,
    openai_style_vectors,
    reject_changes,
    require_texts,
)

__all__ = ["VoyageAIEmbeddingFunction"]

API_URL = "https://api.voyageai.com/v1/embeddings"


@register_embedding_function
class VoyageAIEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Voyage AI model.

    Args:
        input_type: None, "query" or "document" (Voyage prepends a matching prompt).
        truncation: let the service cut texts longer than the model's context.
        api_key_env_var: where the key is read from; VOYAGE_API_KEY wins when set.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "voyage-large-2",
        api_key_env_var: str = "CHROMA_VOYAGE_API_KEY",
        input_type: str | None = None,
        truncation: bool = True,
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var, preferred_env_var="VOYAGE_API_KEY")
        self.model_name = model_name
        self.input_type = input_type
        self.truncation = truncation
        self._service = JsonService("Voyage AI", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Voyage AI")
        if not texts:
            return []
        payload: dict[str, Any] = {"input": texts, "model": self.model_name, "truncation": self.truncation}
        if self.input_type is not None:
            payload["input_type"] = self.input_type
        return openai_style_vectors(self._service.post(API_URL, payload), "Voyage AI", len(texts))

    @staticmethod
    def name() -> str:
        return "voyageai"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> VoyageAIEmbeddingFunction:
        VoyageAIEmbeddingFunction.validate_config(config)
        truncation = config.get("truncation")
        return VoyageAIEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            input_type=config.get("input_type"),
            truncation=True if truncation is None else truncation,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "input_type": self.input_type,
            "truncation": self.truncation,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "voyageai",
            {"api_key_env_var": STR, "model_name": STR, "input_type": STR, "truncation": BOOL},
            required=("api_key_env_var", "model_name"),
        )
