"""all-MiniLM-L6-v2 at run time: tokenizer + encoder + Chroma's pooling, one per process.

Processing matches chromadb's ONNXMiniLM_L6_V2 step for step (see
shared/design/default-embedding.md §3), except that each batch is padded to its longest
item instead of to 256 tokens, with documents of similar length batched together:
padded positions are masked out, so the vectors are the same and short documents are
~11x faster. With onnxruntime, batches run side by side, one per core (at most
MAX_WORKERS), each on a single thread; the vectors are bit-identical to one batch at a
time. onnxruntime and tokenizers are imported here, on first use, so
`import chromadb` stays fast.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.embedding_functions import _model_files
from chromadb.embedding_functions._model_files import ModelFiles, cache_dir, locate_model
from chromadb.progress import ProgressBar, progress_bar

__all__ = ["BATCH_SIZE", "MAX_TOKENS", "MiniLM", "get_model"]

logger = logging.getLogger("chromadb.embedding_functions")

MAX_TOKENS = 256  # including [CLS] and [SEP], as Chroma truncates
BATCH_SIZE = 32
BATCH_TOKENS = 2048  # padded tokens per batch; only long documents reach it
MAX_WORKERS = 4  # concurrent batches at most: each holds its own buffers
ARENA_KEEP_WIDTH = 128  # onnxruntime's arena is shrunk after batches wider than this
PROGRESS_THRESHOLD = 256  # documents; smaller calls stay silent
BACKEND_ENV = "QUARRYDB_EMBED_BACKEND"  # "auto" (default), "onnx" or "numpy"

_CHUNK = 2048  # documents tokenised and length-sorted at a time; bounds memory
_EMPTY = np.zeros(0, dtype=np.float32)

Forward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class MiniLM:
    """A loaded model; `embed` is safe to call from several threads."""

    tokenizer: Any
    forward: Forward
    backend: str
    source: str
    workers: int = 1  # batches run at once, each on one core (onnx); numpy threads itself

    def embed(self, texts: Sequence[str], *, progress: bool | None = None) -> list[np.ndarray]:
        """One L2-normalised float32 vector of 384 per text, in input order."""
        _check_texts(texts)
        out: list[np.ndarray] = [_EMPTY] * len(texts)
        bar = _progress_bar(len(texts), progress)
        try:
            for chunk_start in range(0, len(texts), _CHUNK):
                # encode() one by one: encode_batch would start Rayon threads, which the
                # tokenizers library then disables noisily in forked children (servers).
                encodings = [self.tokenizer.encode(t) for t in texts[chunk_start : chunk_start + _CHUNK]]
                # Batching documents of similar length wastes little on padding; the
                # vectors do not depend on the batch, and come back in input order.
                order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
                batches = _batches(order, [len(e.ids) for e in encodings], self.workers)
                token_ids = [[encodings[i].ids for i in rows] for rows in batches]
                for rows, vectors in zip(batches, self._run_batches(token_ids), strict=True):
                    for i, vector in zip(rows, vectors, strict=True):
                        out[chunk_start + i] = vector
                    bar.update(len(rows))
        finally:
            bar.close()
        return out

    def _run_batches(self, batches: list[list[list[int]]]) -> Iterator[list[np.ndarray]]:
        """Each batch's vectors, in order. Several batches run at once, one per core: on
        2 cores that beats one batch at a time on 2 onnxruntime threads by ~7-10%, as
        no operator waits for its other half (issue 5; numbers in bench/embedding_bench.py)."""
        if self.workers == 1 or len(batches) == 1:
            return map(self._embed_batch, batches)
        return _run_concurrently(self._embed_batch, batches, self.workers)

    def _embed_batch(self, token_ids: list[list[int]]) -> list[np.ndarray]:
        width = max(len(ids) for ids in token_ids)
        input_ids = np.zeros((len(token_ids), width), dtype=np.int64)
        attention_mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, ids in enumerate(token_ids):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        hidden = self.forward(input_ids, attention_mask, np.zeros_like(input_ids))
        return _pool_and_normalise(hidden, attention_mask)


def _run_concurrently(
    fn: Callable[[list[list[int]]], list[np.ndarray]], batches: list[list[list[int]]], workers: int
) -> Iterator[list[np.ndarray]]:
    # Threads per call, not a pool kept alive: nothing to go stale in a forked child,
    # and starting two threads costs ~0.1 ms against >= 30 ms per batch.
    with ThreadPoolExecutor(max_workers=min(workers, len(batches)), thread_name_prefix="quarrydb-embed") as pool:
        yield from pool.map(fn, batches)


def _batches(order: list[int], lengths: list[int], workers: int = 1) -> list[list[int]]:
    """Split length-sorted rows into batches of at most BATCH_SIZE rows and
    BATCH_TOKENS padded tokens. 32 documents of 256 tokens take ~450 MB of attention
    buffers; 8 at a time are no slower. Vectors do not depend on the batch.

    With several workers, the rows are spread evenly over a multiple of `workers`
    batches, so that no core idles at the end: 1000 documents on 2 cores run as
    8 x 32 + 24 x 31 rather than 31 x 32 + 1 x 8, and 40 as 2 x 20 rather than 32 + 8."""
    planned = -(-len(order) // BATCH_SIZE)
    if workers > 1:
        planned = min(len(order), -(-planned // workers) * workers)
    batches: list[list[int]] = []
    current: list[int] = []
    cap = BATCH_SIZE
    for pos, i in enumerate(order):
        if current and (len(current) == cap or (len(current) + 1) * lengths[i] > BATCH_TOKENS):
            batches.append(current)
            current = []
        if not current and workers > 1:
            left = len(order) - pos
            cap = min(BATCH_SIZE, -(-left // max(planned - len(batches), 1)))
        current.append(i)
    if current:
        batches.append(current)
    return batches


def _pool_and_normalise(hidden: np.ndarray, attention_mask: np.ndarray) -> list[np.ndarray]:
    # Chroma's arithmetic exactly: the int64 mask promotes the mean to float64.
    mask = np.broadcast_to(attention_mask[..., None], hidden.shape)
    pooled = np.sum(hidden * mask, 1) / np.clip(mask.sum(1), a_min=1e-9, a_max=None)
    norm = np.linalg.norm(pooled, axis=1)
    norm[norm == 0] = 1e-12
    vectors = (pooled / norm[:, None]).astype(np.float32)
    return list(vectors)


def _check_texts(texts: Sequence[str]) -> None:
    if isinstance(texts, str):
        raise ValueError("Expected a list of strings to embed, got a single str; wrap it in a list.")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(
                f"The default embedding function embeds strings; item {i} is {type(text).__name__}."
            )


def _progress_bar(total: int, progress: bool | None) -> ProgressBar:
    # the bar every long job shows (chromadb/progress.py): on a terminal only, CHROMA_PROGRESS=0 hides it
    return progress_bar(total, "Embedding", unit="doc", enabled=progress, min_total=PROGRESS_THRESHOLD + 1)


_lock = threading.Lock()
_models: dict[tuple[str, tuple[str, ...] | None], MiniLM] = {}


def _forget_models_after_fork() -> None:
    # A forked child has none of the parent's onnxruntime worker threads; using the
    # inherited session could hang, so the child loads its own on first use.
    global _lock, _models
    _lock = threading.Lock()
    _models = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_models_after_fork)


def get_model(backend: str | None = None, providers: Sequence[str] | None = None) -> MiniLM:
    """The process-wide model for `backend` ("auto", "onnx", "numpy"), loaded once."""
    backend = (backend or os.environ.get(BACKEND_ENV) or "auto").strip().lower()
    if backend not in {"auto", "onnx", "numpy"}:
        raise ValueError(f"Unknown embedding backend {backend!r}; use 'auto', 'onnx' or 'numpy'.")
    key = (backend, tuple(providers) if providers else None)
    model = _models.get(key)
    if model is None and backend == "auto":
        model = _models.get(("onnx", key[1]))  # loaded explicitly, so auto would pick it too
    if model is None:
        with _lock:
            model = _models.get(key)
            if model is None:
                model = _load(backend, providers)
                _models[key] = model
                # "auto" and the backend it chose share one session.
                _models.setdefault((model.backend, key[1]), model)
    return model


def _load(backend: str, providers: Sequence[str] | None) -> MiniLM:
    files = locate_model()
    tokenizer = _load_tokenizer(files)
    if backend == "auto":
        backend = "onnx" if _onnxruntime_available() else "numpy"
        try:
            forward, workers = _forward(backend, files, providers)
            return MiniLM(tokenizer, forward, backend, files.source, workers)
        except ImportError as exc:
            if backend == "numpy" or files.safetensors is None:
                raise
            logger.warning("%s; embedding with the numpy fallback instead", exc)
            backend = "numpy"
    forward, workers = _forward(backend, files, providers)
    return MiniLM(tokenizer, forward, backend, files.source, workers)


def _forward(backend: str, files: ModelFiles, providers: Sequence[str] | None) -> tuple[Forward, int]:
    """The forward pass and how many batches it should run at once."""
    if backend == "numpy":
        return _numpy_forward(files), 1  # OpenBLAS already uses every core
    workers = min(_cpu_count(), MAX_WORKERS)
    return _onnx_forward(files, providers, intra_op_threads=_cpu_count() - workers + 1), workers


def _load_tokenizer(files: ModelFiles) -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ImportError(
            "The default embedding function needs the tokenizers package: pip install tokenizers"
        ) from exc
    tokenizer = Tokenizer.from_file(str(files.tokenizer))
    # tokenizer.json ships with truncation 128 and fixed padding 128: replace both.
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _onnxruntime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        logger.info("onnxruntime is not installed; embedding with the numpy fallback")
        return False
    return True


def _numpy_forward(files: ModelFiles) -> Forward:
    from chromadb.embedding_functions._bert_numpy import NumpyBert
    from chromadb.embedding_functions._bert_weights import load_bert_weights

    if files.safetensors is None:
        raise ImportError(
            "Only Chroma's ONNX model was found, and onnxruntime is not installed. Install "
            f"onnxruntime, or the model weights for the numpy fallback: {_model_files.INSTALL_COMMAND}"
        )
    return NumpyBert(load_bert_weights(files.safetensors))


def _onnx_forward(files: ModelFiles, providers: Sequence[str] | None, *, intra_op_threads: int) -> Forward:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Concurrent runs share this pool; on 2 to 4 cores each run is single-threaded.
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    # The arena reuses buffers between runs. Without it every run maps its ~50 MB of
    # intermediates afresh and page-faults them in: ~10% of the time on short documents
    # (issue 5). It grows to the largest batch seen, so wide batches shrink it after.
    options.enable_cpu_mem_arena = True
    # Idle worker threads sleep instead of spinning: when other processes share the
    # cores, spinning halved throughput here (50 vs 76 docs/s at load 5 on 2 cores).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    chosen = list(providers) if providers else _default_providers(ort)

    def session(model: str | bytes) -> Any:
        return ort.InferenceSession(model, sess_options=options, providers=chosen)

    if files.onnx is not None:
        sess = session(str(files.onnx))
    else:
        sess = _session_from_safetensors(files, session)

    shrink = ort.RunOptions()
    shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def forward(input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        # Attention buffers grow with the square of the width: after a wide batch, hand
        # the arena's extra memory back (steady RSS ~230 MB instead of ~270-500 MB).
        wide = input_ids.shape[1] > ARENA_KEEP_WIDTH
        hidden: np.ndarray = sess.run(None, feed, shrink if wide else None)[0]
        return hidden

    return forward


def _session_from_safetensors(files: ModelFiles, session: Callable[[str | bytes], Any]) -> Any:
    from chromadb.embedding_functions._bert_onnx import build_bert_onnx, cached_onnx_path, write_cached_onnx
    from chromadb.embedding_functions._bert_weights import load_bert_weights

    assert files.safetensors is not None
    path = cached_onnx_path(cache_dir(), _model_files.SAFETENSORS_SHA256)
    if path.is_file():
        try:
            return session(str(path))
        except Exception as exc:  # noqa: BLE001 - a damaged cache file is rebuilt, never fatal
            logger.warning("rebuilding the cached ONNX model %s: %s", path, exc)
    try:
        import onnx  # noqa: F401
    except ImportError as exc:
        raise ImportError("building the ONNX model needs the onnx package (pip install onnx)") from exc
    model_bytes = build_bert_onnx(load_bert_weights(files.safetensors))
    try:
        write_cached_onnx(path, model_bytes)
    except OSError as exc:
        logger.warning("cannot cache the ONNX model in %s (%s); building it each start", path.parent, exc)
        return session(model_bytes)
    del model_bytes  # load from the file: lower resident memory than from bytes
    return session(str(path))


def _default_providers(ort: Any) -> list[str]:
    # As Chroma: every available provider except CoreML; Azure runs nothing locally.
    skip = {"CoreMLExecutionProvider", "AzureExecutionProvider"}
    return [p for p in ort.get_available_providers() if p not in skip] or ["CPUExecutionProvider"]


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
