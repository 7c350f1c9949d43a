"""Together AI embeddings: POST {ENDPOINT} with `{"model", "input"}`.

    ef = TogetherAIEmbeddingFunction(model_name="togethercomputer/m2-bert-80M-8k-retrieval")
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
)

__all__ = ["TogetherAIEmbeddingFunction"]

ENDPOINT = "https://api.together.xyz/v1/embeddings"


@register_embedding_function
class TogetherAIEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Together AI model; TOGETHER_API_KEY wins over `api_key_env_var` when set."""

    def __init__(
        self, model_name: str, api_key: str | None = None, api_key_env_var: str = "CHROMA_TOGETHER_AI_API_KEY"
    ) -> None:
        self.model_name = model_name
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="TOGETHER_API_KEY"
        )
        self._service = JsonService(
            "Together AI", {"Authorization": f"Bearer {self.api_key}", "accept": "application/json"}
        )

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        # Upstream refuses these before calling; kept so the same inputs fail the same way.
        if not input:
            raise ValueError("Input is required")
        if not isinstance(input, list):
            raise ValueError("Input must be a list")
        if not all(isinstance(item, str) for item in input):
            raise ValueError("All items in input must be strings")
        body = self._service.post(ENDPOINT, {"model": self.model_name, "input": input})
        return openai_style_vectors(body, "Together AI", len(input))

    @staticmethod
    def name() -> str:
        return "together_ai"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> TogetherAIEmbeddingFunction:
        TogetherAIEmbeddingFunction.validate_config(config)
        return TogetherAIEmbeddingFunction(model_name=config["model_name"], api_key_env_var=config["api_key_env_var"])

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model_name": self.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config, "together_ai", {"api_key_env_var": STR, "model_name": STR}, required=("api_key_env_var", "model_name")
        )
