"""The Python snippets of the Chroma usage guide, run against a persistent directory.

    python examples/usage_guide.py DIR

Each snippet is the guide's code with concrete values in place of its `...`; raw text is
embedded with a small custom embedding function (`TinyEmbedding`) instead of the default
model. Every result is printed. The directory is reset first, so the script can be run
again and again.
"""
from __future__ import annotations

import sys
from pprint import pformat

import numpy as np

import chromadb
from chromadb.config import Settings
from chromadb.errors import ChromaError


class TinyEmbedding(chromadb.EmbeddingFunction):
    """Embeds text as a normalised 8-dimensional histogram of its characters."""

    def __call__(self, input):
        vectors = []
        for text in input:
            v = np.zeros(8, dtype=np.float32)
            for i, ch in enumerate(text):
                v[(ord(ch) * 31 + i) % 8] += 1.0
            v[0] += 0.25
            vectors.append(v / np.linalg.norm(v))
        return vectors


def show(title: str, value: object = None) -> None:
    print(f"\n## {title}")
    if value is not None:
        print(pformat(_plain(value), width=110, sort_dicts=False))


def _plain(value: object) -> object:
    """Results with numpy arrays made printable as short lists."""
    if isinstance(value, np.ndarray):
        return np.round(value.astype(float), 3).tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def main(path: str) -> None:
    emb_fn = TinyEmbedding()

    # -- Initiating a persistent Chroma client
    client = chromadb.PersistentClient(path=path, settings=Settings(allow_reset=True))
    show("client.heartbeat()", client.heartbeat())
    show("client.reset()", client.reset())

    # -- Creating, inspecting, and deleting collections
    collection = client.create_collection(name="my_collection", embedding_function=emb_fn)
    collection = client.get_collection(name="my_collection", embedding_function=emb_fn)
    show("create_collection / get_collection", collection)

    test = client.get_or_create_collection(name="test")
    test = client.get_collection(name="test")
    show("get_or_create_collection(name='test') then get_collection", test)

    # -- Adding data: raw documents
    collection.add(
        documents=["lorem ipsum...", "doc2", "doc3", "doc4"],
        metadatas=[{"chapter": "3", "verse": "16"}, {"chapter": "3", "verse": "5"}, {"chapter": "29", "verse": "11"}, {"chapter": "20", "verse": "1"}],
        ids=["id1", "id2", "id3", "id4"],
    )
    show("collection.peek()", collection.peek())
    show("collection.count()", collection.count())

    # -- Querying by text
    show(
        "collection.query(query_texts=...)",
        collection.query(
            query_texts=["doc10", "thus spake zarathustra"],
            n_results=2,
            where={"chapter": "3"},
            where_document={"$contains": "doc"},
        ),
    )
    show("collection.get(ids=..., where=...)", collection.get(ids=["id1", "id2", "id3"], where={"chapter": "3"}))
    show("collection.get(include=['documents'])", collection.get(include=["documents"]))

    # -- Updating, upserting, deleting
    collection.update(ids=["id1"], documents=["lorem ipsum, revised"], metadatas=[{"verse": "17"}])
    show("after update(id1)", collection.get(ids=["id1"]))
    collection.upsert(ids=["id4", "id5"], documents=["doc4 again", "doc5"], metadatas=[{"chapter": "20"}, {"chapter": "20"}])
    show("after upsert(id4, id5)", collection.get())
    collection.delete(ids=["id1", "id2", "id3", "id4"], where={"chapter": "20"})
    show("after delete(ids=[id1..id4], where={'chapter': '20'})", collection.get())

    collection.modify(name="new_name")
    show("collection.modify(name='new_name'); list_collections()", [c.name for c in client.list_collections()])
    client.delete_collection(name="new_name")
    show("delete_collection('new_name'); list_collections()", [c.name for c in client.list_collections()])

    # -- Changing the distance function
    collection = client.create_collection(
        name="collection_name",
        metadata={"hnsw:space": "cosine"},  # l2 is the default
    )
    show("create_collection(metadata={'hnsw:space': 'cosine'})", collection.metadata)

    # -- Adding documents with embeddings, and embeddings only
    collection.add(
        documents=["doc1", "doc2", "doc3"],
        embeddings=[[1.1, 2.3, 3.2], [4.5, 6.9, 4.4], [1.1, 2.3, 3.2]],
        metadatas=[{"chapter": "3", "verse": "16"}, {"chapter": "3", "verse": "5"}, {"chapter": "29", "verse": "11"}],
        ids=["id1", "id2", "id3"],
    )
    collection.add(
        embeddings=[[9.0, 1.0, 0.5], [0.2, 0.1, 8.0]],
        metadatas=[{"chapter": "20", "verse": "1"}, {"chapter": "20", "verse": "2"}],
        ids=["id4", "id5"],
    )
    try:
        collection.add(embeddings=[[1.0, 2.0]], ids=["wrong"])
    except (ValueError, ChromaError) as e:  # a dimension mismatch is refused
        show("add() with the wrong dimension", f"{type(e).__name__}: {e}")

    # -- Querying by embeddings (cosine distances)
    show(
        "collection.query(query_embeddings=...)",
        collection.query(
            query_embeddings=[[11.1, 12.1, 13.1], [1.1, 2.3, 3.2]],
            n_results=3,
        ),
    )
    show(
        "query(..., include=['documents'])",
        collection.query(query_embeddings=[[11.1, 12.1, 13.1], [1.1, 2.3, 3.2]], include=["documents"]),
    )

    # -- Where filters
    for where in [
        {"chapter": "3"},
        {"chapter": {"$eq": "3"}},
        {"chapter": {"$ne": "3"}},
        {"chapter": {"$in": ["3", "29"]}},
        {"chapter": {"$nin": ["3", "29"]}},
        {"$and": [{"chapter": {"$eq": "3"}}, {"verse": {"$eq": "16"}}]},
        {"$or": [{"chapter": {"$eq": "29"}}, {"verse": {"$eq": "2"}}]},
    ]:
        show(f"get(where={where})", collection.get(where=where)["ids"])

    numbers = client.create_collection(name="numbers")
    numbers.add(
        ids=["a", "b", "c", "d"],
        embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]],
        metadatas=[{"version": 1}, {"version": 2}, {"version": 3}, {"other": True}],
    )
    for where in [
        {"version": {"$gt": 1}},
        {"version": {"$gte": 2}},
        {"version": {"$lt": 3}},
        {"version": {"$lte": 1}},
        {"version": {"$ne": 1}},  # Chroma 1.5.9: also matches records without "version"
    ]:
        show(f"get(where={where})", numbers.get(where=where)["ids"])

    for where_document in [{"$contains": "doc"}, {"$not_contains": "doc1"}]:
        show(f"get(where_document={where_document})", collection.get(where_document=where_document)["ids"])

    # -- Update and upsert with embeddings
    collection.update(
        ids=["id1", "id2", "id3"],
        embeddings=[[1.1, 2.3, 3.2], [4.5, 6.9, 4.4], [1.1, 2.3, 3.2]],
        metadatas=[{"chapter": "3", "verse": "16"}, {"chapter": "3", "verse": "5"}, {"chapter": "29", "verse": "11"}],
        documents=["doc1", "doc2", "doc3"],
    )
    collection.upsert(
        ids=["id1", "id2", "id3", "id6"],
        embeddings=[[1.1, 2.3, 3.2], [4.5, 6.9, 4.4], [1.1, 2.3, 3.2], [3.0, 3.0, 3.0]],
        metadatas=[{"chapter": "3", "verse": "16"}, {"chapter": "3", "verse": "5"}, {"chapter": "29", "verse": "11"}, {"chapter": "1", "verse": "1"}],
        documents=["doc1", "doc2", "doc3", "doc6"],
    )
    show("after update + upsert", collection.get())

    # -- Deleting
    collection.delete(
        ids=["id1", "id2", "id3", "id4"],
        where={"chapter": "20"},
    )
    show("after delete(ids=..., where={'chapter': '20'})", collection.get()["ids"])
    show("collection.count()", collection.count())
    show("client.list_collections()", [c.name for c in client.list_collections()])
    client.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/usage_guide.py DIR")
    main(sys.argv[1])
