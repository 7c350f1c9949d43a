"""The official Python client (real chromadb 1.5.9) creates collections with a Schema on
our server and, from the schema we echo, computes BM25 sparse vectors by itself on add.

Needs a Python with the real `chromadb==1.5.9` and `snowballstemmer` installed (the
client rebuilds `chroma_bm25` from the echoed schema with it): its path in
`CHROMA_REAL_PYTHON`. Skipped when that is not set.
"""
from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

import chromadb
from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

REAL_PYTHON = os.environ.get("CHROMA_REAL_PYTHON")

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import chromadb
    from chromadb import K, Schema
    from chromadb.api.types import SparseVectorIndexConfig, StringInvertedIndexConfig, VectorIndexConfig
    from chromadb.errors import InvalidArgumentError
    from chromadb.utils.embedding_functions import ChromaBm25EmbeddingFunction

    client = chromadb.HttpClient(host=sys.argv[1], port=int(sys.argv[2]))
    schema = (Schema()
              .create_index(VectorIndexConfig(space="cosine"))
              .delete_index(StringInvertedIndexConfig(), key="cat")
              .create_index(SparseVectorIndexConfig(source_key=K.DOCUMENT, embedding_function=ChromaBm25EmbeddingFunction(), bm25=True), key="bm25"))
    col = client.create_collection(sys.argv[3], schema=schema)
    col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=json.loads(sys.argv[4]),
            metadatas=[{"cat": "x"}, {"cat": "y"}])
    try:
        col.get(where={"cat": "x"})
        refused = None
    except InvalidArgumentError as e:
        refused = str(e)
    print(json.dumps({"space": col.configuration_json["hnsw"]["space"], "refused": refused,
                      "targets": sorted(col._get_sparse_embedding_targets())}))
    """
)


@pytest.mark.skipif(REAL_PYTHON is None, reason="CHROMA_REAL_PYTHON (a Python with real chromadb 1.5.9) is not set")
def test_the_official_client_embeds_bm25_from_our_echoed_schema(http_server) -> None:
    docs = ["The quick brown fox jumps over the lazy dog", "Running quickly, the runner ran faster"]
    name = "official-bm25"
    out = subprocess.run(
        [REAL_PYTHON, "-c", SCRIPT, http_server.host, str(http_server.port), name, json.dumps(docs)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {
        "space": "cosine",
        "refused": "Cannot filter using metadata key 'cat' with type 'Str' because indexing is disabled",
        "targets": ["bm25"],
    }
    ours = chromadb.HttpClient(host=http_server.host, port=http_server.port)
    got = ours.get_collection(name, embedding_function=None).get(ids=["a", "b"], include=["metadatas"])
    expected = [v.to_dict() for v in ChromaBm25EmbeddingFunction()(docs)]
    stored = [m["bm25"] for m in got["metadatas"]]
    assert [s.to_dict() if hasattr(s, "to_dict") else s for s in stored] == expected
    ours.delete_collection(name)
