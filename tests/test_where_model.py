"""The parsed where / where_document tree (chromadb.model.where): one grammar for every
door, a tree that round-trips through its dict form, and keys the filter cache can trust."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from test_filters import INVALID_WHERE_CASES, INVALID_WHERE_DOCUMENT_CASES, where_document_st, where_st

from chromadb.model import where as w


@settings(max_examples=200, deadline=None)
@given(where_st)
def test_where_round_trips_through_its_dict(clause) -> None:
    tree = w.parse_where(clause, min_clauses=w.CLIENT_MIN_CLAUSES)
    again = w.parse_where(tree.to_dict(), min_clauses=w.CLIENT_MIN_CLAUSES)
    assert again == tree
    assert hash(again) == hash(tree)


@settings(max_examples=100, deadline=None)
@given(where_document_st)
def test_where_document_round_trips_through_its_dict(clause) -> None:
    tree = w.parse_where_document(clause, min_clauses=w.CLIENT_MIN_CLAUSES)
    assert tree.to_dict() == clause
    assert w.parse_where_document(tree.to_dict()) == tree


def test_shorthand_is_eq_and_document_key_keeps_its_form() -> None:
    assert w.parse_where({"x": 1}) == w.parse_where({"x": {"$eq": 1}}) == w.Comparison("x", "$eq", 1)
    tree = w.parse_where({"#document": {"$not_contains": "cat"}})
    assert tree == w.DocumentContains("cat", negate=True, key="#document")
    assert tree.to_dict() == {"#document": {"$not_contains": "cat"}}
    assert w.parse_where_document({"$contains": "cat"}).to_dict() == {"$contains": "cat"}


def test_operand_types_are_part_of_the_tree() -> None:
    # True == 1 == 1.0 in Python, but the three filters select different records
    trees = {w.parse_where({"x": True}), w.parse_where({"x": 1}), w.parse_where({"x": 1.0})}
    assert len(trees) == 3
    assert w.parse_where({"x": {"$in": [True]}}) != w.parse_where({"x": {"$in": [1]}})
    assert w.parse_where({"x": {"$contains": 1}}) != w.parse_where({"x": {"$contains": True}})


def test_logical_lists_follow_the_door() -> None:
    # upstream's client refuses fewer than two clauses; its server takes any number
    for clause in ({"$and": [{"x": 1}]}, {"$or": []}):
        with pytest.raises(ValueError, match="at least two where expressions"):
            w.parse_where(clause, min_clauses=w.CLIENT_MIN_CLAUSES)
    assert w.parse_where({"$and": []}, min_clauses=w.SERVER_MIN_CLAUSES) == w.And(())
    assert w.parse_where({"$or": [{"x": 1}]}, min_clauses=w.SERVER_MIN_CLAUSES) == w.Or((w.Comparison("x", "$eq", 1),))
    with pytest.raises(ValueError, match="at least two where document expressions"):
        w.parse_where_document({"$or": [{"$contains": "a"}]}, min_clauses=w.CLIENT_MIN_CLAUSES)
    assert w.parse_where_document({"$or": []}, min_clauses=w.SERVER_MIN_CLAUSES) == w.Or(())


def test_none_and_empty_mean_no_filter() -> None:
    assert w.parse_filters(None, {}, min_clauses=w.CLIENT_MIN_CLAUSES) == (None, None)
    with pytest.raises(ValueError, match="exactly one operator"):
        w.parse_where({})


@pytest.mark.parametrize("clause", INVALID_WHERE_CASES, ids=repr)
def test_every_invalid_where_is_a_value_error(clause) -> None:
    with pytest.raises(ValueError):
        w.parse_where(clause, min_clauses=w.CLIENT_MIN_CLAUSES)


@pytest.mark.parametrize("clause", INVALID_WHERE_DOCUMENT_CASES, ids=repr)
def test_every_invalid_where_document_is_a_value_error(clause) -> None:
    with pytest.raises(ValueError):
        w.parse_where_document(clause, min_clauses=w.CLIENT_MIN_CLAUSES)


@pytest.mark.parametrize(
    "clause",
    [{"#document": "cat"}, {"#document": {"$contains": 1}}, {"#document": {"$in": ["a"]}}, {"x": {"$regex": "a"}}],
    ids=repr,
)
def test_document_key_takes_only_text_operators(clause) -> None:
    with pytest.raises(ValueError, match="#document"):
        w.parse_where(clause)


def test_regex_is_compiled_once_at_parse(monkeypatch) -> None:
    tree = w.parse_where_document({"$and": [{"$regex": "c.t"}, {"$not_regex": "^x"}]}, min_clauses=2)
    compiled = [clause.regex() for clause in tree.clauses]
    monkeypatch.setattr(w, "compile_document_regex", lambda pattern: pytest.fail("compiled again"))
    assert [clause.regex() for clause in tree.clauses] == compiled
    assert compiled[0].search("a cat")


def test_a_checked_only_regex_compiles_when_first_used() -> None:
    # upstream's public validate_where_document leaves the pattern to the database
    tree = w.parse_where_document({"$regex": "["}, compile_regex=False)
    with pytest.raises(ValueError, match="Invalid regular expression"):
        tree.regex()
    good = w.parse_where_document({"$regex": "a+"}, compile_regex=False)
    assert good.regex() is good.regex()


def test_filter_cache_tells_true_from_one(client) -> None:
    # the engine caches the slots a filter allows, keyed on the tree: equal-comparing
    # operands of different types must not share an entry
    coll = client.create_collection("typed-keys", embedding_function=None)
    coll.add(
        ids=["t", "one", "float"],
        embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        metadatas=[{"v": True}, {"v": 1}, {"v": 1.5}],
    )
    q = {"query_embeddings": [[1.0, 0.0]], "n_results": 5, "include": []}
    for _ in range(2):
        assert coll.query(where={"v": True}, **q)["ids"] == [["t"]]
        assert coll.query(where={"v": 1}, **q)["ids"] == [["one"]]
        assert coll.query(where={"v": {"$in": [True]}}, **q)["ids"] == [["t"]]
        assert coll.query(where={"v": {"$in": [1]}}, **q)["ids"] == [["one"]]
