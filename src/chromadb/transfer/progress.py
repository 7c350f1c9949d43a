"""A progress bar on stderr: redrawn in place on a terminal, a plain line every few
seconds (and at each collection's end) otherwise, so logs and CI output stay readable."""
from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
_PLAIN_EVERY = 5.0  # seconds between plain-text lines


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self._last_line = self.started
        self.label = ""

    def start(self, label: str) -> None:
        self.label = label

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            self._draw()
        elif self.enabled and now - self._last_line >= _PLAIN_EVERY:
            self._line()

    def finish_item(self) -> None:
        if self.tty:
            self._draw()
        elif self.enabled:
            self._line()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def _rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _draw(self) -> None:
        filled = _WIDTH if not self.total else int(_WIDTH * min(self.done, self.total) / self.total)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {self.done:,}/{self.total:,} records  {self._rate():,.0f}/s  {self.label[:40]:<40}")
        self.stream.flush()

    def _line(self) -> None:
        self._last_line = time.monotonic()
        percent = 100.0 if not self.total else 100.0 * self.done / self.total
        self.stream.write(f"{self.done:,}/{self.total:,} records ({percent:.0f}%), {self._rate():,.0f}/s: {self.label}\n")
        self.stream.flush()
