"""The where / where_document grammar and the type rules of spec 8.4-8.5, plus a property
test that compares get() with a small independent oracle written here."""
from __future__ import annotations

import re
import uuid

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chromadb.errors import InvalidArgumentError
from chromadb.model.requests import SERVER, GetRequest

BAD_INPUT = (ValueError, TypeError, InvalidArgumentError)

RECORDS = [
    # id, metadata, document
    ("i1", {"x": 1, "s": "a", "flag": True, "tags": ["red", "blue"], "nums": [1, 2, 3]}, "The cat sat on the mat"),
    ("f1", {"x": 1.0, "s": "A", "flag": False, "tags": ["green"], "nums": [4]}, "A CAT and a dog"),
    ("f15", {"x": 1.5, "s": "1", "score": -2, "bools": [True]}, "100% of_the cats"),
    ("i2", {"x": 2, "s": "b", "flag": 1, "tags": ["red"]}, "cAt"),
    ("big", {"x": 2**60 + 1, "s": "abc", "floats": [1.5, 2.0]}, "x"),
    ("str", {"x": "1", "s": "ab", "flag": "True"}, None),
    ("b1", {"x": True, "tags": "red"}, "concatenate"),
    ("none", None, "ab"),
    ("neg", {"x": -3, "score": 0.5, "nums": [-1, 0]}, "a_b a%b"),
]
IDS = [r[0] for r in RECORDS]


@pytest.fixture
def coll(client):
    c = client.create_collection("filters", embedding_function=None)
    c.add(
        ids=IDS,
        embeddings=[[float(i), 1.0] for i in range(len(RECORDS))],
        metadatas=[r[1] for r in RECORDS],
        documents=[r[2] for r in RECORDS],
    )
    return c


def ids(c, where=None, where_document=None) -> list[str]:
    got = c.get(where=where, where_document=where_document)["ids"]
    # the same filter through query (exact search over a tiny set) must select the same records
    res = c.query(query_embeddings=[[0.0, 1.0]], n_results=100, where=where, where_document=where_document, include=[])
    assert sorted(res["ids"][0]) == sorted(got)
    return got


def refused(call, case) -> None:
    try:
        call()
    except BAD_INPUT:
        return
    pytest.fail(f"accepted: {case!r}")


def only(*names: str) -> list[str]:
    return [i for i in IDS if i in names]


def all_but(*names: str) -> list[str]:
    return [i for i in IDS if i not in names]


# -- equality and type rules -------------------------------------------------------------------
EQ_CASES = [
    ({"x": 1}, only("i1", "f1")),  # int matches int and float numerically
    ({"x": 1.0}, only("i1", "f1")),
    ({"x": {"$eq": 1}}, only("i1", "f1")),
    ({"x": 1.5}, only("f15")),
    ({"x": 2**60 + 1}, only("big")),  # exact beyond float precision
    ({"x": 2**60}, []),
    ({"x": "1"}, only("str")),  # str never equals numbers
    ({"x": True}, only("b1")),  # bool never equals int
    ({"flag": True}, only("i1")),
    ({"flag": 1}, only("i2")),
    ({"flag": False}, only("f1")),
    ({"flag": 0}, []),
    ({"flag": "True"}, only("str")),
    ({"s": "a"}, only("i1")),  # exact and case-sensitive
    ({"s": "A"}, only("f1")),
    ({"s": "ab"}, only("str")),
    ({"s": "abc"}, only("big")),
    ({"missing_key": 1}, []),
    ({"tags": "red"}, only("b1")),  # $eq looks only at scalars, never inside arrays
    ({"nums": 1}, []),
]


def test_eq(coll):
    for where, expected in EQ_CASES:
        assert ids(coll, where) == expected, where


NE_CASES = [
    ({"x": {"$ne": 1}}, all_but("i1", "f1")),  # includes records lacking x
    ({"x": {"$ne": "1"}}, all_but("str")),
    ({"flag": {"$ne": True}}, all_but("i1")),
    ({"s": {"$ne": "a"}}, all_but("i1")),
    ({"missing_key": {"$ne": 1}}, IDS),
    ({"tags": {"$ne": "red"}}, all_but("b1")),
]


def test_ne_matches_records_lacking_the_key(coll):
    for where, expected in NE_CASES:
        assert ids(coll, where) == expected, where


