"""Remote embedding functions, each against a local fake of its service (no network).

Every call test checks what the service receives (path, key header, JSON body) and that
the answer comes back as float32 vectors in input order. The table-driven tests at the end
cover, for every remote function: the missing-key error, the config round trip, and that a
config persisted by real Chroma 1.5.9 resolves to our class
(tests/fixtures/upstream_remote_ef_configs.json: the output of upstream's own get_config()).
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_http_service import FakeService, Request

from chromadb.embedding_functions import ef_from_config, known_embedding_functions
from chromadb.embedding_functions.sparse import SparseVector, sparse_ef_from_config, sparse_known_embedding_functions
from chromadb.utils import embedding_functions as efs
from chromadb.utils.embedding_functions import (
    AmazonBedrockEmbeddingFunction,
    AwsEnvironmentSession,
    BasetenEmbeddingFunction,
    ChromaCloudQwenEmbeddingFunction,
    ChromaCloudSpladeEmbeddingFunction,
    CloudflareWorkersAIEmbeddingFunction,
    CohereEmbeddingFunction,
    EmbeddingServiceError,
    GoogleGeminiEmbeddingFunction,
    GoogleGenaiEmbeddingFunction,
    GoogleGenerativeAiEmbeddingFunction,
    GooglePalmEmbeddingFunction,
    GoogleVertexEmbeddingFunction,
    HuggingFaceEmbeddingFunction,
    HuggingFaceEmbeddingServer,
    JinaEmbeddingFunction,
    MistralEmbeddingFunction,
    MorphEmbeddingFunction,
    NomicEmbeddingFunction,
    OllamaEmbeddingFunction,
    OpenAIEmbeddingFunction,
    PerplexityEmbeddingFunction,
    RoboflowEmbeddingFunction,
    TogetherAIEmbeddingFunction,
    VoyageAIEmbeddingFunction,
    cloudflare_workers_ai_embedding_function,
    cohere_embedding_function,
    google_embedding_function,
    huggingface_embedding_function,
    jina_embedding_function,
    mistral_embedding_function,
    nomic_embedding_function,
    perplexity_embedding_function,
    together_ai_embedding_function,
    voyageai_embedding_function,
)
from chromadb.utils.embedding_functions._sigv4 import sign_request
from chromadb.utils.embedding_functions.chroma_cloud_qwen_embedding_function import ChromaCloudQwenEmbeddingModel
from chromadb.utils.embedding_functions.chroma_cloud_splade_embedding_function import ChromaCloudSpladeEmbeddingModel

UPSTREAM_CONFIGS = json.loads(
    (Path(__file__).parent / "fixtures" / "upstream_remote_ef_configs.json").read_text(encoding="utf-8")
)

# Vendor variables that take precedence over api_key_env_var; cleared so tests see only their own.
PREFERRED_ENV_VARS = [
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "HUGGINGFACE_API_KEY",
    "COHERE_API_KEY",
    "JINA_API_KEY",
    "VOYAGE_API_KEY",
    "GOOGLE_API_KEY",
    "TOGETHER_API_KEY",
    "CLOUDFLARE_API_KEY",
    "BASETEN_API_KEY",
    "PERPLEXITY_API_KEY",
    "ROBOFLOW_API_KEY",
    "CHROMA_EMBED_URL",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in PREFERRED_ENV_VARS + [case.env_var for case in CASES.values() if case.env_var]:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake() -> Any:
    with FakeService() as service:
        yield service


def vectors_for(texts: list[Any], dim: int = 3) -> list[list[float]]:
    """Distinct, recognisable vectors: row i is [i + 0.5, i + 0.25, ...]."""
    return [[i + 0.5, i + 0.25, float(-i)][:dim] for i in range(len(texts))]


def assert_vectors(result: list[np.ndarray], expected: list[list[float]]) -> None:
    assert len(result) == len(expected)
    for got, want in zip(result, expected):
        assert isinstance(got, np.ndarray) and got.dtype == np.float32
        assert got.tolist() == pytest.approx(want)


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw scanlines) of a PNG, read independently of our encoder."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8
    return width, height, colour, zlib.decompress(chunks[b"IDAT"])


# --- OpenAI -----------------------------------------------------------------------------


def test_openai_sends_model_and_input_and_returns_vectors_in_input_order(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    texts = ["first", "second", "third"]
    rows = vectors_for(texts)
    # The service may list results out of order; "index" says where each belongs.
    fake.answer(lambda r: (200, {"object": "list", "data": [
        {"object": "embedding", "index": i, "embedding": rows[i]} for i in (2, 0, 1)
    ], "model": "text-embedding-3-small"}))
    ef = OpenAIEmbeddingFunction(
        model_name="text-embedding-3-small", api_base=f"{fake.url}/v1", organization_id="org-1", dimensions=3,
        default_headers={"X-Extra": "yes"},
    )
    assert_vectors(ef(texts), rows)
    request = fake.requests[-1]
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["openai-organization"] == "org-1"
    assert request.headers["x-extra"] == "yes"
    assert request.json == {"model": "text-embedding-3-small", "input": texts, "encoding_format": "float", "dimensions": 3}


def test_openai_sends_dimensions_only_for_text_embedding_3(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}]}))
    OpenAIEmbeddingFunction(api_base=fake.url, dimensions=2)(["x"])
    assert "dimensions" not in fake.requests[-1].json
    assert fake.requests[-1].json["model"] == "text-embedding-ada-002"


def test_openai_decodes_base64_embeddings(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    packed = base64.b64encode(np.array([0.5, -1.25, 3.0], dtype="<f4").tobytes()).decode()
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": packed}]}))
    assert_vectors(OpenAIEmbeddingFunction(api_base=fake.url)(["x"]), [[0.5, -1.25, 3.0]])


def test_openai_azure_deployment_url_and_key_header(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "az-key")
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": [1.0, 2.0]}]}))
    ef = OpenAIEmbeddingFunction(api_type="azure", api_base=fake.url, api_version="2024-02-01", deployment_id="emb")
    assert_vectors(ef(["x"]), [[1.0, 2.0]])
    request = fake.requests[-1]
    assert request.path == "/openai/deployments/emb/embeddings"
    assert request.query == {"api-version": "2024-02-01"}
    assert request.headers["api-key"] == "az-key"
    assert "authorization" not in request.headers


def test_openai_azure_needs_version_deployment_and_base(monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "az-key")
    with pytest.raises(ValueError, match="api_version must be specified for Azure OpenAI"):
        OpenAIEmbeddingFunction(api_type="azure", api_base="http://x", deployment_id="d")
    with pytest.raises(ValueError, match="deployment_id must be specified"):
        OpenAIEmbeddingFunction(api_type="azure", api_base="http://x", api_version="v")


def test_openai_error_carries_the_service_message_not_the_key(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-secret-value")
    fake.answer(lambda r: (401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error"}}))
    with pytest.raises(EmbeddingServiceError, match="OpenAI returned HTTP 401: Incorrect API key provided.") as info:
        OpenAIEmbeddingFunction(api_base=fake.url)(["x"])
    assert info.value.status_code == 401
    assert "sk-secret-value" not in str(info.value)


def test_openai_answer_without_data_is_a_clear_error(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    fake.answer(lambda r: (200, {"object": "list"}))
    with pytest.raises(EmbeddingServiceError, match="answered without a 'data' list"):
        OpenAIEmbeddingFunction(api_base=fake.url)(["x"])
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": [1.0]}]}))
    with pytest.raises(EmbeddingServiceError, match="answered 1 embeddings for 2 inputs"):
        OpenAIEmbeddingFunction(api_base=fake.url)(["x", "y"])


def test_openai_prefers_openai_api_key_and_persists_that_name(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-vendor")
    ef = OpenAIEmbeddingFunction(api_key_env_var="MY_KEY")
    assert ef.api_key == "sk-vendor"
    assert ef.get_config()["api_key_env_var"] == "OPENAI_API_KEY"


def test_direct_api_key_works_but_warns_it_is_not_persisted(fake: FakeService) -> None:
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": [1.0]}]}))
    with pytest.warns(DeprecationWarning, match="will not be persisted"):
        ef = OpenAIEmbeddingFunction(api_key="sk-direct", api_base=fake.url)
    ef(["x"])
    assert fake.requests[-1].headers["authorization"] == "Bearer sk-direct"
    assert "sk-direct" not in json.dumps(ef.get_config())


def test_empty_input_makes_no_request(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    assert OpenAIEmbeddingFunction(api_base=fake.url)([]) == []
    assert OllamaEmbeddingFunction(url=fake.url)([]) == []
    assert fake.requests == []


def test_unreachable_service_is_a_clear_error() -> None:
    with FakeService() as gone:
        url = gone.url
    with pytest.raises(EmbeddingServiceError, match=r"Ollama: could not reach http://127\.0\.0\.1:\d+/api/embed"):
        OllamaEmbeddingFunction(url=url)(["x"])


# --- Ollama -----------------------------------------------------------------------------


def test_ollama_posts_to_api_embed(fake: FakeService) -> None:
    texts = ["a", "b"]
    fake.answer(lambda r: (200, {"model": "nomic-embed-text", "embeddings": vectors_for(texts)}))
    ef = OllamaEmbeddingFunction(url=fake.url, model_name="nomic-embed-text")
    assert_vectors(ef(texts), vectors_for(texts))
    request = fake.requests[-1]
    assert request.path == "/api/embed"
    assert request.json == {"model": "nomic-embed-text", "input": texts}
    assert "authorization" not in request.headers


def test_ollama_accepts_the_old_embeddings_url(fake: FakeService) -> None:
    fake.answer(lambda r: (200, {"embeddings": [[1.0, 2.0]]}))
    ef = OllamaEmbeddingFunction(url=f"{fake.url}/api/embeddings")
    ef(["x"])
    assert fake.requests[-1].path == "/api/embed"
    assert ef.get_config()["url"] == f"{fake.url}/api/embeddings"


def test_ollama_error_names_the_problem(fake: FakeService) -> None:
    fake.answer(lambda r: (404, {"error": 'model "nope" not found, try pulling it first'}))
    with pytest.raises(EmbeddingServiceError, match='Ollama returned HTTP 404: model "nope" not found'):
        OllamaEmbeddingFunction(url=fake.url, model_name="nope")(["x"])


# --- Hugging Face -----------------------------------------------------------------------


def test_huggingface_inference_api(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(huggingface_embedding_function, "API_URL", f"{fake.url}/pipeline/feature-extraction")
    monkeypatch.setenv("CHROMA_HUGGINGFACE_API_KEY", "hf_test")
    texts = ["x", "y"]
    fake.answer(lambda r: (200, vectors_for(texts)))
    ef = HuggingFaceEmbeddingFunction(model_name="BAAI/bge-small-en-v1.5")
    assert_vectors(ef(texts), vectors_for(texts))
    request = fake.requests[-1]
    assert request.path == "/pipeline/feature-extraction/BAAI/bge-small-en-v1.5"
    assert request.headers["authorization"] == "Bearer hf_test"
    assert request.json == {"inputs": texts, "options": {"wait_for_model": True}}


def test_huggingface_error(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(huggingface_embedding_function, "API_URL", fake.url)
    monkeypatch.setenv("CHROMA_HUGGINGFACE_API_KEY", "hf_test")
    fake.answer(lambda r: (503, {"error": "Model is currently loading", "estimated_time": 20.0}))
    with pytest.raises(EmbeddingServiceError, match="HTTP 503: Model is currently loading"):
        HuggingFaceEmbeddingFunction()(["x"])


def test_huggingface_server_without_and_with_a_key(fake: FakeService, monkeypatch) -> None:
    fake.answer(lambda r: (200, [[0.5, 1.5]]))
    ef = HuggingFaceEmbeddingServer(url=f"{fake.url}/embed")
    assert_vectors(ef(["x"]), [[0.5, 1.5]])
    assert fake.requests[-1].path == "/embed"
    assert fake.requests[-1].json == {"inputs": ["x"]}
    assert "authorization" not in fake.requests[-1].headers
    monkeypatch.setenv("TEI_KEY", "tei-secret")
    HuggingFaceEmbeddingServer(url=f"{fake.url}/embed", api_key_env_var="TEI_KEY")(["x"])
    assert fake.requests[-1].headers["authorization"] == "Bearer tei-secret"


# --- Cohere -----------------------------------------------------------------------------


def test_cohere_texts(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(cohere_embedding_function, "API_URL", f"{fake.url}/v1/embed")
    monkeypatch.setenv("CHROMA_COHERE_API_KEY", "co-test")
    texts = ["a", "b", "c"]
    fake.answer(lambda r: (200, {"id": "1", "response_type": "embeddings_floats", "embeddings": vectors_for(texts), "texts": texts}))
    ef = CohereEmbeddingFunction(model_name="embed-english-v3.0")
    assert_vectors(ef(texts), vectors_for(texts))
    request = fake.requests[-1]
    assert request.path == "/v1/embed"
    assert request.headers["authorization"] == "Bearer co-test"
    assert request.json == {"texts": texts, "model": "embed-english-v3.0", "input_type": "search_document"}


def test_cohere_images_are_sent_as_png_data_uris(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(cohere_embedding_function, "API_URL", f"{fake.url}/v1/embed")
    monkeypatch.setenv("CHROMA_COHERE_API_KEY", "co-test")
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    fake.answer(lambda r: (200, {"response_type": "embeddings_by_type", "embeddings": {"float": [[1.0, 0.0]]}}))
    assert_vectors(CohereEmbeddingFunction(model_name="embed-english-v3.0")([image]), [[1.0, 0.0]])
    body = fake.requests[-1].json
    assert body["input_type"] == "image" and body["model"] == "embed-english-v3.0"
    prefix = "data:image/png;base64,"
    assert body["images"][0].startswith(prefix)
    width, height, colour, raw = png_pixels(base64.b64decode(body["images"][0][len(prefix):]))
    assert (width, height, colour) == (3, 2, 2)
    # Each scanline: filter byte 0, then the row's RGB bytes.
    assert raw == bytes([0, *image[0].ravel(), 0, *image[1].ravel()])


def test_cohere_refuses_mixed_texts_and_images(monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_COHERE_API_KEY", "co-test")
    with pytest.raises(ValueError, match="mix of text documents and images"):
        CohereEmbeddingFunction()(["text", np.zeros((2, 2, 3), dtype=np.uint8)])


def test_cohere_spaces_follow_the_model(monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_COHERE_API_KEY", "co-test")
    assert CohereEmbeddingFunction(model_name="embed-multilingual-v2.0").default_space() == "ip"
    assert CohereEmbeddingFunction(model_name="embed-english-v2.0").supported_spaces() == ["cosine"]
    assert CohereEmbeddingFunction(model_name="embed-english-v3.0").supported_spaces() == ["cosine", "l2", "ip"]


# --- OpenAI-shaped services: Jina, Voyage, Mistral, Together, Baseten, Morph ------------


def openai_answer(request: Request, field: str = "input") -> tuple[int, Any]:
    items = request.json[field]
    rows = vectors_for(items)
    return 200, {"data": [{"index": i, "embedding": rows[i]} for i in reversed(range(len(items)))]}


@pytest.mark.parametrize(
    "make_ef, module, env_var, model",
    [
        (lambda: JinaEmbeddingFunction(), jina_embedding_function, "CHROMA_JINA_API_KEY", "jina-embeddings-v2-base-en"),
        (lambda: VoyageAIEmbeddingFunction(), voyageai_embedding_function, "CHROMA_VOYAGE_API_KEY", "voyage-large-2"),
        (lambda: MistralEmbeddingFunction(model="mistral-embed"), mistral_embedding_function, "MISTRAL_API_KEY", "mistral-embed"),
        (lambda: TogetherAIEmbeddingFunction(model_name="m2-bert"), together_ai_embedding_function,
         "CHROMA_TOGETHER_AI_API_KEY", "m2-bert"),
    ],
    ids=["jina", "voyageai", "mistral", "together_ai"],
)
def test_openai_shaped_services(make_ef, module, env_var, model, fake: FakeService, monkeypatch) -> None:
    url_attr = "ENDPOINT" if hasattr(module, "ENDPOINT") else "API_URL"
    monkeypatch.setattr(module, url_attr, f"{fake.url}/v1/embeddings")
    monkeypatch.setenv(env_var, "key-123")
    texts = ["one", "two", "three"]
    fake.answer(openai_answer)
    assert_vectors(make_ef()(texts), vectors_for(texts))
    request = fake.requests[-1]
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == "Bearer key-123"
    assert request.json["model"] == model and request.json["input"] == texts
    fake.answer(lambda r: (429, {"detail": "Rate limit exceeded"}))
    with pytest.raises(EmbeddingServiceError, match="HTTP 429: Rate limit exceeded"):
        make_ef()(texts)


def test_jina_options_query_config_and_images(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(jina_embedding_function, "API_URL", fake.url)
    monkeypatch.setenv("CHROMA_JINA_API_KEY", "jina-key")
    fake.answer(openai_answer)
    ef = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3", task="retrieval.passage", late_chunking=True, dimensions=3,
        query_config={"task": "retrieval.query"},
    )
    ef(["doc"])
    assert fake.requests[-1].json == {
        "input": ["doc"], "model": "jina-embeddings-v3", "task": "retrieval.passage", "late_chunking": True, "dimensions": 3,
    }
    ef.embed_query(["question"])
    assert fake.requests[-1].json["task"] == "retrieval.query"
    image = np.full((1, 1, 3), 200, dtype=np.uint8)
    assert len(ef(["caption", image])) == 2
    sent = fake.requests[-1].json["input"]
    assert sent[0] == {"text": "caption"}
    assert png_pixels(base64.b64decode(sent[1]["image"]))[3] == bytes([0, 200, 200, 200])


def test_voyage_sends_input_type_and_truncation(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(voyageai_embedding_function, "API_URL", fake.url)
    monkeypatch.setenv("CHROMA_VOYAGE_API_KEY", "pa-key")
    fake.answer(openai_answer)
    VoyageAIEmbeddingFunction(model_name="voyage-3", input_type="document", truncation=False)(["x"])
    assert fake.requests[-1].json == {"input": ["x"], "model": "voyage-3", "truncation": False, "input_type": "document"}


def test_together_refuses_what_upstream_refuses(monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_TOGETHER_AI_API_KEY", "key")
    ef = TogetherAIEmbeddingFunction(model_name="m")
    with pytest.raises(ValueError, match="Input is required"):
        ef([])
    with pytest.raises(ValueError, match="All items in input must be strings"):
        ef(["a", 1])  # type: ignore[list-item]


def test_text_only_services_refuse_images(monkeypatch) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "key")
    with pytest.raises(ValueError, match="Mistral only supports text documents, not images"):
        MistralEmbeddingFunction(model="mistral-embed")([np.zeros((2, 2), dtype=np.uint8)])


def test_baseten_calls_its_deployment_with_the_placeholder_model(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_BASETEN_API_KEY", "bt-key")
    fake.answer(openai_answer)
    ef = BasetenEmbeddingFunction(api_key=None, api_base=f"{fake.url}/sync/v1")
    assert_vectors(ef(["a", "b"]), vectors_for(["a", "b"]))
    request = fake.requests[-1]
    assert request.path == "/sync/v1/embeddings"
    assert request.headers["authorization"] == "Bearer bt-key"
    assert request.json["model"] == "baseten-embedding-model"
    assert ef.get_config() == {"api_base": f"{fake.url}/sync/v1", "api_key_env_var": "CHROMA_BASETEN_API_KEY"}
    with pytest.raises(ValueError, match="API key not provided and CHROMA_BASETEN_API_KEY"):
        monkeypatch.delenv("CHROMA_BASETEN_API_KEY")
        BasetenEmbeddingFunction(api_key=None, api_base="http://x")


def test_morph_base64_encoding(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("MORPH_API_KEY", "morph-key")
    packed = base64.b64encode(np.array([1.5, 2.5], dtype="<f4").tobytes()).decode()
    fake.answer(lambda r: (200, {"data": [{"index": 0, "embedding": packed}]}))
    ef = MorphEmbeddingFunction(api_base=f"{fake.url}/v1", encoding_format="base64")
    assert_vectors(ef(["def f(): pass"]), [[1.5, 2.5]])
    request = fake.requests[-1]
    assert request.path == "/v1/embeddings"
    assert request.json == {"model": "morph-embedding-v2", "input": ["def f(): pass"], "encoding_format": "base64"}


# --- other shapes: Nomic, Perplexity, Cloudflare, Roboflow, Chroma Cloud -----------------


def test_nomic_task_types_for_documents_and_queries(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(nomic_embedding_function, "API_URL", f"{fake.url}/v1/embedding/text")
    monkeypatch.setenv("NOMIC_API_KEY", "nk-key")
    fake.answer(lambda r: (200, {"embeddings": vectors_for(r.json["texts"]), "usage": {}}))
    ef = NomicEmbeddingFunction(
        model="nomic-embed-text-v1.5", task_type="search_document", query_config={"task_type": "search_query"}
    )
    assert_vectors(ef(["a", "b"]), vectors_for(["a", "b"]))
    request = fake.requests[-1]
    assert request.path == "/v1/embedding/text"
    assert request.headers["authorization"] == "Bearer nk-key"
    assert request.json == {"model": "nomic-embed-text-v1.5", "texts": ["a", "b"], "task_type": "search_document"}
    ef.embed_query(["q"])
    assert fake.requests[-1].json["task_type"] == "search_query"


def test_perplexity_decodes_int8_embeddings(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(perplexity_embedding_function, "API_URL", f"{fake.url}/v1/embeddings")
    monkeypatch.setenv("PERPLEXITY_API_KEY", "pplx-key")
    packed = [base64.b64encode(np.array(v, dtype=np.int8).tobytes()).decode() for v in ([-128, 0, 127], [1, 2, 3])]
    fake.answer(lambda r: (200, {"data": [{"index": 1, "embedding": packed[1]}, {"index": 0, "embedding": packed[0]}]}))
    ef = PerplexityEmbeddingFunction(dimensions=3)
    assert_vectors(ef(["a", "b"]), [[-128.0, 0.0, 127.0], [1.0, 2.0, 3.0]])
    request = fake.requests[-1]
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == "Bearer pplx-key"
    assert request.json == {"input": ["a", "b"], "model": "pplx-embed-v1-0.6b", "dimensions": 3}


def test_cloudflare_direct_and_gateway_urls(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(cloudflare_workers_ai_embedding_function, "BASE_URL", f"{fake.url}/client/v4/accounts")
    monkeypatch.setattr(cloudflare_workers_ai_embedding_function, "GATEWAY_BASE_URL", f"{fake.url}/v1")
    monkeypatch.setenv("CHROMA_CLOUDFLARE_API_KEY", "cf-key")
    fake.answer(lambda r: (200, {"result": {"shape": [2, 3], "data": vectors_for(r.json["text"])}, "success": True}))
    ef = CloudflareWorkersAIEmbeddingFunction(model_name="@cf/baai/bge-base-en-v1.5", account_id="acc")
    assert_vectors(ef(["a", "b"]), vectors_for(["a", "b"]))
    request = fake.requests[-1]
    assert request.path == "/client/v4/accounts/acc/ai/run/@cf/baai/bge-base-en-v1.5"
    assert request.headers["authorization"] == "Bearer cf-key"
    assert request.json == {"text": ["a", "b"]}
    CloudflareWorkersAIEmbeddingFunction(model_name="@cf/m", account_id="acc", gateway_id="gw")(["a"])
    assert fake.requests[-1].path == "/v1/acc/gw/workers-ai/@cf/m"
    fake.answer(lambda r: (400, {"success": False, "errors": [{"code": 5006, "message": "Bad input"}]}))
    with pytest.raises(EmbeddingServiceError, match="Cloudflare Workers AI returned HTTP 400: Bad input"):
        ef(["a"])


def test_roboflow_texts_and_images_one_request_each(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_ROBOFLOW_API_KEY", "rf-key")
    fake.answer(lambda r: (200, {"embeddings": [[1.0, 0.0] if r.path.endswith("text") else [0.0, 1.0]]}))
    image = np.zeros((2, 2), dtype=np.uint8)
    ef = RoboflowEmbeddingFunction(api_url=fake.url)
    assert_vectors(ef(["a cat", image]), [[1.0, 0.0], [0.0, 1.0]])
    text_request, image_request = fake.requests[-2:]
    assert text_request.path == "/clip/embed_text" and text_request.query == {"api_key": "rf-key"}
    assert text_request.json == {"text": "a cat"}
    assert image_request.path == "/clip/embed_image"
    assert image_request.json["image"]["type"] == "base64"
    assert png_pixels(base64.b64decode(image_request.json["image"]["value"]))[:3] == (2, 2, 0)
    fake.answer(lambda r: (401, {"message": "Unauthorized api_key"}))
    with pytest.raises(EmbeddingServiceError) as info:
        ef(["a"])
    assert "rf-key" not in str(info.value)


def test_chroma_cloud_qwen_instructions_per_target(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_EMBED_URL", f"{fake.url}/")
    monkeypatch.setenv("CHROMA_API_KEY", "ck-key")
    fake.answer(lambda r: (200, {"embeddings": vectors_for(r.json["texts"])}))
    ef = ChromaCloudQwenEmbeddingFunction(model=ChromaCloudQwenEmbeddingModel.QWEN3_EMBEDDING_0p6B, task="nl_to_code")
    assert_vectors(ef(["def f(): pass"]), vectors_for(["x"]))
    request = fake.requests[-1]
    assert request.path == "/"
    assert request.headers["x-chroma-token"] == "ck-key"
    assert request.headers["x-chroma-embedding-model"] == "Qwen/Qwen3-Embedding-0.6B"
    assert request.json == {"instructions": "", "texts": ["def f(): pass"]}
    ef.embed_query(["how do I sort a list?"])
    assert fake.requests[-1].json["instructions"].startswith("Given a question about coding")
    fake.answer(lambda r: (200, {"error": "quota exceeded"}))
    with pytest.raises(EmbeddingServiceError, match="quota exceeded"):
        ef(["x"])


def test_chroma_cloud_qwen_falls_back_to_a_cloud_clients_key(fake: FakeService, monkeypatch) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    monkeypatch.setenv("CHROMA_EMBED_URL", fake.url)
    monkeypatch.setattr(SharedSystemClient, "get_chroma_cloud_api_key_from_clients", staticmethod(lambda: "ck-client"))
    fake.answer(lambda r: (200, {"embeddings": vectors_for(r.json["texts"])}))
    ChromaCloudQwenEmbeddingFunction(model=ChromaCloudQwenEmbeddingModel.QWEN3_EMBEDDING_0p6B, task=None)(["x"])
    assert fake.requests[-1].headers["x-chroma-token"] == "ck-client"


# --- Chroma Cloud Splade (sparse) -------------------------------------------------------


def splade_answer(request: Request) -> tuple[int, Any]:
    """Text i gets unsorted indices [10 * i + 7, 3] with labels, as the service may send them."""
    rows = [
        {"indices": [10 * i + 7, 3], "values": [0.5 + i, 0.25], "labels": [f"w{i}", "the"]}
        for i, _ in enumerate(request.json["texts"])
    ]
    return 200, {"embeddings": rows}


def test_chroma_cloud_splade_posts_texts_and_returns_sorted_sparse_vectors(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_EMBED_URL", f"{fake.url}/")
    monkeypatch.setenv("CHROMA_API_KEY", "ck-key")
    fake.answer(splade_answer)
    ef = ChromaCloudSpladeEmbeddingFunction()
    vectors = ef(["first text", "second text"])
    request = fake.requests[-1]
    assert request.path == "/embed_sparse"
    assert request.headers["x-chroma-token"] == "ck-key"
    assert request.headers["x-chroma-embedding-model"] == "prithivida/Splade_PP_en_v1"
    assert request.json == {"texts": ["first text", "second text"], "task": "", "target": "", "fetch_tokens": "false"}
    # Sorted by index, values follow; labels the service sent are dropped unless asked for.
    assert vectors == [SparseVector([3, 7], [0.25, 0.5]), SparseVector([3, 17], [0.25, 1.5])]
    assert ef.embed_query(["q"]) == [SparseVector([3, 7], [0.25, 0.5])]
    with pytest.raises(ValueError, match="non-empty"):  # as upstream: the sparse protocol refuses an empty batch
        ef([])
    assert len(fake.requests) == 2
    ef.close()


def test_chroma_cloud_splade_include_tokens_asks_for_and_keeps_labels(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_EMBED_URL", fake.url)
    monkeypatch.setenv("MY_CHROMA_KEY", "ck-other")
    fake.answer(splade_answer)
    ef = ChromaCloudSpladeEmbeddingFunction(api_key_env_var="MY_CHROMA_KEY", include_tokens=True)
    [vector] = ef(["a"])
    assert fake.requests[-1].json["fetch_tokens"] == "true"
    assert fake.requests[-1].headers["x-chroma-token"] == "ck-other"
    assert (vector.indices, vector.values, vector.labels) == ([3, 7], [0.25, 0.5], ["the", "w0"])


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        (401, {"error": "invalid token"}, "HTTP 401: invalid token"),
        (200, {"error": "quota exceeded"}, "quota exceeded"),
        (200, {"embeddings": [{"indices": [1], "values": [0.5]}]}, "answered 1 embeddings for 2 inputs"),
        (200, {"embeddings": [{"indices": [1]}, {"indices": [2]}]}, "without indices and values"),
        (200, {"embeddings": [{"indices": [1, 2], "values": [0.5]}] * 2}, "differ in length"),
    ],
)
def test_chroma_cloud_splade_bad_answers_are_clear_errors(
    status: int, answer: Any, message: str, fake: FakeService, monkeypatch
) -> None:
    monkeypatch.setenv("CHROMA_EMBED_URL", fake.url)
    monkeypatch.setenv("CHROMA_API_KEY", "ck-secret")
    fake.answer(lambda r: (status, answer))
    with pytest.raises(EmbeddingServiceError, match=message) as info:
        ChromaCloudSpladeEmbeddingFunction()(["a", "b"])
    assert "ck-secret" not in str(info.value)


def test_chroma_cloud_splade_key_from_env_or_a_cloud_client(monkeypatch) -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    with pytest.raises(ValueError, match="API key not found in environment variable CHROMA_API_KEY"):
        ChromaCloudSpladeEmbeddingFunction()
    with pytest.raises(ValueError, match="environment variable OTHER_KEY"):
        ChromaCloudSpladeEmbeddingFunction(api_key_env_var="OTHER_KEY")
    monkeypatch.setattr(SharedSystemClient, "get_chroma_cloud_api_key_from_clients", staticmethod(lambda: "ck-client"))
    assert ChromaCloudSpladeEmbeddingFunction().api_key == "ck-client"


def test_chroma_cloud_splade_config_and_registry(monkeypatch) -> None:
    monkeypatch.setenv("CHROMA_API_KEY", "ck-key")
    ef = ChromaCloudSpladeEmbeddingFunction(include_tokens=True)
    config = ef.get_config()
    assert config == {"api_key_env_var": "CHROMA_API_KEY", "model": "prithivida/Splade_PP_en_v1", "include_tokens": True}
    ef.validate_config(config)
    rebuilt = ChromaCloudSpladeEmbeddingFunction.build_from_config(config)
    assert rebuilt.get_config() == config and rebuilt.model is ChromaCloudSpladeEmbeddingModel.SPLADE_PP_EN_V1
    assert ef.name() == "chroma-cloud-splade"
    assert sparse_known_embedding_functions["chroma-cloud-splade"] is ChromaCloudSpladeEmbeddingFunction
    assert "chroma-cloud-splade" not in known_embedding_functions  # sparse, as upstream
    with pytest.raises(ValueError, match="unknown field"):
        ef.validate_config({**config, "task": "x"})
    with pytest.raises(ValueError, match="missing required field.*model"):
        ef.validate_config({"api_key_env_var": "CHROMA_API_KEY"})
    with pytest.raises(ValueError, match="must be one of"):
        ef.validate_config({**config, "model": "naver/splade-v3"})
    with pytest.raises(ValueError, match="must be a boolean"):
        ef.validate_config({**config, "include_tokens": "yes"})
    with pytest.raises(ValueError, match="api_key_env_var must be provided"):
        ChromaCloudSpladeEmbeddingFunction.build_from_config({"model": "prithivida/Splade_PP_en_v1"})
    with pytest.raises(ValueError, match="Updating 'include_tokens' is not supported"):
        ef.validate_config_update(config, {"include_tokens": False})
    ef.validate_config_update(config, {"include_tokens": True, "api_key_env_var": "OTHER"})


def test_chroma_cloud_splade_config_persisted_by_upstream_resolves_to_our_class(fake: FakeService, monkeypatch) -> None:
    from chromadb import Schema

    upstream = UPSTREAM_CONFIGS["chroma-cloud-splade"]
    monkeypatch.setenv(upstream["config"]["api_key_env_var"], "ck-key")
    monkeypatch.setenv("CHROMA_EMBED_URL", fake.url)
    ef = sparse_ef_from_config({"type": "known", "name": upstream["name"], "config": upstream["config"]})
    assert type(ef) is ChromaCloudSpladeEmbeddingFunction and type(ef).__name__ == upstream["class"]
    assert ef.get_config() == upstream["config"]
    # The same config inside a collection schema, as a server stores it, rebuilds a working function.
    wire = {"keys": {"sv": {"sparse_vector": {"sparse_vector_index": {"enabled": True, "config": {
        "embedding_function": {"type": "known", "name": upstream["name"], "config": upstream["config"]},
        "source_key": "#document"}}}}}}
    rebuilt = Schema.deserialize_from_json(wire).keys["sv"].sparse_vector.sparse_vector_index.config.embedding_function
    fake.answer(splade_answer)
    assert rebuilt(["x"]) == [SparseVector([3, 7], [0.25, 0.5])]


# --- Google -----------------------------------------------------------------------------


def gemini_answer(request: Request) -> tuple[int, Any]:
    rows = vectors_for(request.json["requests"])
    return 200, {"embeddings": [{"values": row} for row in rows]}


def test_gemini_batch_embed_contents(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(google_embedding_function, "GENERATIVE_LANGUAGE_URL", f"{fake.url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    fake.answer(gemini_answer)
    ef = GoogleGeminiEmbeddingFunction(task_type="RETRIEVAL_DOCUMENT", dimension=3)
    assert_vectors(ef(["a", "b"]), vectors_for(["a", "b"]))
    request = fake.requests[-1]
    assert request.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert request.headers["x-goog-api-key"] == "g-key"
    assert request.json["requests"][1] == {
        "model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]},
        "taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 3,
    }
    with pytest.raises(ValueError, match="Input documents cannot be empty"):
        ef([])
    fake.answer(lambda r: (400, {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}))
    with pytest.raises(EmbeddingServiceError, match="HTTP 400: API key not valid."):
        ef(["a"])
    assert GoogleGenaiEmbeddingFunction is GoogleGeminiEmbeddingFunction
    assert known_embedding_functions["google_genai"] is GoogleGeminiEmbeddingFunction


def test_gemini_vertex_mode_needs_google_auth_and_excludes_a_key(monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    with pytest.raises(ValueError, match="mutually exclusive"):
        GoogleGeminiEmbeddingFunction(vertexai=True, project="p", location="us-central1")
    monkeypatch.delenv("GEMINI_API_KEY")
    ef = GoogleGeminiEmbeddingFunction(vertexai=True, project="p", location="us-central1")
    assert ef.get_config()["vertexai"] is True
    monkeypatch.setitem(__import__("sys").modules, "google.auth", None)
    with pytest.raises(ValueError, match="pip install google-auth"):
        ef(["a"])


def test_generative_ai_sends_its_task_type(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(google_embedding_function, "GENERATIVE_LANGUAGE_URL", fake.url)
    monkeypatch.setenv("GEMINI_API_KEY", "g-key")
    fake.answer(gemini_answer)
    assert_vectors(GoogleGenerativeAiEmbeddingFunction()(["a"]), vectors_for(["a"]))
    assert fake.requests[-1].json["requests"][0]["taskType"] == "RETRIEVAL_DOCUMENT"
    assert "outputDimensionality" not in fake.requests[-1].json["requests"][0]


def test_palm_embed_text_one_request_per_text(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(google_embedding_function, "PALM_URL", f"{fake.url}/v1beta3")
    monkeypatch.setenv("CHROMA_GOOGLE_PALM_API_KEY", "palm-key")
    fake.answer(lambda r: (200, {"embedding": {"value": [float(len(r.json["text"])), 1.0]}}))
    assert_vectors(GooglePalmEmbeddingFunction()(["a", "bbb"]), [[1.0, 1.0], [3.0, 1.0]])
    assert [r.path for r in fake.requests] == ["/v1beta3/models/embedding-gecko-001:embedText"] * 2
    assert fake.requests[-1].headers["x-goog-api-key"] == "palm-key"


def test_vertex_predict(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setattr(google_embedding_function, "VERTEX_URL", f"{fake.url}/{{region}}/v1")
    monkeypatch.setenv("CHROMA_GOOGLE_VERTEX_API_KEY", "vx-key")
    fake.answer(lambda r: (200, {"predictions": [
        {"embeddings": {"values": row, "statistics": {"token_count": 1}}} for row in vectors_for(r.json["instances"])
    ]}))
    ef = GoogleVertexEmbeddingFunction(project_id="proj", region="europe-west4")
    assert_vectors(ef(["a", "b"]), vectors_for(["a", "b"]))
    request = fake.requests[-1]
    assert request.path == "/europe-west4/v1/projects/proj/locations/europe-west4/publishers/google/models/textembedding-gecko:predict"
    assert request.json == {"instances": [{"content": "a"}, {"content": "b"}]}
    assert request.headers["x-goog-api-key"] == "vx-key"


# --- Amazon Bedrock ---------------------------------------------------------------------


def test_sigv4_matches_aws_published_examples() -> None:
    # AWS's S3 GetObject example and the sigv4 test suite's get-vanilla / post-vanilla.
    s3 = sign_request(
        "GET", "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9", "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        b"", access_key="AKIAIOSFODNN7EXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1", service="s3", now=datetime(2013, 5, 24, tzinfo=timezone.utc),
    )
    assert s3["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    for method, signature in (
        ("GET", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("POST", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ):
        signed = sign_request(
            method, "https://example.amazonaws.com/", {}, b"", access_key="AKIDEXAMPLE",
            secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region="us-east-1", service="service",
            now=datetime(2015, 8, 30, 12, 36, tzinfo=timezone.utc),
        )
        assert signed["authorization"].endswith(f"Signature={signature}")
        assert signed["x-amz-date"] == "20150830T123600Z"


def test_bedrock_invokes_the_model_with_a_signed_request(fake: FakeService, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token")
    fake.answer(lambda r: (200, {"embedding": [float(len(r.json["inputText"])), 0.5], "inputTextTokenCount": 1}))
    ef = AmazonBedrockEmbeddingFunction(session=AwsEnvironmentSession(region_name="eu-west-1"), endpoint_url=fake.url)
    assert_vectors(ef(["ab", "abcd"]), [[2.0, 0.5], [4.0, 0.5]])
    request = fake.requests[-1]
    assert request.path == "/model/amazon.titan-embed-text-v1/invoke"
    assert request.json == {"inputText": "abcd"}
    assert request.headers["x-amz-security-token"] == "session-token"
    authorization = request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-west-1/bedrock/aws4_request" in authorization
    # The signature covers the request exactly as the service received it.
    resigned = sign_request(
        "POST", f"{fake.url}{request.path}",
        {"content-type": request.headers["content-type"], "accept": request.headers["accept"]}, request.body,
        access_key="AKIDTEST", secret_key="secret", region="eu-west-1", service="bedrock", session_token="session-token",
        now=datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc),
    )
    assert resigned["authorization"] == authorization
    assert ef.get_config() == {"model_name": "amazon.titan-embed-text-v1", "session_args": {"region_name": "eu-west-1"},
                               "kwargs": {"endpoint_url": fake.url}}
    fake.answer(lambda r: (403, {"message": "The security token included in the request is invalid."}))
    with pytest.raises(EmbeddingServiceError, match="Amazon Bedrock returned HTTP 403: The security token"):
        ef(["a"])


def test_bedrock_without_credentials_or_region_or_boto3_profile(monkeypatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="No AWS region"):
        AmazonBedrockEmbeddingFunction(session=AwsEnvironmentSession())
    with pytest.raises(ValueError, match="No AWS credentials"):
        AmazonBedrockEmbeddingFunction(session=AwsEnvironmentSession(region_name="us-east-1"))(["a"])
    with pytest.raises(ValueError, match="pip install boto3"):
        AwsEnvironmentSession(profile_name="dev")
    with pytest.raises(ValueError, match="not a primitive type"):
        AmazonBedrockEmbeddingFunction(session=AwsEnvironmentSession(region_name="us-east-1"), config=object())


# --- every remote function: keys, configs, registry -------------------------------------


@dataclass
class Case:
    cls: type
    kwargs: dict[str, Any] = field(default_factory=dict)
    env_var: str | None = None  # the default variable its key is read from; None: no key needed
    required: str = "api_key_env_var"  # a field its config cannot do without


CASES: dict[str, Case] = {
    "openai": Case(OpenAIEmbeddingFunction, env_var="CHROMA_OPENAI_API_KEY"),
    "ollama": Case(OllamaEmbeddingFunction, required="url"),
    "huggingface": Case(HuggingFaceEmbeddingFunction, env_var="CHROMA_HUGGINGFACE_API_KEY"),
    "huggingface_server": Case(HuggingFaceEmbeddingServer, {"url": "http://localhost:8080/embed"}, required="url"),
    "cohere": Case(CohereEmbeddingFunction, env_var="CHROMA_COHERE_API_KEY"),
    "jina": Case(JinaEmbeddingFunction, env_var="CHROMA_JINA_API_KEY"),
    "voyageai": Case(VoyageAIEmbeddingFunction, env_var="CHROMA_VOYAGE_API_KEY"),
    "google_gemini": Case(GoogleGeminiEmbeddingFunction, env_var="GEMINI_API_KEY", required="model_name"),
    "google_generative_ai": Case(GoogleGenerativeAiEmbeddingFunction, env_var="GEMINI_API_KEY"),
    "google_palm": Case(GooglePalmEmbeddingFunction, env_var="CHROMA_GOOGLE_PALM_API_KEY"),
    "google_vertex": Case(GoogleVertexEmbeddingFunction, env_var="CHROMA_GOOGLE_VERTEX_API_KEY"),
    "mistral": Case(MistralEmbeddingFunction, {"model": "mistral-embed"}, env_var="MISTRAL_API_KEY"),
    "together_ai": Case(
        TogetherAIEmbeddingFunction, {"model_name": "togethercomputer/m2-bert-80M-8k-retrieval"},
        env_var="CHROMA_TOGETHER_AI_API_KEY",
    ),
    "cloudflare_workers_ai": Case(
        CloudflareWorkersAIEmbeddingFunction, {"model_name": "@cf/baai/bge-base-en-v1.5", "account_id": "acc123"},
        env_var="CHROMA_CLOUDFLARE_API_KEY",
    ),
    "amazon_bedrock": Case(
        AmazonBedrockEmbeddingFunction, {"session": AwsEnvironmentSession(region_name="us-east-1")},
        required="model_name",
    ),
    "baseten": Case(
        BasetenEmbeddingFunction,
        {"api_key": None, "api_base": "https://model-x.api.baseten.co/environments/production/sync/v1"},
        env_var="CHROMA_BASETEN_API_KEY",
    ),
    "morph": Case(MorphEmbeddingFunction, env_var="MORPH_API_KEY"),
    "nomic": Case(
        NomicEmbeddingFunction,
        {"model": "nomic-embed-text-v1.5", "task_type": "search_document", "query_config": {"task_type": "search_query"}},
        env_var="NOMIC_API_KEY",
    ),
    "perplexity": Case(PerplexityEmbeddingFunction, env_var="PERPLEXITY_API_KEY"),
    "roboflow": Case(RoboflowEmbeddingFunction, env_var="CHROMA_ROBOFLOW_API_KEY"),
    "chroma-cloud-qwen": Case(
        ChromaCloudQwenEmbeddingFunction,
        {"model": ChromaCloudQwenEmbeddingModel.QWEN3_EMBEDDING_0p6B, "task": "nl_to_code"},
        env_var="CHROMA_API_KEY",
        required="model",
    ),
}
KEYED = [name for name, case in CASES.items() if case.env_var]


def make(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    case = CASES[name]
    if case.env_var:
        monkeypatch.setenv(case.env_var, "test-key")
    return case.cls(**case.kwargs)


@pytest.mark.parametrize("name", KEYED)
def test_missing_key_is_a_value_error_naming_the_variable(name: str) -> None:
    case = CASES[name]
    with pytest.raises(ValueError) as info:
        case.cls(**case.kwargs)
    assert case.env_var in str(info.value) and "environment variable" in str(info.value)


@pytest.mark.parametrize("name", list(CASES))
def test_config_round_trip(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ef = make(name, monkeypatch)
    config = ef.get_config()
    json.dumps(config)
    ef.validate_config(config)
    rebuilt = type(ef).build_from_config(config)
    assert type(rebuilt) is type(ef)
    assert rebuilt.get_config() == config
    assert ef.name() == name and not ef.is_legacy()
    assert known_embedding_functions[name] is type(ef)


@pytest.mark.parametrize("name", list(CASES))
def test_config_persisted_by_upstream_resolves_to_our_class(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    upstream = UPSTREAM_CONFIGS[name]
    case = CASES[name]
    env_var = upstream["config"].get("api_key_env_var")
    if env_var:
        monkeypatch.setenv(env_var, "test-key")
    ef = ef_from_config({"type": "known", "name": upstream["name"], "config": upstream["config"]})
    assert type(ef) is case.cls and type(ef).__name__ == upstream["class"]
    assert ef.get_config() == upstream["config"]
    if "default_space" in upstream:
        assert ef.default_space() == upstream["default_space"]
        assert ef.supported_spaces() == upstream["supported_spaces"]
    assert efs.config_to_embedding_function({"name": upstream["name"], "config": upstream["config"]}).get_config() == upstream["config"]


@pytest.mark.parametrize("name", list(CASES))
def test_validate_config_refuses_unknown_and_missing_fields(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ef = make(name, monkeypatch)
    config = ef.get_config()
    with pytest.raises(ValueError, match="unknown field"):
        ef.validate_config({**config, "not_a_field": 1})
    required = CASES[name].required
    with pytest.raises(ValueError, match=f"missing required field.*{required}"):
        ef.validate_config({k: v for k, v in config.items() if k != required})
    with pytest.raises(ValueError, match="must be"):
        ef.validate_config({**config, required: 12345 if isinstance(config[required], str) else "text"})


def test_model_name_cannot_change(monkeypatch: pytest.MonkeyPatch) -> None:
    ef = make("openai", monkeypatch)
    with pytest.raises(ValueError, match="The model name cannot be changed"):
        ef.validate_config_update(ef.get_config(), {"model_name": "other"})
    ef.validate_config_update(ef.get_config(), {"api_key_env_var": "OTHER"})


def test_collection_persists_and_reloads_a_remote_function(tmp_path, fake: FakeService, monkeypatch) -> None:
    import chromadb

    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-test")
    fake.answer(lambda r: (200, {"data": [
        {"index": i, "embedding": [float(len(t)), 1.0]} for i, t in enumerate(r.json["input"])
    ]}))
    client = chromadb.PersistentClient(path=str(tmp_path))
    ef = OpenAIEmbeddingFunction(api_base=fake.url, model_name="text-embedding-3-small")
    client.create_collection("docs", embedding_function=ef).add(ids=["a", "bb"], documents=["a", "bbbb"])
    reopened = chromadb.PersistentClient(path=str(tmp_path)).get_collection("docs")
    assert isinstance(reopened._embedding_function, OpenAIEmbeddingFunction)
    assert reopened.query(query_texts=["bbbb"], n_results=1)["ids"] == [["bb"]]
    assert fake.requests[-1].json["input"] == ["bbbb"]
