"""HttpBackend: the Backend interface over the Chroma HTTP API v2 (ours or upstream's).

    backend = HttpBackend.from_settings(Settings(chroma_server_host="localhost", chroma_server_http_port=8000))

One keep-alive `httpx.Client` per backend (pass your own for tests: the httpx
transport seam). Write embeddings go base64-packed when the server's pre-flight
answer allows it. An error answer becomes the `chromadb.errors` class its `error`
name stands for, or a plain `Exception` with the raw body, as with upstream's client.
"""
from __future__ import annotations

import base64
import urllib.parse
from typing import Any

import httpx
import numpy as np
import orjson

from chromadb.api.backend import Backend, CollectionModel
from chromadb.config import Settings
from chromadb.errors import error_class_for_name
from chromadb.model.records import RecordBatch
from chromadb.model.requests import DeleteRequest, GetRequest, QueryRequest
from chromadb.model.search import SearchRequest
from chromadb.server import wire

__all__ = ["HttpBackend", "auth_headers", "base_url"]

_USER_AGENT = "quarrydb Python client (Chroma API v2)"
_API_PATH = "/api/v2"


def base_url(host: str, port: int | None, ssl: bool = False) -> str:
    """`http[s]://host:port/api/v2`; a host that is already a URL keeps its own port and path."""
    if host.startswith(("http://", "https://")):
        parsed = urllib.parse.urlsplit(host)
        scheme = "https" if ssl else parsed.scheme
        path = parsed.path.rstrip("/")
        if not path.endswith(_API_PATH):
            path += _API_PATH
        return urllib.parse.urlunsplit((scheme, parsed.netloc, path, "", ""))
    if "/" in host:
        raise ValueError(f"Invalid host {host!r}: pass a host name, or a URL starting with http:// or https://")
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{'https' if ssl else 'http'}://{shown}:{port or 8000}{_API_PATH}"


def auth_headers(settings: Settings) -> dict[str, str]:
    """Headers for upstream's token and basic auth client providers (spec section 7)."""
    provider = (settings.chroma_client_auth_provider or "").lower()
    credentials = settings.chroma_client_auth_credentials
    if not provider or credentials is None:
        return {}
    if "basic" in provider:
        return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii")}
    header = (settings.chroma_auth_token_transport_header or "Authorization").strip().lower().replace("_", "-")
    if header == "authorization":
        return {"Authorization": f"Bearer {credentials}"}
    if header == "x-chroma-token":
        return {"X-Chroma-Token": credentials}
    raise ValueError(
        f"Invalid chroma_auth_token_transport_header {settings.chroma_auth_token_transport_header!r}: "
        "expected 'Authorization' or 'X-Chroma-Token'"
    )


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        body = orjson.loads(response.content)
        cls = error_class_for_name(body["error"]) if isinstance(body, dict) and "error" in body else None
        message = body.get("message", "") if cls is not None else ""
    except (orjson.JSONDecodeError, TypeError, KeyError):
        cls = None
    trace_id = response.headers.get("chroma-trace-id")
    if cls is not None:
        error = cls(message)
        error.trace_id = trace_id  # type: ignore[attr-defined]
        raise error
    raise Exception(response.text + (f" (trace ID: {trace_id})" if trace_id else ""))


def _matrix(rows: Any) -> np.ndarray:
    arr = np.asarray(rows, dtype=np.float32)
    return arr.reshape(len(rows), -1) if arr.size else np.zeros((len(rows), 0), dtype=np.float32)


def _wire_embeddings(embeddings: Any, base64_ok: bool) -> Any:
    if embeddings is None:
        return None
    if base64_ok:
        return wire.embeddings_to_base64(embeddings)
    return [None if e is None else np.asarray(e, dtype=np.float32) for e in embeddings]


