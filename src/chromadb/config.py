"""`Settings`: the knobs a client or server is built with.

Mirrors the upstream field names so user code such as
`chromadb.Client(Settings(is_persistent=True, persist_directory="db", allow_reset=True))`
works verbatim. Every field can also come from the environment, upper-cased
(`ALLOW_RESET=true`, `PERSIST_DIRECTORY=...`), as upstream's pydantic settings do.
"""
from __future__ import annotations

import importlib
import json
import os
import urllib.parse
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import Any, TypeVar, cast

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TENANT",
    "APIVersion",
    "Component",
    "RoutingMode",
    "Settings",
    "System",
    "get_class",
    "get_fqn",
    "parse_origins",
]

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"

_TRUE = {"1", "true", "yes", "on"}
_SECRET_HEADERS = ("authorization", "x-chroma-token", "proxy-authorization")


def _is_secret(name: str) -> bool:
    return name.endswith(("credentials", "password"))


def _without_password(url: str) -> str:
    """A store URL as shown in reprs: its password (if any) starred out."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":********@")))


def parse_origins(text: str) -> list[str]:
    """CORS origins from a JSON list (`["http://a", "http://b"]`) or a comma list (`http://a,http://b`)."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise ValueError(f"Invalid list of origins {text!r}: not valid JSON") from None
        if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
            raise ValueError(f"Invalid list of origins {text!r}: expected a JSON list of strings")
        return [o.strip() for o in value if o.strip()]
    return [o.strip() for o in text.split(",") if o.strip()]


@dataclass
class Settings:
    """Client and server configuration. Unknown upstream fields are accepted and kept in `extra`."""

    is_persistent: bool = False
    persist_directory: str = "./chroma"
    allow_reset: bool = False
    anonymized_telemetry: bool = False
    chroma_api_impl: str = "chromadb.api.rust.RustBindingsAPI"
    chroma_server_host: str | None = None
    chroma_server_http_port: int | None = None
    chroma_server_ssl_enabled: bool = False
    chroma_server_ssl_verify: bool | str | None = None
    chroma_server_headers: dict[str, str] | None = None
    chroma_client_auth_provider: str | None = None
    chroma_client_auth_credentials: str | None = None
    chroma_auth_token_transport_header: str | None = None
    chroma_server_cors_allow_origins: list[str] = field(default_factory=list)
    # Seconds a writer waits for another process's write lock before giving up.
    sqlite_busy_timeout: float = 30.0
    # A PersistentClient pointed at a Chroma persist directory imports it, on first open,
    # into `<path>-quarrydb` beside it and opens that (chromadb/transfer/switch.py);
    # also IMPORT_CHROMA_DIR=1 or CHROMA_IMPORT_CHROMA_DIR=1. Off: the directory is refused.
    import_chroma_dir: bool = False
    # The system of record: None (SQLite in persist_directory) or a PostgreSQL URL
    # (postgresql://USER@HOST:PORT/DB), with persist_directory the cache of index files;
    # also CHROMA_STORE. See docs/postgresql.md.
    store: str | None = None
    # Progress bars of long jobs on a terminal (chromadb/progress.py): embedding many
    # documents in add/upsert, ...; also CHROMA_PROGRESS=0. Off: no bar anywhere.
    chroma_progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __init__(self, **kwargs: Any) -> None:
        known = {f.name: f for f in fields(self) if f.name != "extra"}
        self.extra = {}
        for name, f in known.items():
            if name in kwargs:
                value = kwargs.pop(name)
            else:
                value = _from_env(name, f)
            setattr(self, name, value)
        self.extra.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not real attributes: upstream fields we do not model.
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        if name in _INERT_FIELDS:
            return _inert_value(name)
        raise AttributeError(f"Settings has no field {name!r}")

    def require(self, key: str) -> Any:
        """The value of `key`; a ValueError naming it when it is unset (upstream's check)."""
        value = getattr(self, key, None)
        if value is None:
            raise ValueError(f"Missing required config value '{key}'")
        return value

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __repr__(self) -> str:
        # credentials never show up in logs or tracebacks
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if _is_secret(f.name) and value is not None:
                value = "********"
            elif f.name == "store" and value:
                value = _without_password(value)
            elif f.name == "chroma_server_headers" and value:
                value = {k: "********" if k.lower() in _SECRET_HEADERS else v for k, v in value.items()}
            elif f.name == "extra":
                value = {k: "********" if _is_secret(k) else v for k, v in value.items()}
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"


