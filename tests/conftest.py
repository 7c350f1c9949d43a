"""Shared fixtures. `client` runs each API test three times: in-process, over HTTP
(our server in a thread, our HttpClient), and over HTTP to a server whose records are in
PostgreSQL, so the backends and stores cannot drift;
`make_async_client` runs each async API test over HTTP, persistent and in-memory."""
from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pytest

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class TinyEF(chromadb.EmbeddingFunction if hasattr(chromadb, "EmbeddingFunction") else object):  # type: ignore[misc]
    """A deterministic 8-dimensional embedding of text (bag of character codes)."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        out = []
        for text in input:
            v = np.zeros(8, dtype=np.float32)
            for i, ch in enumerate(text):
                v[(ord(ch) + i) % 8] += 1.0
            v[0] += 0.5  # never the zero vector
            out.append(v / np.linalg.norm(v))
        return out


@pytest.fixture
def emb_fn() -> TinyEF:
    return TinyEF()


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from chromadb.server.testing import start_server_in_thread

    handle = start_server_in_thread(str(tmp_path_factory.mktemp("server")), allow_reset=True)
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL cluster started for this session (tests/postgres_cluster.py)."""
    from tests.postgres_cluster import Cluster, ensure_bin_dir

    bin_dir = ensure_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL's binaries (initdb, pg_ctl) are not installed and apt-get cannot install them here")
    # not under pytest's tmp dirs: those are private to root, and the cluster may run as nobody
    base = tempfile.mkdtemp(prefix="chroma-pg-")
    cluster = Cluster(base, bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Our server in a thread, its records in a database of the session's PostgreSQL."""
    from chromadb.server.testing import start_server_in_thread

    cache = str(tmp_path_factory.mktemp("pg-server-cache"))
    handle = start_server_in_thread(cache, allow_reset=True, store=postgres.new_database())
    yield handle
    handle.stop()


@pytest.fixture(params=["local", "http", "postgres"])
def client(request: pytest.FixtureRequest, tmp_path) -> Iterator[chromadb.ClientAPI]:
    """The API tests run in-process, over HTTP, and over HTTP to a server on PostgreSQL."""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        c = chromadb.HttpClient(host=server.host, port=server.port, settings=Settings(allow_reset=True))
        c.reset()
        yield c
        c.close()
    elif request.param == "local":
        c = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=Settings(allow_reset=True))
        yield c
        c.close()
    else:
        server = request.getfixturevalue("http_server")
        c = chromadb.HttpClient(host=server.host, port=server.port, settings=Settings(allow_reset=True))
        c.reset()
        yield c
        c.close()


@pytest.fixture(params=["http", "persistent", "ephemeral"])
def make_async_client(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[..., Awaitable[Any]]]:
    """`client = await make_async_client()` inside a test's event loop: each async API test
    runs with AsyncHttpClient (our server in a thread), AsyncPersistentClient and
    AsyncEphemeralClient (a fresh in-memory database). Clients are closed after the test."""
    made: list[Any] = []

    async def make(settings: Settings | None = None, **kwargs: Any) -> Any:
        settings = settings if settings is not None else Settings(allow_reset=True)
        if request.param == "http":
            server = request.getfixturevalue("http_server")
            client = await chromadb.AsyncHttpClient(host=server.host, port=server.port, settings=settings, **kwargs)
        elif request.param == "persistent":
            client = await chromadb.AsyncPersistentClient(str(tmp_path / "db"), settings=settings, **kwargs)
        else:
            client = await chromadb.AsyncEphemeralClient(settings=settings, **kwargs)
        made.append(client)
        return client

    if request.param == "ephemeral":
        SharedSystemClient.clear_system_cache()
    yield make
    for client in made:
        asyncio.run(client.close())


@pytest.fixture
def local_client(tmp_path) -> Iterator[chromadb.ClientAPI]:
    c = chromadb.PersistentClient(path=str(tmp_path / "db"), settings=Settings(allow_reset=True))
    yield c
    c.close()


def unique_name(prefix: str = "coll") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
