"""Collections: lifecycle, listing, names, metadata, distance spaces and HNSW configuration,
persisted embedding-function configuration, tenants and databases (spec sections 4, 5, 8.6,
8.10, 8.12)."""
from __future__ import annotations

import uuid

import numpy as np
import pytest

import chromadb
from chromadb.config import Settings
from chromadb.embedding_functions import EmbeddingFunction, register_embedding_function
from chromadb.errors import ChromaError, InvalidArgumentError, NotFoundError, UniqueConstraintError

BAD_INPUT = (ValueError, TypeError, InvalidArgumentError)


# -- two known (persistable) embedding functions, registered under names of their own -----------
@register_embedding_function
class CollTestKnownA(EmbeddingFunction):
    def __init__(self, dim: int = 4) -> None:
        self.dim = dim

    def __call__(self, input):
        return [np.arange(1, self.dim + 1, dtype=np.float32) * (len(t) + 1) for t in input]

    @staticmethod
    def name() -> str:
        return "coll_test_known_a"

    def get_config(self):
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config):
        return CollTestKnownA(config["dim"])


@register_embedding_function
class CollTestKnownB(CollTestKnownA):
    @staticmethod
    def name() -> str:
        return "coll_test_known_b"

    @staticmethod
    def build_from_config(config):
        return CollTestKnownB(config["dim"])


def admin_for(client) -> chromadb.api.client.AdminClient:
    """An AdminClient on the same data as `client` (same persist dir, or same server)."""
    return chromadb.AdminClient(client.get_settings())


def names(collections) -> list[str]:
    return [c.name for c in collections]


# -- lifecycle -------------------------------------------------------------------------------------
def test_create_get_delete(client):
    created = client.create_collection("lifecycle")
    assert isinstance(created.id, uuid.UUID)
    assert created.name == "lifecycle"
    assert created.metadata is None
    assert created.tenant == "default_tenant" and created.database == "default_database"
    got = client.get_collection("lifecycle")
    assert got.id == created.id and got.name == "lifecycle"
    assert got == created
    client.delete_collection("lifecycle")
    with pytest.raises(NotFoundError, match="lifecycle"):
        client.get_collection("lifecycle")
    with pytest.raises(NotFoundError):
        client.delete_collection("lifecycle")


def test_create_existing_name_fails(client):
    c = client.create_collection("dupe", metadata={"a": 1})
    c.add(ids=["x"], embeddings=[[1.0]])
    with pytest.raises(ChromaError, match="already exists") as info:
        client.create_collection("dupe", metadata={"a": 2})
    assert isinstance(info.value, (UniqueConstraintError, ChromaError))
    again = client.get_collection("dupe")
    assert again.metadata == {"a": 1} and again.count() == 1


def test_get_or_create_returns_existing_untouched(client):
    first = client.create_collection("goc", metadata={"hnsw:space": "cosine", "k": 1})
    first.add(ids=["a"], embeddings=[[1.0, 0.0]])
    again = client.get_or_create_collection("goc", metadata={"hnsw:space": "ip", "k": 2, "new": True})
    assert again.id == first.id
    assert again.metadata == {"hnsw:space": "cosine", "k": 1}
    assert again.configuration_json["hnsw"]["space"] == "cosine"
    assert again.count() == 1
    assert client.get_collection("goc").metadata == {"hnsw:space": "cosine", "k": 1}
    assert client.count_collections() == 1


def test_get_or_create_creates(client):
    c = client.get_or_create_collection("fresh", metadata={"k": "v"})
    assert c.metadata == {"k": "v"}
    assert client.get_collection("fresh").id == c.id


def test_delete_removes_records(client):
    c = client.create_collection("gone")
    c.add(ids=["a", "b"], embeddings=[[1.0, 2.0], [3.0, 4.0]], documents=["x", "y"])
    client.delete_collection("gone")
    new = client.create_collection("gone")
    assert new.id != c.id
    assert new.count() == 0
    assert new.get()["ids"] == []
    # the new collection has no dimension: any length is accepted
    new.add(ids=["z"], embeddings=[[1.0, 2.0, 3.0]])
    assert new.count() == 1


def test_operations_on_deleted_collection_fail(client):
    c = client.create_collection("stale")
    c.add(ids=["a"], embeddings=[[1.0]])
    client.delete_collection("stale")
    with pytest.raises(NotFoundError):
        c.count()
    with pytest.raises(NotFoundError):
        c.add(ids=["b"], embeddings=[[2.0]])
    with pytest.raises(NotFoundError):
        c.get()


