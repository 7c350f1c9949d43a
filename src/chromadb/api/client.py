"""Clients: the public entry points, each a thin layer over one backend (upstream: ServerAPI).

`chromadb.api.client.Client` is upstream's `ClientCreator`: `Client(tenant, database,
settings)`. Its backend comes from the System it shares with every other client of the
same database (`SharedSystemClient`): the engine in this process for `PersistentClient`
and `EphemeralClient`, an HTTP connection for `HttpClient`. All of them return the same
`Collection` type.
"""
from __future__ import annotations

from types import TracebackType
from typing import Any

from chromadb.api import AdminAPI, ClientAPI, ServerAPI
from chromadb.api import validation as v
from chromadb.api.backend import Backend
from chromadb.api.models.Collection import Collection
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.auth import UserIdentity
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT, Settings, System
from chromadb.errors import ChromaAuthError


class _DefaultEmbeddingFunction:
    """Sentinel: "the default embedding function", distinct from None ("no function")."""

    def __repr__(self) -> str:
        return "<default embedding function>"


DEFAULT_EF: Any = _DefaultEmbeddingFunction()


def _registry():
    from chromadb.embedding_functions import registry

    return registry


def _default_ef() -> Any:
    from chromadb.embedding_functions import DefaultEmbeddingFunction

    return DefaultEmbeddingFunction()


def _space_from_embedding_function(config: dict[str, Any], ef: Any, metadata: dict[str, Any] | None) -> None:
    """As upstream's client: a function that describes itself gives its `default_space()`
    to a configuration that names no space (unless the metadata's `hnsw:space` does)."""
    if isinstance(ef, dict):
        return
    try:
        if ef.is_legacy():
            return
        space = ef.default_space()
    except Exception:  # noqa: BLE001 - a function that cannot say keeps the server's default
        return
    hnsw, spann = config.get("hnsw"), config.get("spann")
    if hnsw is None and spann is None:
        if not (metadata and metadata.get("hnsw:space") is not None):
            config["hnsw"] = {"space": space}
        return
    for section in ("hnsw", "spann"):
        if config.get(section) is not None and config[section].get("space") is None:
            config[section] = {**config[section], "space": space}


def _schema_json(schema: Any) -> dict[str, Any] | None:
    """A `Schema` as the wire carries it (upstream's client sends `serialize_to_json()`)."""
    if schema is None or isinstance(schema, dict):
        return schema
    if not hasattr(schema, "serialize_to_json"):
        raise TypeError(f"schema must be a chromadb Schema, got {type(schema).__name__}")
    return schema.serialize_to_json()


def user_identity(raw: Any) -> UserIdentity:
    if isinstance(raw, UserIdentity):
        return raw
    return UserIdentity(
        user_id=raw.get("user_id", ""),
        tenant=raw.get("tenant"),
        databases=raw.get("databases"),
        attributes=raw.get("attributes"),
    )


