"""Server security, fail closed (issue 7): token auth, CORS, nothing executed from a
request, and slow or garbage clients that cannot stall anyone else."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

import chromadb
from chromadb import cli
from chromadb.config import Settings, parse_origins
from chromadb.errors import AuthorizationError, ChromaAuthError
from chromadb.http.backend import auth_headers
from chromadb.server.app import create_app
from chromadb.server.testing import start_server_in_thread

DB = "/api/v2/tenants/default_tenant/databases/default_database"
TOKEN = "s3cret-Token_1"
TOKEN_PROVIDER = "chromadb.auth.token_authn.TokenAuthClientProvider"


def assert_error(r: httpx.Response, status: int, name: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == name and isinstance(body["message"], str) and body["message"]
    assert TOKEN not in r.text


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    handle = start_server_in_thread(
        str(tmp_path_factory.mktemp("secure")),
        auth_token=TOKEN,
        cors_allow_origins=["http://allowed.example"],
    )
    yield handle
    handle.stop()


def token_settings(header: str = "Authorization", token: str = TOKEN) -> Settings:
    return Settings(
        chroma_client_auth_provider=TOKEN_PROVIDER,
        chroma_client_auth_credentials=token,
        chroma_auth_token_transport_header=header,
    )


# -- token auth -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/api/v2/heartbeat", "/api/v2", "/api/v2/healthcheck", "/api/v2/version", "/openapi.json", "/docs"]
)
def test_public_routes_need_no_token(server, path):
    assert httpx.get(server.url + path).status_code == 200


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/api/v2/auth/identity"),
        ("GET", "/api/v2/pre-flight-checks"),
        ("GET", "/metrics"),
        ("GET", "/api/v2/tenants/default_tenant"),
        ("GET", f"{DB}/collections"),
        ("POST", f"{DB}/collections"),
        ("POST", "/api/v2/reset"),
        ("GET", "/api/v2/no/such/route"),  # fail closed: no route enumeration without the token
        ("GET", "/api/v1/heartbeat"),
        ("POST", "/api/v2/heartbeat"),
    ],
)
def test_everything_else_needs_the_token(server, method, path):
    r = httpx.request(method, server.url + path, json={"name": "abc"} if method == "POST" else None)
    assert_error(r, 401, "AuthError")
    assert r.headers["www-authenticate"].startswith("Bearer")
    for headers in ({"Authorization": "Bearer wrong"}, {"X-Chroma-Token": "wrong"}, {"Authorization": "Basic dTpw"}):
        assert_error(httpx.request(method, server.url + path, headers=headers), 403, "AuthorizationError")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {TOKEN}"},
        {"authorization": f"bearer  {TOKEN}"},
        {"X-Chroma-Token": TOKEN},
        {"x-chroma-token": TOKEN, "Authorization": "Bearer wrong"},
    ],
)
def test_token_accepted_in_either_header(server, headers):
    r = httpx.get(server.url + "/api/v2/auth/identity", headers=headers)
    assert r.status_code == 200 and r.json()["tenant"] == "default_tenant"


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer"}, {"X-Chroma-Token": ""}, {"Authorization": TOKEN}])
def test_empty_or_schemeless_tokens_are_refused(server, headers):
    r = httpx.get(server.url + "/api/v2/pre-flight-checks", headers=headers)
    assert r.status_code in (401, 403) and r.json()["error"] in ("AuthError", "AuthorizationError")


def test_openapi_declares_the_token_schemes(server):
    doc = httpx.get(server.url + "/openapi.json").json()
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "chromaToken"}
    assert doc["paths"]["/api/v2/heartbeat"]["get"]["security"] == []


@pytest.mark.parametrize("header", ["Authorization", "X-Chroma-Token", "X_CHROMA_TOKEN"])
def test_http_client_sends_the_token(server, header):
    client = chromadb.HttpClient(host=server.host, port=server.port, settings=token_settings(header))
    try:
        col = client.get_or_create_collection(f"tok-{header.lower().replace('_', '-')}", embedding_function=None)
        col.add(ids=["a"], embeddings=[[1.0, 2.0]])
        assert col.count() == 1
        assert client.list_collections()
    finally:
        client.close()


def test_http_client_auth_errors(server):
    with pytest.raises(ChromaAuthError):
        chromadb.HttpClient(host=server.host, port=server.port)
    with pytest.raises(AuthorizationError):
        chromadb.HttpClient(host=server.host, port=server.port, settings=token_settings(token="wrong"))


def test_async_http_client_sends_the_token(server):
    async def scenario() -> int:
        client = await chromadb.AsyncHttpClient(host=server.host, port=server.port, settings=token_settings())
        col = await client.get_or_create_collection("tok-async", embedding_function=None)
        await col.upsert(ids=["a", "b"], embeddings=[[1.0, 2.0], [2.0, 3.0]])
        return await col.count()

    assert asyncio.run(scenario()) == 2


def test_client_side_settings():
    assert auth_headers(token_settings()) == {"Authorization": f"Bearer {TOKEN}"}
    assert auth_headers(token_settings("x-chroma-token")) == {"X-Chroma-Token": TOKEN}
    assert auth_headers(Settings(chroma_client_auth_credentials=TOKEN)) == {}  # no provider: upstream sends nothing
    with pytest.raises(ValueError, match="transport_header"):
        auth_headers(token_settings("X-Api-Key"))
    shown = repr(token_settings())
    assert TOKEN not in shown and "********" in shown
    assert TOKEN not in repr(Settings(chroma_server_headers={"Authorization": f"Bearer {TOKEN}"}))


def test_empty_token_is_a_configuration_error(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        create_app(str(tmp_path), auth_token="")


# -- chroma run: flags, environment, config file ----------------------------------------------------
@pytest.fixture
def captured(monkeypatch):
    seen: list[cli.RunConfig] = []
    monkeypatch.setattr(cli, "serve", lambda config: seen.append(config) or 0)
    for name in ("CHROMA_SERVER_AUTH_CREDENTIALS", "CHROMA_SERVER_AUTHN_CREDENTIALS", "CHROMA_SERVER_CORS_ALLOW_ORIGINS"):
        monkeypatch.delenv(name, raising=False)
    return seen


def test_run_options(captured, monkeypatch, tmp_path):
    assert cli.main(["run", "--auth-token", "flag-token", "--cors-allow-origins", "http://a, http://b"]) == 0
    assert captured[-1].auth_token == "flag-token"
    assert captured[-1].cors_allow_origins == ["http://a", "http://b"]
    assert "flag-token" not in repr(captured[-1])

    monkeypatch.setenv("CHROMA_SERVER_AUTH_CREDENTIALS", "env-token")
    monkeypatch.setenv("CHROMA_SERVER_CORS_ALLOW_ORIGINS", '["http://c"]')
    assert cli.main(["run"]) == 0
    assert (captured[-1].auth_token, captured[-1].cors_allow_origins) == ("env-token", ["http://c"])
    assert cli.main(["run", "--auth-token", "flag-token"]) == 0
    assert captured[-1].auth_token == "flag-token"  # the flag wins over the environment

    config = tmp_path / "chroma.yaml"
    config.write_text("chroma_server_auth_credentials: yaml-token\nchroma_server_cors_allow_origins: ['http://d']\n")
    assert cli.main(["run", str(config)]) == 0
    assert (captured[-1].auth_token, captured[-1].cors_allow_origins) == ("yaml-token", ["http://d"])
    assert captured[-1].host == "localhost"  # the default stays loopback-only


@pytest.mark.parametrize("bad", ["", "two words", "t\u00e9l\u00e9"])
def test_run_refuses_bad_tokens(captured, capsys, bad):
    assert cli.main(["run", "--auth-token", bad]) == 1
    assert "--auth-token" in capsys.readouterr().err
    assert not captured


def test_parse_origins():
    assert parse_origins('["http://a", "http://b"]') == ["http://a", "http://b"]
    assert parse_origins("http://a,http://b ,") == ["http://a", "http://b"]
    assert parse_origins("*") == ["*"]
    with pytest.raises(ValueError):
        parse_origins('["http://a"')


def test_chroma_run_with_a_token_from_the_environment(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = "import sys; from chromadb.cli import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "run", "--path", str(tmp_path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHROMA_SERVER_AUTH_CREDENTIALS": TOKEN},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "chroma run did not start"
            time.sleep(0.1)
        assert httpx.get(url + "/api/v2/auth/identity").status_code == 401
        assert httpx.get(url + "/api/v2/auth/identity", headers={"X-Chroma-Token": TOKEN}).status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "Token auth is on" in out and TOKEN not in out


# -- CORS -------------------------------------------------------------------------------------------
def preflight(server, origin: str) -> httpx.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    return httpx.options(server.url + f"{DB}/collections", headers=headers)


def test_cors_preflight_from_an_allowed_origin(server):
    r = preflight(server, "http://allowed.example")  # browsers send no credentials here: auth must not refuse it
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "http://allowed.example"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
    r = httpx.get(server.url + "/api/v2/heartbeat", headers={"Origin": "http://allowed.example"})
    assert r.headers["access-control-allow-origin"] == "http://allowed.example"


def test_cors_preflight_from_another_origin(server):
    r = preflight(server, "http://evil.example")
    assert "access-control-allow-origin" not in r.headers
    assert r.status_code == 400 and r.json()["error"] and "origin" in r.json()["message"]
    r = httpx.get(server.url + "/api/v2/heartbeat", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_no_cors_headers_unless_configured(tmp_path):
    with start_server_in_thread(str(tmp_path)) as plain:
        r = preflight(plain, "http://allowed.example")
        assert "access-control-allow-origin" not in r.headers
        assert r.status_code == 405 and r.headers["content-type"] == "application/json"


# -- nothing named in a request is imported or run ----------------------------------------------------
SENTINEL = "quarry_sentinel_never_import_me"


def test_embedding_function_configs_are_stored_not_executed(tmp_path, monkeypatch):
    # a real, importable module whose import would leave a mark
    package_dir = tmp_path / "pkgs"
    package_dir.mkdir()
    marker = tmp_path / "imported.marker"
    (package_dir / f"{SENTINEL}.py").write_text(
        f"open({str(marker)!r}, 'w').write('imported')\ndef build(*a, **k):\n    open({str(marker)!r}, 'w').write('ran')\n"
    )
    monkeypatch.syspath_prepend(str(package_dir))
    configs = [
        {"type": "known", "name": "os.system", "config": {"command": f"touch {marker}"}},
        {"type": "known", "name": f"{SENTINEL}.build", "config": {"module": SENTINEL, "class": "build"}},
        {"type": "known", "name": SENTINEL, "config": {}},
        {"type": "legacy", "module": SENTINEL},
        {"type": "unknown", "name": f"__import__('{SENTINEL}')"},
    ]
    with start_server_in_thread(str(tmp_path / "data")) as plain, httpx.Client(base_url=plain.url) as http:
        for i, ef in enumerate(configs):
            r = http.post(f"{DB}/collections", json={"name": f"ef-{i}", "configuration": {"embedding_function": ef}})
            assert r.status_code == 200, r.text
            assert r.json()["configuration_json"]["embedding_function"] == ef  # stored and echoed verbatim
            cid = r.json()["id"]
            assert http.post(f"{DB}/collections/{cid}/add", json={"ids": ["a"], "embeddings": [[1, 2]], "documents": ["x"]}).status_code == 201
            assert http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[1, 2]]}).status_code == 200
            r = http.put(f"{DB}/collections/{cid}", json={"new_configuration": {"embedding_function": ef}})
            assert r.status_code == 200, r.text
            assert http.get(f"{DB}/collections/ef-{i}").status_code == 200
        assert http.get(f"{DB}/collections").status_code == 200
    assert SENTINEL not in sys.modules
    assert not marker.exists()


# -- slow and garbage clients ------------------------------------------------------------------------
def raw_connection(server) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=5)


def test_stalled_clients_do_not_block_others(tmp_path):
    with start_server_in_thread(str(tmp_path)) as plain, httpx.Client(base_url=plain.url, timeout=5) as http:
        cid = http.post(f"{DB}/collections", json={"name": "slow"}).json()["id"]
        http.post(f"{DB}/collections/{cid}/add", json={"ids": ["a"], "embeddings": [[1, 2]]})
        stalled = []
        try:
            for i in range(20):
                s = raw_connection(plain)
                if i % 3 == 0:  # half a request line and headers
                    s.sendall(b"POST /api/v2/tenants/default_tenant/databases/default_database/collect")
                elif i % 3 == 1:  # headers, then a tenth of the promised body
                    s.sendall(
                        f"POST {DB}/collections/{cid}/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Content-Length: 1000\r\n\r\n{\"query_embeddings\": [[".encode()
                    )
                else:  # bytes that are not HTTP at all
                    s.sendall(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03 garbage \xff\xfe\r\n\r\n")
                stalled.append(s)
            started = time.monotonic()
            for _ in range(5):
                assert http.get("/api/v2/heartbeat").status_code == 200
                r = http.post(f"{DB}/collections/{cid}/query", json={"query_embeddings": [[1, 2]], "n_results": 1})
                assert r.status_code == 200 and r.json()["ids"] == [["a"]]
            assert time.monotonic() - started < 3.0
        finally:
            for s in stalled:
                s.close()
        assert http.get("/api/v2/heartbeat").status_code == 200


def test_a_client_stalling_mid_body_gets_408(tmp_path):
    with start_server_in_thread(str(tmp_path), body_idle_timeout=0.5) as plain:
        with raw_connection(plain) as s:
            s.sendall(
                f"POST {DB}/collections HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                'Content-Length: 100\r\n\r\n{"name": '.encode()
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert b'"error":"RequestTimeout"' in body
        assert httpx.get(plain.url + "/api/v2/heartbeat").status_code == 200
