"""The v2 routes (spec section 3): decode the request, call the backend, return a value.

Handlers are plain functions of a `Call`; `app.py` runs them in a worker thread (small
reads, as `RouteSpec.small` tells, maybe on the event loop), encodes their result as
JSON and turns exceptions into error responses. Nothing here decides
anything about the data: that is `LocalBackend`'s job.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chromadb.api.backend import Backend
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.errors import InvalidArgumentError
from chromadb.server import old_clients, wire
from chromadb.server.errors import FeatureUnavailableError, ResetDisabledError

__all__ = ["ROUTES", "Call", "RouteSpec"]

API = "/api/v2"
DB = API + "/tenants/{tenant}/databases/{database}"
COLL = DB + "/collections/{collection_id}"
_UNPARSED = object()


@dataclass
class Call:
    """One request, as the handlers see it."""

    backend: Backend
    params: dict[str, str]
    query: dict[str, str]
    raw_body: bytes
    allow_reset: bool
    max_batch_size: int
    # the client reads collections in the 0.5/0.6 shape (server/old_clients.py decides)
    old_shape: bool = False
    _parsed: Any = field(default=_UNPARSED, repr=False)

    def body(self) -> Any:
        # parsed once: app.py may look at a small body before its handler runs
        if self._parsed is _UNPARSED:
            self._parsed = wire.decode_json(self.raw_body)
        return self._parsed

    @property
    def tenant(self) -> str:
        return self.params["tenant"]

    @property
    def database(self) -> str:
        name = self.params["database"]
        if len(name) < 3:
            raise InvalidArgumentError("database name must be at least 3 characters")
        return name

    @property
    def scope(self) -> dict[str, str]:
        return {"tenant": self.tenant, "database": self.database}

    @property
    def collection_id(self) -> str:
        try:
            return _canonical_uuid(self.params["collection_id"])
        except ValueError:
            raise InvalidArgumentError("Collection ID is not a valid UUIDv4") from None

    def int_query(self, key: str) -> int | None:
        value = self.query.get(key)
        if value is None or value == "":
            return None
        if not value.isascii() or not value.isdigit():
            raise InvalidArgumentError(f"Failed to deserialize query string: {key}: invalid digit in {value!r}")
        number = int(value)
        if number > wire.U32_MAX:
            # upstream reads these as u32; SQLite could not bind a value past 2**63 anyway
            raise InvalidArgumentError(
                f"Failed to deserialize query string: {key}: number too large to fit in target type"
            )
        return number


@functools.lru_cache(maxsize=1024)
def _canonical_uuid(text: str) -> str:
    # cached: clients send the same few ids again and again, and parsing one is ~5 us
    return str(uuid.UUID(text))


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str
    handler: Callable[[Call], Any]
    status: int = 200
    reads_body: bool = False
    # cheap handlers that never touch the engine run on the event loop
    inline: bool = False
    # reads: whether this request is small enough that it may skip the worker thread
    # (app.py also checks that the engine is idle and that such reads were fast lately)
    small: Callable[[Call], bool] | None = None


# -- system ---------------------------------------------------------------------------------
def heartbeat(call: Call) -> Any:
    return {"nanosecond heartbeat": call.backend.heartbeat()}


def healthcheck(call: Call) -> Any:
    return {"is_executor_ready": True, "is_log_client_ready": True}


def version(call: Call) -> Any:
    return call.backend.get_version()


def pre_flight_checks(call: Call) -> Any:
    return {"max_batch_size": call.max_batch_size, "supports_base64_encoding": True}


def reset(call: Call) -> Any:
    if not call.allow_reset:
        raise ResetDisabledError("Reset is disabled by config")
    return call.backend.reset()


def identity(call: Call) -> Any:
    # no auth on a single-node server: everyone is the anonymous default user (spec section 7)
    return {"user_id": "", "tenant": DEFAULT_TENANT, "databases": [DEFAULT_DATABASE]}


# -- tenants and databases ----------------------------------------------------------------------
def create_tenant(call: Call) -> Any:
    call.backend.create_tenant(wire.decode_name(call.body()))
    return {}


def get_tenant(call: Call) -> Any:
    return call.backend.get_tenant(call.tenant)


def list_databases(call: Call) -> Any:
    return call.backend.list_databases(call.tenant, call.int_query("limit"), call.int_query("offset"))


def create_database(call: Call) -> Any:
    call.backend.create_database(wire.decode_name(call.body()), call.tenant)
    return {}


def get_database(call: Call) -> Any:
    return call.backend.get_database(call.database, call.tenant)


def delete_database(call: Call) -> Any:
    call.backend.delete_database(call.database, call.tenant)
    return {}


# -- collections ----------------------------------------------------------------------------------
def collection_out(call: Call, model: dict[str, Any]) -> dict[str, Any]:
    """A collection as this client reads it: 1.x's shape, or 0.5/0.6's to an old client."""
    return old_clients.collection_to_old_wire(model) if call.old_shape else wire.collection_to_wire(model)


def list_collections(call: Call) -> Any:
    models = call.backend.list_collections(call.int_query("limit"), call.int_query("offset"), **call.scope)
    return [collection_out(call, m) for m in models]


def count_collections(call: Call) -> Any:
    return call.backend.count_collections(**call.scope)


def create_collection(call: Call) -> Any:
    req = wire.decode_create_collection(call.body())
    model = call.backend.create_collection(
        req["name"], req["metadata"], req["configuration"], req["get_or_create"], **call.scope, schema=req["schema"]
    )
    return collection_out(call, model)


def get_collection(call: Call) -> Any:
    return collection_out(call, call.backend.get_collection(call.params["collection_id"], **call.scope))


def get_collection_by_id(call: Call) -> Any:
    return collection_out(call, call.backend.get_collection_by_id(call.collection_id, **call.scope))


def get_collection_by_crn(call: Call) -> Any:
    parts = call.params["crn"].split(":")
    if len(parts) != 3 or not all(parts):
        raise InvalidArgumentError("Expected a collection resource name of the form tenant:database:collection")
    tenant, database, name = parts
    return collection_out(call, call.backend.get_collection(name, tenant, database))


def update_collection(call: Call) -> Any:
    req = wire.decode_update_collection(call.body())
    call.backend.update_collection(
        call.collection_id, req["new_name"], req["new_metadata"], req["new_configuration"], **call.scope
    )
    return {}


def delete_collection(call: Call) -> Any:
    call.backend.delete_collection(call.params["collection_id"], **call.scope)
    return {}


def fork_collection(call: Call) -> Any:
    """Fork a collection: a new one with its configuration, metadata and records."""
    new_name = wire.decode_fork_collection(call.body())["new_name"]
    return collection_out(call, call.backend.fork_collection(call.collection_id, new_name, **call.scope))


# -- records ------------------------------------------------------------------------------------------
def add(call: Call) -> Any:
    call.backend.add(call.collection_id, wire.decode_add(call.body(), call.max_batch_size), **call.scope)
    return {}


def update(call: Call) -> Any:
    call.backend.update(call.collection_id, wire.decode_update(call.body(), call.max_batch_size), **call.scope)
    return {}


def upsert(call: Call) -> Any:
    call.backend.upsert(call.collection_id, wire.decode_upsert(call.body(), call.max_batch_size), **call.scope)
    return {}


def delete(call: Call) -> Any:
    return {"deleted": call.backend.delete(call.collection_id, wire.decode_delete(call.body()), **call.scope)}


def count(call: Call) -> Any:
    return call.backend.count(call.collection_id, **call.scope)


def indexing_status(call: Call) -> Any:
    return call.backend.indexing_status(call.collection_id, **call.scope)


def get(call: Call) -> Any:
    return call.backend.get(call.collection_id, wire.decode_get(call.body()), **call.scope)


def query(call: Call) -> Any:
    return call.backend.query(call.collection_id, wire.decode_query(call.body()), **call.scope)


def search(call: Call) -> Any:
    """Search records: filter, rank, group, page and select (spec/search-api.md)."""
    # upstream's order: the body's shape (422), the collection id (400), the payloads'
    # meaning (400), then the collection itself (404) and the schema checks (400)
    request = wire.decode_search(call.body())
    collection_id = call.collection_id
    return call.backend.search(collection_id, wire.validate_search(request), **call.scope)


# -- small reads ----------------------------------------------------------------------------------
SMALL_BODY = 64 * 1024
SMALL_QUERIES = 4
SMALL_RESULTS = 100
SMALL_IDS = 100


def _unfiltered(body: Any) -> bool:
    """A parsed body with no where clauses (a filter can make the engine load a whole collection)."""
    return isinstance(body, dict) and body.get("where") is None and body.get("where_document") is None


def _small_int(value: Any, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= most


def small_query(call: Call) -> bool:
    """A few query vectors, a few results, no filter."""
    if len(call.raw_body) > SMALL_BODY:
        return False  # not even parsed here: parsing a big body is itself work
    body = call.body()
    if not _unfiltered(body) or body.get("ids") is not None:
        return False
    queries, n_results = body.get("query_embeddings"), body.get("n_results")
    return (
        isinstance(queries, list)
        and len(queries) <= SMALL_QUERIES
        and (n_results is None or _small_int(n_results, SMALL_RESULTS))
    )


def small_get(call: Call) -> bool:
    """A get by a few ids, no filter."""
    if len(call.raw_body) > SMALL_BODY:
        return False
    body = call.body()
    ids = body.get("ids") if _unfiltered(body) else None
    return isinstance(ids, list) and len(ids) <= SMALL_IDS


def always_small(call: Call) -> bool:
    return True


def unsupported(feature: str) -> Callable[[Call], Any]:
    def handler(call: Call) -> Any:
        raise FeatureUnavailableError(f"{feature} is unsupported for local chroma")

    handler.__name__ = "unsupported_" + feature.lower().replace(" ", "_")
    handler.__doc__ = f"{feature}: not offered by a single-node server (501)."
    return handler


ROUTES: list[RouteSpec] = [
    RouteSpec("GET", API, heartbeat, inline=True),
    RouteSpec("GET", API + "/heartbeat", heartbeat, inline=True),
    RouteSpec("GET", API + "/healthcheck", healthcheck, inline=True),
    RouteSpec("GET", API + "/version", version, inline=True),
    RouteSpec("GET", API + "/pre-flight-checks", pre_flight_checks, inline=True),
    RouteSpec("POST", API + "/reset", reset),
    RouteSpec("GET", API + "/auth/identity", identity, inline=True),
    RouteSpec("POST", API + "/tenants", create_tenant, reads_body=True),
    RouteSpec("GET", API + "/tenants/{tenant}", get_tenant),
    RouteSpec("PATCH", API + "/tenants/{tenant}", unsupported("Updating a tenant"), reads_body=True),
    RouteSpec("GET", API + "/tenants/{tenant}/databases", list_databases),
    RouteSpec("POST", API + "/tenants/{tenant}/databases", create_database, reads_body=True),
    RouteSpec("GET", DB, get_database),
    RouteSpec("DELETE", DB, delete_database),
    RouteSpec("GET", DB + "/collections", list_collections),
    RouteSpec("POST", DB + "/collections", create_collection, reads_body=True),
    RouteSpec("GET", DB + "/collections_count", count_collections),
    RouteSpec("GET", DB + "/collections/by-id/{collection_id}", get_collection_by_id),
    # the same template carries a NAME for GET/DELETE and an id for PUT (spec section 12.5)
    RouteSpec("GET", COLL, get_collection),
    RouteSpec("PUT", COLL, update_collection, reads_body=True),
    RouteSpec("DELETE", COLL, delete_collection),
    RouteSpec("POST", COLL + "/add", add, status=201, reads_body=True),
    RouteSpec("POST", COLL + "/update", update, reads_body=True),
    RouteSpec("POST", COLL + "/upsert", upsert, reads_body=True),
    RouteSpec("POST", COLL + "/delete", delete, reads_body=True),
    RouteSpec("GET", COLL + "/count", count, small=always_small),
    RouteSpec("POST", COLL + "/get", get, reads_body=True, small=small_get),
    RouteSpec("POST", COLL + "/query", query, reads_body=True, small=small_query),
    RouteSpec("POST", COLL + "/fork", fork_collection, reads_body=True),
    RouteSpec("GET", COLL + "/fork_count", unsupported("Counting collection forks")),
    RouteSpec("GET", COLL + "/indexing_status", indexing_status),
    RouteSpec("POST", COLL + "/search", search, reads_body=True),
    RouteSpec("POST", COLL + "/functions/attach", unsupported("Attaching functions"), reads_body=True),
    RouteSpec("GET", COLL + "/functions/{function_name}", unsupported("Attached functions")),
    RouteSpec(
        "POST", COLL + "/attached_functions/{function_name}/detach", unsupported("Detaching functions"), reads_body=True
    ),
    RouteSpec("GET", API + "/collections/{crn}", get_collection_by_crn),
]