COMPARISONS_CASES = [
    ({"x": {"$gt": 1}}, only("f15", "i2", "big")),
    ({"x": {"$gte": 1}}, only("i1", "f1", "f15", "i2", "big")),
    ({"x": {"$lt": 1}}, only("neg")),  # bools and strings are not numbers
    ({"x": {"$lte": 1.0}}, only("i1", "f1", "neg")),
    ({"x": {"$gt": 1.4}}, only("f15", "i2", "big")),
    ({"x": {"$gt": 2**60}}, only("big")),
    ({"x": {"$lt": 2**60 + 1}}, only("i1", "f1", "f15", "i2", "neg")),
    ({"score": {"$gte": -2}}, only("f15", "neg")),
    ({"score": {"$gt": 0}}, only("neg")),
    ({"flag": {"$gt": 0}}, only("i2")),  # True is not > 0: bools are not numbers
    ({"s": {"$gt": 0}}, []),
    ({"nums": {"$gt": 0}}, []),  # arrays are not compared
    ({"missing_key": {"$lt": 100}}, []),
]


def test_comparisons(coll):
    for where, expected in COMPARISONS_CASES:
        assert ids(coll, where) == expected, where


IN_NIN_CASES = [
    ({"x": {"$in": [1, 2]}}, only("i1", "f1", "i2")),
    ({"x": {"$in": [1.5, -3.0]}}, only("f15", "neg")),
    ({"x": {"$in": ["1", "2"]}}, only("str")),
    ({"x": {"$in": [True]}}, only("b1")),
    ({"flag": {"$in": [1]}}, only("i2")),
    ({"s": {"$in": ["a", "b", "zzz"]}}, only("i1", "i2")),
    ({"tags": {"$in": ["red"]}}, only("b1")),  # $in looks only at scalars
    ({"missing_key": {"$in": [1]}}, []),
    ({"x": {"$nin": [1, 2]}}, all_but("i1", "f1", "i2")),
    ({"s": {"$nin": ["a", "b"]}}, all_but("i1", "i2")),
    ({"flag": {"$nin": [True, False]}}, all_but("i1", "f1")),
    ({"missing_key": {"$nin": ["a"]}}, IDS),
]


def test_in_nin(coll):
    for where, expected in IN_NIN_CASES:
        assert ids(coll, where) == expected, where


ARRAY_CONTAINS_CASES = [
    ({"tags": {"$contains": "red"}}, only("i1", "i2")),  # scalar "red" on b1 never matches
    ({"tags": {"$contains": "green"}}, only("f1")),
    ({"tags": {"$contains": "Red"}}, []),
    ({"tags": {"$contains": "re"}}, []),  # element equality, not substring
    ({"nums": {"$contains": 2}}, only("i1")),
    ({"nums": {"$contains": -1}}, only("neg")),
    ({"nums": {"$contains": 7}}, []),
    ({"bools": {"$contains": True}}, only("f15")),
    ({"floats": {"$contains": 1.5}}, only("big")),
    ({"s": {"$contains": "a"}}, []),  # scalar string field: never
    ({"tags": {"$not_contains": "red"}}, all_but("i1", "i2")),  # includes records lacking the key
    ({"nums": {"$not_contains": 4}}, all_but("f1")),
    ({"missing_key": {"$not_contains": "a"}}, IDS),
]


def test_array_contains(coll):
    for where, expected in ARRAY_CONTAINS_CASES:
        assert ids(coll, where) == expected, where


# -- logical operators ------------------------------------------------------------------------------
AND_OR_CASES = [
    ({"$and": [{"x": {"$gte": 1}}, {"x": {"$lt": 2}}]}, only("i1", "f1", "f15")),
    ({"$or": [{"s": "a"}, {"s": "b"}]}, only("i1", "i2")),
    ({"$or": [{"x": {"$lt": 0}}, {"tags": {"$contains": "green"}}]}, only("f1", "neg")),
    (
        {"$and": [{"$or": [{"x": 1}, {"x": 2}]}, {"$or": [{"flag": True}, {"flag": 1}]}]},
        only("i1", "i2"),
    ),
    (
        {"$or": [{"$and": [{"x": 1}, {"s": "A"}]}, {"$and": [{"x": {"$gt": 1}}, {"s": {"$ne": "b"}}]}]},
        only("f1", "f15", "big"),
    ),
    ({"$and": [{"x": {"$ne": 1}}, {"s": {"$nin": ["1", "abc"]}}]}, only("i2", "str", "b1", "none", "neg")),
    ({"$and": [{"#document": {"$contains": "cat"}}, {"x": {"$gt": 0}}]}, only("i1", "f15")),
]


def test_and_or(coll):
    for where, expected in AND_OR_CASES:
        assert ids(coll, where) == expected, where


