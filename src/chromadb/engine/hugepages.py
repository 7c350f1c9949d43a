"""Transparent huge pages for memory that hnswlib allocates (Linux; a no-op elsewhere).

A query walks a few thousand vectors spread over the whole graph (168 MB at 100k x 384).
With 4 KB pages nearly every one of them is a TLB miss, and a page walk is dearer still
in a virtual machine; with 2 MB pages the walk took ~25% less here (0.48 -> 0.37 ms at
ef 100, measured on the 100k benchmark collection). hnswlib allocates with malloc, and
in the usual `madvise` THP mode such memory gets huge pages only when advised.

We cannot reach hnswlib's pointers, so `Advised` compares the process's anonymous
mappings before and after an hnswlib call: what is new or has grown is that call's
allocation (or, harmlessly, another thread's). `MADV_HUGEPAGE` makes the pages touched
from then on huge (an index being built); memory already filled (an index read from
disk) is rebuilt in huge pages by `collapse` (`MADV_COLLAPSE`, Linux 6.1+), a copy
that the engine runs in the background. Every step is best effort: failures are
ignored, and the memory works the same either way.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

_MADV_HUGEPAGE = 14
_MADV_COLLAPSE = 25
HUGE_PAGE = 2 << 20
# Smaller allocations are not worth a look (nor the /proc read): they fit the TLB.
MIN_BYTES = 8 << 20
# MADV_COLLAPSE copies this much per call, so a reader of those pages waits little.
COLLAPSE_STEP = 32 << 20

# Where madvise and /proc/self/maps exist; whether to use them is the caller's (an engine's
# EngineOptions.huge_pages, off with CHROMA_HUGE_PAGES=0).
SUPPORTED = sys.platform.startswith("linux")

Range = tuple[int, int]
_madvise: Any = None


def anonymous_ranges() -> list[Range]:
    """The process's writable anonymous mappings (and heap), sorted by address."""
    ranges: list[Range] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if fields[1].startswith("rw") and (len(fields) == 5 or fields[5] == "[heap]"):
                    lo, _, hi = fields[0].partition("-")
                    ranges.append((int(lo, 16), int(hi, 16)))
    except (OSError, IndexError, ValueError):
        return []
    return ranges


def new_ranges(before: list[Range], after: list[Range]) -> list[Range]:
    """The parts of `after` that `before` does not cover (both sorted, non-overlapping)."""
    out: list[Range] = []
    i = 0
    for lo, hi in after:
        while i < len(before) and before[i][1] <= lo:
            i += 1
        j, start = i, lo
        while j < len(before) and before[j][0] < hi:
            if before[j][0] > start:
                out.append((start, before[j][0]))
            start = max(start, before[j][1])
            j += 1
        if start < hi:
            out.append((start, hi))
    return out


def _aligned(ranges: list[Range]) -> list[Range]:
    """Each range shrunk to whole huge pages, dropping the small ones."""
    out = []
    for lo, hi in ranges:
        lo = (lo + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
        hi &= ~(HUGE_PAGE - 1)
        if hi - lo >= MIN_BYTES:
            out.append((lo, hi))
    return out


def _libc_madvise() -> Any:
    global _madvise
    if _madvise is None:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).madvise
        fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        fn.restype = ctypes.c_int
        _madvise = fn
    return _madvise


def advise(ranges: list[Range]) -> None:
    """Ask for huge pages where these ranges fault in from now on."""
    if not ranges:
        return
    madvise = _libc_madvise()
    for lo, hi in ranges:
        madvise(lo, hi - lo, _MADV_HUGEPAGE)


def collapse(ranges: list[Range], stop: Callable[[], bool] = lambda: False) -> list[Range]:
    """Rebuild these (already filled) ranges in huge pages now; returns what is left
    when `stop` (asked between steps) said to stop.

    The kernel copies the pages; readers of a step wait for it, nothing else changes.
    A refused step (an older kernel, THP off, memory freed since) skips its range.
    """
    if not ranges:
        return []
    madvise = _libc_madvise()
    for i, (lo, hi) in enumerate(ranges):
        for start in range(lo, hi, COLLAPSE_STEP):
            if stop():
                return [(start, hi), *ranges[i + 1 :]]
            if madvise(start, min(COLLAPSE_STEP, hi - start), _MADV_COLLAPSE) != 0:
                break
    return []


class Advised:
    """`with Advised() as a: <hnswlib call>`: huge pages for what the call allocated.

    `a.ranges` keeps those ranges, for a later `collapse` when the call also filled them.
    `Advised(enabled=False)` (or a platform without them) does nothing and keeps no ranges.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and SUPPORTED
        self.ranges: list[Range] = []
        self._before: list[Range] = []

    def __enter__(self) -> Advised:
        if self.enabled:
            self._before = anonymous_ranges()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.enabled or exc[0] is not None:
            return
        try:
            self.ranges = _aligned(new_ranges(self._before, anonymous_ranges()))
            advise(self.ranges)
        except (OSError, AttributeError):  # no libc madvise: nothing to gain
            self.ranges = []
