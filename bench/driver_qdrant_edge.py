#!/usr/bin/env python
"""The benchmark driver for Qdrant Edge (``qdrant-edge-py``), the embedded peer of issue 6.

Same workload, same steps, same JSON as ``driver.py``, mapped onto Qdrant Edge's API:

* one ``EdgeShard`` per collection, integer point ids (``id{i}`` -> ``i``), payload
  ``{category, year, score, flag, document}``;
* HNSW M=16, ef_construct=100, search ef=100, euclidean distance;
* payload indexes (category keyword, year integer, score float, flag bool) created before
  ingest; ``where_document $contains`` is ``MatchSubstring`` on the (unindexed) document;
* writes in batches of 1,000 (``upsert_points``; ``update`` is an update-only upsert of
  the full point, as Qdrant has no per-point payload merge in one call);
* "drain" is ``EdgeShard.optimize()`` (it builds the HNSW segments), run in a thread
  while one query pass measures the backlog, like the drain hook of ``driver.py``;
* single queries go through ``driver.Driver._single_queries`` on a Chroma-shaped view of
  the shard (``ChromaShapedView``), so ``--timeline`` (per-query timeline, GCs, other
  threads' CPU) and the latency keys are those of ``driver.py``; ``--steps``,
  ``--filters`` and ``--lean`` (the 1M mode's options) are ``driver.py``'s too.

Run it with the python of a venv that has ``qdrant-edge-py`` and numpy.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import driver as D  # noqa: E402  (stdlib-only at import time)

BATCH = D.BATCH


def qe():
    import qdrant_edge
    return qdrant_edge


def to_filter(where, where_document):
    """Translate the (small) subset of Chroma's filter grammar used by the workload."""
    q = qe()
    conds = []

    def clause(k, v):
        if isinstance(v, dict):
            ((op, x),) = v.items()
            if op == "$eq":
                return [q.FieldCondition(k, match=q.MatchValue(x))]
            rng = {"$gte": "gte", "$gt": "gt", "$lte": "lte", "$lt": "lt"}[op]
            return [q.FieldCondition(k, range=q.RangeFloat(**{rng: float(x)}))]
        return [q.FieldCondition(k, match=q.MatchValue(v))]

    def walk(w):
        if "$and" in w:
            for sub in w["$and"]:
                walk(sub)
            return
        for k, v in w.items():
            conds.extend(clause(k, v))

    if where:
        walk(where)
    if where_document:
        ((op, word),) = where_document.items()
        if op != "$contains":
            raise ValueError(f"unsupported where_document {op}")
        conds.append(q.FieldCondition("document", match=q.MatchSubstring(word)))
    return q.Filter(must=conds) if conds else None


class ChromaShapedView:
    """A shard seen through the one call ``driver.Driver._single_queries`` makes --
    ``query(query_embeddings=[v], n_results=k, where=..., where_document=...)`` answering
    ``{"ids": [["id<i>", ...]]}`` -- so the base class's query loop measures Qdrant
    exactly as it measures the others."""

    def __init__(self, q, shard):
        self.q, self.shard = q, shard
        self._key, self._filter = None, None

    def filter_for(self, where, where_document):
        # the query loop passes the same filter objects every time: translate them once
        if self._key is None or self._key[0] is not where or self._key[1] is not where_document:
            self._key, self._filter = (where, where_document), to_filter(where, where_document)
        return self._filter

    def query(self, query_embeddings, n_results, where=None, where_document=None):
        q = self.q
        req = q.QueryRequest(limit=n_results, query=q.Query.Nearest(query_embeddings[0].tolist()),
                             with_payload=True, filter=self.filter_for(where, where_document),
                             params=q.SearchParams(hnsw_ef=100))
        return {"ids": [[f"id{p.id}" for p in self.shard.query(req)]]}


