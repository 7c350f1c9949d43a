"""Build a plain fp32 BERT encoder as an ONNX graph (opset 17) from safetensors weights,
and keep the serialized model in our cache folder so later processes load it in ~0.3 s.

The graph has Chroma's model.onnx interface: int64 `input_ids`, `attention_mask`,
`token_type_ids` [batch, sequence] in, float `last_hidden_state` [batch, sequence,
hidden] out. Only standard operators, which onnxruntime fuses (attention, GELU, ...).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from chromadb.embedding_functions._bert_weights import BertWeights
from chromadb.embedding_functions._model_files import atomic_write_bytes

__all__ = ["GRAPH_VERSION", "build_bert_onnx", "cached_onnx_path", "write_cached_onnx"]

logger = logging.getLogger("chromadb.embedding_functions")

# Bump when the graph changes: the version is part of the cached file's name.
GRAPH_VERSION = 1
_OPSET = 17
_IR_VERSION = 8  # the IR that goes with opset 17, readable by older onnxruntimes too


def cached_onnx_path(cache_root: Path, weights_sha256: str) -> Path:
    return cache_root / "onnx" / f"all-MiniLM-L6-v2.{weights_sha256[:16]}.g{GRAPH_VERSION}.onnx"


def write_cached_onnx(path: Path, model_bytes: bytes) -> None:
    """Atomically store the model, then drop older builds (other weights or graph versions)."""
    atomic_write_bytes(path, model_bytes)
    for old in path.parent.glob("all-MiniLM-L6-v2.*.onnx"):
        if old != path:
            try:
                old.unlink()
            except OSError:
                pass


def build_bert_onnx(weights: BertWeights) -> bytes:
    """Serialized ModelProto computing BertModel's last_hidden_state."""
    from onnx import TensorProto, helper, numpy_helper

    g = _GraphBuilder(helper, numpy_helper)
    w = weights
    hidden = w.hidden_size
    heads = w.num_heads
    eps = w.layer_norm_eps

    x = g.op("Gather", g.init("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids")
    tt = g.op("Gather", g.init("type_emb", w["embeddings.token_type_embeddings.weight"]), "token_type_ids")
    seq_len = g.op("Slice", g.op("Shape", "input_ids"), g.const([1]), g.const([2]))
    pos_table = g.init("pos_emb", w["embeddings.position_embeddings.weight"])
    pos = g.op("Slice", pos_table, g.const([0]), seq_len, g.const([0]))
    # Same order of additions as BertEmbeddings: (word + token type) + position.
    x = g.op("Add", g.op("Add", x, tt), pos)
    x = g.layer_norm(x, w, "embeddings.LayerNorm", eps)

    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    mask = g.op("Mul", g.op("Sub", g.const(1.0, np.float32), mask), g.const(np.finfo(np.float32).min, np.float32))
    mask_bias = g.op("Unsqueeze", mask, g.const([1, 2]))

    split_shape = g.const([0, 0, heads, hidden // heads])
    merge_shape = g.const([0, 0, hidden])
    scale = g.const(np.sqrt(hidden // heads), np.float32)
    for i in range(w.num_layers):
        p = f"encoder.layer.{i}."
        # [batch, heads, seq, head_dim]; keys transposed to [batch, heads, head_dim, seq].
        q, k, v = (
            g.op("Transpose", g.op("Reshape", g.dense(x, w, p + "attention.self." + name), split_shape), perm=perm)
            for name, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3]))
        )
        scores = g.op("Add", g.op("Div", g.op("MatMul", q, k), scale), mask_bias)
        ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        ctx = g.op("Reshape", g.op("Transpose", ctx, perm=[0, 2, 1, 3]), merge_shape)
        attn = g.op("Add", g.dense(ctx, w, p + "attention.output.dense"), x)
        x = g.layer_norm(attn, w, p + "attention.output.LayerNorm", eps)
        h = g.dense(x, w, p + "intermediate.dense")
        # Exact GELU, as BERT's "gelu": 0.5 * h * (1 + erf(h / sqrt 2)).
        gate = g.op("Add", g.op("Erf", g.op("Div", h, g.const(np.sqrt(2.0), np.float32))), g.const(1.0, np.float32))
        h = g.op("Mul", g.op("Mul", h, g.const(0.5, np.float32)), gate)
        out = g.op("Add", g.dense(h, w, p + "output.dense"), x)
        x = g.layer_norm(out, w, p + "output.LayerNorm", eps)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))

    ints = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
            for n in ("input_ids", "attention_mask", "token_type_ids")]
    out_info = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])
    graph = helper.make_graph(g.nodes, "bert_encoder", ints, [out_info], initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)],
                              producer_name="chromadb-embedding-functions")
    model.ir_version = _IR_VERSION
    # No onnx.checker here: it costs 0.3 s and a copy of the weights, and onnxruntime
    # validates the graph when loading it (the tests run the checker).
    data: bytes = model.SerializeToString()
    return data


class _GraphBuilder:
    """Collects nodes and initializers, naming every intermediate value uniquely."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper = helper
        self.numpy_helper = numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def init(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def const(self, value: Any, dtype: Any = np.int64) -> str:
        return self.init(self._name("const"), np.asarray(value, dtype=dtype))

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        out = self._name(op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def dense(self, x: str, w: BertWeights, prefix: str) -> str:
        # Pre-transposed weight so the graph is a plain MatMul + bias.
        weight = self.init(prefix + ".weight_t", w[prefix + ".weight"].T)
        return self.op("Add", self.op("MatMul", x, weight), self.init(prefix + ".bias", w[prefix + ".bias"]))

    def layer_norm(self, x: str, w: BertWeights, prefix: str, eps: float) -> str:
        gamma = self.init(prefix + ".weight", w[prefix + ".weight"])
        beta = self.init(prefix + ".bias", w[prefix + ".bias"])
        return self.op("LayerNormalization", x, gamma, beta, axis=-1, epsilon=eps)