def test_list_and_count(client):
    assert client.list_collections() == []
    assert client.count_collections() == 0
    made = [f"list-{i:02d}" for i in range(7)]
    for name in reversed(made[:3]):  # insertion order, not alphabetical
        client.create_collection(name)
    for name in made[3:]:
        client.create_collection(name)
    order = list(reversed(made[:3])) + made[3:]
    assert names(client.list_collections()) == order
    assert client.count_collections() == 7
    assert names(client.list_collections(limit=3)) == order[:3]
    assert names(client.list_collections(offset=5)) == order[5:]
    assert names(client.list_collections(limit=2, offset=2)) == order[2:4]
    assert names(client.list_collections(limit=10, offset=7)) == []
    client.delete_collection(order[1])
    assert names(client.list_collections()) == [order[0]] + order[2:]
    assert client.count_collections() == 6


def test_list_returns_collections_with_metadata(client):
    client.create_collection("meta-1", metadata={"x": 1, "hnsw:space": "ip"})
    client.create_collection("meta-2")
    listed = {c.name: c for c in client.list_collections()}
    assert listed["meta-1"].metadata == {"x": 1, "hnsw:space": "ip"}
    assert listed["meta-1"].configuration_json["hnsw"]["space"] == "ip"
    assert listed["meta-2"].metadata is None


