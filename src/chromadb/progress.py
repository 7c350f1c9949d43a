"""The progress bar every long job shows: embedding many documents, import, export,
backup, index rebuilds, the first load of a big collection.

    with progress_bar(total, "Exporting docs", unit="record") as bar:
        for page in pages:
            ...
            bar.update(len(page))

A tqdm bar on stderr when stderr is a terminal; nothing at all otherwise, so a pipe or CI
output never fills with bar redraws, and nothing in a server (`chroma run` calls
`turn_off_in_this_process`: its log stays lines, even when it runs on a terminal).
`CHROMA_PROGRESS=0` (or `Settings(chroma_progress=False)`, passed down as `enabled=False`
where a client's call runs the job) turns every bar off.
tqdm is imported on the first bar shown, so `import chromadb` stays fast.
"""
from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any, TextIO

__all__ = ["ENV", "ProgressBar", "enabled_by_environment", "progress_bar", "turn_off_in_this_process"]

ENV = "CHROMA_PROGRESS"
# the name of the embedding function's switch before there was one for every job
_OLD_ENV = "QUARRYDB_PROGRESS"
_OFF = {"0", "false", "off", "no"}
_off_in_this_process = False


def turn_off_in_this_process() -> None:
    """No bar from now on, whatever a job asks for (a server's jobs: index rebuilds, first
    loads of big collections)."""
    global _off_in_this_process
    _off_in_this_process = True


def enabled_by_environment() -> bool:
    """False when CHROMA_PROGRESS (or the older QUARRYDB_PROGRESS) says 0 / false / off / no."""
    return not any(os.environ.get(name, "").strip().lower() in _OFF for name in (ENV, _OLD_ENV))


class ProgressBar:
    """What a job sees: `update(n)`, `set_description(text)`, `close()`; a context manager.

    This base class draws nothing (no terminal, or turned off); `_TqdmBar` draws.
    """

    shown = False

    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class _TqdmBar(ProgressBar):
    shown = True

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def set_description(self, text: str) -> None:
        self._bar.set_description_str(text)

    def close(self) -> None:
        self._bar.close()


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def progress_bar(
    total: int | None,
    description: str,
    *,
    unit: str = "record",
    enabled: bool | None = None,
    min_total: int = 0,
    stream: TextIO | None = None,
) -> ProgressBar:
    """A bar for a job of `total` units (None: unknown), or a silent one.

    Silent when `enabled` is False (None: the environment decides), when `total` is
    below `min_total` (small jobs finish before a bar would help), or when the stream
    (default: stderr, looked up now so that redirections count) is not a terminal.
    """
    if enabled is None:
        enabled = enabled_by_environment()
    if _off_in_this_process or not enabled or (total is not None and total < min_total):
        return ProgressBar()
    out = stream if stream is not None else sys.stderr
    if out is None or not _is_terminal(out):
        return ProgressBar()
    from tqdm import tqdm

    # leave=False: the bar is wiped when the job ends, and the job's own summary line stays
    return _TqdmBar(tqdm(total=total, desc=description, unit=unit, file=out, leave=False))
