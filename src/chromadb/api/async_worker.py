"""`Worker`: where an async client's blocking calls run, off the event loop.

Every method of the async clients is the sync client's method run in one of the
worker's threads, so the event loop never waits on SQLite, the vector index, the
embedding model or the network. Each client owns its worker: `close()` can then refuse
new calls, wait for the ones in flight and only then release the engine (or the HTTP
connection) under them.

How many threads:

* In-process (`IN_PROCESS_THREADS`, 4): an engine call holds the engine's one lock, so
  a single one runs at a time whatever the thread count; the default embedding model
  already spreads one call over every core. Two threads keep the machine busy (one in
  the engine, one embedding or checking the next write); two more let a short call
  (count, get, heartbeat) pass while two long ones (a fork, a big embedding) run.
  Beyond that, threads would only queue on the engine lock, each holding its input.
* Over HTTP (`HTTP_THREADS`): the threads mostly wait on the server, so as many as
  asyncio's default executor would use; the server caps what runs at once.

A call cancelled before its thread starts it never runs; once started it runs to its
end (a thread cannot be interrupted): a cancelled `add` may still be written.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from chromadb.errors import ClientClosedError

__all__ = ["HTTP_THREADS", "IN_PROCESS_THREADS", "Worker"]

T = TypeVar("T")

IN_PROCESS_THREADS = 4
HTTP_THREADS = min(32, (os.cpu_count() or 1) + 4)


class Worker:
    """A thread pool of one client; `await worker.run(fn, *args)` calls `fn` in it."""

    def __init__(self, threads: int, name: str) -> None:
        self.threads = threads
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)
        self._state_lock = threading.Lock()
        self._closing: concurrent.futures.Future[None] | None = None

    @property
    def closed(self) -> bool:
        return self._closing is not None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        call = functools.partial(fn, *args, **kwargs)
        context = contextvars.copy_context()  # as asyncio.to_thread: the caller's context vars
        with self._state_lock:
            if self._closing is not None:
                raise ClientClosedError("This client is closed: create a new one to go on.")
            future = self._pool.submit(context.run, call)
        return await asyncio.wrap_future(future)

    async def close(self, release: Callable[[], Any]) -> None:
        """Refuse new calls, let every call already submitted finish, then `release()`
        (in a thread: closing an engine saves its indexes) and stop the threads.
        A second `close()` waits for the first one's end."""
        with self._state_lock:
            first = self._closing is None
            if first:
                self._closing = concurrent.futures.Future()
            closing = self._closing
        assert closing is not None
        if first:
            threading.Thread(target=self._finish, args=(closing, release), name="chromadb-close", daemon=True).start()
        await asyncio.wrap_future(closing)

    def _finish(self, closing: concurrent.futures.Future[None], release: Callable[[], Any]) -> None:
        try:
            self._pool.shutdown(wait=True)  # every call submitted before close() has returned
            release()
        except BaseException as e:  # noqa: BLE001 - handed to whoever awaits close()
            closing.set_exception(e)
        else:
            closing.set_result(None)
