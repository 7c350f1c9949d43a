"""The asyncio client: `client = await chromadb.AsyncHttpClient(host, port)`.

Same API as `HttpClient`, with coroutine methods. Each call runs the synchronous
client's method in a worker thread (`asyncio.to_thread`): the HTTP work is the same,
and the event loop never blocks on it.
"""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from chromadb.api.async_api import AsyncAdminAPI, AsyncClientAPI
from chromadb.api.client import AdminClient, Client
from chromadb.api.collection import Collection
from chromadb.api.models.CollectionCommon import CollectionCommon
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings

__all__ = ["AsyncAdminClient", "AsyncClient", "AsyncCollection"]


async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))


class AsyncCollection(CollectionCommon["AsyncClient"]):
    """A collection handle whose record methods are coroutines."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection

    # what CollectionCommon's properties read: the wrapped collection's state
    @property
    def _model(self) -> dict[str, Any]:
        return self._collection._model

    @property
    def _embedding_function(self) -> Any:
        return self._collection._embedding_function

    def __repr__(self) -> str:
        return f"AsyncCollection(name={self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AsyncCollection) and other._collection == self._collection

    def __hash__(self) -> int:
        return hash(self._collection)

    async def add(self, *args: Any, **kwargs: Any) -> None:
        await _call(self._collection.add, *args, **kwargs)

    async def upsert(self, *args: Any, **kwargs: Any) -> None:
        await _call(self._collection.upsert, *args, **kwargs)

    async def update(self, *args: Any, **kwargs: Any) -> None:
        await _call(self._collection.update, *args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> Any:
        return await _call(self._collection.delete, *args, **kwargs)

    async def count(self) -> int:
        return await _call(self._collection.count)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await _call(self._collection.get, *args, **kwargs)

    async def peek(self, limit: int = 10) -> Any:
        return await _call(self._collection.peek, limit)

    async def query(self, *args: Any, **kwargs: Any) -> Any:
        return await _call(self._collection.query, *args, **kwargs)

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        return await _call(self._collection.search, *args, **kwargs)

    async def fork(self, new_name: str) -> AsyncCollection:
        return AsyncCollection(await _call(self._collection.fork, new_name))

    async def modify(self, *args: Any, **kwargs: Any) -> None:
        await _call(self._collection.modify, *args, **kwargs)


class AsyncClient(AsyncClientAPI):
    """The client API with coroutine methods (upstream's `AsyncClientCreator`).

    Build it with `await AsyncClient.create(tenant, database, settings)` or
    `await chromadb.AsyncHttpClient(...)`.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    @classmethod
    async def create(
        cls, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE, settings: Settings | None = None
    ) -> AsyncClient:
        settings = settings if settings is not None else Settings()
        return cls(await _call(Client, tenant=tenant, database=database, settings=settings))

    @staticmethod
    def clear_system_cache() -> None:
        Client.clear_system_cache()

    async def get_user_identity(self) -> Any:
        return await _call(self._client.get_user_identity)

    @property
    def tenant(self) -> str:
        return self._client.tenant

    @property
    def database(self) -> str:
        return self._client.database

    def get_settings(self) -> Settings:
        return self._client.get_settings()

    async def heartbeat(self) -> int:
        return await _call(self._client.heartbeat)

    async def get_version(self) -> str:
        return await _call(self._client.get_version)

    async def reset(self) -> bool:
        return await _call(self._client.reset)

    async def get_max_batch_size(self) -> int:
        return await _call(self._client.get_max_batch_size)

    async def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        await _call(self._client.set_tenant, tenant, database)

    async def set_database(self, database: str) -> None:
        await _call(self._client.set_database, database)

    async def create_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await _call(self._client.create_collection, *args, **kwargs))

    async def get_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await _call(self._client.get_collection, *args, **kwargs))

    async def get_or_create_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await _call(self._client.get_or_create_collection, *args, **kwargs))

    async def get_collection_by_id(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await _call(self._client.get_collection_by_id, *args, **kwargs))

    async def list_collections(self, limit: int | None = None, offset: int | None = None) -> list[AsyncCollection]:
        return [AsyncCollection(c) for c in await _call(self._client.list_collections, limit, offset)]

    async def count_collections(self) -> int:
        return await _call(self._client.count_collections)

    async def delete_collection(self, name: str) -> None:
        await _call(self._client.delete_collection, name)

    async def close(self) -> None:
        await _call(self._client.close)


class AsyncAdminClient(AsyncAdminAPI):
    """Tenants and databases with coroutine methods (upstream's `AsyncAdminClient`)."""

    def __init__(self, admin: AdminClient) -> None:
        self._admin = admin

    @classmethod
    async def create(cls, settings: Settings | None = None) -> AsyncAdminClient:
        settings = settings if settings is not None else Settings()
        return cls(await _call(AdminClient, settings))

    async def create_tenant(self, name: str) -> None:
        await _call(self._admin.create_tenant, name)

    async def get_tenant(self, name: str) -> Any:
        return await _call(self._admin.get_tenant, name)

    async def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await _call(self._admin.create_database, name, tenant)

    async def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Any:
        return await _call(self._admin.get_database, name, tenant)

    async def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await _call(self._admin.delete_database, name, tenant)

    async def list_databases(self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT) -> Any:
        return await _call(self._admin.list_databases, limit, offset, tenant)

