"""The usage guide's client code, run by an old official `chromadb-client` (0.5.x / 0.6.x)
in its own venv against our server (tests/test_old_clients.py).

    python usage_guide_client.py HOST PORT

It imports only the old client, embeds with a tiny deterministic function (no model
download), and prints one JSON line of what it saw, which the test compares.
"""
from __future__ import annotations

import json
import sys

import chromadb
from chromadb.api.configuration import CollectionConfiguration, HNSWConfiguration
from chromadb.config import Settings


class LetterEmbedding(chromadb.EmbeddingFunction):
    """Counts of a, e, i, o, u and other letters: 6 dimensions, no download."""

    def __init__(self) -> None:
        pass

    def __call__(self, input):  # the old clients check that the argument is named `input`
        out = []
        for text in input:
            letters = [c for c in text.lower() if c.isalpha()]
            out.append([float(sum(c == v for c in letters)) for v in "aeiou"] + [float(len(letters)) + 1.0])
        return out


def names(collections) -> list[str]:
    # 0.5.x lists Collection objects, 0.6.x their names
    return sorted(c if isinstance(c, str) else c.name for c in collections)


def main(host: str, port: int) -> dict:
    seen: dict = {"version": chromadb.__version__}
    client = chromadb.HttpClient(host=host, port=port, settings=Settings(allow_reset=True, anonymized_telemetry=False))
    seen["heartbeat"] = isinstance(client.heartbeat(), int)
    client.reset()

    # creating, inspecting and deleting collections
    ef = LetterEmbedding()
    collection = client.create_collection(name="my_collection", embedding_function=ef)
    collection = client.get_collection(name="my_collection", embedding_function=ef)
    same = client.get_or_create_collection(name="my_collection", embedding_function=ef)
    seen["same_id"] = same.id == collection.id
    try:
        client.create_collection(name="my_collection")
        seen["duplicate_refused"] = False
    except Exception as e:  # noqa: BLE001 - each old release raises its own class for it
        seen["duplicate_refused"] = "exists" in str(e)
    try:
        client.get_collection(name="no_such_collection")
        seen["missing_refused"] = False
    except Exception as e:  # noqa: BLE001
        seen["missing_refused"] = "not" in str(e).lower() and "exist" in str(e).lower()

    # the distance function, from metadata (the guide) and from a configuration (0.5/0.6 typed form)
    cosine = client.create_collection(name="collection_name", metadata={"hnsw:space": "cosine"}, embedding_function=ef)
    seen["cosine_config"] = cosine.configuration_json["hnsw_configuration"]["space"]
    ip = client.create_collection(
        name="ip_collection",
        configuration=CollectionConfiguration(HNSWConfiguration(space="ip", ef_search=50, M=24)),
        embedding_function=ef,
    )
    hnsw = client.get_collection("ip_collection", embedding_function=ef).configuration_json["hnsw_configuration"]
    seen["ip_config"] = [hnsw["space"], hnsw["ef_search"], hnsw["M"]]
    ip.add(ids=["x", "y"], embeddings=[[1.0, 0, 0, 0, 0, 0], [2.0, 0, 0, 0, 0, 0]])
    seen["ip_distances"] = [round(d, 4) for d in ip.query(query_embeddings=[[1.0, 0, 0, 0, 0, 0]], n_results=2)["distances"][0]]

    # adding data: embeddings given, and embeddings computed from documents
    collection.add(
        ids=["id1", "id2", "id3"],
        embeddings=[[1.1, 2.3, 3.2, 0, 0, 1], [4.5, 6.9, 4.4, 0, 0, 1], [1.1, 2.3, 3.2, 0, 0, 1]],
        documents=["doc1 about cats", "doc2 about dogs", "doc3 about birds"],
        metadatas=[{"chapter": "3", "verse": 16}, {"chapter": "3", "verse": 5}, {"chapter": "29", "verse": 11}],
    )
    collection.add(ids=["id4"], documents=["a sentence embedded by the function"], metadatas=[{"chapter": "4", "verse": 1}])
    seen["count"] = collection.count()
    seen["peek"] = collection.peek()["ids"]

    # querying
    result = collection.query(
        query_embeddings=[[1.1, 2.3, 3.2, 0, 0, 1]],
        n_results=2,
        where={"verse": {"$gte": 10}},
        where_document={"$contains": "about"},
        include=["documents", "metadatas", "distances"],
    )
    seen["query_ids"] = result["ids"]
    seen["query_documents"] = result["documents"]
    seen["query_distance0"] = round(result["distances"][0][0], 4)
    by_text = collection.query(query_texts=["a sentence embedded by the function"], n_results=1)
    seen["query_texts"] = by_text["ids"]
    got = collection.get(ids=["id2"], include=["embeddings", "metadatas", "documents"])
    seen["get_by_id"] = [got["ids"], [list(map(float, e)) for e in got["embeddings"]], got["metadatas"], got["documents"]]
    seen["get_where"] = sorted(collection.get(where={"chapter": "3"})["ids"])
    seen["get_where_document"] = collection.get(where_document={"$contains": "dogs"})["ids"]
    seen["get_or"] = sorted(collection.get(where={"$or": [{"chapter": "29"}, {"verse": 5}]})["ids"])
    seen["get_page"] = collection.get(limit=2, offset=1)["ids"]

    # updating and deleting
    collection.update(ids=["id1"], embeddings=[[9.0, 9, 9, 0, 0, 1]], metadatas=[{"chapter": "3", "verse": 17}], documents=["doc1 updated"])
    collection.upsert(ids=["id1", "id5"], embeddings=[[1.0, 1, 1, 0, 0, 1], [2.0, 2, 2, 0, 0, 1]], documents=["doc1 again", "doc5"])
    seen["after_upsert"] = collection.get(ids=["id1", "id5"], include=["documents", "metadatas"])
    collection.delete(ids=["id2"])
    collection.delete(where={"chapter": "29"})
    seen["after_delete"] = sorted(collection.get()["ids"])

    # collection methods
    collection.modify(name="renamed_collection", metadata={"topic": "guide"})
    renamed = client.get_collection("renamed_collection", embedding_function=ef)
    seen["renamed"] = [renamed.name, renamed.metadata, renamed.count()]
    seen["collections"] = names(client.list_collections())
    seen["count_collections"] = client.count_collections()
    client.delete_collection(name="renamed_collection")
    seen["after_delete_collection"] = names(client.list_collections())

    # another tenant and database: the routes of one collection name neither in v1
    admin = chromadb.AdminClient(
        Settings(chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=host, chroma_server_http_port=port)
    )
    admin.create_tenant("team_tenant")
    admin.create_database("team_db", tenant="team_tenant")
    team = chromadb.HttpClient(host=host, port=port, tenant="team_tenant", database="team_db")
    theirs = team.create_collection("my_collection", embedding_function=ef)
    theirs.add(ids=["t1"], embeddings=[[0.0, 0, 0, 0, 1, 1]])
    theirs.modify(metadata={"team": True})
    seen["other_tenant"] = [
        theirs.count(), team.get_collection("my_collection").metadata, names(team.list_collections()), client.count_collections()
    ]
    return seen


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main(sys.argv[1], int(sys.argv[2]))) + "\n")