class Client(SharedSystemClient, ClientAPI):
    """The Chroma client API over the backend of its System (upstream's `ClientCreator`).

    `tenant` or `database` None: taken from the server's answer about the caller's
    identity (Chroma Cloud keys are bound to one tenant and often one database).
    """

    # tenant and database in one attribute: a call in another thread never reads a
    # tenant from before a set_tenant() with a database from after it (async clients)
    _scope: tuple[str, str] = (DEFAULT_TENANT, DEFAULT_DATABASE)
    _closed: bool = False

    def __init__(
        self,
        tenant: str | None = DEFAULT_TENANT,
        database: str | None = DEFAULT_DATABASE,
        settings: Settings | None = None,
    ) -> None:
        settings = settings if settings is not None else Settings()
        super().__init__(settings=settings)
        try:
            self._settings = settings
            self._max_batch_size: int | None = None
            self._server: Backend = self._system.instance(ServerAPI)
            if tenant is None or database is None:
                tenant, database = self._tenant_database_from_identity(tenant, database)
            self._scope = (tenant, database)
            # upstream checks both exist when a client is built
            self._validate_tenant_database(tenant, database)
        except BaseException:
            # the caller never gets this object to close: give the reference back
            SharedSystemClient._release_system(self._identifier, self._own_system)
            raise

    @classmethod
    def from_system(cls, system: System, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Client:
        SharedSystemClient._populate_data_from_system(system)
        return cls(tenant=tenant, database=database, settings=system.settings)

    @property
    def _backend(self) -> Backend:
        return self._server

    @property
    def tenant(self) -> str:
        return self._scope[0]

    @tenant.setter
    def tenant(self, tenant: str) -> None:
        self._scope = (tenant, self._scope[1])

    @property
    def database(self) -> str:
        return self._scope[1]

    @database.setter
    def database(self, database: str) -> None:
        self._scope = (self._scope[0], database)

    def _tenant_database_from_identity(self, tenant: str | None, database: str | None) -> tuple[str, str]:
        identity = self.get_user_identity()
        if tenant is None:
            tenant = identity.tenant
            if tenant is None:
                raise ChromaAuthError(
                    "Could not determine a tenant from the current authentication method. Please provide a tenant."
                )
        if database is None:
            databases = identity.databases or []
            if len(databases) != 1 or databases[0] == "*":
                raise ChromaAuthError(
                    "Could not determine a database name from the current authentication method. "
                    "Please provide a database name."
                )
            database = databases[0]
        return tenant, database

    def _validate_tenant_database(self, tenant: str, database: str) -> None:
        self._server.get_tenant(tenant)
        self._server.get_database(database, tenant)

    def get_user_identity(self) -> UserIdentity:
        """Who the server says the caller is (in-process: the anonymous default user)."""
        return user_identity(self._server.get_user_identity())

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
        self._validate_tenant_database(tenant, database)
        self._scope = (tenant, database)

    def set_database(self, database: str) -> None:
        tenant = self.tenant
        self._backend.get_database(database, tenant)
        self._scope = (tenant, database)

    def close(self) -> None:
        """Give back this client's share of its System; the last client closes the engine."""
        if self._closed:
            return
        self._closed = True
        SharedSystemClient._release_system(self._identifier, self._own_system)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()

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

    def _configuration_for_create(
        self, configuration: Any, embedding_function: Any, metadata: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        config = dict(configuration or {})
        ef = config.pop("embedding_function", None)
        if ef is None:
            ef = embedding_function
        if ef is DEFAULT_EF:
            config["embedding_function"] = {"type": "known", "name": "default", "config": {}}
        elif ef is not None:
            config["embedding_function"] = _registry().config_for(ef) if not isinstance(ef, dict) else ef
            _space_from_embedding_function(config, ef, metadata)
        return config

    def create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_function: Any = DEFAULT_EF,
        data_loader: Any = None,
        get_or_create: bool = False,
    ) -> Collection:
        v.check_name(name)
        if metadata is not None:
            v.check_metadata(metadata, what="collection metadata")
        if configuration is not None and configuration.get("embedding_function") is not None:
            embedding_function = configuration["embedding_function"]
        model = self._backend.create_collection(
            name,
            metadata,
            self._configuration_for_create(configuration, embedding_function, metadata),
            get_or_create,
            *self._scope,
            schema=_schema_json(schema),
        )
        return self._collection(model, embedding_function)

    def get_collection(self, name: str, embedding_function: Any = DEFAULT_EF, data_loader: Any = None) -> Collection:
        model = self._backend.get_collection(name, *self._scope)
        return self._collection(model, embedding_function)

    def get_or_create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        embedding_function: Any = DEFAULT_EF,
        data_loader: Any = None,
    ) -> Collection:
        return self.create_collection(
            name, schema, configuration, metadata, embedding_function, data_loader, get_or_create=True
        )

    def get_collection_by_id(self, id: Any, embedding_function: Any = DEFAULT_EF, data_loader: Any = None) -> Collection:
        model = self._backend.get_collection_by_id(str(id), *self._scope)
        return self._collection(model, embedding_function)

    def list_collections(self, limit: int | None = None, offset: int | None = None) -> list[Collection]:
        models = self._backend.list_collections(limit, offset, *self._scope)
        return [self._collection(m, DEFAULT_EF) for m in models]

    def count_collections(self) -> int:
        return self._backend.count_collections(*self._scope)

    def delete_collection(self, name: str) -> None:
        self._backend.delete_collection(name, *self._scope)


class AdminClient(SharedSystemClient, AdminAPI):
    """Tenants and databases (upstream's `AdminClientCreator`)."""

    _closed: bool = False

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings if settings is not None else Settings()
        super().__init__(settings=settings)
        self._settings = settings
        self._server: Backend = self._system.instance(ServerAPI)

    @classmethod
    def from_system(cls, system: System) -> AdminClient:
        SharedSystemClient._populate_data_from_system(system)
        return cls(system.settings)

    @property
    def _backend(self) -> Backend:
        return self._server

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            SharedSystemClient._release_system(self._identifier, self._own_system)

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

    def get_user_identity(self) -> UserIdentity:
        return user_identity(self._server.get_user_identity())


def serves_over_http(settings: Settings) -> bool:
    """Whether `settings` describe a client of a server (else: the engine in this process)."""
    return bool(settings.chroma_server_host) or "fastapi" in (settings.chroma_api_impl or "").lower()


def backend_for(settings: Settings) -> Backend:
    """The backend a Settings object describes: HTTP when a server host is set, else local."""
    if serves_over_http(settings):
        from chromadb.http.backend import HttpBackend

        return HttpBackend.from_settings(settings)
    from chromadb.api.local import LocalBackend

    path = settings.persist_directory if settings.is_persistent else None
    if path is not None and settings.import_chroma_dir:
        from chromadb.transfer.switch import path_to_open

        path = path_to_open(path)
    return LocalBackend(
        path, allow_reset=settings.allow_reset, busy_timeout=settings.sqlite_busy_timeout, store=settings.store
    )
