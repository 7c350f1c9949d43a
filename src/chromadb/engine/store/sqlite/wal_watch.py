"""A cheap "has anyone committed?" for a SQLite database in WAL mode.

Every read first asks whether another process committed (`PRAGMA data_version`). That
statement opens and closes a read transaction: ~6 us, and ~20 us of a query once the
cache misses it causes are counted. Every commit rewrites the wal-index header, the
first 48 bytes of the `-shm` file (https://www.sqlite.org/walformat.html: it holds the
frame count, salts and checksums of the last commit). So when those bytes are the same
as at the last look, nobody committed, and one `pread` answered; when they differ the
caller asks SQLite as before.

It stays off when the file is missing, of an unknown version, or unreadable, and the
store turns it off for good if one of its own commits ever leaves the header unchanged.
"""
from __future__ import annotations

import os
import struct

HEADER_BYTES = 48  # one copy of the header (WalIndexHdr), in native byte order
WAL_INDEX_VERSION = 3007000  # iVersion of every wal-index since SQLite 3.7.0


class WalWatch:
    def __init__(self, db_path: str) -> None:
        self._fd: int | None = None
        if not hasattr(os, "pread"):
            return
        try:
            fd = os.open(db_path + "-shm", os.O_RDONLY)
        except OSError:
            return
        try:
            head = os.pread(fd, HEADER_BYTES, 0)
            if len(head) == HEADER_BYTES and struct.unpack_from("=I", head)[0] == WAL_INDEX_VERSION:
                self._fd, fd = fd, -1
        finally:
            if fd != -1:
                os.close(fd)

    @property
    def active(self) -> bool:
        return self._fd is not None

    def header(self) -> bytes | None:
        """The wal-index header now (None when not watching)."""
        if self._fd is None:
            return None
        try:
            head = os.pread(self._fd, HEADER_BYTES, 0)
        except OSError:
            self.close()
            return None
        return head if len(head) == HEADER_BYTES else None

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