class QdrantEdgeDriver(D.Driver):
    def connect(self):
        t0 = D.now()
        q = qe()
        t_imp = D.now() - t0
        from importlib import metadata

        import numpy
        self.res["impl"] = {"chromadb_version": None, "python": platform.python_version(),
                            "numpy": numpy.__version__,
                            "distributions": {"qdrant-edge-py": metadata.version("qdrant-edge-py")}}
        self.q = q
        os.makedirs(self.a.path, exist_ok=True)
        self.shards = {}
        return {"import_s": t_imp, "client_s": 0.0}

    def config(self):
        q = self.q
        return q.EdgeConfig(
            vectors=q.EdgeVectorParams(size=self.X.shape[1], distance=q.Distance.Euclid),
            hnsw_config=q.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10000),
        )

    def create(self, name):
        q = self.q
        path = os.path.join(self.a.path, name)
        shutil.rmtree(path, ignore_errors=True)
        shard = q.EdgeShard.create(path, self.config())
        for field, schema in (("category", q.PayloadSchemaType.Keyword),
                              ("year", q.PayloadSchemaType.Integer),
                              ("score", q.PayloadSchemaType.Float),
                              ("flag", q.PayloadSchemaType.Bool)):
            shard.update(q.UpdateOperation.create_field_index(field, schema))
        self.shards[name] = shard
        return shard

    def _points(self, rows, ids=None, with_payload=True, vec_rows=None, payload_rows=None):
        q = self.q
        vec_rows = rows if vec_rows is None else vec_rows
        payload_rows = rows if payload_rows is None else payload_rows
        ids = [int(r) for r in rows] if ids is None else ids
        vecs = self.X[vec_rows].tolist()
        if not with_payload:
            return [q.Point(i, v) for i, v in zip(ids, vecs)]
        out = []
        for i, v, pr, meta in zip(ids, vecs, payload_rows, self._metadatas(payload_rows)):
            p = dict(meta)
            p["document"] = self.docs[int(pr)]
            out.append(q.Point(i, v, p))
        return out

    def _metadatas(self, rows):
        """Metadata of `rows`: one slice when they are consecutive (every batch of the add),
        which the lean harness makes in one go instead of row by row."""
        import numpy as np
        rows = np.asarray(rows)
        if len(rows) and bool((np.diff(rows) == 1).all()):
            return self.metas[int(rows[0]):int(rows[-1]) + 1]
        return [self.metas[int(r)] for r in rows]

    def _add(self, shard, with_docs):
        import numpy as np
        n = self.a.n
        t0 = D.now()
        for s in range(0, n, BATCH):
            rows = np.arange(s, min(n, s + BATCH))
            shard.update(self.q.UpdateOperation.upsert_points(self._points(rows, with_payload=with_docs)))
        return t0, D.now() - t0

    def _count(self, shard):
        return shard.count(self.q.CountRequest(exact=True))

    def _add_and_drain(self, name, with_docs, backlog_pass):
        import threading
        shard = self.create(name)
        t0, dt = self._add(shard, with_docs)
        out = {"items_per_s": self.a.n / dt, "seconds": dt, "drain_hook": "EdgeShard.optimize"}
        box = {}

        def run():
            try:
                shard.optimize()
                box["t"] = D.now()
            except Exception as e:
                box["err"] = f"{type(e).__name__}: {e}"
        th = threading.Thread(target=run, daemon=True)
        th.start()
        if backlog_pass and self.a.backlog_queries > 0:
            try:
                out["backlog"] = self._single_queries(shard, min(self.a.backlog_queries, self.nq),
                                                      None, None, self.wl.gt["l2"])
            except Exception as e:
                out["backlog"] = {"error": f"{type(e).__name__}: {e}"}
        th.join()
        if "t" in box:
            out["drain_s"] = box["t"] - t0 - dt
            out["drained_items_per_s"] = self.a.n / (box["t"] - t0)
        else:
            out["drain_error"] = box.get("err")
        if with_docs:
            self.coll = shard
        out["count"] = self._count(shard)
        if out["count"] != self.a.n:
            out["warning"] = f"count {out['count']} != {self.a.n}"
        info = shard.info()
        out["segments"] = info.segments_count
        out["indexed_vectors"] = info.indexed_vectors_count
        return out

    def _req(self, i, flt):
        q = self.q
        return q.QueryRequest(limit=10, query=q.Query.Nearest(self.Q[i].tolist()), with_payload=True,
                              filter=flt, params=q.SearchParams(hnsw_ef=100))

    def _single_queries(self, shard, nq, where, where_document, gt, timeline=False):
        return super()._single_queries(ChromaShapedView(self.q, shard), nq, where, where_document, gt,
                                       timeline=timeline)

    def batch(self):
        q = self.q
        B = 100
        found, lat = [], []
        t_all = D.now()
        for s in range(0, self.nq, B):
            t0 = D.now()
            reqs = [self._req(i, None) for i in range(s, min(self.nq, s + B))]
            r = self.coll.query_batch(q.QueryBatchRequest(reqs))
            lat.append(D.now() - t0)
            found.extend([p.id for p in x] for x in r)
        tot = D.now() - t_all
        return {"qps": len(found) / tot, "per_call_ms": D.pct(lat, 50) * 1000.0,
                "recall": self.recall(found, self.wl.gt["l2"][:len(found)], 10), "n_queries": len(found)}

    def get_ids(self):
        import numpy as np
        rng = np.random.default_rng(7)
        lat, lat_emb, bad = [], [], 0
        for with_vec, acc in ((False, lat), (True, lat_emb)):
            for _ in range(self.a.get_reps):
                ids = [int(i) for i in rng.choice(self.a.n, size=min(1000, self.a.n), replace=False)]
                t0 = D.now()
                r = self.coll.retrieve(ids, with_payload=not with_vec, with_vector=with_vec)
                acc.append((D.now() - t0) * 1000.0)
                bad += len(r) != len(ids)
        out = {"ms": D.pct(lat, 50), "ms_embeddings": D.pct(lat_emb, 50), "reps": len(lat)}
        if bad:
            out["warning"] = f"{bad} calls returned a wrong number of records"
        return out

    def get_where(self):
        q = self.q
        flt = to_filter({"category": "c3"}, None)
        lat, got = [], None
        for _ in range(max(1, self.a.get_reps // 2)):
            t0 = D.now()
            recs, off = [], None
            while True:
                page, off = self.coll.scroll(q.ScrollRequest(offset=off, limit=self.a.n, filter=flt,
                                                             with_payload=True, with_vector=False))
                recs.extend(page)
                if off is None:
                    break
            lat.append((D.now() - t0) * 1000.0)
            got = len(recs)
        want = int(self.wl.masks["cat10"].sum())
        out = {"ms": D.pct(lat, 50), "records": got, "reps": len(lat)}
        if got != want:
            out["warning"] = f"returned {got} records, expected {want}"
        return out

    def disk(self):
        self.coll.flush()
        return {"mb": D.du_bytes(os.path.join(self.a.path, D.COLL_DOCS)) / 1e6}

    def _timed(self, ops):
        t0 = D.now()
        n = 0
        for op, k in ops:
            self.coll.update(op)
            n += k
        dt = D.now() - t0
        return {"items_per_s": n / dt, "seconds": dt}

    def update(self):
        import numpy as np
        q = self.q
        m = min(10_000, self.a.n // 2)

        def ops():
            for s in range(0, m, BATCH):
                rows = np.arange(s, min(m, s + BATCH))
                pts = self._points(rows, vec_rows=(rows + self.a.n // 2) % self.a.n)
                yield q.UpdateOperation.upsert_points(pts, update_mode=q.UpdateMode.UpdateOnly), len(rows)
        return self._timed(ops())

    def upsert(self):
        import numpy as np
        q = self.q
        m = min(10_000, self.a.n // 2)
        half = m // 2
        ids = list(range(self.a.n - half, self.a.n + (m - half)))
        src = np.arange(m) + m

        def ops():
            for s in range(0, m, BATCH):
                pts = self._points(src[s:s + BATCH], ids=ids[s:s + BATCH])
                yield q.UpdateOperation.upsert_points(pts), len(pts)
        out = self._timed(ops())
        out["count_after"] = self._count(self.coll)
        self._upsert_ids = ids
        return out

    def delete(self):
        q = self.q
        ids = self._upsert_ids
        out = self._timed((q.UpdateOperation.delete_points(ids[s:s + BATCH]), len(ids[s:s + BATCH]))
                          for s in range(0, len(ids), BATCH))
        out["count_after"] = self._count(self.coll)
        return out

    def add_vec(self):
        out = self._add_and_drain(D.COLL_VEC, False, False)
        shard = self.shards.pop(D.COLL_VEC)
        shard.close()
        shutil.rmtree(os.path.join(self.a.path, D.COLL_VEC), ignore_errors=True)
        return out

    def run(self):
        super().run()
        try:
            self.coll.flush()
            self.coll.close()
        except Exception:
            pass


def cmd_fresh(a):
    t0 = D.now()
    import qdrant_edge as q
    t_import = D.now() - t0
    import numpy as np
    import workload
    key = f"N{a.n}_D384_Q1000_s{workload.SEED}"
    z = np.load(os.path.join(workload.DATA_ROOT, key, "data.npz"))
    qv = z["Q"][a.query_index].tolist()
    t1 = D.now()
    shard = q.EdgeShard.load(os.path.join(a.path, D.COLL_DOCS))
    t_open = D.now() - t1
    t2 = D.now()
    r = shard.query(q.QueryRequest(limit=10, query=q.Query.Nearest(qv), with_payload=True,
                                   params=q.SearchParams(hnsw_ef=100)))
    t_query = D.now() - t2
    print(json.dumps({"import_s": t_import, "open_s": t_open, "first_query_s": t_query,
                      "open_query_s": t_open + t_query, "total_s": t_import + t_open + t_query,
                      "first_query_results": len(r), "peak_rss_mb": D.self_hwm_mb()}))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--mode", choices=["inproc"], default="inproc")
    r.add_argument("--n", type=int, default=20_000)
    r.add_argument("--path", required=True)
    r.add_argument("--persist-dir", default=None)
    r.add_argument("--queries", type=int, default=1000)
    r.add_argument("--filtered-queries", type=int, default=100)
    r.add_argument("--backlog-queries", type=int, default=200)
    r.add_argument("--get-reps", type=int, default=10)
    r.add_argument("--step-budget", type=float, default=120.0)
    r.add_argument("--out")
    D.add_selection_options(r)  # the 1M mode's options, as driver.py has them
    f = sub.add_parser("fresh")
    f.add_argument("--path", required=True)
    f.add_argument("--n", type=int, default=20_000)
    f.add_argument("--query-index", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "fresh":
        cmd_fresh(a)
        return
    a.server_pid = None
    d = QdrantEdgeDriver(a)
    d.run()
    if not a.out:
        print(json.dumps(d.res, indent=1, default=str))


if __name__ == "__main__":
    main()
