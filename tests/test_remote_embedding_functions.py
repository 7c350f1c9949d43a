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
from datetime import datetime, timezone
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chromadb.embedding_functions import ef_from_config, known_embedding_functions
from chromadb.utils import embedding_functions as efs
from chromadb.utils.embedding_functions import (
    AmazonBedrockEmbeddingFunction,
    AwsEnvironmentSession,
    BasetenEmbeddingFunction,
    ChromaCloudQwenEmbeddingFunction,
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
from fake_http_service import FakeService, Request

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
