"""Chroma Cloud's hosted SPLADE: sparse vectors from POST {CHROMA_EMBED_URL}/embed_sparse.

    ef = ChromaCloudSpladeEmbeddingFunction()              # key: CHROMA_API_KEY
    [vector] = ef(["The quick brown fox"])                  # vector.indices, vector.values

The request is `{"texts", "task": "", "target": "", "fetch_tokens": "true"|"false"}` with
the key in x-chroma-token and the model in x-chroma-embedding-model; the answer is
`{"embeddings": [{"indices", "values", "labels"?}, ...]}`, one per text. Each vector comes
back sorted by index; with `include_tokens=True` it also carries the service's token labels.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from chromadb.embedding_functions.sparse import (
    SparseEmbeddingFunction,
    SparseVector,
    SparseVectors,
    normalize_sparse_vector,
    register_sparse_embedding_function,
)
from chromadb.utils.embedding_functions._chroma_cloud import chroma_cloud_api_key, get_chroma_embed_url
from chromadb.utils.embedding_functions._config import BOOL, STR, check_config
from chromadb.utils.embedding_functions._http import EmbeddingServiceError, JsonService, require_texts

__all__ = ["ChromaCloudSpladeEmbeddingFunction", "ChromaCloudSpladeEmbeddingModel"]

NAME = "chroma-cloud-splade"
SERVICE = "Chroma Cloud sparse embedding"


class ChromaCloudSpladeEmbeddingModel(Enum):
    SPLADE_PP_EN_V1 = "prithivida/Splade_PP_en_v1"


@register_sparse_embedding_function
class ChromaCloudSpladeEmbeddingFunction(SparseEmbeddingFunction[list[str]]):
    """Sparse SPLADE vectors of texts, computed by Chroma Cloud (key: CHROMA_API_KEY)."""

    def __init__(
        self,
        api_key_env_var: str = "CHROMA_API_KEY",
        model: ChromaCloudSpladeEmbeddingModel = ChromaCloudSpladeEmbeddingModel.SPLADE_PP_EN_V1,
        include_tokens: bool = False,
    ) -> None:
        self.api_key_env_var = api_key_env_var
        self.api_key = chroma_cloud_api_key(api_key_env_var)
        self.model = ChromaCloudSpladeEmbeddingModel(model)
        self.include_tokens = bool(include_tokens)
        self._service = JsonService(
            SERVICE, {"x-chroma-token": self.api_key, "x-chroma-embedding-model": self.model.value}
        )

    def __call__(self, input: list[str]) -> SparseVectors:
        texts = require_texts(input, SERVICE)
        if not texts:
            return []
        body = self._service.post(
            f"{get_chroma_embed_url()}/embed_sparse",
            {"texts": texts, "task": "", "target": "", "fetch_tokens": "true" if self.include_tokens else "false"},
        )
        rows = body.get("embeddings") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            message = body.get("error") if isinstance(body, dict) else None
            raise EmbeddingServiceError(SERVICE, str(message or f"answered without embeddings: {str(body)[:200]}"))
        if len(rows) != len(texts):
            raise EmbeddingServiceError(SERVICE, f"answered {len(rows)} embeddings for {len(texts)} inputs")
        return [self._vector(row) for row in rows]

    def _vector(self, row: Any) -> SparseVector:
        if not isinstance(row, dict) or not isinstance(row.get("indices"), list) or not isinstance(row.get("values"), list):
            raise EmbeddingServiceError(SERVICE, f"answered a sparse embedding without indices and values: {str(row)[:200]}")
        indices, values = row["indices"], row["values"]
        # Labels are kept only when asked for, as upstream (the service may send them anyway).
        labels = row.get("labels") if self.include_tokens else None
        if len(values) != len(indices) or (labels is not None and len(labels) != len(indices)):
            raise EmbeddingServiceError(SERVICE, "answered a sparse embedding whose indices, values and labels differ in length")
        return normalize_sparse_vector(indices=indices, values=values, labels=labels or None)

    def close(self) -> None:
        """Close the HTTP connection (it reopens on the next call)."""
        self._service.close()

    @staticmethod
    def name() -> str:
        return NAME

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaCloudSpladeEmbeddingFunction:
        # As upstream, only the two required fields are checked here: a persisted config rebuilds.
        if config.get("model") is None:
            raise ValueError("model must be provided in config")
        if not config.get("api_key_env_var"):
            raise ValueError("api_key_env_var must be provided in config")
        return ChromaCloudSpladeEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model=ChromaCloudSpladeEmbeddingModel(config["model"]),
            include_tokens=config.get("include_tokens", False),
        )

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model": self.model.value, "include_tokens": self.include_tokens}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        for key in ("include_tokens", "model"):
            if key in new_config and new_config[key] != old_config.get(key):
                raise ValueError(f"Updating '{key}' is not supported for {NAME}")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config, NAME, {"api_key_env_var": STR, "model": STR, "include_tokens": BOOL}, required=("api_key_env_var", "model")
        )
        models = [m.value for m in ChromaCloudSpladeEmbeddingModel]
        if config["model"] not in models:
            raise ValueError(f"Config validation failed for {NAME!r}: model must be one of {models}")