class HttpBackend(Backend):
    def __init__(self, url: str, client: httpx.Client | None = None, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=None, limits=httpx.Limits(keepalive_expiry=40.0))
        self._client.headers.update({"Content-Type": "application/json", "User-Agent": _USER_AGENT})
        self._client.headers.update(headers or {})
        self._pre_flight: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpBackend:
        """A backend for `settings.chroma_server_host`; checks that the server answers (GET /auth/identity)."""
        if not settings.chroma_server_host:
            raise ValueError("chroma_server_host must be set to reach a server")
        url = base_url(settings.chroma_server_host, settings.chroma_server_http_port, settings.chroma_server_ssl_enabled)
        client = None
        if settings.chroma_server_ssl_verify is not None:
            client = httpx.Client(timeout=None, verify=settings.chroma_server_ssl_verify)
        headers = {**(settings.chroma_server_headers or {}), **auth_headers(settings)}
        backend = cls(url, client=client, headers=headers)
        backend._own_client = True
        backend.get_user_identity()
        return backend

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # -- transport -------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        content = None if body is None else wire.dumps(body)
        url = self.url + urllib.parse.quote(path, safe="/")
        response = self._client.request(method, url, content=content, params=params)
        _raise_for_error(response)
        return orjson.loads(response.content)

    @staticmethod
    def _db(tenant: str, database: str) -> str:
        return f"/tenants/{tenant}/databases/{database}"

    def _coll(self, collection_id: str, tenant: str, database: str) -> str:
        return f"{self._db(tenant, database)}/collections/{collection_id}"

    def pre_flight_checks(self) -> dict[str, Any]:
        if self._pre_flight is None:
            self._pre_flight = self._request("GET", "/pre-flight-checks")
        return self._pre_flight

    def supports_base64_encoding(self) -> bool:
        return bool(self.pre_flight_checks().get("supports_base64_encoding", False))

    # -- system -----------------------------------------------------------------------------
    def get_user_identity(self) -> dict[str, Any]:
        try:
            return self._request("GET", "/auth/identity")
        except httpx.ConnectError:
            raise ValueError(f"Could not connect to a Chroma server at {self.url}. Are you sure it is running?") from None

    def heartbeat(self) -> int:
        return int(self._request("GET", "/heartbeat")["nanosecond heartbeat"])

    def get_version(self) -> str:
        return self._request("GET", "/version")

    def reset(self) -> bool:
        return bool(self._request("POST", "/reset"))

    def get_max_batch_size(self) -> int:
        return int(self.pre_flight_checks().get("max_batch_size", -1))

    # -- tenants and databases ---------------------------------------------------------------
    def create_tenant(self, name: str) -> None:
        self._request("POST", "/tenants", {"name": name})

    def get_tenant(self, name: str) -> dict[str, Any]:
        return self._request("GET", f"/tenants/{name}")

    def create_database(self, name: str, tenant: str) -> None:
        self._request("POST", f"/tenants/{tenant}/databases", {"name": name})

    def get_database(self, name: str, tenant: str) -> dict[str, Any]:
        return self._request("GET", self._db(tenant, name))

    def delete_database(self, name: str, tenant: str) -> None:
        self._request("DELETE", self._db(tenant, name))

    def list_databases(self, tenant: str, limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
        return self._request("GET", f"/tenants/{tenant}/databases", params=params)

    # -- collections -------------------------------------------------------------------------------
    def create_collection(self, name, metadata, configuration, get_or_create, tenant, database, *, schema=None) -> CollectionModel:
        body = {
            "name": name,
            "metadata": metadata,
            "configuration": configuration,
            "schema": schema,
            "get_or_create": get_or_create,
        }
        return self._request("POST", f"{self._db(tenant, database)}/collections", body)

    def get_collection(self, name: str, tenant: str, database: str) -> CollectionModel:
        return self._request("GET", self._coll(name, tenant, database))

    def get_collection_by_id(self, collection_id: str, tenant: str, database: str) -> CollectionModel:
        return self._request("GET", f"{self._db(tenant, database)}/collections/by-id/{collection_id}")

    def list_collections(self, limit, offset, tenant, database) -> list[CollectionModel]:
        params = {k: v for k, v in (("limit", limit), ("offset", offset)) if v is not None}
        return self._request("GET", f"{self._db(tenant, database)}/collections", params=params)

    def count_collections(self, tenant: str, database: str) -> int:
        return int(self._request("GET", f"{self._db(tenant, database)}/collections_count"))

    def update_collection(self, collection_id, new_name, new_metadata, new_configuration, tenant, database) -> None:
        body = {"new_name": new_name, "new_metadata": new_metadata, "new_configuration": new_configuration}
        self._request("PUT", self._coll(collection_id, tenant, database), body)

    def delete_collection(self, name: str, tenant: str, database: str) -> None:
        self._request("DELETE", self._coll(name, tenant, database))

    def fork_collection(self, collection_id: str, new_name: str, tenant: str, database: str) -> CollectionModel:
        return self._request("POST", f"{self._coll(collection_id, tenant, database)}/fork", {"new_name": new_name})

    # -- records ------------------------------------------------------------------------------------
    def _write(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        body = {
            "ids": batch.ids,
            "embeddings": _wire_embeddings(batch.embeddings, self.supports_base64_encoding()),
            "metadatas": batch.metadatas,
            "documents": batch.documents,
            "uris": batch.uris,
        }
        self._request("POST", f"{self._coll(collection_id, tenant, database)}/{batch.kind}", body)

    def add(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self._write(collection_id, batch, tenant, database)

    def update(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self._write(collection_id, batch, tenant, database)

    def upsert(self, collection_id: str, batch: RecordBatch, tenant: str, database: str) -> None:
        self._write(collection_id, batch, tenant, database)

    def delete(self, collection_id: str, request: DeleteRequest, tenant: str, database: str) -> int:
        body = wire.encode_delete(request)
        result = self._request("POST", f"{self._coll(collection_id, tenant, database)}/delete", body)
        return int(result.get("deleted", 0)) if isinstance(result, dict) else 0

    def count(self, collection_id: str, tenant: str, database: str) -> int:
        return int(self._request("GET", f"{self._coll(collection_id, tenant, database)}/count"))

    def indexing_status(self, collection_id: str, tenant: str, database: str) -> dict[str, Any]:
        return self._request("GET", f"{self._coll(collection_id, tenant, database)}/indexing_status")

    def get(self, collection_id: str, request: GetRequest, tenant: str, database: str) -> dict[str, Any]:
        body = wire.encode_get(request)
        result = self._request("POST", f"{self._coll(collection_id, tenant, database)}/get", body)
        if result.get("embeddings") is not None:
            result["embeddings"] = _matrix(result["embeddings"])
        return result

    def query(self, collection_id: str, request: QueryRequest, tenant: str, database: str) -> dict[str, Any]:
        body = wire.encode_query(request)
        result = self._request("POST", f"{self._coll(collection_id, tenant, database)}/query", body)
        if result.get("embeddings") is not None:
            result["embeddings"] = [_matrix(rows) for rows in result["embeddings"]]
        # distances stay JSON lists: query_result rounds them to float32 once
        return result

    def search(self, collection_id: str, request: SearchRequest, tenant: str, database: str) -> dict[str, Any]:
        return self._request("POST", f"{self._coll(collection_id, tenant, database)}/search", request.to_dict())
