"""A Chroma-compatible embedding database: `import chromadb` and use the Chroma API.

    client = chromadb.PersistentClient(path="db")
    collection = client.get_or_create_collection("docs")
    collection.add(ids=["a"], embeddings=[[1.0, 2.0]], documents=["hello"])
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import chromadb.config
from chromadb._version import __version__
from chromadb.api import AdminAPI, AsyncClientAPI, ClientAPI
from chromadb.api.client import AdminClient as AdminClientCreator
from chromadb.api.client import Client as ClientCreator
from chromadb.api.models.Collection import Collection
from chromadb.api.types import (
    URI,
    CollectionMetadata,
    Documents,
    Embeddings,
    GetResult,
    IDs,
    Include,
    Metadata,
    Metadatas,
    QueryResult,
    ReadLevel,
    SparseEmbeddingFunction,
    UpdateCollectionMetadata,
    UpdateMetadata,
    URIs,
    Where,
    WhereDocument,
)
from chromadb.auth.token_authn import TokenTransportHeader
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings

if TYPE_CHECKING:
    from pathlib import Path  # pathlib costs ~50 ms at import: annotations only

    from chromadb.api.async_client import AsyncClient

__all__ = [
    "URI",
    "Collection",
    "CollectionMetadata",
    "Documents",
    "EmbeddingFunction",
    "Embeddings",
    "GetResult",
    "IDs",
    "Include",
    "Metadata",
    "Metadatas",
    "QueryResult",
    "SparseEmbeddingFunction",
    "TokenTransportHeader",
    "URIs",
    "UpdateCollectionMetadata",
    "UpdateMetadata",
    "Where",
    "WhereDocument",
]

# The Search API and the Schema builders, as chromadb 1.5.9 exports them.
from chromadb.api.schema import (
    BoolInvertedIndexConfig,
    Cmek,
    FloatInvertedIndexConfig,
    FtsIndexConfig,
    HnswIndexConfig,
    IntInvertedIndexConfig,
    Schema,
    SpannIndexConfig,
    SparseVectorIndexConfig,
    StringInvertedIndexConfig,
    VectorIndexConfig,
)
from chromadb.base_types import SparseVector, SparseVectors
from chromadb.execution.expression import K, Key, Knn, Rrf, Search

__all__ += [
    "BoolInvertedIndexConfig",
    "Cmek",
    "FloatInvertedIndexConfig",
    "FtsIndexConfig",
    "HnswIndexConfig",
    "IntInvertedIndexConfig",
    "K",
    "Key",
    "Knn",
    "Rrf",
    "Schema",
    "Search",
    "SpannIndexConfig",
    "SparseVector",
    "SparseVectorIndexConfig",
    "SparseVectors",
    "StringInvertedIndexConfig",
    "VectorIndexConfig",
]

_settings = Settings()


def configure(**kwargs: Any) -> None:
    """Replace the Settings that `chromadb.Client()` uses when given none."""
    global _settings
    _settings = Settings(**kwargs)


def get_settings() -> Settings:
    return _settings


def Client(  # noqa: N802
    settings: Settings | None = None, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> ClientAPI:
    """A client as `settings` describe it (in-memory by default, persistent with `is_persistent=True`)."""
    settings = settings if settings is not None else _settings
    return ClientCreator(tenant=str(tenant), database=str(database), settings=settings)


def EphemeralClient(  # noqa: N802
    settings: Settings | None = None, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> ClientAPI:
    """An in-memory client; its data lives as long as the process (or until
    `SharedSystemClient.clear_system_cache()`)."""
    settings = settings if settings is not None else Settings()
    settings.is_persistent = False
    return ClientCreator(tenant=str(tenant), database=str(database), settings=settings)


def PersistentClient(  # noqa: N802
    path: str | Path = "./chroma",
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> ClientAPI:
    """A client whose data is saved in the directory `path` and loaded from it on start."""
    settings = settings if settings is not None else Settings()
    settings.persist_directory = str(path)
    settings.is_persistent = True
    return ClientCreator(tenant=str(tenant), database=str(database), settings=settings)


def RustClient(  # noqa: N802
    path: str | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> ClientAPI:
    """Upstream's name for the in-process client: persistent with a `path`, else in-memory."""
    settings = settings if settings is not None else Settings()
    settings.chroma_api_impl = "chromadb.api.rust.RustBindingsAPI"
    settings.is_persistent = path is not None
    settings.persist_directory = path or ""
    return ClientCreator(tenant=str(tenant), database=str(database), settings=settings)


