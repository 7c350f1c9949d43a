"""The v1 API of Chroma 0.4-0.5 servers, over the same handlers as v2.

Clients up to `chromadb-client` 0.5.15 (and community clients written for them) speak only
`/api/v1`: tenant and database travel as query parameters (`?tenant=...&database=...`,
defaulting to `default_tenant` / `default_database`), and the routes of one collection
(`/collections/{id}/add`, `PUT /collections/{id}`, ...) name no tenant or database at
all, as the 0.5 server did not check them. Each v1 route below is the v2 route it maps
to, with the same handler and flags; only where its tenant and database come from
differs. Collections go out in the 0.5/0.6 shape (`server/old_clients.py`).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.server.old_clients import V1_PREFIX
from chromadb.server.routes import API, COLL, DB, ROUTES, Call, RouteSpec

__all__ = ["V1_ROUTES"]

# where a v1 route's tenant and database come from: "none" (it has no use for them), "query"
# (the query string, else the defaults), "any" (the collection id alone decides)
ScopeFrom = Literal["none", "query", "any"]


@dataclasses.dataclass
class _AnyScopeCall(Call):
    """A request on one collection's v1 route: its id alone names it, in any tenant and
    database (the backend reads None as "any", as it does for a client without scope)."""

    @property
    def scope(self) -> dict[str, Any]:
        return {"tenant": None, "database": None}


def _with_scope(call: Call, scope: ScopeFrom) -> Call:
    if scope == "any":
        return _AnyScopeCall(**{f.name: getattr(call, f.name) for f in dataclasses.fields(call)})
    if scope == "query":
        params = dict(call.params)
        params.setdefault("tenant", call.query.get("tenant") or DEFAULT_TENANT)
        params.setdefault("database", call.query.get("database") or DEFAULT_DATABASE)
        return dataclasses.replace(call, params=params)
    return call


def _v1_handler(handler: Callable[[Call], Any], scope: ScopeFrom) -> Callable[[Call], Any]:
    def v1(call: Call) -> Any:
        return handler(_with_scope(call, scope))

    v1.__name__ = "v1_" + handler.__name__
    v1.__doc__ = handler.__doc__
    return v1


V1_COLL = V1_PREFIX + "/collections/{collection_id}"

# (method, v1 path, the v2 path whose handler serves it, where tenant and database come from)
_V1_TO_V2: list[tuple[str, str, str, ScopeFrom]] = [
    ("GET", V1_PREFIX, API, "none"),
    ("GET", V1_PREFIX + "/heartbeat", API + "/heartbeat", "none"),
    ("GET", V1_PREFIX + "/version", API + "/version", "none"),
    ("GET", V1_PREFIX + "/pre-flight-checks", API + "/pre-flight-checks", "none"),
    ("POST", V1_PREFIX + "/reset", API + "/reset", "none"),
    ("GET", V1_PREFIX + "/auth/identity", API + "/auth/identity", "none"),
    ("POST", V1_PREFIX + "/tenants", API + "/tenants", "none"),
    ("GET", V1_PREFIX + "/tenants/{tenant}", API + "/tenants/{tenant}", "none"),
    ("POST", V1_PREFIX + "/databases", API + "/tenants/{tenant}/databases", "query"),
    ("GET", V1_PREFIX + "/databases/{database}", DB, "query"),
    ("GET", V1_PREFIX + "/collections", DB + "/collections", "query"),
    ("POST", V1_PREFIX + "/collections", DB + "/collections", "query"),
    ("GET", V1_PREFIX + "/count_collections", DB + "/collections_count", "query"),
    # by NAME for GET and DELETE, by id for PUT, as in v2
    ("GET", V1_COLL, COLL, "query"),
    ("DELETE", V1_COLL, COLL, "query"),
    ("PUT", V1_COLL, COLL, "any"),
    *[("POST", f"{V1_COLL}/{verb}", f"{COLL}/{verb}", "any") for verb in ("add", "update", "upsert", "delete", "get", "query")],
    ("GET", V1_COLL + "/count", COLL + "/count", "any"),
]


def _v1_routes() -> list[RouteSpec]:
    v2 = {(spec.method, spec.path): spec for spec in ROUTES}
    return [
        dataclasses.replace(v2[(method, v2_path)], path=path, handler=_v1_handler(v2[(method, v2_path)].handler, scope))
        for method, path, v2_path, scope in _V1_TO_V2
    ]


V1_ROUTES: list[RouteSpec] = _v1_routes()
