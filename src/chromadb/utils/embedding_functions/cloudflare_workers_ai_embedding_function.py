"""Cloudflare Workers AI embeddings: POST {BASE_URL}/{account_id}/ai/run/{model} with `{"text"}`.

    ef = CloudflareWorkersAIEmbeddingFunction(model_name="@cf/baai/bge-base-en-v1.5", account_id="...")

With `gateway_id` the call goes through AI Gateway:
{GATEWAY_BASE_URL}/{account_id}/{gateway_id}/workers-ai/{model}.
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
    require_texts,
)

__all__ = ["CloudflareWorkersAIEmbeddingFunction"]

BASE_URL = "https://api.cloudflare.com/client/v4/accounts"
GATEWAY_BASE_URL = "https://gateway.ai.cloudflare.com/v1"


@register_embedding_function
class CloudflareWorkersAIEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Workers AI model; CLOUDFLARE_API_KEY wins over `api_key_env_var` when set."""

    def __init__(
        self,
        model_name: str,
        account_id: str,
        api_key: str | None = None,
        api_key_env_var: str = "CHROMA_CLOUDFLARE_API_KEY",
        gateway_id: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.account_id = account_id
        self.gateway_id = gateway_id
        self.api_key_env_var, self.api_key = api_key_from_env(
            api_key, api_key_env_var, preferred_env_var="CLOUDFLARE_API_KEY"
        )
        self._service = JsonService(
            "Cloudflare Workers AI", {"Authorization": f"Bearer {self.api_key}", "Accept-Encoding": "identity"}
        )

    def _url(self) -> str:
        if self.gateway_id:
            return f"{GATEWAY_BASE_URL}/{self.account_id}/{self.gateway_id}/workers-ai/{self.model_name}"
        return f"{BASE_URL}/{self.account_id}/ai/run/{self.model_name}"

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Cloudflare Workers AI")
        if not texts:
            return []
        body = self._service.post(self._url(), {"text": texts})
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or "data" not in result:
            raise EmbeddingServiceError("Cloudflare Workers AI", f"answered without 'result.data': {str(body)[:200]}")
        return as_vectors(result["data"], "Cloudflare Workers AI", len(texts))

    @staticmethod
    def name() -> str:
        return "cloudflare_workers_ai"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> CloudflareWorkersAIEmbeddingFunction:
        CloudflareWorkersAIEmbeddingFunction.validate_config(config)
        return CloudflareWorkersAIEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            account_id=config["account_id"],
            gateway_id=config.get("gateway_id"),
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "account_id": self.account_id,
            "gateway_id": self.gateway_id,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "cloudflare_workers_ai",
            {"model_name": STR, "account_id": STR, "api_key_env_var": STR, "gateway_id": STR},
            required=("api_key_env_var", "model_name", "account_id"),
        )