def _from_env(name: str, f: Any) -> Any:
    raw = os.environ.get(name.upper())
    if raw is None and name == "allow_reset":
        raw = os.environ.get("CHROMA_ALLOW_RESET")
    if name == "store":
        raw = os.environ.get("CHROMA_STORE")
    if raw is None and name == "import_chroma_dir":
        raw = os.environ.get("CHROMA_IMPORT_CHROMA_DIR")
    default = f.default_factory() if f.default_factory is not MISSING else f.default
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in _TRUE
    if isinstance(default, float):
        return float(raw)
    if name == "chroma_server_http_port":
        return int(raw)
    if name == "chroma_server_cors_allow_origins":
        return parse_origins(raw)
    return raw


class APIVersion(str, Enum):
    V1 = "/api/v1"
    V2 = "/api/v2"


class RoutingMode(Enum):
    NODE = "node"
    ID = "id"


# Upstream Settings fields for distributed Chroma, telemetry, migrations and its server
# internals: nothing here reads them, but user code may set or read them, so they keep
# upstream's defaults (and environment variables) instead of raising AttributeError.
_INERT_FIELDS: dict[str, Any] = {
    "environment": "",
    "chroma_server_nofile": None,
    "chroma_server_thread_pool_size": 40,
    "tenant_id": "default",
    "topic_namespace": "default",
    "chroma_server_api_default_path": APIVersion.V2,
    "chroma_http_keepalive_secs": 40.0,
    "chroma_http_max_connections": None,
    "chroma_http_max_keepalive_connections": None,
    "chroma_memory_limit_bytes": 0,
    "chroma_segment_cache_policy": None,
    "chroma_server_auth_ignore_paths": {
        "/api/v2": ["GET"],
        "/api/v2/heartbeat": ["GET"],
        "/api/v2/version": ["GET"],
    },
    "chroma_overwrite_singleton_tenant_database_access_from_auth": False,
    "chroma_server_authn_provider": None,
    "chroma_server_authn_credentials": None,
    "chroma_server_authn_credentials_file": None,
    "chroma_server_authz_provider": None,
    "chroma_server_authz_config": None,
    "chroma_server_authz_config_file": None,
    "chroma_product_telemetry_impl": "chromadb.telemetry.product.posthog.Posthog",
    "chroma_telemetry_impl": "chromadb.telemetry.product.posthog.Posthog",
    "chroma_otel_collection_endpoint": "",
    "chroma_otel_service_name": "chromadb",
    "chroma_otel_collection_headers": {},
    "chroma_otel_granularity": None,
    "migrations": "apply",
    "migrations_hash_algorithm": "md5",
    "chroma_segment_directory_impl": "chromadb.segment.impl.distributed.segment_directory.RendezvousHashSegmentDirectory",
    "chroma_segment_directory_routing_mode": RoutingMode.ID,
    "chroma_memberlist_provider_impl": "chromadb.segment.impl.distributed.segment_directory.CustomResourceMemberlistProvider",
    "worker_memberlist_name": "query-service-memberlist",
    "chroma_coordinator_host": "localhost",
    "chroma_server_grpc_port": None,
    "chroma_sysdb_impl": "chromadb.db.impl.sqlite.SqliteDB",
    "chroma_producer_impl": "chromadb.db.impl.sqlite.SqliteDB",
    "chroma_consumer_impl": "chromadb.db.impl.sqlite.SqliteDB",
    "chroma_segment_manager_impl": "chromadb.segment.impl.manager.local.LocalSegmentManager",
    "chroma_executor_impl": "chromadb.execution.executor.local.LocalExecutor",
    "chroma_query_replication_factor": 2,
    "chroma_logservice_host": "localhost",
    "chroma_logservice_port": 50052,
    "chroma_quota_provider_impl": None,
    "chroma_rate_limiting_provider_impl": None,
    "chroma_quota_enforcer_impl": "chromadb.quota.simple_quota_enforcer.SimpleQuotaEnforcer",
    "chroma_rate_limit_enforcer_impl": "chromadb.rate_limit.simple_rate_limit.SimpleRateLimitEnforcer",
    "chroma_async_rate_limit_enforcer_impl": "chromadb.rate_limit.simple_rate_limit.SimpleAsyncRateLimitEnforcer",
    "chroma_logservice_request_timeout_seconds": 3,
    "chroma_sysdb_request_timeout_seconds": 3,
    "chroma_query_request_timeout_seconds": 60,
    "chroma_db_impl": None,
    "chroma_collection_assignment_policy_impl": "chromadb.ingest.impl.simple_policy.SimpleAssignmentPolicy",
}


