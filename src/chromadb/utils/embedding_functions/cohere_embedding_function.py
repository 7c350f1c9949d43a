"""Cohere embeddings for texts or images: POST {API_URL} (v1 embed).

    ef = CohereEmbeddingFunction(model_name="embed-english-v3.0")   # key in CHROMA_COHERE_API_KEY

Texts go as `{"texts", "model", "input_type": "search_document"}`; images (numpy arrays)
as PNG data URIs in `{"images", "model", "input_type": "image"}`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import STR, check_config
from chromadb.utils.embedding_functions._http import (
    EmbeddingServiceError,
    JsonService,
    api_key_from_env,
    as_vectors,
    reject_changes,
)
from chromadb.utils.embedding_functions._images import is_document, is_image, png_base64

__all__ = ["CohereEmbeddingFunction"]

API_URL = "https://api.cohere.com/v1/embed"


@register_embedding_function
class CohereEmbeddingFunction(EmbeddingFunction[Sequence[Any]]):
    """Embeds texts, or images, with a Cohere model.

    Args:
        api_key: used instead of the environment variable; not persisted.
        model_name: a Cohere embed model (upstream's default, "large", is kept).
        api_key_env_var: where the key is read from; COHERE_API_KEY wins when set.
    """

    def __init__(
        self, api_key: str | None = None, model_name: str = "large", api_key_env_var: str = "CHROMA_COHERE_API_KEY"
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="COHERE_API_KEY"
        )
        self.model_name = model_name
        self._service = JsonService("Cohere", {"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Sequence[Any]) -> list[np.ndarray]:
        items = list(input)
        if not items:
            return []
        if all(is_document(item) for item in items):
            payload = {"texts": items, "model": self.model_name, "input_type": "search_document"}
        elif all(is_image(item) for item in items):
            images = [f"data:image/png;base64,{png_base64(item)}" for item in items]
            payload = {"images": images, "model": self.model_name, "input_type": "image"}
        elif any(is_document(item) for item in items) and any(is_image(item) for item in items):
            raise ValueError(
                "Input contains a mix of text documents and images, which is not supported. "
                "Provide either all texts or all images."
            )
        else:
            raise ValueError("Input must be a list of text documents (str) or a list of images (numpy arrays).")
        body = self._service.post(API_URL, payload)
        embeddings = body.get("embeddings") if isinstance(body, dict) else None
        # "embeddings_by_type" answers nest the floats under "float".
        if isinstance(embeddings, dict):
            embeddings = embeddings.get("float")
        if embeddings is None:
            raise EmbeddingServiceError("Cohere", f"answered without 'embeddings': {str(body)[:200]}")
        return as_vectors(embeddings, "Cohere", len(items))

    @staticmethod
    def name() -> str:
        return "cohere"

    def default_space(self) -> str:
        return "ip" if self.model_name == "embed-multilingual-v2.0" else "cosine"

    def supported_spaces(self) -> list[str]:
        if self.model_name in ("embed-english-v2.0", "embed-english-light-v2.0"):
            return ["cosine"]
        if self.model_name == "embed-multilingual-v2.0":
            return ["ip"]
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> CohereEmbeddingFunction:
        CohereEmbeddingFunction.validate_config(config)
        return CohereEmbeddingFunction(api_key_env_var=config["api_key_env_var"], model_name=config["model_name"])

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model_name": self.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config, "cohere", {"api_key_env_var": STR, "model_name": STR}, required=("api_key_env_var", "model_name")
        )