# -- documents ---------------------------------------------------------------------------------------
WHERE_DOCUMENT_CASES = [
    ({"$contains": "cat"}, only("i1", "f15", "b1")),
    ({"$contains": "CAT"}, only("f1")),  # case-sensitive
    ({"$contains": "a"}, only("i1", "f1", "f15", "b1", "none", "neg")),  # 1-char term
    ({"$contains": "ab"}, only("none")),  # 2-char term
    ({"$contains": "x"}, only("big")),
    ({"$contains": "%"}, only("f15", "neg")),  # % is literal
    ({"$contains": "_"}, only("f15", "neg")),  # _ is literal
    ({"$contains": "a%b"}, only("neg")),
    ({"$contains": "a_b"}, only("neg")),
    ({"$contains": "0%"}, only("f15")),
    ({"$contains": "The cat sat on the mat"}, only("i1")),
    ({"$contains": "zzz"}, []),
    ({"$not_contains": "cat"}, all_but("i1", "f15", "b1")),  # str (no document) matches
    ({"$not_contains": "a"}, only("i2", "big", "str")),
    ({"$regex": "c[aA]t"}, only("i1", "f15", "i2", "b1")),
    ({"$regex": "^A"}, only("f1")),
    ({"$regex": "t$"}, only("i1", "i2")),
    ({"$regex": "(?i)c(?-i)at"}, only("i1", "f15", "b1")),  # Rust scoped flags: Cat/cat, not CAT/cAt
    ({"$regex": "(?i)cat"}, only("i1", "f1", "f15", "i2", "b1")),
    ({"$regex": "\\d+%"}, only("f15")),
    ({"$not_regex": "c[aA]t"}, all_but("i1", "f15", "i2", "b1")),
    ({"$and": [{"$contains": "cat"}, {"$not_contains": "mat"}]}, only("f15", "b1")),
    ({"$or": [{"$contains": "dog"}, {"$regex": "^ab$"}]}, only("f1", "none")),
    (
        {"$and": [{"$or": [{"$contains": "a"}, {"$contains": "x"}]}, {"$not_regex": "[%_]"}]},
        only("i1", "f1", "big", "b1", "none"),
    ),
]


def test_where_document(coll):
    for where_document, expected in WHERE_DOCUMENT_CASES:
        assert ids(coll, where_document=where_document) == expected, where_document


DOCUMENT_KEY_CASES = [
    ({"#document": {"$contains": "cat"}}, only("i1", "f15", "b1")),
    ({"#document": {"$contains": "%"}}, only("f15", "neg")),
    ({"#document": {"$not_contains": "cat"}}, all_but("i1", "f15", "b1")),
    ({"#document": {"$regex": "(?i)c(?-i)at"}}, only("i1", "f15", "b1")),
    ({"#document": {"$not_regex": "^[a-z]+$"}}, all_but("b1", "none", "big")),
]


def test_document_key_in_where(coll):
    for where, expected in DOCUMENT_KEY_CASES:
        assert ids(coll, where) == expected, where


def test_where_and_where_document_are_anded(coll):
    assert ids(coll, where={"x": {"$gte": 1}}, where_document={"$contains": "cat"}) == only("i1", "f15")
    assert ids(coll, where={"s": "ab"}, where_document={"$not_contains": "q"}) == only("str")


def test_server_accepts_logical_lists_of_any_length(coll):
    # the server (any backend) evaluates what clients refuse: empty $and = true, empty $or = false,
    # one clause = that clause (spec 8.4)
    backend = coll._client._backend
    scope = {"tenant": coll.tenant, "database": coll.database}

    def served(where=None, where_document=None):
        request = GetRequest.build(SERVER, where=where, where_document=where_document, include=[])
        return backend.get(str(coll.id), request, **scope)["ids"]

    assert served({"$and": []}) == IDS
    assert served({"$or": []}) == []
    assert served({"$and": [{"x": 1}]}) == only("i1", "f1")
    assert served({"$or": [{"s": "b"}]}) == only("i2")
    assert served(where_document={"$and": [{"$contains": "cat"}]}) == only("i1", "f15", "b1")
    assert served(where_document={"$or": []}) == []


def test_where_document_sees_updates(coll):
    coll.update(ids=["i2"], documents=["now a cat"], embeddings=[[3.0, 1.0]])
    assert "i2" in ids(coll, where_document={"$contains": "cat"})
    coll.update(ids=["i1"], documents=["gone"], embeddings=[[0.0, 1.0]])
    assert "i1" not in ids(coll, where_document={"$contains": "cat"})
    coll.delete(ids=["f15"])
    assert ids(coll, where_document={"$contains": "cat"}) == only("i2", "b1")


