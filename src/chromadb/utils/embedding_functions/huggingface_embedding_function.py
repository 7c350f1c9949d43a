"""Hugging Face embeddings: the hosted Inference API, and a Text Embeddings Inference server.

    ef = HuggingFaceEmbeddingFunction(model_name="sentence-transformers/all-MiniLM-L6-v2")
    tei = HuggingFaceEmbeddingServer(url="http://localhost:8080/embed")

Inference API: POST {API_URL}/{model} with `{"inputs", "options": {"wait_for_model": true}}`;
TEI: POST {url} with `{"inputs"}`. Both answer a list of vectors.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import STR, check_config
from chromadb.utils.embedding_functions._http import JsonService, api_key_from_env, as_vectors, reject_changes

__all__ = ["HuggingFaceEmbeddingFunction", "HuggingFaceEmbeddingServer"]

# The feature-extraction pipeline endpoint upstream calls.
API_URL = "https://api-inference.huggingface.co/pipeline/feature-extraction"


@register_embedding_function
class HuggingFaceEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a model hosted by Hugging Face's Inference API.

    Args:
        api_key: used instead of the environment variable; not persisted.
        model_name: a feature-extraction model on the Hub.
        api_key_env_var: where the key is read from; HUGGINGFACE_API_KEY wins when set.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "sentence-transformers/all-MiniLM-L6-v2",
        api_key_env_var: str = "CHROMA_HUGGINGFACE_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="HUGGINGFACE_API_KEY"
        )
        self.model_name = model_name
        self._service = JsonService("Hugging Face Inference API", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        body = self._service.post(
            f"{API_URL}/{self.model_name}", {"inputs": texts, "options": {"wait_for_model": True}}
        )
        return as_vectors(body, self._service.service, len(texts))

    @staticmethod
    def name() -> str:
        return "huggingface"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HuggingFaceEmbeddingFunction:
        HuggingFaceEmbeddingFunction.validate_config(config)
        return HuggingFaceEmbeddingFunction(api_key_env_var=config["api_key_env_var"], model_name=config["model_name"])

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model_name": self.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config, "huggingface", {"api_key_env_var": STR, "model_name": STR}, required=("api_key_env_var", "model_name")
        )


@register_embedding_function
class HuggingFaceEmbeddingServer(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Text Embeddings Inference server (the model is the server's).

    Args:
        url: the server's embed endpoint, e.g. http://localhost:8080/embed.
        api_key_env_var: optional; the key it holds (HUGGINGFACE_API_KEY's, when that is set) is
            sent as a bearer token.
        api_key: used instead of the environment variable; not persisted.
    """

    def __init__(self, url: str, api_key_env_var: str | None = None, api_key: str | None = None) -> None:
        if api_key is not None:
            warnings.warn(
                "Direct api_key configuration will not be persisted. "
                "Please use environment variables via api_key_env_var for persistent storage.",
                DeprecationWarning,
                stacklevel=2,
            )
        self.url = url
        # The key is optional here: a local server usually has none.
        self.api_key_env_var = "HUGGINGFACE_API_KEY" if os.getenv("HUGGINGFACE_API_KEY") is not None else api_key_env_var
        self.api_key = api_key or (os.getenv(self.api_key_env_var) if self.api_key_env_var else None)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._service = JsonService("Hugging Face embedding server", headers)

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        return as_vectors(self._service.post(self.url, {"inputs": texts}), self._service.service, len(texts))

    @staticmethod
    def name() -> str:
        return "huggingface_server"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> HuggingFaceEmbeddingServer:
        HuggingFaceEmbeddingServer.validate_config(config)
        return HuggingFaceEmbeddingServer(url=config["url"], api_key_env_var=config.get("api_key_env_var"))

    def get_config(self) -> dict[str, Any]:
        return {"url": self.url, "api_key_env_var": self.api_key_env_var}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if "url" in new_config and new_config["url"] != self.url:
            raise ValueError("The URL cannot be changed after the embedding function has been initialized.")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "huggingface_server", {"url": STR, "api_key_env_var": STR}, required=("url",))
