"""The browse-and-query page of `chroma run` (docs/ui.md): its static files and one endpoint.

    routes = static_routes()          # GET /, /ui, /ui/app.js, /ui/app.css: no data, no auth
    UI_ROUTES                         # POST /ui/api/.../embed: behind auth like the API

The page (`server/ui/`) is plain HTML, CSS and JavaScript, read from the package once and
served as is: no build step, nothing fetched from another host. It speaks the public HTTP
API v2 like every client. The one thing the API cannot do for a browser is embed a query
text with the collection's embedding function; `embed_query_texts` does that, only for the
embedding function that runs offline in this process (all-MiniLM-L6-v2). Every other one
(remote services, custom client code) stays with the clients: the server never builds an
embedding function from a stored configuration otherwise.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from chromadb.errors import InvalidArgumentError
from chromadb.server.routes import Call, RouteSpec
from chromadb.server.wire import UnprocessableEntityError

__all__ = ["PUBLIC_PATHS", "SERVER_EMBEDDING_FUNCTIONS", "UI_ROUTES", "embedding_function_of", "static_routes"]

UI_DIR = Path(__file__).parent / "ui"
# path -> (file in UI_DIR, media type)
STATIC_FILES = {
    "/ui": ("index.html", "text/html; charset=utf-8"),
    "/ui/": ("index.html", "text/html; charset=utf-8"),  # as people type it; the page uses absolute paths
    "/ui/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/ui/app.css": ("app.css", "text/css; charset=utf-8"),
}
# served without a token: the same files for every server, holding no data
PUBLIC_PATHS = frozenset({"/", *STATIC_FILES})

# The page runs only files of its own origin, cannot be framed, and sends no referrer.
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-cache",
}

_ROOT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quarrydb</title></head>
<body><h1>quarrydb</h1>
<p>This server speaks Chroma's HTTP API v2 under <code>/api/v2</code>.</p>
<ul><li><a href="/ui">Browse and query the data</a> (<code>/ui</code>)</li>
<li><a href="/docs">API description</a> (<code>/docs</code>, <code>/openapi.json</code>)</li></ul>
</body></html>
"""

# names of the embedding functions this process can run for a query text
SERVER_EMBEDDING_FUNCTIONS = frozenset({"default", "onnx_mini_lm_l6_v2"})
MAX_QUERY_TEXTS = 16
MAX_QUERY_TEXT_CHARS = 10_000


def static_routes() -> list[Route]:
    """GET / (a page of links) and the page's files, read from the package now."""
    contents = {path: ((UI_DIR / name).read_bytes(), media) for path, (name, media) in STATIC_FILES.items()}

    async def serve_file(request: Request) -> Response:
        content, media = contents[request.url.path]
        return Response(content, media_type=media, headers=SECURITY_HEADERS)

    async def root(request: Request) -> Response:
        return HTMLResponse(_ROOT_PAGE, headers=SECURITY_HEADERS)

    return [Route("/", root, methods=["GET"])] + [Route(path, serve_file, methods=["GET"]) for path in contents]


def embedding_function_of(collection: dict[str, Any]) -> dict[str, Any] | None:
    """The embedding function a collection records: in its configuration, else in its schema."""
    configured = (collection.get("configuration_json") or {}).get("embedding_function")
    if isinstance(configured, dict):
        return configured
    schema = collection.get("schema") or {}
    vector_index = ((schema.get("keys") or {}).get("#embedding") or {}).get("float_list", {}).get("vector_index") or {}
    recorded = (vector_index.get("config") or {}).get("embedding_function")
    return recorded if isinstance(recorded, dict) else None


def _runnable_embedding_function(collection: dict[str, Any]) -> Any:
    recorded = embedding_function_of(collection)
    name = recorded.get("name") if recorded and recorded.get("type") == "known" else None
    if name not in SERVER_EMBEDDING_FUNCTIONS:
        described = f"'{name}'" if name else ("a custom one" if recorded else "none recorded")
        raise InvalidArgumentError(
            f"Query by text needs the collection's embedding function ({described}), and the server runs only "
            "all-MiniLM-L6-v2 ('default', 'onnx_mini_lm_l6_v2'): embed the text in a client, or query by vector"
        )
    from chromadb.embedding_functions.registry import known_embedding_functions

    return known_embedding_functions[name].build_from_config(recorded.get("config") or {})  # type: ignore[index, union-attr]


def _decode_texts(body: Any) -> list[str]:
    texts = body.get("texts") if isinstance(body, dict) else None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise UnprocessableEntityError('expected {"texts": [string, ...]}')
    if not 1 <= len(texts) <= MAX_QUERY_TEXTS:
        raise InvalidArgumentError(f"texts: expected 1 to {MAX_QUERY_TEXTS} query texts, got {len(texts)}")
    if any(not t.strip() or len(t) > MAX_QUERY_TEXT_CHARS for t in texts):
        raise InvalidArgumentError(f"texts: each query text must be non-blank and at most {MAX_QUERY_TEXT_CHARS} characters")
    return texts


def embed_query_texts(call: Call) -> Any:
    """`{"texts": [...]}` -> `{"embeddings": [[...], ...], "embedding_function": name}`."""
    texts = _decode_texts(call.body())
    collection = call.backend.get_collection_by_id(call.collection_id, **call.scope)
    function = _runnable_embedding_function(dict(collection))
    return {"embeddings": [[float(x) for x in vector] for vector in function(texts)], "embedding_function": function.name()}


UI_ROUTES = [
    RouteSpec(
        "POST",
        "/ui/api/tenants/{tenant}/databases/{database}/collections/{collection_id}/embed",
        embed_query_texts,
        reads_body=True,
    ),
]
