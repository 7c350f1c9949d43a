"""A pure-numpy BERT encoder forward pass: the fallback without onnxruntime, and
the test oracle for the ONNX graph. Same maths as the Hugging Face BertModel."""

from __future__ import annotations

import numpy as np

from chromadb.embedding_functions._bert_weights import BertWeights

__all__ = ["NumpyBert", "erf"]

# Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7; numpy has no erf of its own.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    t = 1.0 / (1.0 + _P * a)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    result: np.ndarray = np.sign(x) * (1.0 - poly * np.exp(-a * a))
    return result


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    result: np.ndarray = centred / np.sqrt(var + eps) * gamma + beta
    return result


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    result: np.ndarray = e / e.sum(-1, keepdims=True)
    return result


class NumpyBert:
    """Call with int64 [batch, seq] arrays; returns last_hidden_state float32 [batch, seq, hidden]."""

    def __init__(self, weights: BertWeights) -> None:
        self.w = weights

    def __call__(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray
    ) -> np.ndarray:
        w = self.w
        seq = input_ids.shape[1]
        x = w["embeddings.word_embeddings.weight"][input_ids]
        x = x + w["embeddings.token_type_embeddings.weight"][token_type_ids]
        x = x + w["embeddings.position_embeddings.weight"][:seq]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], w.layer_norm_eps)
        # Padding is masked by adding the most negative float32, as BertModel does.
        bias = (1.0 - attention_mask.astype(np.float32)) * np.finfo(np.float32).min
        bias = bias[:, None, None, :]
        for i in range(w.num_layers):
            x = self._layer(x, bias, f"encoder.layer.{i}.")
        return x.astype(np.float32, copy=False)

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        w = self.w
        b, s, hidden = x.shape
        heads = w.num_heads
        dh = hidden // heads

        def dense(h: np.ndarray, name: str) -> np.ndarray:
            # One 2-D GEMM: numpy runs a 3-D @ 2-D product as one BLAS call per batch
            # row, and multi-threaded OpenBLAS is very slow on those small calls.
            flat: np.ndarray = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
            return flat.reshape(*h.shape[:-1], -1)

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(b, s, heads, dh).transpose(0, 2, 1, 3)

        q = split(dense(x, "attention.self.query"))
        k = split(dense(x, "attention.self.key"))
        v = split(dense(x, "attention.self.value"))
        scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(dh)) + bias
        ctx = (_softmax(scores) @ v).transpose(0, 2, 1, 3).reshape(b, s, hidden)
        eps = w.layer_norm_eps
        x = _layer_norm(dense(ctx, "attention.output.dense") + x,
                        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
        h = dense(x, "intermediate.dense")
        h = h * np.float32(0.5) * (np.float32(1.0) + erf(h / np.float32(np.sqrt(2.0))).astype(np.float32))
        return _layer_norm(dense(h, "output.dense") + x,
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
