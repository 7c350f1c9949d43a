"""A local HTTP server that stands in for an embedding service in tests (no network).

    with FakeService() as fake:
        fake.answer(lambda request: (200, {"data": [...]}))
        ...  # point the embedding function at fake.url
        request = fake.requests[-1]  # path, query, headers, json of what was sent

Each request is recorded; the answer comes from the function given to `answer`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    json: Any = field(default=None)


Answer = Callable[[Request], "tuple[int, Any]"]


class FakeService:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._answer: Answer = lambda request: (404, {"error": "no answer configured"})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, answer: Answer) -> None:
        """Answer every following request with `answer(request) -> (status, json_or_bytes)`."""
        self._answer = answer

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = urlsplit(self.path)
                request = Request(
                    method="POST",
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                try:
                    request.json = json.loads(body) if body else None
                except ValueError:
                    request.json = None
                service.requests.append(request)
                status, answer = service._answer(request)
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