def _http_settings(settings: Settings | None, api_impl: str, host: str, port: int, ssl: bool, headers: Any) -> Settings:
    settings = settings if settings is not None else Settings()
    host, port = str(host), int(port)
    if settings.chroma_server_host and settings.chroma_server_host != host:
        raise ValueError(
            f"Chroma server host provided in settings[{settings.chroma_server_host}] is different to the one "
            f"provided in HttpClient: [{host}]"
        )
    if settings.chroma_server_http_port and settings.chroma_server_http_port != port:
        raise ValueError(
            f"Chroma server http port provided in settings[{settings.chroma_server_http_port}] is different to "
            f"the one provided in HttpClient: [{port}]"
        )
    settings.chroma_api_impl = api_impl
    settings.chroma_server_host = host
    settings.chroma_server_http_port = port
    settings.chroma_server_ssl_enabled = bool(ssl)
    settings.chroma_server_headers = headers
    return settings


def HttpClient(  # noqa: N802
    host: str = "localhost",
    port: int = 8000,
    ssl: bool = False,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> ClientAPI:
    """A client of a Chroma server (ours or upstream's) at host:port."""
    settings = _http_settings(settings, "chromadb.api.fastapi.FastAPI", host, port, ssl, headers)
    return ClientCreator(tenant=str(tenant), database=str(database), settings=settings)


async def AsyncHttpClient(  # noqa: N802
    host: str = "localhost",
    port: int = 8000,
    ssl: bool = False,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> AsyncClientAPI:
    """An asyncio client of a Chroma server (see chromadb.api.async_client)."""
    from chromadb.api.async_client import AsyncClient

    settings = _http_settings(settings, "chromadb.api.async_fastapi.AsyncFastAPI", host, port, ssl, headers)
    return await AsyncClient.create(tenant=str(tenant), database=str(database), settings=settings)


async def AsyncPersistentClient(  # noqa: N802
    path: str | Path = "./chroma",
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> AsyncClient:
    """`PersistentClient` for asyncio: every call awaited, run in the client's worker
    threads over the same engine (see chromadb.api.async_client). Not in upstream 1.5.9."""
    from chromadb.api.async_client import AsyncClient

    settings = settings if settings is not None else Settings()
    settings.persist_directory = str(path)
    settings.is_persistent = True
    return await AsyncClient.create(tenant=str(tenant), database=str(database), settings=settings)


async def AsyncEphemeralClient(  # noqa: N802
    settings: Settings | None = None, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> AsyncClient:
    """`EphemeralClient` for asyncio (the same in-memory database). Not in upstream 1.5.9."""
    from chromadb.api.async_client import AsyncClient

    settings = settings if settings is not None else Settings()
    settings.is_persistent = False
    return await AsyncClient.create(tenant=str(tenant), database=str(database), settings=settings)


def CloudClient(  # noqa: N802
    tenant: str | None = None,
    database: str | None = None,
    api_key: str | None = None,
    settings: Settings | None = None,
    *,
    cloud_host: str = "api.trychroma.com",
    cloud_port: int = 443,
    enable_ssl: bool = True,
) -> ClientAPI:
    """A client of Chroma Cloud, or of any server at `cloud_host`, its API key sent as
    the `X-Chroma-Token` header.

    `tenant`, `database` and `api_key` default to the environment variables
    `CHROMA_TENANT`, `CHROMA_DATABASE` and `CHROMA_API_KEY`; a tenant or database still
    unknown is asked of the server (the key's identity).
    """
    api_key = api_key or os.environ.get("CHROMA_API_KEY")
    if not api_key:
        raise ValueError(
            "Missing required arguments: api_key. Please provide them or set the environment variables: CHROMA_API_KEY"
        )
    tenant = tenant or os.environ.get("CHROMA_TENANT")
    database = database or os.environ.get("CHROMA_DATABASE")
    settings = settings if settings is not None else Settings()
    settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"
    settings.chroma_server_host = str(cloud_host)
    settings.chroma_server_http_port = int(cloud_port)
    settings.chroma_server_ssl_enabled = bool(enable_ssl)
    settings.chroma_client_auth_provider = "chromadb.auth.token_authn.TokenAuthClientProvider"
    settings.chroma_client_auth_credentials = str(api_key)
    settings.chroma_auth_token_transport_header = TokenTransportHeader.X_CHROMA_TOKEN.value
    return ClientCreator(
        tenant=None if tenant is None else str(tenant),
        database=None if database is None else str(database),
        settings=settings,
    )


def AdminClient(settings: Settings | None = None) -> AdminAPI:  # noqa: N802
    """A client for tenants and databases."""
    return AdminClientCreator(settings=settings if settings is not None else Settings())


def __getattr__(name: str) -> Any:
    # The embedding-function package loads lazily: it is not needed to open a database.
    if name == "EmbeddingFunction":
        from chromadb.embedding_functions import EmbeddingFunction

        return EmbeddingFunction
    if name == "AsyncClientCreator":
        from chromadb.api.async_client import AsyncClient

        return AsyncClient
    raise AttributeError(f"module 'chromadb' has no attribute {name!r}")
