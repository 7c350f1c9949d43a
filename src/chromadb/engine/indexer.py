"""The background indexer: moves recently written records into each collection's HNSW index.

Writes are acknowledged once SQLite commits; the records they add are searched
exactly until this thread has indexed them, so index maintenance never sits on the
write path. One thread per engine, woken by writes.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chromadb.engine.engine import Engine

logger = logging.getLogger("chromadb.engine")


class Indexer:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._wake:
            self._pending = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chromadb-indexer", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until there is no indexing work left; False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: self._stopped or not (self._pending or self._busy), timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    self._wake.notify_all()
                    return
                self._pending = False
                self._busy = True
            try:
                while not self._stopped and self.engine.index_step():
                    pass
                if not self._stopped:
                    self.engine.save_indexes()
            except Exception:  # never let the thread die: the index is a cache, search stays exact
                logger.exception("background indexing failed")
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()
