"""Google embeddings: Gemini (Generative Language API), PaLM (its predecessor) and Vertex AI.

    ef = GoogleGeminiEmbeddingFunction(model_name="gemini-embedding-001")   # key in GEMINI_API_KEY

* Gemini / GenerativeAi: POST {GENERATIVE_LANGUAGE_URL}/models/{model}:batchEmbedContents,
  key in the x-goog-api-key header.
* PaLM: POST {PALM_URL}/{model}:embedText, one text per request.
* Vertex AI: POST https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/
  {region}/publishers/google/models/{model}:predict (`VERTEX_URL` is the template).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from chromadb.embedding_functions.base import EmbeddingFunction
from chromadb.embedding_functions.registry import known_embedding_functions, register_embedding_function
from chromadb.utils.embedding_functions._config import BOOL, INT, STR, check_config
from chromadb.utils.embedding_functions._http import (
    EmbeddingServiceError,
    JsonService,
    api_key_from_env,
    as_vectors,
    reject_changes,
    require_texts,
)

__all__ = [
    "GoogleGeminiEmbeddingFunction",
    "GoogleGenaiEmbeddingFunction",
    "GoogleGenerativeAiEmbeddingFunction",
    "GooglePalmEmbeddingFunction",
    "GoogleVertexEmbeddingFunction",
]

GENERATIVE_LANGUAGE_URL = "https://generativelanguage.googleapis.com/v1beta"
PALM_URL = "https://generativelanguage.googleapis.com/v1beta3"
VERTEX_URL = "https://{region}-aiplatform.googleapis.com/v1"
CLIENT_HEADER = {"x-goog-api-client": "chroma/1.5.9"}


def _model_path(model_name: str) -> str:
    return model_name if model_name.startswith(("models/", "tunedModels/")) else f"models/{model_name}"


def _batch_embed(
    service: JsonService, model_name: str, texts: list[str], task_type: str | None, dimension: int | None
) -> list[np.ndarray]:
    """One batchEmbedContents call of the Generative Language API."""
    model = _model_path(model_name)
    requests = []
    for text in texts:
        request: dict[str, Any] = {"model": model, "content": {"parts": [{"text": text}]}}
        if task_type is not None:
            request["taskType"] = task_type
        if dimension is not None:
            request["outputDimensionality"] = dimension
        requests.append(request)
    body = service.post(f"{GENERATIVE_LANGUAGE_URL}/{model}:batchEmbedContents", {"requests": requests})
    embeddings = body.get("embeddings") if isinstance(body, dict) else None
    if not isinstance(embeddings, list) or not all(isinstance(e, dict) and "values" in e for e in embeddings):
        raise EmbeddingServiceError(service.service, f"answered without embeddings: {str(body)[:200]}")
    return as_vectors([e["values"] for e in embeddings], service.service, len(texts))


def _vertex_predict(
    service: JsonService, project: str, region: str, model_name: str, texts: list[str], task_type: str | None = None,
    dimension: int | None = None,
) -> list[np.ndarray]:
    """One Vertex AI text-embedding `predict` call."""
    url = (
        f"{VERTEX_URL.format(region=region)}/projects/{project}/locations/{region}"
        f"/publishers/google/models/{model_name}:predict"
    )
    instances = [{"content": text, **({"task_type": task_type} if task_type else {})} for text in texts]
    payload: dict[str, Any] = {"instances": instances}
    if dimension is not None:
        payload["parameters"] = {"outputDimensionality": dimension}
    body = service.post(url, payload)
    predictions = body.get("predictions") if isinstance(body, dict) else None
    try:
        rows = [p["embeddings"]["values"] for p in predictions]  # type: ignore[union-attr]
    except (TypeError, KeyError):
        raise EmbeddingServiceError(service.service, f"answered without predictions: {str(body)[:200]}") from None
    return as_vectors(rows, service.service, len(texts))


@register_embedding_function
class GoogleGeminiEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Gemini embedding model (upstream uses the google-genai SDK for this).

    Args:
        task_type: e.g. RETRIEVAL_DOCUMENT, RETRIEVAL_QUERY, SEMANTIC_SIMILARITY; None: the model's default.
        dimension: output size (128-3072); None: the model's default.
        api_key_env_var: where the key is read from (GEMINI_API_KEY).
        vertexai, project, location: call Vertex AI instead, authenticated with Google
            application-default credentials (needs `pip install google-auth`); no API key then.
    """

    def __init__(
        self,
        model_name: str = "gemini-embedding-001",
        task_type: str | None = None,
        dimension: int | None = None,
        api_key_env_var: str | None = "GEMINI_API_KEY",
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.task_type = task_type
        self.dimension = dimension
        self.api_key_env_var = api_key_env_var
        self.vertexai = vertexai
        self.project = project
        self.location = location
        self.api_key = os.getenv(api_key_env_var) if api_key_env_var else None
        if self.api_key and self.vertexai:
            raise ValueError("Vertex AI and API key are mutually exclusive in the client initializer.")
        if not self.api_key and not self.vertexai:
            raise ValueError(f"The {api_key_env_var} environment variable must be set if vertexai is not enabled.")
        if self.vertexai and not (project and location):
            raise ValueError("project and location are required when vertexai is enabled.")
        headers = {**CLIENT_HEADER, "x-goog-api-key": self.api_key} if self.api_key else dict(CLIENT_HEADER)
        self._service = JsonService("Google Gemini", headers)

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        if not input:
            raise ValueError("Input documents cannot be empty")
        if not isinstance(input, (list, tuple)):
            raise ValueError("Input must be a list or tuple of documents")
        if not all(isinstance(doc, str) for doc in input):
            raise ValueError("All input documents must be strings")
        texts = list(input)
        if self.vertexai:
            # Access tokens expire within the hour: take a fresh one per call, on a fresh client.
            self._service.headers["Authorization"] = f"Bearer {_google_access_token()}"
            self._service.close()
            return _vertex_predict(
                self._service, str(self.project), str(self.location), self.model_name, texts, self.task_type, self.dimension
            )
        return _batch_embed(self._service, self.model_name, texts, self.task_type, self.dimension)

    @staticmethod
    def name() -> str:
        return "google_gemini"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> GoogleGeminiEmbeddingFunction:
        GoogleGeminiEmbeddingFunction.validate_config(config)
        return GoogleGeminiEmbeddingFunction(
            model_name=config["model_name"],
            task_type=config.get("task_type"),
            dimension=config.get("dimension"),
            api_key_env_var=config.get("api_key_env_var", "GEMINI_API_KEY"),
            vertexai=config.get("vertexai"),
            project=config.get("project"),
            location=config.get("location"),
        )

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "model_name": self.model_name,
            "api_key_env_var": self.api_key_env_var,
            "vertexai": self.vertexai,
            "project": self.project,
            "location": self.location,
        }
        if self.task_type is not None:
            config["task_type"] = self.task_type
        if self.dimension is not None:
            config["dimension"] = self.dimension
        return config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name", "dimension", "vertexai", "project", "location")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "google_gemini",
            {
                "model_name": STR,
                "task_type": STR,
                "dimension": INT,
                "api_key_env_var": STR,
                "vertexai": BOOL,
                "project": STR,
                "location": STR,
            },
            required=("model_name",),
        )


