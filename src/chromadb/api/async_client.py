"""The asyncio clients (upstream's module of `AsyncClient` and `AsyncAdminClient`).

`await chromadb.AsyncHttpClient(host, port)`, `await chromadb.AsyncPersistentClient(path)`
and `await chromadb.AsyncEphemeralClient()` all return an `AsyncClient`: the sync
`Client` of the same settings, each method a coroutine that runs the sync one in the
client's own worker threads (`chromadb.api.async_worker`: how many, and why). One
collection class serves them all, `AsyncCollection`.

Several tasks may share one client: the engine serialises its calls under one lock and
the HTTP connection pool is thread-safe. `close()` (or `async with`) waits for the calls
in flight, then gives the engine or connection back; later calls raise `ClientClosedError`.
"""
from __future__ import annotations

from abc import abstractmethod
from types import TracebackType
from typing import Any, TypeVar

from chromadb.api.async_api import AsyncAdminAPI, AsyncClientAPI
from chromadb.api.async_worker import HTTP_THREADS, IN_PROCESS_THREADS, Worker
from chromadb.api.client import AdminClient, Client, serves_over_http
from chromadb.api.models.AsyncCollection import AsyncCollection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings

__all__ = ["AsyncAdminClient", "AsyncClient", "SharedSystemClient"]


def _worker_for(settings: Settings) -> Worker:
    if serves_over_http(settings):
        return Worker(HTTP_THREADS, "chromadb-async-http")
    return Worker(IN_PROCESS_THREADS, "chromadb-async")


async def _open(worker: Worker, build: Any, *args: Any, **kwargs: Any) -> Any:
    """`build(*args, **kwargs)` in the worker (opening a directory reads it); on failure
    or cancellation the worker stops, and a client built meanwhile is closed."""
    built: list[Any] = []

    def build_and_keep() -> Any:
        built.append(build(*args, **kwargs))
        return built[0]

    try:
        return await worker.run(build_and_keep)
    except BaseException:
        await worker.close(lambda: [c.close() for c in built])
        raise


_Client = TypeVar("_Client", bound="_ClosedOnExit")


class _ClosedOnExit:
    """`async with` closes the client (its `close()`: wait for the calls in flight, then
    give back the engine or the connection)."""

    @abstractmethod
    async def close(self) -> None: ...

    async def __aenter__(self: _Client) -> _Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.close()


class AsyncClient(_ClosedOnExit, AsyncClientAPI):
    """The client API with coroutine methods (upstream's `AsyncClientCreator`).

    Build it with `await AsyncClient.create(tenant, database, settings)` or one of the
    `chromadb.Async*Client` functions.
    """

    def __init__(self, client: Client, worker: Worker) -> None:
        self._client = client
        self._worker = worker

    @classmethod
    async def create(
        cls, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE, settings: Settings | None = None
    ) -> AsyncClient:
        settings = settings if settings is not None else Settings()
        worker = _worker_for(settings)
        client = await _open(worker, Client, tenant=tenant, database=database, settings=settings)
        return cls(client, worker)

    @staticmethod
    def clear_system_cache() -> None:
        Client.clear_system_cache()

    async def get_user_identity(self) -> Any:
        return await self._worker.run(self._client.get_user_identity)

    # setters too: upstream's clients let callers assign them (no check, as there)
    @property
    def tenant(self) -> str:
        return self._client.tenant

    @tenant.setter
    def tenant(self, tenant: str) -> None:
        self._client.tenant = tenant

    @property
    def database(self) -> str:
        return self._client.database

    @database.setter
    def database(self, database: str) -> None:
        self._client.database = database

    def get_settings(self) -> Settings:
        return self._client.get_settings()

    async def heartbeat(self) -> int:
        return await self._worker.run(self._client.heartbeat)

    async def get_version(self) -> str:
        return await self._worker.run(self._client.get_version)

    async def reset(self) -> bool:
        return await self._worker.run(self._client.reset)

    async def get_max_batch_size(self) -> int:
        return await self._worker.run(self._client.get_max_batch_size)

    async def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        await self._worker.run(self._client.set_tenant, tenant, database)

    async def set_database(self, database: str) -> None:
        await self._worker.run(self._client.set_database, database)

    async def create_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await self._worker.run(self._client.create_collection, *args, **kwargs), self._worker)

    async def get_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        return AsyncCollection(await self._worker.run(self._client.get_collection, *args, **kwargs), self._worker)

    async def get_or_create_collection(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        collection = await self._worker.run(self._client.get_or_create_collection, *args, **kwargs)
        return AsyncCollection(collection, self._worker)

    async def get_collection_by_id(self, *args: Any, **kwargs: Any) -> AsyncCollection:
        collection = await self._worker.run(self._client.get_collection_by_id, *args, **kwargs)
        return AsyncCollection(collection, self._worker)

    async def list_collections(self, limit: int | None = None, offset: int | None = None) -> list[AsyncCollection]:
        collections = await self._worker.run(self._client.list_collections, limit, offset)
        return [AsyncCollection(c, self._worker) for c in collections]

    async def count_collections(self) -> int:
        return await self._worker.run(self._client.count_collections)

    async def delete_collection(self, name: str) -> None:
        await self._worker.run(self._client.delete_collection, name)

    async def close(self) -> None:
        """Wait for the calls in flight, then give back the engine (or the connection)."""
        await self._worker.close(self._client.close)


class AsyncAdminClient(_ClosedOnExit, AsyncAdminAPI):
    """Tenants and databases with coroutine methods (upstream's `AsyncAdminClient`):
    `await AsyncAdminClient.create(settings)`, over a server or in-process like `AsyncClient`."""

    def __init__(self, admin: AdminClient, worker: Worker) -> None:
        self._admin = admin
        self._worker = worker

    @classmethod
    async def create(cls, settings: Settings | None = None) -> AsyncAdminClient:
        settings = settings if settings is not None else Settings()
        worker = _worker_for(settings)
        return cls(await _open(worker, AdminClient, settings), worker)

    async def create_tenant(self, name: str) -> None:
        await self._worker.run(self._admin.create_tenant, name)

    async def get_tenant(self, name: str) -> Any:
        return await self._worker.run(self._admin.get_tenant, name)

    async def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await self._worker.run(self._admin.create_database, name, tenant)

    async def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Any:
        return await self._worker.run(self._admin.get_database, name, tenant)

    async def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await self._worker.run(self._admin.delete_database, name, tenant)

    async def list_databases(self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT) -> Any:
        return await self._worker.run(self._admin.list_databases, limit, offset, tenant)

    async def close(self) -> None:
        await self._worker.close(self._admin.close)
