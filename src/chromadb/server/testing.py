"""Run the server inside this process, for tests and scripts: a real uvicorn on a free port.

    server = start_server_in_thread(str(tmp_path), allow_reset=True)
    client = chromadb.HttpClient(host=server.host, port=server.port)
    ...
    server.stop()

Production code never imports this module (tests/test_layering.py checks it).
"""
from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from chromadb.server.sockets import bind_socket

__all__ = ["ServerHandle", "start_server_in_thread"]


class ServerHandle:
    """A server running in a background thread; `stop()` shuts it down and closes its data."""

    def __init__(self, server: Any, thread: threading.Thread, sock: socket.socket) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        address = sock.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server_in_thread(
    path: str | None,
    allow_reset: bool = True,
    host: str = "127.0.0.1",
    port: int = 0,
    **app_options: Any,
) -> ServerHandle:
    """Start `create_app(path, allow_reset, **app_options)` on host:port; returns once it accepts requests."""
    import uvicorn

    from chromadb.server.app import create_app

    app = create_app(path, allow_reset, **app_options)
    sock = bind_socket(host, port)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as e:  # noqa: BLE001 - reported to the starting thread
            failure.append(e)

    thread = threading.Thread(target=run, name=f"chroma-server-{sock.getsockname()[1]}", daemon=True)
    thread.start()
    while not server.started:
        if failure or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"the server thread failed to start: {failure[0] if failure else 'exited'}")
        thread.join(0.01)
    return ServerHandle(server, thread, sock)