# -- names -----------------------------------------------------------------------------------------
VALID_NAMES = [
    "abc",
    "ABC",
    "MyCollection",
    "my_collection-1.2",
    "a.b.c",
    "0ab",
    "a-_-b",
    "1.2.3",  # not an IP address (three parts)
    "a" * 512,
    "Z" + "x" * 510 + "9",
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names(local_client, name):
    c = local_client.create_collection(name)
    assert c.name == name
    assert local_client.get_collection(name).id == c.id


def test_valid_names_http(client):
    for name in ["ABC", "my_collection-1.2", "a" * 512]:
        assert client.create_collection(name).name == name
        assert client.get_collection(name).name == name


INVALID_NAMES = [
    ("ab", "3-512"),
    ("", "3-512"),
    ("a" * 513, "3-512"),
    ("-abc", "3-512"),
    ("abc-", "3-512"),
    ("_abc", "3-512"),
    ("abc.", "3-512"),
    ("ab c", "3-512"),
    ("abc!", "3-512"),
    ("ab/c", "3-512"),
    ("émile", "3-512"),
    ("a..b", "consecutive periods"),
    ("192.168.1.1", "ip address"),
    ("10.0.0.255", "ip address"),
]


def test_invalid_names(client):
    for name, message in INVALID_NAMES:
        for create in (client.create_collection, client.get_or_create_collection):
            with pytest.raises(BAD_INPUT, match=message):
                create(name)
                pytest.fail(f"accepted: {name!r}")
    assert client.count_collections() == 0


def test_rename_validates_name(client):
    c = client.create_collection("renamable")
    with pytest.raises(BAD_INPUT, match="consecutive periods"):
        c.modify(name="bad..name")
    with pytest.raises(BAD_INPUT):
        c.modify(name="x")
    assert client.get_collection("renamable").name == "renamable"


# -- metadata and modify ---------------------------------------------------------------------------
def test_collection_metadata_round_trip(client):
    meta = {"str": "value", "int": 42, "neg": -7, "float": 2.5, "whole_float": 2.0, "bool": True, "false": False}
    c = client.create_collection("meta", metadata=meta)
    assert c.metadata == meta
    got = client.get_collection("meta").metadata
    assert got == meta
    assert type(got["int"]) is int
    assert type(got["whole_float"]) is float
    assert type(got["bool"]) is bool and type(got["false"]) is bool


def test_collection_metadata_survives_reopen(tmp_path):
    path = str(tmp_path / "db")
    c1 = chromadb.PersistentClient(path=path)
    c1.create_collection("meta", metadata={"a": 1, "b": "two", "c": 3.0})
    c1.close()
    c2 = chromadb.PersistentClient(path=path)
    got = c2.get_collection("meta").metadata
    assert got == {"a": 1, "b": "two", "c": 3.0} and type(got["c"]) is float
    c2.close()


def test_empty_collection_metadata_rejected(client):
    with pytest.raises(BAD_INPUT):
        client.create_collection("empty-meta", metadata={})
    assert client.count_collections() == 0


def test_modify_metadata_replaces(client):
    c = client.create_collection("mod", metadata={"a": 1, "b": 2})
    c.modify(metadata={"c": 3})
    assert c.metadata == {"c": 3}
    assert client.get_collection("mod").metadata == {"c": 3}


def test_modify_name_and_metadata(client):
    c = client.create_collection("before", metadata={"a": 1})
    c.add(ids=["r"], embeddings=[[1.0, 2.0]])
    c.modify(name="after", metadata={"b": "x"})
    assert c.name == "after"
    got = client.get_collection("after")
    assert got.id == c.id and got.metadata == {"b": "x"} and got.count() == 1
    with pytest.raises(NotFoundError):
        client.get_collection("before")
    # the old name is free again
    assert client.create_collection("before").id != c.id


def test_modify_name_only_keeps_metadata(client):
    c = client.create_collection("keepmeta", metadata={"a": 1})
    c.modify(name="keepmeta2")
    assert client.get_collection("keepmeta2").metadata == {"a": 1}


def test_modify_empty_metadata_rejected(client):
    c = client.create_collection("mod", metadata={"a": 1})
    with pytest.raises(BAD_INPUT):
        c.modify(metadata={})
    assert client.get_collection("mod").metadata == {"a": 1}


@pytest.mark.parametrize("space", ["l2", "cosine"])
def test_modify_refuses_hnsw_space_in_the_python_client(client, space):
    # upstream's Python Collection.modify refuses any hnsw:space, its own one included, before sending
    c = client.create_collection("space", metadata={"hnsw:space": "cosine"})
    with pytest.raises(ValueError, match="Changing the distance function"):
        c.modify(metadata={"description": "renamed", "hnsw:space": space})
    got = client.get_collection("space")
    assert got.metadata == {"hnsw:space": "cosine"}
    assert got.configuration_json["hnsw"]["space"] == "cosine"


# A cosine collection whose query [2, 0] has the distances below; l2 or ip would give others.
_COSINE_POINTS = {"ids": ["a", "b"], "embeddings": [[1.0, 0.0], [3.0, 4.0]]}
_COSINE_DISTANCES = [0.0, 0.4]


def _cosine_collection(client, name):
    c = client.create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    c.add(**_COSINE_POINTS)
    return c


def _assert_still_cosine(client, name, configuration_before):
    got = client.get_collection(name, embedding_function=None)
    assert got.configuration_json == configuration_before
    res = got.query(query_embeddings=[[2.0, 0.0]], n_results=2, include=["distances"])
    assert res["ids"] == [["a", "b"]]
    np.testing.assert_allclose(res["distances"][0], _COSINE_DISTANCES, atol=1e-6)
    return got


@pytest.mark.parametrize("space", ["cosine", "l2", "ip", "manhattan"])
def test_server_modify_keeps_hnsw_space_as_plain_metadata(client, space):
    # What the npm client sends (it has no client-side check): upstream's server stores the
    # metadata verbatim and keeps the configuration, so the distance stays the created one.
    c = _cosine_collection(client, "npm-space")
    before = c.configuration_json
    new_metadata = {"description": "renamed", "hnsw:space": space}
    c._backend.update_collection(str(c.id), "npm-space-renamed", new_metadata, None, **c._scope())
    got = _assert_still_cosine(client, "npm-space-renamed", before)
    assert got.metadata == new_metadata
    assert got.id == c.id
    got.add(ids=["c"], embeddings=[[0.0, 5.0]])  # written after the modify: still cosine (l2 would say 29)
    assert got.query(query_embeddings=[[2.0, 0.0]], n_results=3)["distances"][0][2] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "new_metadata",
    [
        {"hnsw:M": 16},
        {"hnsw:M": 32},
        {"hnsw:construction_ef": 100},
        {"hnsw:construction_ef": 200},
        {"hnsw:search_ef": 100, "note": "same"},
        {"hnsw:search_ef": 50},
        {"hnsw:num_threads": 2},
        {"hnsw:batch_size": 200},
        {"hnsw:sync_threshold": 2000},
        {"hnsw:resize_factor": 1.5},
        {"hnsw:M": "sixteen", "hnsw:search_ef": -1, "hnsw:unknown": 1},  # upstream checks none of them here
        {"description": "no hnsw key at all"},
    ],
)
def test_modify_keeps_other_hnsw_keys_as_plain_metadata(client, new_metadata):
    c = _cosine_collection(client, "hnsw-keys")
    before = c.configuration_json
    c.modify(metadata=new_metadata)
    assert c.metadata == new_metadata
    got = _assert_still_cosine(client, "hnsw-keys", before)
    assert got.metadata == new_metadata  # replaced, not merged: hnsw:space is gone from it


