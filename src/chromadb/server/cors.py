"""CORS for `chroma run --cors-allow-origins`: Starlette's middleware, with JSON refusals.

    Middleware(JSONCORSMiddleware, allow_origins=["http://localhost:3000"], allow_methods=["*"], allow_headers=["*"])

A refused pre-flight keeps Starlette's status (400) and headers but carries the server's
usual `{"error", "message"}` body instead of plain text.
"""
from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from chromadb.server import wire
from chromadb.server.errors import HTTPStatusError, error_body

__all__ = ["JSONCORSMiddleware"]


class JSONCORSMiddleware(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        message = bytes(response.body).decode("utf-8", "replace")  # "Disallowed CORS origin, headers"
        headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        body = wire.dumps(error_body(HTTPStatusError(message, response.status_code)))
        return Response(body, status_code=response.status_code, headers=headers, media_type="application/json")
