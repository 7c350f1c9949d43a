"""A Chroma-compatible embedding database: `import chromadb` and use the Chroma API.

    client = chromadb.PersistentClient(path="db")
    collection = client.get_or_create_collection("docs")
    collection.add(ids=["a"], embeddings=[[1.0, 2.0]], documents=["hello"])
"""
from __future__ import annotations

from typing import Any

from chromadb.api.client import AdminClient as _AdminClient
from chromadb.api.client import Client as _Client
from chromadb.api.client import backend_for
from chromadb.api.collection import Collection
from chromadb.api.types import GetResult, QueryResult
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings

__version__ = "1.5.9"

__all__ = [
    "AdminClient",
    "AsyncHttpClient",
    "Client",
    "ClientAPI",
    "Collection",
    "EmbeddingFunction",
    "EphemeralClient",
    "GetResult",
    "HttpClient",
    "PersistentClient",
    "QueryResult",
    "Settings",
    "DEFAULT_TENANT",
    "DEFAULT_DATABASE",
    "__version__",
]

ClientAPI = _Client


def Client(settings: Settings | None = None, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> _Client:  # noqa: N802
    """A client as `settings` describe it (in-memory by default, persistent with `is_persistent=True`)."""
    settings = settings or Settings()
    return _Client(backend_for(settings), settings, tenant, database)


def EphemeralClient(settings: Settings | None = None, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> _Client:  # noqa: N802
    """An in-memory client; its data lives as long as the process."""
    settings = settings or Settings()
    settings.is_persistent = False
    return Client(settings, tenant, database)


def PersistentClient(  # noqa: N802
    path: str = "./chroma",
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> _Client:
    """A client whose data is saved in the directory `path` and loaded from it on start."""
    settings = settings or Settings()
    settings.is_persistent = True
    settings.persist_directory = str(path)
    return Client(settings, tenant, database)


def HttpClient(  # noqa: N802
    host: str = "localhost",
    port: int = 8000,
    ssl: bool = False,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> _Client:
    """A client of a Chroma server (ours or upstream's) at host:port."""
    from chromadb.http.backend import HttpBackend

    settings = settings or Settings()
    settings.chroma_server_host = host
    settings.chroma_server_http_port = int(port)
    settings.chroma_server_ssl_enabled = ssl
    if headers:
        settings.chroma_server_headers = headers
    return _Client(HttpBackend.from_settings(settings), settings, tenant, database)


def AsyncHttpClient(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
    """An asyncio client of a Chroma server (see chromadb.http.async_client)."""
    from chromadb.http.async_client import create_async_client

    return create_async_client(*args, **kwargs)


def AdminClient(settings: Settings | None = None) -> _AdminClient:  # noqa: N802
    return _AdminClient(settings or Settings())


def __getattr__(name: str) -> Any:
    # The embedding-function package loads lazily: it is not needed to open a database.
    if name == "EmbeddingFunction":
        from chromadb.embedding_functions import EmbeddingFunction

        return EmbeddingFunction
    raise AttributeError(f"module 'chromadb' has no attribute {name!r}")