def test_rename_onto_existing_name_fails(client):
    a = client.create_collection("taken-a")
    client.create_collection("taken-b")
    with pytest.raises(ChromaError):
        a.modify(name="taken-b")
    assert names(client.list_collections()) == ["taken-a", "taken-b"]
    assert client.get_collection("taken-a").id == a.id


def test_modify_missing_collection(client):
    c = client.create_collection("vanish")
    client.delete_collection("vanish")
    with pytest.raises(NotFoundError):
        c.modify(name="vanished")


# -- distance spaces and HNSW parameters -------------------------------------------------------------
@pytest.mark.parametrize("space", ["l2", "ip", "cosine"])
def test_hnsw_space_metadata(client, space):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(30, 5)).astype(np.float32)
    c = client.create_collection(f"space-{space}", metadata={"hnsw:space": space})
    assert c.configuration_json["hnsw"]["space"] == space
    c.add(ids=[str(i) for i in range(30)], embeddings=vectors)
    q = rng.normal(size=5).astype(np.float32)
    if space == "l2":
        expected = ((vectors - q) ** 2).sum(axis=1)
    elif space == "ip":
        expected = 1 - vectors @ q
    else:
        expected = 1 - (vectors @ q) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(q))
    res = c.query(query_embeddings=[q], n_results=30)
    order = np.argsort(expected, kind="stable")
    assert res["ids"][0] == [str(i) for i in order]
    np.testing.assert_allclose(res["distances"][0], expected[order], rtol=1e-4, atol=1e-5)


def test_default_configuration(client):
    c = client.create_collection("defaults")
    hnsw = c.configuration_json["hnsw"]
    assert hnsw["space"] == "l2"
    assert hnsw["ef_construction"] == 100 and hnsw["ef_search"] == 100 and hnsw["max_neighbors"] == 16
    assert c.configuration_json.get("spann") is None


def test_other_hnsw_metadata_keys(client):
    meta = {
        "hnsw:space": "ip",
        "hnsw:construction_ef": 200,
        "hnsw:search_ef": 50,
        "hnsw:M": 32,
        "hnsw:num_threads": 2,
        "hnsw:resize_factor": 1.5,
        "hnsw:sync_threshold": 500,
        "hnsw:batch_size": 50,
    }
    c = client.create_collection("hnsw-keys", metadata=meta)
    assert c.metadata == meta
    hnsw = client.get_collection("hnsw-keys").configuration_json["hnsw"]
    assert hnsw["space"] == "ip"
    assert hnsw["ef_construction"] == 200
    assert hnsw["ef_search"] == 50
    assert hnsw["max_neighbors"] == 32
    assert hnsw["resize_factor"] == 1.5
    assert hnsw["sync_threshold"] == 500


BAD_HNSW_METADATA_CASES = [
    {"hnsw:space": "manhattan"},
    {"hnsw:unknown_key": 3},
    {"hnsw:M": "sixteen"},
    {"hnsw:construction_ef": -1},
    {"hnsw:space": 1},
]


def test_bad_hnsw_metadata(client):
    for meta in BAD_HNSW_METADATA_CASES:
        with pytest.raises(BAD_INPUT):
            client.create_collection("bad-hnsw", metadata=meta)
            pytest.fail(f"accepted: {meta!r}")
        assert client.count_collections() == 0


def test_configuration_hnsw(client):
    c = client.create_collection("cfg", configuration={"hnsw": {"space": "cosine", "ef_search": 20, "max_neighbors": 8}})
    hnsw = c.configuration_json["hnsw"]
    assert hnsw["space"] == "cosine" and hnsw["ef_search"] == 20 and hnsw["max_neighbors"] == 8
    assert hnsw["ef_construction"] == 100  # missing fields default
    c.add(ids=["a", "b"], embeddings=[[2.0, 0.0], [0.0, 1.0]])
    res = c.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    assert res["ids"] == [["a", "b"]]
    np.testing.assert_allclose(res["distances"][0], [0.0, 1.0], atol=1e-6)
    again = client.get_collection("cfg")
    assert again.configuration_json["hnsw"]["space"] == "cosine"
    assert again.configuration["hnsw"]["ef_search"] == 20


