"""The routes of the browse page (docs/ui.md) without a browser: its files, its headers, the
embed endpoint behind it, and where a token may travel (headers only, never a URL)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

import chromadb
from chromadb.server.testing import ServerHandle, start_server_in_thread
from chromadb.utils.embedding_functions import DefaultEmbeddingFunction, ONNXMiniLM_L6_V2, OpenAIEmbeddingFunction

UI_DIR = Path(chromadb.__file__).parent / "server" / "ui"
TOKEN = "routes-t0ken"
DB = "/api/v2/tenants/default_tenant/databases/default_database"


def embed_path(collection_id: str, tenant: str = "default_tenant", database: str = "default_database") -> str:
    return f"/ui/api/tenants/{tenant}/databases/{database}/collections/{collection_id}/embed"


# a User-Agent of our own: httpx's default gets the pre-1.0 collection shape (server/old_clients.py)
AGENT = {"User-Agent": "quarrydb-tests"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    with start_server_in_thread(str(tmp_path_factory.mktemp("ui-routes"))) as handle:
        yield handle


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    with start_server_in_thread(str(tmp_path_factory.mktemp("ui-routes-auth")), auth_token=TOKEN) as handle:
        yield handle


@pytest.fixture
def http(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AGENT) as c:
        yield c


@pytest.fixture
def client(server: ServerHandle) -> Iterator[chromadb.ClientAPI]:
    c = chromadb.HttpClient(host=server.host, port=server.port)
    yield c
    c.close()


# -- the files ---------------------------------------------------------------------------------------
def test_the_root_links_to_the_page_and_the_api_description(http):
    response = http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'href="/ui"' in response.text and 'href="/docs"' in response.text


@pytest.mark.parametrize(
    ("path", "media", "file"),
    [
        ("/ui", "text/html", "index.html"),
        ("/ui/", "text/html", "index.html"),
        ("/ui/app.js", "text/javascript", "app.js"),
        ("/ui/app.css", "text/css", "app.css"),
    ],
)
def test_the_page_files_are_served_from_the_package(http, path, media, file):
    response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.content == (UI_DIR / file).read_bytes()
    # only its own files run; it cannot be framed; no referrer leaves it
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_page_loads_nothing_from_another_host():
    for file in UI_DIR.iterdir():
        text = file.read_text(encoding="utf-8")
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), f"{file.name} names another host"
    page = (UI_DIR / "index.html").read_text(encoding="utf-8")
    assert set(re.findall(r'(?:src|href)="([^"]+)"', page)) == {"/ui/app.js", "/ui/app.css", "/docs"}


def test_other_paths_under_ui_are_json_404s(http):
    response = http.get("/ui/nothing-here.js")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError"


# -- the embed endpoint ----------------------------------------------------------------------------------
def test_embed_runs_the_default_embedding_function(http, client):
    collection = client.create_collection("ui-default")
    response = http.post(embed_path(collection.id), json={"texts": ["a cat on a mat", "a dog"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["embedding_function"] == "default"
    expected = DefaultEmbeddingFunction()(["a cat on a mat", "a dog"])
    assert np.allclose(np.array(body["embeddings"], dtype=np.float32), np.array(expected), atol=1e-6)


def test_embed_runs_the_named_minilm_with_its_config(http, client):
    collection = client.create_collection("ui-minilm", embedding_function=ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"]))
    body = http.post(embed_path(collection.id), json={"texts": ["hello"]}).json()
    assert body["embedding_function"] == "onnx_mini_lm_l6_v2"
    assert len(body["embeddings"][0]) == 384


def test_embed_refuses_an_embedding_function_that_runs_in_the_clients(http, client, monkeypatch, emb_fn):
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-never-used")
    remote = client.create_collection("ui-openai", embedding_function=OpenAIEmbeddingFunction())
    custom = client.create_collection("ui-custom", embedding_function=emb_fn)
    bare = http.post(f"{DB}/collections", json={"name": "ui-bare"}).json()
    for collection_id, described in [(remote.id, "'openai'"), (custom.id, "a custom one"), (bare["id"], "none recorded")]:
        response = http.post(embed_path(str(collection_id)), json={"texts": ["x"]})
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "InvalidArgumentError"
        assert f"embedding function ({described})" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "InvalidArgumentError"),
        (b'{"texts": "one"}', 422, "ChromaError"),  # the 422 shape of every API route
        (b'{"texts": [1]}', 422, "ChromaError"),  # the 422 shape of every API route
        (b'{"texts": []}', 400, "InvalidArgumentError"),
        (b'{"texts": ["  "]}', 400, "InvalidArgumentError"),
        (json.dumps({"texts": ["x"] * 17}).encode(), 400, "InvalidArgumentError"),
    ],
)
def test_embed_refuses_a_bad_body(http, client, body, status, error):
    collection = client.get_or_create_collection("ui-bodies")
    response = http.post(embed_path(collection.id), content=body)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_embed_of_a_missing_collection_is_a_404_and_a_bad_id_a_400(http):
    missing = http.post(embed_path("0b7c5f51-4b0e-4a8a-9d6e-7d7c3c2b1a00"), json={"texts": ["x"]})
    assert (missing.status_code, missing.json()["error"]) == (404, "NotFoundError")
    bad = http.post(embed_path("not-a-uuid"), json={"texts": ["x"]})
    assert (bad.status_code, bad.json()["error"]) == (400, "InvalidArgumentError")


def test_embed_is_not_in_the_api_description(http):
    # it is the page's helper, documented in docs/ui.md, not part of Chroma's API v2
    assert not any(path.startswith("/ui") for path in http.get("/openapi.json").json()["paths"])


# -- with a token -------------------------------------------------------------------------------------------
def test_with_a_token_the_page_is_public_and_its_endpoint_is_not(token_server):
    with httpx.Client(base_url=token_server.url, headers=AGENT) as http:
        for path in ("/", "/ui", "/ui/", "/ui/app.js", "/ui/app.css"):
            assert http.get(path).status_code == 200, path
        auth = {"Authorization": f"Bearer {TOKEN}"}
        created = http.post(f"{DB}/collections", json={"name": "ui-private"}, headers=auth).json()
        # the default embedding function is recorded by the Python client, not by a bare create
        assert created["configuration_json"].get("embedding_function") is None
        path = embed_path(created["id"])
        assert http.post(path, json={"texts": ["x"]}).status_code == 401
        assert http.post(path, json={"texts": ["x"]}, headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert http.post(path, json={"texts": ["x"]}, headers=auth).status_code == 400  # let in; no function recorded
        assert http.get("/ui/missing").status_code == 401  # fails closed off the page's own files


@pytest.mark.parametrize("query", [f"token={TOKEN}", f"x-chroma-token={TOKEN}", f"authorization=Bearer%20{TOKEN}"])
def test_a_token_in_a_url_is_never_accepted(token_server, query):
    # so no page or link ever has a reason to put one there
    with httpx.Client(base_url=token_server.url) as http:
        assert http.get(f"{DB}/collections?{query}").status_code == 401
        assert http.post(f"{embed_path('0b7c5f51-4b0e-4a8a-9d6e-7d7c3c2b1a00')}?{query}", json={"texts": ["x"]}).status_code == 401


def test_the_page_sends_the_token_in_a_header_only():
    page = (UI_DIR / "index.html").read_text(encoding="utf-8")
    # without the script, a form would be sent by the browser itself: never as a GET (a URL)
    forms = re.findall(r"<form\b[^>]*>", page)
    assert forms and all('method="post"' in form for form in forms)
    assert re.search(r'<input id="token-input"[^>]*type="password"[^>]*autocomplete="off"', page)
    script = (UI_DIR / "app.js").read_text(encoding="utf-8")
    uses = [line.strip() for line in script.splitlines() if "state.token" in line or "(token" in line]
    assert 'if (state.token) headers.Authorization = "Bearer " + state.token;' in uses
    leaks = re.compile(r"location\.(href|search|hash|assign|replace)|history\.|console\.|localStorage|cookie|fetch\(.*token|url.*token", re.I)
    assert not [line for line in script.splitlines() if "token" in line.lower() and leaks.search(line)]
