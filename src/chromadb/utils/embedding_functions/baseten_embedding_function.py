"""Baseten embedding deployments, which speak the OpenAI embeddings API at their own URL.

    ef = BasetenEmbeddingFunction(api_key=None, api_base="https://model-xxxx.api.baseten.co/environments/production/sync/v1")
"""

from __future__ import annotations

from typing import Any

from chromadb.embedding_functions.registry import register_embedding_function
from chromadb.utils.embedding_functions._config import STR, check_config
from chromadb.utils.embedding_functions._http import JsonService, api_key_from_env
from chromadb.utils.embedding_functions.openai_embedding_function import OpenAIEmbeddingFunction

__all__ = ["BasetenEmbeddingFunction"]


@register_embedding_function
class BasetenEmbeddingFunction(OpenAIEmbeddingFunction):
    """Embeds texts with a Baseten deployment (the model is the deployment's).

    Args:
        api_key: the key, or None to read it from `api_key_env_var` (BASETEN_API_KEY wins when set).
        api_base: the deployment's OpenAI-compatible root URL.
    """

    def __init__(self, api_key: str | None, api_base: str, api_key_env_var: str = "CHROMA_BASETEN_API_KEY") -> None:
        try:
            self.api_key_env_var, self.api_key = api_key_from_env(
                api_key, api_key_env_var, preferred_env_var="BASETEN_API_KEY"
            )
        except ValueError:
            raise ValueError(
                f"API key not provided and {api_key_env_var} environment variable is not set."
            ) from None
        if not api_base:
            raise ValueError("The api_base argument must be provided.")
        self.api_base = api_base
        # Baseten ignores the model name; upstream sends this placeholder.
        self.model_name = "baseten-embedding-model"
        self.organization_id = None
        self.api_type = None
        self.api_version = None
        self.deployment_id = None
        self.default_headers = None
        self.dimensions = None
        self._service = JsonService("Baseten", self._headers())

    @staticmethod
    def name() -> str:
        return "baseten"

    def get_config(self) -> dict[str, Any]:
        return {"api_base": self.api_base, "api_key_env_var": self.api_key_env_var}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> BasetenEmbeddingFunction:
        BasetenEmbeddingFunction.validate_config(config)
        return BasetenEmbeddingFunction(api_key=None, api_base=config["api_base"], api_key_env_var=config["api_key_env_var"])

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(config, "baseten", {"api_base": STR, "api_key_env_var": STR}, required=("api_base", "api_key_env_var"))