def test_configuration_defaults_yield_to_metadata(client):
    # an explicit hnsw config equal to the defaults loses to hnsw:* metadata keys (spec 8.10 rule 2)
    c = client.create_collection("cfg-meta", metadata={"hnsw:space": "cosine"}, configuration={"hnsw": {"space": "l2"}})
    assert c.configuration_json["hnsw"]["space"] == "cosine"
    # a non-default explicit config wins
    d = client.create_collection("cfg-wins", metadata={"hnsw:space": "cosine"}, configuration={"hnsw": {"space": "ip"}})
    assert d.configuration_json["hnsw"]["space"] == "ip"


def test_configuration_spann_only_maps_to_space(client):
    c = client.create_collection("spann", configuration={"spann": {"space": "ip"}})
    assert c.configuration_json["hnsw"]["space"] == "ip"
    c.add(ids=["a"], embeddings=[[1.0, 2.0]])
    res = c.query(query_embeddings=[[1.0, 1.0]], n_results=1)
    np.testing.assert_allclose(res["distances"][0], [1 - 3.0], atol=1e-6)


BAD_CONFIGURATION_CASES = [
    {"hnsw": {"unknown_param": 1}},
    {"hnsw": {"space": "hamming"}},
    {"hnsw": {"ef_search": "many"}},
    {"hnsw": {"space": "l2"}, "spann": {"space": "l2"}},
    {"spann": {"bogus": 1}},
]


def test_bad_configuration(client):
    for configuration in BAD_CONFIGURATION_CASES:
        with pytest.raises(BAD_INPUT):
            client.create_collection("bad-cfg", configuration=configuration)
            pytest.fail(f"accepted: {configuration!r}")
        assert client.count_collections() == 0


def test_modify_configuration_merges(client):
    c = client.create_collection("cfg-mod", configuration={"hnsw": {"space": "cosine", "ef_search": 20}})
    c.modify(configuration={"hnsw": {"ef_search": 77}})
    hnsw = client.get_collection("cfg-mod").configuration_json["hnsw"]
    assert hnsw["ef_search"] == 77
    assert hnsw["space"] == "cosine"


# -- persisted embedding function --------------------------------------------------------------------
def test_known_embedding_function_persisted(client):
    ef = CollTestKnownA(dim=3)
    c = client.create_collection("ef-known", embedding_function=ef)
    assert c.configuration_json["embedding_function"] == {"type": "known", "name": "coll_test_known_a", "config": {"dim": 3}}
    # get without an EF rebuilds the persisted one
    got = client.get_collection("ef-known")
    assert isinstance(got.embedding_function, CollTestKnownA)
    assert got.embedding_function.dim == 3
    got.add(ids=["a"], documents=["hello"])
    emb = np.asarray(got.get(include=["embeddings"])["embeddings"])
    np.testing.assert_allclose(emb[0], ef(["hello"])[0])
    # the same function by name is accepted
    assert client.get_collection("ef-known", embedding_function=CollTestKnownA(3)).count() == 1


def test_embedding_function_conflict(client):
    client.create_collection("ef-conflict", embedding_function=CollTestKnownA())
    with pytest.raises(ValueError, match="(?i)embedding function conflict"):
        client.get_collection("ef-conflict", embedding_function=CollTestKnownB())
    with pytest.raises(ValueError, match="(?i)embedding function conflict"):
        client.get_or_create_collection("ef-conflict", embedding_function=CollTestKnownB())


def test_legacy_embedding_function_persisted(client, emb_fn):
    c = client.create_collection("ef-legacy", embedding_function=emb_fn)
    assert c.configuration_json["embedding_function"] == {"type": "legacy"}
    # any function may be passed for a legacy config
    got = client.get_collection("ef-legacy", embedding_function=CollTestKnownB())
    assert isinstance(got.embedding_function, CollTestKnownB)


def test_no_embedding_function(client):
    c = client.create_collection("ef-none", embedding_function=None)
    c.add(ids=["a"], embeddings=[[1.0, 2.0]], documents=["text"])
    with pytest.raises(ValueError):
        c.add(ids=["b"], documents=["needs an embedding"])
    assert c.count() == 1


def test_default_embedding_function_config(client):
    from chromadb.embedding_functions import DefaultEmbeddingFunction

    c = client.create_collection("ef-default")
    assert c.configuration_json["embedding_function"] == {"type": "known", "name": "default", "config": {}}
    assert isinstance(client.get_collection("ef-default").embedding_function, DefaultEmbeddingFunction)
    # passing the default function to a collection of another known function is not a conflict
    client.create_collection("ef-a", embedding_function=CollTestKnownA())
    client.get_collection("ef-a", embedding_function=DefaultEmbeddingFunction())


