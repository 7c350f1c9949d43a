"""What every remote embedding function shares: its API key, its HTTP calls, its answers.

Each service is called over its documented HTTP API with httpx; no vendor SDK is needed.
A failed call raises `EmbeddingServiceError` with the service's own message (never the
API key); an answer that holds no embeddings raises it too.
"""

from __future__ import annotations

import base64
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import httpx

__all__ = [
    "EmbeddingServiceError",
    "JsonService",
    "api_key_from_env",
    "as_vectors",
    "decode_int8",
    "openai_style_vectors",
    "reject_changes",
    "require_texts",
]

DEFAULT_TIMEOUT = 60.0


class EmbeddingServiceError(RuntimeError):
    """An embedding service could not be reached, refused the request, or answered without embeddings."""

    def __init__(self, service: str, message: str, status_code: int | None = None) -> None:
        self.service = service
        self.status_code = status_code
        prefix = f"{service} returned HTTP {status_code}" if status_code else service
        super().__init__(f"{prefix}: {message}")


def api_key_from_env(
    api_key: str | None, api_key_env_var: str, *, preferred_env_var: str | None = None
) -> tuple[str, str]:
    """Return `(env_var, key)`: the variable the key is read from (and persisted as), and the key.

    As upstream, a set `preferred_env_var` (the vendor's own, e.g. OPENAI_API_KEY) wins over
    `api_key_env_var`, and a key passed directly works but is never persisted.
    """
    if api_key is not None:
        warnings.warn(
            "Direct api_key configuration will not be persisted. "
            "Please use environment variables via api_key_env_var for persistent storage.",
            DeprecationWarning,
            stacklevel=3,
        )
    if preferred_env_var is not None and os.getenv(preferred_env_var) is not None:
        api_key_env_var = preferred_env_var
    key = api_key or os.getenv(api_key_env_var)
    if not key:
        raise ValueError(f"The {api_key_env_var} environment variable is not set.")
    return api_key_env_var, key


class JsonService:
    """POSTs JSON to one service and returns its parsed JSON answer, or raises `EmbeddingServiceError`.

    httpx is imported and the client made on first use: importing or constructing an
    embedding function costs nothing (in-process chromadb does not load httpx otherwise).
    """

    def __init__(self, service: str, headers: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT) -> None:
        self.service = service
        self.headers = dict(headers)
        self.timeout = timeout
        self._client: httpx.Client | None = None

    def post(
        self,
        url: str,
        payload: Any,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Any:
        import httpx

        if self._client is None:
            self._client = httpx.Client(headers=self.headers, timeout=self.timeout)
        try:
            if content is not None:
                response = self._client.post(url, content=content, params=params, headers=headers)
            else:
                response = self._client.post(url, json=payload, params=params, headers=headers)
        except httpx.TimeoutException:
            raise EmbeddingServiceError(
                self.service, f"no answer from {_without_query(url)} within {self.timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise EmbeddingServiceError(
                self.service, f"could not reach {_without_query(url)}: {type(exc).__name__}: {exc}"
            ) from None
        if response.status_code >= 400:
            raise EmbeddingServiceError(self.service, _error_text(response), response.status_code)
        try:
            return response.json()
        except ValueError:
            raise EmbeddingServiceError(
                self.service, f"answered with something that is not JSON: {response.text[:200]!r}"
            ) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _without_query(url: str) -> str:
    # Some services take the key as a query parameter; never echo it.
    return url.split("?", 1)[0]


def _error_text(response: httpx.Response) -> str:
    """The service's own error message, from the shapes the supported services use."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    message = _find_message(body)
    return message if message else str(body)[:500]


def _find_message(body: Any) -> str | None:
    if isinstance(body, str):
        return body
    if isinstance(body, list) and body:
        return _find_message(body[0])
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "errors", "Message"):
            if key in body and body[key]:
                found = _find_message(body[key])
                if found:
                    return found
    return None


def as_vectors(rows: Any, service: str, expected: int | None = None) -> list[np.ndarray]:
    """The float32 vectors in `rows`, checked to be a list of numeric lists (and `expected` long)."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise EmbeddingServiceError(service, f"answered without a list of embeddings: {str(rows)[:200]}")
    try:
        vectors = [np.asarray(row, dtype=np.float32) for row in rows]
    except (TypeError, ValueError):
        raise EmbeddingServiceError(service, "answered with non-numeric embeddings") from None
    if expected is not None and len(vectors) != expected:
        raise EmbeddingServiceError(service, f"answered {len(vectors)} embeddings for {expected} inputs")
    return vectors


def openai_style_vectors(body: Any, service: str, expected: int) -> list[np.ndarray]:
    """Vectors from an OpenAI-shaped answer `{"data": [{"index": i, "embedding": ...}]}`, in input order.

    An embedding given as a string is base64 of little-endian float32 (`encoding_format="base64"`).
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise EmbeddingServiceError(service, f"answered without a 'data' list: {str(body)[:200]}")
    if all("index" in item for item in data):
        data = sorted(data, key=lambda item: item["index"])
    rows = [_decoded(item.get("embedding"), "<f4") for item in data]
    return as_vectors(rows, service, expected)


def _decoded(embedding: Any, dtype: str) -> Any:
    if isinstance(embedding, str):
        return np.frombuffer(base64.b64decode(embedding), dtype=dtype).astype(np.float32).tolist()
    return embedding


def decode_int8(embedding: str) -> list[float]:
    """A base64 string of signed int8 values, as float values (Perplexity's default encoding)."""
    return np.frombuffer(base64.b64decode(embedding), dtype=np.int8).astype(np.float32).tolist()


def require_texts(input: Iterable[Any], service: str) -> list[str]:
    items = list(input)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"{service} only supports text documents, not images")
    return items


def reject_changes(new_config: Mapping[str, Any], *keys: str) -> None:
    """Refuse a configuration update that changes any of `keys` (the model, mostly)."""
    for key in keys:
        if key in new_config:
            raise ValueError(
                f"The {key.replace('_', ' ')} cannot be changed after the embedding function has been initialized."
            )
