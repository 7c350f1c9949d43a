"""Clients: the public entry points, each a thin layer over one Backend.

`PersistentClient` and `EphemeralClient` use the engine in this process;
`HttpClient` talks to a server. All of them return the same `Collection` type.
"""
from __future__ import annotations

from typing import Any

from chromadb.api import validation as v
from chromadb.api.backend import Backend
from chromadb.api.collection import Collection
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings


class _DefaultEmbeddingFunction:
    """Sentinel: "the default embedding function", distinct from None ("no function")."""

    def __repr__(self) -> str:
        return "<default embedding function>"


DEFAULT_EF: Any = _DefaultEmbeddingFunction()


def _registry():  # noqa: ANN202
    from chromadb.embedding_functions import registry

    return registry


def _default_ef() -> Any:
    from chromadb.embedding_functions import DefaultEmbeddingFunction

    return DefaultEmbeddingFunction()


class Client:
    """The Chroma client API over a backend. Use the factory functions to build one."""

    def __init__(self, backend: Backend, settings: Settings, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> None:
        self._backend = backend
        self._settings = settings
        self._max_batch_size: int | None = None
        self.tenant = tenant
        self.database = database
        # upstream checks both exist when a client is built
        backend.get_tenant(tenant)
        backend.get_database(database, tenant)

    # -- system --------------------------------------------------------------------------
    def heartbeat(self) -> int:
        return self._backend.heartbeat()

    def get_version(self) -> str:
        return self._backend.get_version()

    def get_settings(self) -> Settings:
        return self._settings

    def reset(self) -> bool:
        return self._backend.reset()

    def get_max_batch_size(self) -> int:
        if self._max_batch_size is None:
            self._max_batch_size = self._backend.get_max_batch_size()
        return self._max_batch_size

    @property
    def max_batch_size(self) -> int:
        return self.get_max_batch_size()

    def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        self._backend.get_tenant(tenant)
        self._backend.get_database(database, tenant)
        self.tenant, self.database = tenant, database

    def set_database(self, database: str) -> None:
        self._backend.get_database(database, self.tenant)
        self.database = database

    def close(self) -> None:
        self._backend.close()

    @staticmethod
    def clear_system_cache() -> None:
        """Upstream drops its per-settings singletons; our engines are shared per path already."""

    # -- collections ---------------------------------------------------------------------------
    def _collection(self, model: dict[str, Any], embedding_function: Any) -> Collection:
        persisted = (model.get("configuration_json") or {}).get("embedding_function")
        if embedding_function is DEFAULT_EF:
            embedding_function = _registry().ef_from_config(persisted) if persisted else None
            if embedding_function is None and (persisted is None or persisted.get("type") != "known"):
                embedding_function = _default_ef()
            elif embedding_function is None:
                embedding_function = _default_ef()
        elif embedding_function is not None and persisted:
            _registry().check_ef_matches(embedding_function, persisted)
        return Collection(self, model, embedding_function)

    def _configuration_for_create(self, configuration: Any, embedding_function: Any) -> dict[str, Any] | None:
        config = dict(configuration or {})
        ef = config.pop("embedding_function", None)
        if ef is None:
            ef = embedding_function
        if ef is DEFAULT_EF:
            config["embedding_function"] = {"type": "known", "name": "default", "config": {}}
        elif ef is not None:
            config["embedding_function"] = _registry().config_for(ef) if not isinstance(ef, dict) else ef
        return config

    def create_collection(
        self,
        name: str,
        configuration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_function: Any = DEFAULT_EF,
        data_loader: Any = None,
        get_or_create: bool = False,
        schema: Any = None,
    ) -> Collection:
        v.check_name(name)
        if metadata is not None:
            v.check_metadata(metadata, what="collection metadata")
        if configuration is not None and configuration.get("embedding_function") is not None:
            embedding_function = configuration["embedding_function"]
        model = self._backend.create_collection(
            name,
            metadata,
            self._configuration_for_create(configuration, embedding_function),
            get_or_create,
            self.tenant,
            self.database,
        )
        return self._collection(model, embedding_function)

    def get_collection(self, name: str, embedding_function: Any = DEFAULT_EF, data_loader: Any = None) -> Collection:
        model = self._backend.get_collection(name, self.tenant, self.database)
        return self._collection(model, embedding_function)

    def get_or_create_collection(
        self,
        name: str,
        configuration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_function: Any = DEFAULT_EF,
        data_loader: Any = None,
        schema: Any = None,
    ) -> Collection:
        return self.create_collection(name, configuration, metadata, embedding_function, data_loader, get_or_create=True)

    def get_collection_by_id(self, collection_id: Any, embedding_function: Any = DEFAULT_EF) -> Collection:
        model = self._backend.get_collection_by_id(str(collection_id), self.tenant, self.database)
        return self._collection(model, embedding_function)

    def list_collections(self, limit: int | None = None, offset: int | None = None) -> list[Collection]:
        models = self._backend.list_collections(limit, offset, self.tenant, self.database)
        return [self._collection(m, DEFAULT_EF) for m in models]

    def count_collections(self) -> int:
        return self._backend.count_collections(self.tenant, self.database)

    def delete_collection(self, name: str) -> None:
        self._backend.delete_collection(name, self.tenant, self.database)


class AdminClient:
    """Tenants and databases."""

    def __init__(self, settings: Settings | None = None, backend: Backend | None = None) -> None:
        self._settings = settings or Settings()
        self._backend = backend or backend_for(self._settings)

    def create_tenant(self, name: str) -> None:
        self._backend.create_tenant(name)

    def get_tenant(self, name: str) -> dict[str, Any]:
        return self._backend.get_tenant(name)

    def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        v.check_name(name)
        self._backend.create_database(name, tenant)

    def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> dict[str, Any]:
        return self._backend.get_database(name, tenant)

    def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        self._backend.delete_database(name, tenant)

    def list_databases(self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT) -> list[dict[str, Any]]:
        return self._backend.list_databases(tenant, limit, offset)


def backend_for(settings: Settings) -> Backend:
    """The backend a Settings object describes: HTTP when a server host is set, else local."""
    if settings.chroma_server_host or "fastapi" in (settings.chroma_api_impl or "").lower():
        from chromadb.http.backend import HttpBackend

        return HttpBackend.from_settings(settings)
    from chromadb.api.local import LocalBackend

    path = settings.persist_directory if settings.is_persistent else None
    return LocalBackend(
        path, allow_reset=settings.allow_reset, busy_timeout=settings.sqlite_busy_timeout, check_records=False
    )