# Upstream's earlier name for the same class, and the registry name it persisted under.
GoogleGenaiEmbeddingFunction = GoogleGeminiEmbeddingFunction
known_embedding_functions.setdefault("google_genai", GoogleGeminiEmbeddingFunction)


@register_embedding_function
class GoogleGenerativeAiEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with the Generative Language API (upstream's google-generativeai path)."""

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "gemini-embedding-001",
        task_type: str = "RETRIEVAL_DOCUMENT",
        api_key_env_var: str = "GEMINI_API_KEY",
        dimension: int | None = None,
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var, preferred_env_var="GOOGLE_API_KEY")
        self.model_name = model_name
        self.task_type = task_type
        self.dimension = dimension
        self._service = JsonService("Google Generative AI", {**CLIENT_HEADER, "x-goog-api-key": self.api_key})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Google Generative AI")
        if not texts:
            return []
        return _batch_embed(self._service, self.model_name, texts, self.task_type, self.dimension)

    @staticmethod
    def name() -> str:
        return "google_generative_ai"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> GoogleGenerativeAiEmbeddingFunction:
        GoogleGenerativeAiEmbeddingFunction.validate_config(config)
        return GoogleGenerativeAiEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            task_type=config["task_type"],
            dimension=config.get("dimension"),
        )

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "task_type": self.task_type,
        }
        if self.dimension is not None:
            config["dimension"] = self.dimension
        return config

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name", "task_type", "dimension")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "google_generative_ai",
            {"model_name": STR, "task_type": STR, "api_key_env_var": STR, "dimension": INT},
            required=("api_key_env_var", "model_name", "task_type"),
        )