def test_where_sees_metadata_updates(coll):
    coll.update(ids=["i1"], metadatas=[{"x": None, "new": 5}])
    assert ids(coll, {"x": 1}) == only("f1")
    assert ids(coll, {"new": {"$gt": 4}}) == only("i1")
    coll.upsert(ids=["fresh"], embeddings=[[9.0, 1.0]], metadatas=[{"new": 6}])
    assert ids(coll, {"new": {"$gt": 4}}) == ["i1", "fresh"]


# -- invalid filters ---------------------------------------------------------------------------------
INVALID_WHERE_CASES = [
    {"x": {"$gt": "a"}},
    {"x": {"$lt": True}},
    {"x": {"$unknown": 1}},
    {"x": {"$eq": 1, "$ne": 2}},
    {"$not": [{"x": 1}]},
    {"x": 1, "y": 2},
    {"x": {"$in": []}},
    {"x": {"$in": [1, "a"]}},
    {"x": {"$in": 1}},
    {"x": {"$nin": "abc"}},
    {"x": {"$regex": "a"}},
    {"x": [1, 2]},
    {"x": None},
    {"$and": {"x": 1}},
    {"$or": [{"x": {"$bad": 1}}, {"y": 2}]},
    {"#document": {"$regex": "("}},
    {"$and": [{"x": 1}]},  # clients require at least two clauses (spec 8.4)
    {"$or": []},
    {"$contains": "red"},  # only inside a field expression
]


def test_invalid_where(coll):
    for where in INVALID_WHERE_CASES:
        refused(lambda: coll.get(where=where), where)
        refused(lambda: coll.query(query_embeddings=[[0.0, 1.0]], where=where), where)
        refused(lambda: coll.delete(where=where), where)
        assert coll.count() == len(RECORDS)


INVALID_WHERE_DOCUMENT_CASES = [
    {"$contains": ""},
    {"$contains": 1},
    {"$unknown": "a"},
    {"$contains": "a", "$not_contains": "b"},
    {"$regex": "(unclosed"},
    {"$regex": "[z-a]"},
    {"$and": {"$contains": "a"}},
    {"contains": "a"},
    {"$and": [{"$contains": "a"}]},
    {"$or": []},
]


def test_invalid_where_document(coll):
    for where_document in INVALID_WHERE_DOCUMENT_CASES:
        refused(lambda: coll.get(where_document=where_document), where_document)
        refused(lambda: coll.query(query_embeddings=[[0.0, 1.0]], where_document=where_document), where_document)
        refused(lambda: coll.delete(where_document=where_document), where_document)
        assert coll.count() == len(RECORDS)


# -- property test: random records and filters against an independent oracle -------------------------
SCALARS = {
    "int": st.integers(-3, 3),
    "float": st.sampled_from([-1.5, 0.0, 1.0, 2.0, 2.5]),
    "bool": st.booleans(),
    "str": st.sampled_from(["", "a", "b", "ab", "A", "1"]),
}
KEYS = ["k1", "k2", "k3", "k4"]
DOC_ALPHABET = "aAbc%_ "


def _scalar() -> st.SearchStrategy:
    return st.one_of(*SCALARS.values())


def _value() -> st.SearchStrategy:
    lists = st.one_of(*(st.lists(s, min_size=1, max_size=3) for s in SCALARS.values()))
    return st.one_of(_scalar(), lists)


metadata_st = st.one_of(st.none(), st.dictionaries(st.sampled_from(KEYS), _value(), min_size=1, max_size=4))
document_st = st.one_of(st.none(), st.text(alphabet=DOC_ALPHABET, min_size=1, max_size=8))


def _leaf() -> st.SearchStrategy:
    key = st.sampled_from(KEYS + ["absent"])
    numeric = st.one_of(SCALARS["int"], SCALARS["float"])
    homogeneous = st.one_of(*(st.lists(s, min_size=1, max_size=3) for s in SCALARS.values()))
    op_operand = st.one_of(
        st.tuples(st.sampled_from(["$eq", "$ne", "$contains", "$not_contains"]), _scalar()),
        st.tuples(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), numeric),
        st.tuples(st.sampled_from(["$in", "$nin"]), homogeneous),
    )
    field = st.builds(lambda k, oo: {k: {oo[0]: oo[1]}}, key, op_operand)
    shorthand = st.builds(lambda k, v: {k: v}, key, _scalar())
    doc = st.builds(
        lambda op, term: {"#document": {op: term}},
        st.sampled_from(["$contains", "$not_contains"]),
        st.text(alphabet=DOC_ALPHABET, min_size=1, max_size=3),
    )
    return st.one_of(field, shorthand, doc)


