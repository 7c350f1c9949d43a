"""Embeddings from an Ollama server: POST {url}/api/embed with `{"model", "input"}`.

    ef = OllamaEmbeddingFunction(url="http://localhost:11434", model_name="nomic-embed-text")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import INT, STR, check_config
from chromadb.utils.embedding_functions._http import (
    EmbeddingServiceError,
    JsonService,
    as_vectors,
    reject_changes,
)

__all__ = ["OllamaEmbeddingFunction"]

DEFAULT_MODEL_NAME = "chroma/all-minilm-l6-v2-f32"


@register_embedding_function
class OllamaEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a model served by Ollama (no API key).

    Args:
        url: the server's base URL; an old-style ".../api/embeddings" URL is accepted too.
        model_name: an Ollama model (pull it first: `ollama pull <name>`).
        timeout: seconds to wait for an answer.
    """

    def __init__(self, url: str = "http://localhost:11434", model_name: str = DEFAULT_MODEL_NAME, timeout: int = 60) -> None:
        self.url = url
        self.model_name = model_name
        self.timeout = timeout
        self._base_url = _base_url(url)
        self._service = JsonService("Ollama", {}, timeout=timeout)

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        body = self._service.post(f"{self._base_url}/api/embed", {"model": self.model_name, "input": texts})
        if not isinstance(body, dict) or "embeddings" not in body:
            raise EmbeddingServiceError("Ollama", f"answered without 'embeddings': {str(body)[:200]}")
        return as_vectors(body["embeddings"], "Ollama", len(texts))

    @staticmethod
    def name() -> str:
        return "ollama"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OllamaEmbeddingFunction:
        OllamaEmbeddingFunction.validate_config(config)
        return OllamaEmbeddingFunction(
            url=config["url"], model_name=config["model_name"], timeout=config.get("timeout") or 60
        )

    def get_config(self) -> dict[str, Any]:
        return {"url": self.url, "model_name": self.model_name, "timeout": self.timeout}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "ollama", {"url": STR, "model_name": STR, "timeout": INT}, required=("url", "model_name"))


def _base_url(url: str) -> str:
    if "://" not in url:
        url = f"http://{url}"
    parsed = urlparse(url)
    # Older versions took the full embeddings endpoint; keep accepting it.
    if parsed.path.rstrip("/").endswith("/api/embeddings") or parsed.path.rstrip("/").endswith("/api/embed"):
        return f"{parsed.scheme}://{parsed.netloc}"
    return url.rstrip("/")
