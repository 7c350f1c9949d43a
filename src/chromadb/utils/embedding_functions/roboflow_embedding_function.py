"""Roboflow CLIP embeddings for texts and images, one request per item.

    ef = RoboflowEmbeddingFunction()   # key in CHROMA_ROBOFLOW_API_KEY

Texts: POST {api_url}/clip/embed_text?api_key=... with `{"text"}`; images (numpy arrays):
POST {api_url}/clip/embed_image?api_key=... with `{"image": {"type": "base64", "value": PNG}}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import STR, check_config
from chromadb.utils.embedding_functions._http import EmbeddingServiceError, JsonService, api_key_from_env, as_vectors
from chromadb.utils.embedding_functions._images import is_document, is_image, png_base64

__all__ = ["RoboflowEmbeddingFunction"]


@register_embedding_function
class RoboflowEmbeddingFunction(EmbeddingFunction[Sequence[Any]]):
    """Embeds texts and images into one CLIP space with Roboflow's inference API (or a self-hosted one)."""

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str = "https://infer.roboflow.com",
        api_key_env_var: str = "CHROMA_ROBOFLOW_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="ROBOFLOW_API_KEY"
        )
        self.api_url = api_url
        self._service = JsonService("Roboflow", {})

    def __call__(self, input: Sequence[Any]) -> list[np.ndarray]:
        vectors: list[np.ndarray] = []
        for item in input:
            if is_image(item):
                path, payload = "embed_image", {"image": {"type": "base64", "value": png_base64(item)}}
            elif is_document(item):
                path, payload = "embed_text", {"text": item}
            else:
                raise ValueError(f"Roboflow embeds texts and images (numpy arrays), not {type(item).__name__}")
            body = self._service.post(
                f"{self.api_url.rstrip('/')}/clip/{path}", payload, params={"api_key": self.api_key}
            )
            embeddings = body.get("embeddings") if isinstance(body, dict) else None
            if not embeddings:
                raise EmbeddingServiceError("Roboflow", f"answered without 'embeddings': {str(body)[:200]}")
            vectors.append(as_vectors(embeddings[:1], "Roboflow")[0])
        return vectors

    @staticmethod
    def name() -> str:
        return "roboflow"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RoboflowEmbeddingFunction:
        RoboflowEmbeddingFunction.validate_config(config)
        return RoboflowEmbeddingFunction(api_key_env_var=config["api_key_env_var"], api_url=config["api_url"])

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "api_url": self.api_url}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "roboflow", {"api_url": STR, "api_key_env_var": STR}, required=("api_key_env_var", "api_url"))
