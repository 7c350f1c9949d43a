"""Morph embeddings (an OpenAI-compatible API): POST {api_base}/embeddings.

    ef = MorphEmbeddingFunction(model_name="morph-embedding-v2")   # key in MORPH_API_KEY
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

__all__ = ["MorphEmbeddingFunction"]

DEFAULT_API_BASE = "https://api.morphllm.com/v1"


@register_embedding_function
class MorphEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts (code, mostly) with a Morph model.

    Args:
        encoding_format: "float" or "base64"; both come back as float32 vectors.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "morph-embedding-v2",
        api_base: str = DEFAULT_API_BASE,
        encoding_format: str = "float",
        api_key_env_var: str = "MORPH_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var)
        self.model_name = model_name
        self.api_base = api_base
        self.encoding_format = encoding_format
        self._service = JsonService("Morph", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        payload = {"model": self.model_name, "input": texts, "encoding_format": self.encoding_format}
        body = self._service.post(f"{self.api_base.rstrip('/')}/embeddings", payload)
        return openai_style_vectors(body, "Morph", len(texts))

    @staticmethod
    def name() -> str:
        return "morph"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MorphEmbeddingFunction:
        MorphEmbeddingFunction.validate_config(config)
        return MorphEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            api_base=config.get("api_base") or DEFAULT_API_BASE,
            encoding_format=config.get("encoding_format") or "float",
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "api_base": self.api_base,
            "encoding_format": self.encoding_format,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "morph",
            {"model_name": STR, "api_key_env_var": STR, "api_base": STR, "encoding_format": STR},
            required=("api_key_env_var", "model_name"),
        )