@register_embedding_function
class GooglePalmEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a PaLM embedding model (the v1beta3 embedText method)."""

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "models/embedding-gecko-001",
        api_key_env_var: str = "CHROMA_GOOGLE_PALM_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var, preferred_env_var="GOOGLE_API_KEY")
        self.model_name = model_name
        self._service = JsonService("Google PaLM", {**CLIENT_HEADER, "x-goog-api-key": self.api_key})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Google PaLM")
        rows = []
        for text in texts:
            body = self._service.post(f"{PALM_URL}/{_model_path(self.model_name)}:embedText", {"text": text})
            try:
                rows.append(body["embedding"]["value"])
            except (TypeError, KeyError):
                raise EmbeddingServiceError("Google PaLM", f"answered without an embedding: {str(body)[:200]}") from None
        return as_vectors(rows, "Google PaLM", len(texts))

    @staticmethod
    def name() -> str:
        return "google_palm"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> GooglePalmEmbeddingFunction:
        GooglePalmEmbeddingFunction.validate_config(config)
        return GooglePalmEmbeddingFunction(api_key_env_var=config["api_key_env_var"], model_name=config["model_name"])

    def get_config(self) -> dict[str, Any]:
        return {"api_key_env_var": self.api_key_env_var, "model_name": self.model_name}

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config, "google_palm", {"model_name": STR, "api_key_env_var": STR}, required=("api_key_env_var", "model_name")
        )


@register_embedding_function
class GoogleVertexEmbeddingFunction(EmbeddingFunction[Sequence[str]]):
    """Embeds texts with a Vertex AI text-embedding model; the key goes in x-goog-api-key."""

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "textembedding-gecko",
        project_id: str = "cloud-large-language-models",
        region: str = "us-central1",
        api_key_env_var: str = "CHROMA_GOOGLE_VERTEX_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = api_key_from_env(api_key, api_key_env_var, preferred_env_var="GOOGLE_API_KEY")
        self.model_name = model_name
        self.project_id = project_id
        self.region = region
        self._service = JsonService("Google Vertex AI", {**CLIENT_HEADER, "x-goog-api-key": self.api_key})

    def __call__(self, input: Sequence[str]) -> list[np.ndarray]:
        texts = require_texts(input, "Google Vertex")
        if not texts:
            return []
        return _vertex_predict(self._service, self.project_id, self.region, self.model_name, texts)

    @staticmethod
    def name() -> str:
        return "google_vertex"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> GoogleVertexEmbeddingFunction:
        GoogleVertexEmbeddingFunction.validate_config(config)
        return GoogleVertexEmbeddingFunction(
            api_key_env_var=config["api_key_env_var"],
            model_name=config["model_name"],
            project_id=config["project_id"],
            region=config["region"],
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "api_key_env_var": self.api_key_env_var,
            "model_name": self.model_name,
            "project_id": self.project_id,
            "region": self.region,
        }

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        reject_changes(new_config, "model_name", "project_id", "region")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        check_config(
            config,
            "google_vertex",
            {"model_name": STR, "project_id": STR, "region": STR, "api_key_env_var": STR},
            required=("api_key_env_var", "model_name", "project_id", "region"),
        )


def _google_access_token() -> str:
    """An OAuth token from application-default credentials, for Vertex AI mode."""
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError:
        raise ValueError(
            "Vertex AI mode needs Google credentials: install them with `pip install google-auth requests`"
        ) from None
    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())
    return str(credentials.token)

