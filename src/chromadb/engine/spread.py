"""Run a few tasks side by side on the CPU cores, the calling thread taking its share.

A query searches every graph of a collection (vector_index.py); hnswlib releases the GIL
while it searches, so the graphs go side by side on a small pool of threads, one fewer
than the cores: the caller runs one lane itself.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["CORES", "spread"]

CORES = os.cpu_count() or 1

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _search_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(CORES - 1, 1), thread_name_prefix="chromadb-search")
        return _pool


def _forget_pool() -> None:  # a forked child has the pool object but not its threads
    global _pool
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def spread(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run the tasks on the cores, this thread taking its share; results in task order."""
    lanes = min(CORES, len(tasks))
    if lanes <= 1:
        return [task() for task in tasks]
    pool = _search_pool()
    helpers = [pool.submit(_run_all, tasks[lane::lanes]) for lane in range(1, lanes)]
    done = [_run_all(tasks[0::lanes])] + [helper.result() for helper in helpers]
    results: list[Any] = [None] * len(tasks)
    for lane, lane_results in enumerate(done):
        results[lane::lanes] = lane_results
    return results


def _run_all(tasks: list[Callable[[], Any]]) -> list[Any]:
    return [task() for task in tasks]