where_st = st.recursive(
    _leaf(),
    lambda children: st.builds(
        lambda op, subs: {op: subs}, st.sampled_from(["$and", "$or"]), st.lists(children, min_size=2, max_size=3)
    ),
    max_leaves=6,
)

REGEXES = ["a+", "^a", "b$", "[%_]", "A|c", "a.b", "(?i)a", "^[abc ]*$", "c\\s"]
where_document_st = st.recursive(
    st.one_of(
        st.builds(
            lambda op, term: {op: term},
            st.sampled_from(["$contains", "$not_contains"]),
            st.text(alphabet=DOC_ALPHABET, min_size=1, max_size=3),
        ),
        st.builds(lambda op, rx: {op: rx}, st.sampled_from(["$regex", "$not_regex"]), st.sampled_from(REGEXES)),
    ),
    lambda children: st.builds(
        lambda op, subs: {op: subs}, st.sampled_from(["$and", "$or"]), st.lists(children, min_size=2, max_size=3)
    ),
    max_leaves=4,
)


def _kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "num"
    if isinstance(v, str):
        return "str"
    return "other"


def o_same(a, b) -> bool:
    """Scalar equality under the spec's type rules."""
    return _kind(a) == _kind(b) != "other" and a == b


def o_doc(doc, clause) -> bool:
    ((op, arg),) = clause.items()
    if op == "$and":
        return all(o_doc(doc, c) for c in arg)
    if op == "$or":
        return any(o_doc(doc, c) for c in arg)
    if op == "$contains":
        return doc is not None and arg in doc
    if op == "$not_contains":
        return not (doc is not None and arg in doc)
    if op == "$regex":
        return doc is not None and re.search(arg, doc) is not None
    if op == "$not_regex":
        return not (doc is not None and re.search(arg, doc) is not None)
    raise AssertionError(op)


def o_where(meta, doc, clause) -> bool:
    ((key, arg),) = clause.items()
    if key == "$and":
        return all(o_where(meta, doc, c) for c in arg)
    if key == "$or":
        return any(o_where(meta, doc, c) for c in arg)
    if key == "#document":
        return o_doc(doc, arg)
    op, operand = next(iter(arg.items())) if isinstance(arg, dict) else ("$eq", arg)
    value = (meta or {}).get(key)
    scalar = value is not None and not isinstance(value, list)
    if op == "$eq":
        return scalar and o_same(value, operand)
    if op == "$ne":
        return not (scalar and o_same(value, operand))
    if op in ("$gt", "$gte", "$lt", "$lte"):
        if not scalar or _kind(value) != "num":
            return False
        return {"$gt": value > operand, "$gte": value >= operand, "$lt": value < operand, "$lte": value <= operand}[op]
    if op == "$in":
        return scalar and any(o_same(value, x) for x in operand)
    if op == "$nin":
        return not (scalar and any(o_same(value, x) for x in operand))
    contains = isinstance(value, list) and any(o_same(x, operand) for x in value)
    if op == "$contains":
        return contains
    if op == "$not_contains":
        return not contains
    raise AssertionError(op)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    records=st.lists(st.tuples(metadata_st, document_st), min_size=1, max_size=25),
    wheres=st.lists(where_st, min_size=1, max_size=4),
    where_documents=st.lists(st.one_of(st.none(), where_document_st), min_size=1, max_size=3),
)
def test_filters_match_oracle(local_client, records, wheres, where_documents):
    name = f"prop-{uuid.uuid4().hex[:10]}"
    c = local_client.create_collection(name, embedding_function=None)
    try:
        rids = [f"r{i}" for i in range(len(records))]
        c.add(
            ids=rids,
            embeddings=np.arange(2 * len(records), dtype=np.float32).reshape(-1, 2),
            metadatas=[m for m, _ in records],
            documents=[d for _, d in records],
        )
        for where in wheres:
            for wd in where_documents:
                expected = [
                    rid
                    for rid, (meta, doc) in zip(rids, records)
                    if o_where(meta, doc, where) and (wd is None or o_doc(doc, wd))
                ]
                got = c.get(where=where, where_document=wd, include=[])["ids"]
                assert got == expected, (where, wd)
        # one query per example, to cover the search path's filtering too
        where = wheres[0]
        expected = {rid for rid, (meta, doc) in zip(rids, records) if o_where(meta, doc, where)}
        res = c.query(query_embeddings=[[0.0, 0.0]], n_results=len(records), where=where, include=[])
        assert set(res["ids"][0]) == expected, where
    finally:
        local_client.delete_collection(name)
