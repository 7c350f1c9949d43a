"""`Search`, one request of `Collection.search()`: filter, rank, group, page and select.

    search = (Search()
              .where(K("status") == "active")
              .rank(Knn(query=[0.1, 0.2]))
              .limit(10)
              .select(K.DOCUMENT, K.SCORE))

A Search is immutable: every builder method returns a new one, so a base search can be
shared and refined. `to_dict()` is one `SearchPayload` of the wire body
(spec/search-api.md §1.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chromadb.execution.expression._rank import Rank
from chromadb.execution.expression._shaping import GroupBy, Limit, Select
from chromadb.execution.expression._where import Key, Where

__all__ = ["Search"]

_SELECT_ALL = frozenset({Key.DOCUMENT, Key.EMBEDDING, Key.METADATA, Key.SCORE})


class Search:
    """A search request, built directly or step by step.

    Args:
        where: a filter (`K("a") == 1`) or its dict form; None for no filter.
        rank: a rank expression (`Knn(...)`) or its dict form; None for no ranking
            (records come in insertion order).
        group_by: a `GroupBy` or its dict form.
        limit: a `Limit`, its dict form, or an int (that many results from the first).
        select: a `Select`, its dict form, or a list/set of field names.

    Example:
        Search(where={"status": "active"}, rank={"$knn": {"query": [0.1, 0.2]}},
               limit=10, select=["#document", "#score"])
    """

    __slots__ = ("_where", "_rank", "_group_by", "_limit", "_select")

    _where: Where | None
    _rank: Rank | None
    _group_by: GroupBy
    _limit: Limit
    _select: Select

    def __init__(
        self,
        where: Where | Mapping[str, Any] | None = None,
        rank: Rank | Mapping[str, Any] | None = None,
        group_by: GroupBy | Mapping[str, Any] | None = None,
        limit: Limit | Mapping[str, Any] | int | None = None,
        select: Select | Mapping[str, Any] | Iterable[Key | str] | None = None,
    ) -> None:
        object.__setattr__(self, "_where", _where(where))
        object.__setattr__(self, "_rank", _rank(rank))
        object.__setattr__(self, "_group_by", _group_by(group_by))
        object.__setattr__(self, "_limit", _limit(limit))
        object.__setattr__(self, "_select", _select(select))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Search is immutable; its builder methods return a new Search")

    def __repr__(self) -> str:
        return (
            f"Search(where={self._where!r}, rank={self._rank!r}, group_by={self._group_by!r}, "
            f"limit={self._limit!r}, select={self._select!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The wire payload; every field is always present, as upstream's client sends it."""
        return {
            "filter": None if self._where is None else self._where.to_dict(),
            "rank": None if self._rank is None else self._rank.to_dict(),
            "group_by": self._group_by.to_dict(),
            "limit": self._limit.to_dict(),
            "select": self._select.to_dict(),
        }

    def _with(self, **changes: Any) -> Search:
        fields = {
            "where": self._where,
            "rank": self._rank,
            "group_by": self._group_by,
            "limit": self._limit,
            "select": self._select,
        }
        fields.update(changes)
        return Search(**fields)

    def where(self, where: Where | Mapping[str, Any] | None) -> Search:
        """This search with filter `where` (replacing any previous one)."""
        return self._with(where=where)

    def rank(self, rank_expr: Rank | Mapping[str, Any] | None) -> Search:
        """This search ranked by `rank_expr`."""
        return self._with(rank=rank_expr)

    def group_by(self, group_by: GroupBy | Mapping[str, Any] | None) -> Search:
        """This search grouped by `group_by`."""
        return self._with(group_by=group_by)

    def limit(self, limit: int, offset: int = 0) -> Search:
        """This search returning at most `limit` results after skipping `offset`."""
        return self._with(limit=Limit(offset=offset, limit=limit))

    def select(self, *keys: Key | str) -> Search:
        """This search returning the fields `keys` (replacing any previous selection)."""
        return self._with(select=Select(keys=frozenset(keys)))

    def select_all(self) -> Search:
        """This search returning document, embedding, metadata and score."""
        return self._with(select=Select(keys=_SELECT_ALL))


def _where(where: Any) -> Where | None:
    if where is None or isinstance(where, Where):
        return where
    if isinstance(where, Mapping):
        return Where.from_dict(where)
    raise TypeError(f"where must be a Where object, dict, or None, got {type(where).__name__}")


def _rank(rank: Any) -> Rank | None:
    if rank is None or isinstance(rank, Rank):
        return rank
    if isinstance(rank, Mapping):
        return Rank.from_dict(rank)
    # A bare number is refused, as upstream: a constant is written Val(x) or {"$val": x}.
    raise TypeError(f"rank must be a Rank object, dict, or None, got {type(rank).__name__}")


def _group_by(group_by: Any) -> GroupBy:
    if group_by is None:
        return GroupBy()
    if isinstance(group_by, GroupBy):
        return group_by
    if isinstance(group_by, Mapping):
        return GroupBy.from_dict(group_by)
    raise TypeError(f"group_by must be a GroupBy object, dict, or None, got {type(group_by).__name__}")


def _limit(limit: Any) -> Limit:
    if limit is None:
        return Limit()
    if isinstance(limit, Limit):
        return limit
    if isinstance(limit, int) and not isinstance(limit, bool):
        return Limit(offset=0, limit=limit)
    if isinstance(limit, Mapping):
        return Limit.from_dict(limit)
    raise TypeError(f"limit must be a Limit object, dict, int, or None, got {type(limit).__name__}")


def _select(select: Any) -> Select:
    if select is None:
        return Select()
    if isinstance(select, Select):
        return select
    if isinstance(select, Mapping):
        return Select.from_dict(select)
    if isinstance(select, (list, tuple, set, frozenset)):
        return Select.from_dict({"keys": list(select)}) if all(isinstance(k, str) for k in select) else Select(keys=frozenset(select))
    raise TypeError(
        f"select must be a Select object, dict, list, set, or None, got {type(select).__name__}"
    )
