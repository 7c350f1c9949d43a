"""Jina AI embeddings for texts and images: POST {API_URL} with `{"input", "model", ...}`.

    ef = JinaEmbeddingFunction(model_name="jina-embeddings-v3", task="retrieval.passage",
                               query_config={"task": "retrieval.query"})
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import BOOL, DICT, INT, STR, check_config
from chromadb.utils.embedding_functions._http import (
    JsonService,
    api_key_from_env,
    openai_style_vectors,
    reject_changes,
)
from chromadb.utils.embedding_functions._images import is_document, is_image, png_base64

__all__ = ["JinaEmbeddingFunction", "JinaQueryConfig"]

API_URL = "https://api.jina.ai/v1/embeddings"


class JinaQueryConfig(TypedDict):
    """Request fields that replace the document ones when embedding queries."""

    task: str


@register_embedding_function
class JinaEmbeddingFunction(EmbeddingFunction[Sequence[Any]]):
    """Embeds texts (and, with multimodal models, numpy images) with Jina AI.

    The optional arguments are sent only when given; `query_config` overrides them for
    `embed_query` (e.g. a retrieval.query task).
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "jina-embeddings-v2-base-en",
        api_key_env_var: str = "CHROMA_JINA_API_KEY",
        task: str | None = None,
        late_chunking: bool | None = None,
        truncate: bool | None = None,
        dimensions: int | None = None,
        embedding_type: str | None = None,
        normalized: bool | None = None,
        query_config: JinaQueryConfig | None = None,
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var, preferred_env_var="JINA_API_KEY")
        self.model_name = model_name
        self.task = task
        self.late_chunking = late_chunking
        self.truncate = truncate
        self.dimensions = dimensions
        self.embedding_type = embedding_type
        self.normalized = normalized
        self.query_config = query_config
        self._service = JsonService(
            "Jina AI", {"Authorization": f"Bearer {self.api_key}", "Accept-Encoding": "identity"}
        )

    def _payload(self, items: list[Any], is_query: bool) -> dict[str, Any]:
        if all(is_document(item) for item in items):
            inputs: list[Any] = items
        else:
            inputs = []
            for item in items:
                if is_document(item):
                    inputs.append({"text": item})
                elif is_image(item):
                    inputs.append({"image": png_base64(item)})
                else:
                    raise ValueError(f"Jina AI embeds texts and images (numpy arrays), not {type(item).__name__}")
        payload: dict[str, Any] = {"input": inputs, "model": self.model_name}
        options = {
            "task": self.task,
            "late_chunking": self.late_chunking,
            "truncate": self.truncate,
            "dimensions": self.dimensions,
            "embedding_type": self.embedding_type,
            "normalized": self.normalized,
        }
        payload.update({key: value for key, value in options.items() if value is not None})
        if is_query and self.query_config:
            payload.update(self.query_config)
        return payload

    def _embed(self, input: Sequence[Any], is_query: bool) -> list[np.ndarray]:
        items = list(input)
        if not items:
            return []
        body = self._service.post(API_URL, self._payload(items, is_query))
        return openai_style_vectors(body, "Jina AI", len(items))

    def __call__(self, input: Sequence[Any]) -> list[np.ndarray]:
        return self._embed(input, is_query=False)

    def embed_query(self, input: Sequence[Any]) -> list[np.ndarray]:
        return self._embed(input, is_query=True)

    @staticmethod
    def name() -> str:
        return "jina"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> JinaEmbeddingFunction:
        JinaEmbeddingFunction.validate_config(config)
        return JinaEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            task=config.get("task"),
            late_chunking=config.get("late_chunking"),
            truncate=config.get("truncate"),
            dimensions=config.get("dimensions"),
            embedding_type=config.get("embedding_type"),
            normalized=config.get("normalized"),
            query_config=config.get("query_config"),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "task": self.task,
            "late_chunking": self.late_chunking,
            "truncate": self.truncate,
            "dimensions": self.dimensions,
            "embedding_type": self.embedding_type,
            "normalized": self.normalized,
            "query_config": self.query_config,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "jina",
            {
                "api_key_env_var": STR,
                "model_name": STR,
                "task": STR,
                "late_chunking": BOOL,
                "truncate": BOOL,
                "dimensions": INT,
                "embedding_type": STR,
                "normalized": BOOL,
                "query_config": DICT,
            },
            required=("api_key_env_var", "model_name"),
        )
