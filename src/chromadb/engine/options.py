"""The engine's tunables and speed tricks, as one frozen value passed in (issue 15 item 4).

    engine = Engine(path, options=EngineOptions(exact_search_max=100, warm_up=False))
    options = EngineOptions.from_env()   # what a client or `chroma run` uses by default

`from_env()` is the one place that reads the environment. Each speed trick has an off
switch, and tests run with each one off:

| trick | field | environment (off with `0`) |
|---|---|---|
| HNSW graphs in transparent huge pages (hugepages.py; Linux) | `huge_pages` | `CHROMA_HUGE_PAGES` |
| change detection from the `-shm` header (store/sqlite/wal_watch.py) | `wal_watch` | `CHROMA_WAL_WATCH` |
| lazily opened views loaded in a background thread | `warm_up` | `CHROMA_WARM_UP` |
| small server reads on the event loop (server/app.py) | `loop_reads` | `CHROMA_LOOP_READS` |

One size can be set from the environment too, for servers (`chroma run`) and clients alike:
`CHROMA_RESIDENT_VECTORS_MB`, the `resident_vectors_max` past which a collection keeps its
vectors only in its HNSW graphs (view.py), in MiB.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["SIZES_MB", "SWITCHES", "EngineOptions"]

# field -> environment variable; "0" turns the trick off, anything else (or unset) leaves it on
SWITCHES = {
    "huge_pages": "CHROMA_HUGE_PAGES",
    "wal_watch": "CHROMA_WAL_WATCH",
    "warm_up": "CHROMA_WARM_UP",
    "loop_reads": "CHROMA_LOOP_READS",
}
# field -> environment variable holding a size in MiB (unset: the default)
SIZES_MB = {"resident_vectors_max": "CHROMA_RESIDENT_VECTORS_MB"}


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    """Thresholds and switches of one engine; every field has the default it always had."""

    # search.py: a filter that leaves at most this many candidates is answered by an exact scan
    exact_search_max: int = 20_000
    # indexer.py: a collection gets an HNSW graph from this many live records on
    index_min: int = 4096
    # view.py: a collection whose float32 vectors would take more bytes than this keeps no
    # matrix of them beside its HNSW graphs (which hold them too); its scans read the store
    resident_vectors_max: int = 512 * 1024 * 1024
    # indexer.py: a graph is saved after max(save_min_changes, save_fraction x its size) changes
    save_min_changes: int = 10_000
    save_fraction: float = 0.25
    # indexer.py: a graph is rebuilt when its deleted elements pass this fraction (and index_min)
    rebuild_dead_fraction: float = 0.5
    # indexer.py: a big index built afresh shows a progress bar (progress.py: on a terminal
    # only); off where the caller shows its own (`chroma repair --rebuild`)
    progress_bars: bool = True
    # speed tricks, each with an off switch (see the module docstring)
    huge_pages: bool = True
    wal_watch: bool = True
    warm_up: bool = True
    loop_reads: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "bool" and not isinstance(value, bool):
                raise TypeError(f"EngineOptions.{f.name} must be True or False, got {value!r}")
            if f.type in ("int", "float") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise TypeError(f"EngineOptions.{f.name} must be a number, got {value!r}")
            if f.type in ("int", "float") and value < 0:
                raise ValueError(f"EngineOptions.{f.name} must not be negative, got {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EngineOptions:
        """The defaults, with each speed trick whose variable is `0` turned off, and each
        size whose variable is set (in MiB) taken from it."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {field: env.get(name, "1").strip() != "0" for field, name in SWITCHES.items()}
        for field, name in SIZES_MB.items():
            raw = env.get(name, "").strip()
            if raw:
                try:
                    values[field] = int(float(raw) * 1024 * 1024)
                except ValueError:
                    raise ValueError(f"{name} must be a number of MiB, got {raw!r}") from None
        return cls(**values)
