"""Hybrid search step (issue 17): BM25 keyword search and dense + BM25 RRF at N documents of
the shared workload, on our engine in-process, with LanceDB's hybrid search as the peer.

    .venv/bin/python bench/hybrid.py                 # N = 100,000, 200 queries, LanceDB if installed
    .venv/bin/python bench/hybrid.py --n 20000 --no-peer

Measured on ours (public API only):
* `add_bm25`: documents/s of `add` in batches of 1,000 with embeddings, documents, the
  workload's metadata and each document's BM25 vector (computed by the client's
  `ChromaBm25EmbeddingFunction`, in the loop: by the client itself when the collection's
  schema makes it auto-embed, else by this script);
* `bm25_knn`: p50/p95 of `Search().rank(Knn(query=bm25("w1 w2"), key="bm25", limit=10))`;
* `rrf`: p50/p95 of `Rrf([Knn(dense, limit=100, default=1000), Knn(bm25, key="bm25",
  limit=100, default=1000)])`, top 10;
each with recall@10 against the same ranking computed exactly here with numpy (dense:
brute-force squared L2; sparse: `1 - dot`, with BM25 IDF when the collection applies it;
ties in insertion order; a returned record counts when its exact score is within the
exact top 10's).

The peer (bench/hybrid_lancedb.py, run in bench/.venvs/lancedb, created with
`python3 -m venv bench/.venvs/lancedb && bench/.venvs/lancedb/bin/pip install lancedb`)
runs LanceDB's full-text search and its hybrid search (vector + FTS, RRF reranker) on
the same documents, vectors and query texts. Its BM25 is its own (tokenizer, stemming,
IDF), so only its speed is comparable: recall is not computed for it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workload  # noqa: E402  (bench/ is not a package)

BATCH = 1000
K = 10
DENSE_LIMIT = SPARSE_LIMIT = 100
DEFAULT_RANK = 1000
RRF_K = 60
PEER_PYTHON = os.path.join(HERE, ".venvs", "lancedb", "bin", "python")


def query_texts(docs: list[str], count: int, seed: int = 17) -> list[str]:
    """Two distinct words of a random document per query: every query has matches."""
    rng = np.random.default_rng(seed)
    texts = []
    for i in rng.integers(0, len(docs), size=count):
        words = sorted(set(docs[int(i)].split()))
        picked = rng.choice(len(words), size=min(2, len(words)), replace=False)
        texts.append(" ".join(words[j] for j in sorted(picked)))
    return texts


class ExactSparse:
    """The BM25 vectors of every document as CSR postings: exact `1 - dot` rankings."""

    def __init__(self, vectors: list) -> None:
        lengths = np.array([len(v.indices) for v in vectors])
        terms = np.concatenate([np.asarray(v.indices, np.int64) for v in vectors])
        vals = np.concatenate([np.asarray(v.values, np.float64) for v in vectors])
        rows = np.repeat(np.arange(len(vectors)), lengths)
        order = np.argsort(terms, kind="stable")
        self.terms, first = np.unique(terms[order], return_index=True)
        self.starts = np.append(first, len(terms))
        self.rows, self.vals = rows[order], vals[order]
        self.n = len(vectors)

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        i = np.searchsorted(self.terms, term)
        if i == len(self.terms) or self.terms[i] != term:
            return np.zeros(0, np.int64), np.zeros(0)
        return self.rows[self.starts[i] : self.starts[i + 1]], self.vals[self.starts[i] : self.starts[i + 1]]

    def scores(self, query, idf: bool) -> tuple[np.ndarray, np.ndarray]:
        """(1 - dot per document, shares a term)."""
        dots, shares = np.zeros(self.n), np.zeros(self.n, bool)
        for t, q in zip(query.indices, query.values):
            rows, vals = self.postings(t)
            w = q * np.log1p((self.n - len(rows) + 0.5) / (len(rows) + 0.5)) if idf else q
            dots[rows] += w * vals
            shares[rows] = True
        return 1 - dots, shares


def ranked(scores: np.ndarray, allowed: np.ndarray, limit: int) -> np.ndarray:
    rows = np.flatnonzero(allowed)
    return rows[np.lexsort((rows, scores[rows]))][:limit]


def recall(found: list[int], exact_scores: np.ndarray, exact_top: np.ndarray) -> float:
    """Share of the exact top k that the answer matches, ties at the cut counted as hits."""
    if len(exact_top) == 0:
        return 1.0
    cut = exact_scores[exact_top[-1]] + 1e-5
    hits = sum(1 for r in found[: len(exact_top)] if exact_scores[r] <= cut)
    return min(hits, len(exact_top)) / len(exact_top)


def rrf_exact(dense_d: np.ndarray, sparse_s: np.ndarray, shares: np.ndarray) -> np.ndarray:
    everyone = np.ones(len(dense_d), bool)
    dense_rank = np.full(len(dense_d), float(DEFAULT_RANK))
    dense_rank[ranked(dense_d, everyone, DENSE_LIMIT)] = np.arange(min(DENSE_LIMIT, len(dense_d)))
    sparse_rank = np.full(len(dense_d), float(DEFAULT_RANK))
    top_sparse = ranked(sparse_s, shares, SPARSE_LIMIT)
    sparse_rank[top_sparse] = np.arange(len(top_sparse))
    score = -(1.0 / (RRF_K + dense_rank) + 1.0 / (RRF_K + sparse_rank))
    in_any = (dense_rank < DEFAULT_RANK) | (sparse_rank < DEFAULT_RANK)
    return np.where(in_any, score, np.inf)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def run_ours(wl, texts: list[str], path: str) -> dict:
    import chromadb
    from chromadb import K as Key
    from chromadb import Schema, SparseVectorIndexConfig
    from chromadb.execution.expression import Knn, Rrf, Search
    from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

    bm25 = ChromaBm25EmbeddingFunction()
    client = chromadb.PersistentClient(path=path)
    schema = Schema().create_index(
        SparseVectorIndexConfig(embedding_function=bm25, source_key=Key.DOCUMENT, bm25=True), key="bm25"
    )
    col = client.create_collection("hybrid", schema=schema, embedding_function=None)
    echoed = getattr(col, "schema", None)
    echoed_keys = getattr(echoed, "keys", None) or {}
    auto_embeds = "bm25" in echoed_keys  # the client fills the key from the document itself
    ids, metas = wl.ids, wl.metadatas()
    t0 = time.perf_counter()
    for lo in range(0, wl.n, BATCH):
        hi = min(lo + BATCH, wl.n)
        batch_metas = metas[lo:hi]
        if not auto_embeds:
            batch_metas = [{**m, "bm25": v} for m, v in zip(batch_metas, bm25(wl.docs[lo:hi]))]
        col.add(ids=ids[lo:hi], embeddings=wl.X[lo:hi], documents=wl.docs[lo:hi], metadatas=batch_metas)
    add_s = time.perf_counter() - t0
    col._wait_for_index()
    drained_s = time.perf_counter() - t0

    idf = False
    if auto_embeds or echoed_keys:
        entry = echoed_keys.get("bm25")
        config = getattr(getattr(entry, "sparse_vector", None), "sparse_vector_index", None)
        idf = bool(getattr(getattr(config, "config", None), "bm25", False))
    exact = ExactSparse(bm25(wl.docs))
    queries = [bm25.embed_query([t])[0] for t in texts]
    x64 = wl.X.astype(np.float64)
    norms = (x64**2).sum(1)

    col.search(Search().rank(Knn(query=queries[0], key="bm25", limit=K)).limit(K))  # builds the sparse index
    out: dict = {"add_bm25": {"docs_per_s": wl.n / add_s, "drained_docs_per_s": wl.n / drained_s, "client_auto_embeds": auto_embeds}}
    lat, rec = [], []
    for q in queries:
        t = time.perf_counter()
        found = col.search(Search().rank(Knn(query=q, key="bm25", limit=K)).limit(K))["ids"][0]
        lat.append(time.perf_counter() - t)
        scores, shares = exact.scores(q, idf)
        rec.append(recall([int(i[2:]) for i in found], scores, ranked(scores, shares, K)))
    out["bm25_knn"] = {"p50_ms": pct(lat, 50) * 1e3, "p95_ms": pct(lat, 95) * 1e3, "recall@10": float(np.mean(rec)), "idf": idf}
    lat, rec = [], []
    for q, dense_q in zip(queries, wl.Q):
        rank = Rrf(
            [
                Knn(query=dense_q.tolist(), return_rank=True, limit=DENSE_LIMIT, default=DEFAULT_RANK),
                Knn(query=q, key="bm25", return_rank=True, limit=SPARSE_LIMIT, default=DEFAULT_RANK),
            ],
            k=RRF_K,
        )
        t = time.perf_counter()
        found = col.search(Search().rank(rank).limit(K))["ids"][0]
        lat.append(time.perf_counter() - t)
        d = norms - 2 * x64 @ dense_q.astype(np.float64) + float((dense_q.astype(np.float64) ** 2).sum())
        scores, shares = exact.scores(q, idf)
        fused = rrf_exact(d, scores, shares)
        rec.append(recall([int(i[2:]) for i in found], fused, ranked(fused, np.isfinite(fused), K)))
    out["rrf"] = {"p50_ms": pct(lat, 50) * 1e3, "p95_ms": pct(lat, 95) * 1e3, "recall@10": float(np.mean(rec))}
    client.close()
    return out


def run_peer(n: int, texts: list[str], path: str) -> dict:
    if not os.path.exists(PEER_PYTHON):
        return {"skipped": "bench/.venvs/lancedb not installed (pip install lancedb)"}
    texts_file = os.path.join(path, "texts.json")
    with open(texts_file, "w") as f:
        json.dump(texts, f)
    result = subprocess.run(
        [PEER_PYTHON, os.path.join(HERE, "hybrid_lancedb.py"), "--n", str(n), "--texts", texts_file, "--path", path],
        capture_output=True, text=True, timeout=3600,
    )
    if result.returncode != 0:
        return {"error": result.stderr[-800:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


GOALS = {"bm25_p50": 5.0, "rrf_p50": 8.0, "recall": 0.99, "add": 3000.0}
RESULTS = os.path.join(HERE, "RESULTS-hybrid.md")


def results_markdown(report: dict, commit: str) -> str:
    """The report as bench/RESULTS-hybrid.md: one table, ours against the goals and the peer."""
    ours, peer = report["ours"], report.get("lancedb") or {}

    def num(v: float | None, digits: int = 2) -> str:
        return "n/a" if v is None else f"{v:,.{digits}f}"

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    bm, rrf, add = ours["bm25_knn"], ours["rrf"], ours["add_bm25"]
    peer_note = peer.get("skipped") or peer.get("error")
    rows = [
        ("add with BM25 vectors (docs/s, until the last add returns)", num(add["docs_per_s"], 0), ">= 3,000", verdict(add["docs_per_s"] >= GOALS["add"]),
         num((peer.get("add") or {}).get("with_fts_index_docs_per_s"), 0) + " (rows + FTS index; "
         + num((peer.get("add") or {}).get("with_vector_index_docs_per_s"), 0) + " with its IVF_PQ vector index too)"),
        ("BM25 Knn p50 (ms)", num(bm["p50_ms"]), "<= 5", verdict(bm["p50_ms"] <= GOALS["bm25_p50"]), num((peer.get("fts") or {}).get("p50_ms")) + " (FTS)"),
        ("BM25 Knn p95 (ms)", num(bm["p95_ms"]), "", "", num((peer.get("fts") or {}).get("p95_ms"))),
        ("BM25 Knn recall@10 vs exact", num(bm["recall@10"], 4), ">= 0.99", verdict(bm["recall@10"] >= GOALS["recall"]), "n/a"),
        ("dense + BM25 Rrf p50 (ms)", num(rrf["p50_ms"]), "<= 8", verdict(rrf["p50_ms"] <= GOALS["rrf_p50"]), num((peer.get("hybrid_rrf") or {}).get("p50_ms")) + " (hybrid, RRF)"),
        ("dense + BM25 Rrf p95 (ms)", num(rrf["p95_ms"]), "", "", num((peer.get("hybrid_rrf") or {}).get("p95_ms"))),
        ("Rrf recall@10 vs exact", num(rrf["recall@10"], 4), ">= 0.99", verdict(rrf["recall@10"] >= GOALS["recall"]), "n/a"),
    ]
    lines = [
        f"# Hybrid search step ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Command: `.venv/bin/python bench/hybrid.py --n {report['n']} --queries {report['queries']} --write-results`  ",
        (f"Repo commit {commit}; load average (1/5/15 min) before {[round(x, 2) for x in report['loadavg_before']]}, "
        f"after {[round(x, 2) for x in report['loadavg_after']]}  "),
        (f"N = {report['n']:,} documents x 384 of the shared workload, in-process (PersistentClient); "
        f"BM25 IDF applied: {bm['idf']}; the client auto-embeds BM25: {add['client_auto_embeds']}  "),
        f"Peer: LanceDB {peer.get('version', 'n/a')}" + (f" ({peer_note.strip()[:200]})" if peer_note else "") + "; its BM25 "
        "scoring is its own, so only its speed compares",
        "",
        "| metric | us | goal | goal met | LanceDB |",
        "|---|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows],
        "",
        "## Raw results",
        "",
        "```json",
        json.dumps(report, indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--write-results", action="store_true", help="write bench/RESULTS-hybrid.md")
    ap.add_argument("--render", help="write bench/RESULTS-hybrid.md from a saved --json report, run nothing")
    a = ap.parse_args(argv)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True).stdout.strip()
    if a.render:
        with open(a.render) as f:
            report = json.load(f)
        with open(RESULTS, "w") as f:
            f.write(results_markdown(report, report.get("commit", commit)))
        return
    wl = workload.load(a.n, 384, 1000)
    texts = query_texts(wl.docs, a.queries)
    wl.Q = wl.Q[: a.queries]
    report: dict = {"n": a.n, "queries": a.queries, "commit": commit, "loadavg_before": os.getloadavg()}
    tmp = tempfile.mkdtemp(prefix="bench-hybrid-")
    try:
        report["ours"] = run_ours(wl, texts, os.path.join(tmp, "ours"))
        if not a.no_peer:
            os.makedirs(os.path.join(tmp, "lancedb"))
            report["lancedb"] = run_peer(a.n, texts, os.path.join(tmp, "lancedb"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["loadavg_after"] = os.getloadavg()
    text = json.dumps(report, indent=1)
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text)
    print(f"mean 1-minute load over the run: {statistics.mean([report['loadavg_before'][0], report['loadavg_after'][0]]):.1f}")
    if a.write_results:
        with open(RESULTS, "w") as f:
            f.write(results_markdown(report, commit))


if __name__ == "__main__":
    main()