# -- tenants and databases ------------------------------------------------------------------------------
def test_admin_databases(client):
    admin = admin_for(client)
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    admin.create_tenant(tenant)
    assert admin.get_tenant(tenant)["name"] == tenant
    with pytest.raises(ChromaError, match="already exists"):
        admin.create_tenant(tenant)

    admin.create_database("db_one", tenant=tenant)
    admin.create_database("db_two", tenant=tenant)
    db = admin.get_database("db_one", tenant=tenant)
    assert db["name"] == "db_one" and db["tenant"] == tenant
    assert [d["name"] for d in admin.list_databases(tenant=tenant)] == ["db_one", "db_two"]
    assert [d["name"] for d in admin.list_databases(limit=1, offset=1, tenant=tenant)] == ["db_two"]
    with pytest.raises(ChromaError, match="already exists"):
        admin.create_database("db_one", tenant=tenant)
    with pytest.raises(NotFoundError):
        admin.get_database("db_three", tenant=tenant)

    admin.delete_database("db_two", tenant=tenant)
    assert [d["name"] for d in admin.list_databases(tenant=tenant)] == ["db_one"]
    with pytest.raises(NotFoundError):
        admin.get_database("db_two", tenant=tenant)


def test_admin_missing_tenant(client):
    admin = admin_for(client)
    with pytest.raises(NotFoundError):
        admin.get_tenant("no-such-tenant")
    with pytest.raises(NotFoundError):
        admin.create_database("some_db", tenant="no-such-tenant")


def test_admin_invalid_database_name(client):
    admin = admin_for(client)
    for name in ["ab", "a..b", "-db", "10.1.2.3"]:
        with pytest.raises(BAD_INPUT):
            admin.create_database(name)
            pytest.fail(f"accepted: {name!r}")
        # never created: not found (or, for a name under 3 chars, refused as invalid like upstream's routes)
        with pytest.raises((NotFoundError, InvalidArgumentError)):
            admin.get_database(name)


def test_databases_isolate_collections(client):
    admin = admin_for(client)
    admin.create_database("other_db")
    client.create_collection("shared-name", metadata={"where": "default"}).add(ids=["d"], embeddings=[[1.0]])

    client.set_database("other_db")
    assert client.database == "other_db"
    assert client.list_collections() == []
    other = client.create_collection("shared-name", metadata={"where": "other"})
    assert other.database == "other_db"
    assert other.count() == 0
    other.add(ids=["o1", "o2"], embeddings=[[1.0, 2.0], [3.0, 4.0]])  # its own dimension
    assert client.count_collections() == 1

    client.set_database("default_database")
    default = client.get_collection("shared-name")
    assert default.metadata == {"where": "default"} and default.count() == 1
    assert default.id != other.id


def test_tenants_isolate_collections(client):
    admin = admin_for(client)
    tenant = f"tenant-{uuid.uuid4().hex[:8]}"
    admin.create_tenant(tenant)
    admin.create_database("default_database", tenant=tenant)
    client.create_collection("per-tenant")
    client.set_tenant(tenant, "default_database")
    assert client.tenant == tenant
    assert client.list_collections() == []
    with pytest.raises(NotFoundError):
        client.get_collection("per-tenant")
    c = client.create_collection("per-tenant")
    assert c.tenant == tenant


def test_client_for_missing_database(tmp_path):
    path = str(tmp_path / "db")
    with pytest.raises(NotFoundError):
        chromadb.PersistentClient(path=path, database="does_not_exist")
    admin = chromadb.AdminClient(Settings(is_persistent=True, persist_directory=path))
    admin.create_database("does_exist")
    c = chromadb.PersistentClient(path=path, database="does_exist")
    assert c.create_collection("in-db").database == "does_exist"
    c.close()


def test_delete_database_deletes_its_collections(client):
    admin = admin_for(client)
    admin.create_database("doomed_db")
    client.set_database("doomed_db")
    client.create_collection("doomed").add(ids=["a"], embeddings=[[1.0]])
    client.set_database("default_database")
    admin.delete_database("doomed_db")
    admin.create_database("doomed_db")
    client.set_database("doomed_db")
    assert client.list_collections() == []