def _inert_value(name: str) -> Any:
    default = _INERT_FIELDS[name]
    raw = os.environ.get(name.upper())
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in _TRUE
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return type(default)(raw)
    return raw


C = TypeVar("C")


def get_fqn(cls: type) -> str:
    """`module.ClassName` of a class."""
    return f"{cls.__module__}.{cls.__name__}"


def get_class(fqn: str, type: type[C]) -> type[C]:
    """The class a fully qualified name `package.module.ClassName` names."""
    module_name, _, class_name = fqn.rpartition(".")
    if not module_name:
        raise ValueError(f"Expected a fully qualified class name, got {fqn!r}")
    return getattr(importlib.import_module(module_name), class_name)


class Component:
    """A part of a System with a start/stop life cycle (upstream's base class)."""

    def __init__(self, system: System) -> None:
        self._system = system
        self._running = False

    def require(self, kind: type[C]) -> C:
        return self._system.instance(kind)

    def start(self) -> None:
        self._running = True

    def stop(self) -> None:
        self._running = False

    def reset_state(self) -> None:
        """Upstream components drop cached state here; ours keep none."""


class System(Component):
    """The settings and the server-side implementation one or more clients share.

    Clients of one data directory (or all ephemeral clients) share a System through
    `chromadb.api.shared_system_client.SharedSystemClient`; `instance(ServerAPI)` is
    its backend: the engine in this process, or an HTTP connection to a server.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._instances: dict[type, Any] = {}
        self.clients = 0  # clients sharing this System (SharedSystemClient counts them)
        super().__init__(self)

    def instance(self, kind: type[C]) -> C:
        from chromadb.api import ServerAPI

        if issubclass(ServerAPI, kind):  # ServerAPI itself, or one of its bases: one backend
            kind = cast("type[C]", ServerAPI)
        if kind not in self._instances:
            self._instances[kind] = self._build(kind)
        return self._instances[kind]

    def _build(self, kind: type) -> Any:
        from chromadb.api import ServerAPI
        from chromadb.api.client import backend_for

        if kind is ServerAPI:
            return backend_for(self.settings)
        if issubclass(kind, Component):
            return kind(self)
        raise ValueError(f"This System has no component of type {get_fqn(kind)}")

    @property
    def components(self) -> list[Any]:
        return list(self._instances.values())

    def stop(self) -> None:
        """Stop every component: the backend closes its engine (or HTTP connection)."""
        for component in self._instances.values():
            for method in ("stop", "close"):
                if hasattr(component, method):
                    getattr(component, method)()
                    break
        self._instances.clear()
        super().stop()

    def reset_state(self) -> None:
        for component in self._instances.values():
            if isinstance(component, Component):
                component.reset_state()
