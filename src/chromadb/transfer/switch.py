"""Switching in place: a PersistentClient opened on a Chroma persist directory.

Chroma and we both default to `./chroma` and `chroma.sqlite3`, and both are imported as
`chromadb`, so a user who swaps the package keeps pointing at Chroma's files. They are
never opened in place (the two schemas collide) and never modified. By default the
client refuses them with an error that names the `chroma import` command to run. With
`Settings(import_chroma_dir=True)` (or CHROMA_IMPORT_CHROMA_DIR=1) the first open
imports them into `<path>-quarrydb` beside them and every open uses that directory:
later writes go there, and writes Chroma makes to the old directory afterwards are not
seen (a warning says so each time).
"""
from __future__ import annotations

import logging
import os
import shutil

from chromadb.transfer.chroma_dir import is_chroma_directory
from chromadb.transfer.chroma_import import import_chroma_dir

logger = logging.getLogger("chromadb.transfer")

SUFFIX = "-quarrydb"


def sibling_path(path: str) -> str:
    """Where a Chroma directory's import lives: `<path>-quarrydb` beside it."""
    return os.path.normpath(os.path.abspath(path)) + SUFFIX


def path_to_open(path: str) -> str:
    """`path` itself unless it is a Chroma directory; then its import, made on first open."""
    if not is_chroma_directory(path):
        return path
    target = sibling_path(path)
    if os.path.exists(os.path.join(target, "chroma.sqlite3")):
        logger.warning(
            "%s is a Chroma persist directory: opening its import %s (Chroma's writes to it after the "
            "import are not in it)",
            path,
            target,
        )
        return target
    # import beside the target and rename when done: an interrupted import never
    # leaves a half-filled directory that a later open would take for the real one
    partial = f"{target}.partial-{os.getpid()}"
    logger.warning("%s is a Chroma persist directory: importing it into %s (its files stay untouched)", path, target)
    try:
        import_chroma_dir(path, partial)
        os.rename(partial, target)
    except OSError:
        if not os.path.exists(os.path.join(target, "chroma.sqlite3")):
            raise
        # another process finished the same import first: use its copy
    finally:
        if os.path.exists(partial):
            shutil.rmtree(partial, ignore_errors=True)
    return target
