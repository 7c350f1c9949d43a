"""OpenAI embeddings (and Azure OpenAI deployments) over the REST API.

    ef = OpenAIEmbeddingFunction(model_name="text-embedding-3-small")  # key in CHROMA_OPENAI_API_KEY
    vectors = ef(["a document", "another"])

POST {api_base}/embeddings with `{"model", "input"}`; Azure: POST
{api_base}/openai/deployments/{deployment_id}/embeddings?api-version={api_version}.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import DICT, INT, STR, check_config
from chromadb.utils.embedding_functions._http import (
    JsonService,
    api_key_from_env,
    openai_style_vectors,
    reject_changes,
)

__all__ = ["OpenAIEmbeddingFunction"]

DEFAULT_API_BASE = "https://api.openai.com/v1"


@register_embedding_function
class OpenAIEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with an OpenAI model (or any OpenAI-compatible server, via `api_base`).

    Args:
        api_key: used instead of the environment variable; not persisted (a warning says so).
        model_name: the model; `dimensions` is sent only for text-embedding-3 models, as upstream.
        organization_id: sent as the OpenAI-Organization header.
        api_base: the API root (default https://api.openai.com/v1, or $OPENAI_BASE_URL).
        api_type: "azure" for an Azure OpenAI deployment (needs api_base, api_version, deployment_id).
        default_headers: extra headers sent with every request.
        api_key_env_var: where the key is read from; OPENAI_API_KEY wins when it is set.
    """

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "text-embedding-ada-002",
        organization_id: str | None = None,
        api_base: str | None = None,
        api_type: str | None = None,
        api_version: str | None = None,
        deployment_id: str | None = None,
        default_headers: dict[str, str] | None = None,
        dimensions: int | None = None,
        api_key_env_var: str = "CHROMA_OPENAI_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="OPENAI_API_KEY"
        )
        self.model_name = model_name
        self.organization_id = organization_id
        self.api_base = api_base
        self.api_type = api_type
        self.api_version = api_version
        self.deployment_id = deployment_id
        self.default_headers = default_headers
        self.dimensions = dimensions
        if api_type == "azure":
            for value, label in ((api_version, "api_version"), (deployment_id, "deployment_id"), (api_base, "api_base")):
                if value is None:
                    raise ValueError(f"{label} must be specified for Azure OpenAI")
        self._service = JsonService("OpenAI", self._headers())

    def _headers(self) -> dict[str, str]:
        headers = {"api-key": self.api_key} if self.api_type == "azure" else {"Authorization": f"Bearer {self.api_key}"}
        if self.organization_id is not None:
            headers["OpenAI-Organization"] = self.organization_id
        headers.update(self.default_headers or {})
        return headers

    def _url(self) -> tuple[str, dict[str, str] | None]:
        if self.api_type == "azure":
            root = str(self.api_base).rstrip("/")
            return f"{root}/openai/deployments/{self.deployment_id}/embeddings", {"api-version": str(self.api_version)}
        root = (self.api_base or os.getenv("OPENAI_BASE_URL") or DEFAULT_API_BASE).rstrip("/")
        return f"{root}/embeddings", None

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = list(input)
        if not texts:
            return []
        payload: dict[str, Any] = {"model": self.model_name, "input": texts, "encoding_format": "float"}
        if self.dimensions is not None and "text-embedding-3" in self.model_name:
            payload["dimensions"] = self.dimensions
        url, params = self._url()
        return openai_style_vectors(self._service.post(url, payload, params=params), self._service.service, len(texts))

    @staticmethod
    def name() -> str:
        return "openai"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> OpenAIEmbeddingFunction:
        OpenAIEmbeddingFunction.validate_config(config)
        return OpenAIEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            organization_id=config.get("organization_id"),
            api_base=config.get("api_base"),
            api_type=config.get("api_type"),
            api_version=config.get("api_version"),
            deployment_id=config.get("deployment_id"),
            default_headers=config.get("default_headers"),
            dimensions=config.get("dimensions"),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "organization_id": self.organization_id,
            "api_base": self.api_base,
            "api_type": self.api_type,
            "api_version": self.api_version,
            "deployment_id": self.deployment_id,
            "default_headers": self.default_headers,
            "dimensions": self.dimensions,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "openai",
            {
                "api_key_env_var": STR,
                "model_name": STR,
                "organization_id": STR,
                "api_base": STR,
                "api_type": STR,
                "api_version": STR,
                "deployment_id": STR,
                "default_headers": DICT,
                "dimensions": INT,
            },
            required=("api_key_env_var", "model_name"),
        )
