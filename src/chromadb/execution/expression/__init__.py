"""The Search API's client-side builders: `Search` and the expressions it is made of.

    from chromadb.execution.expression import Search, K, Knn, Rrf
    search = Search().where(K("year") >= 2020).rank(Knn(query=[0.1, 0.2])).limit(5)
    search.to_dict()   # the payload `Collection.search()` sends

`to_dict()` of every class gives the wire body of spec/search-api.md.
"""

from __future__ import annotations

from chromadb.execution.expression import operator as _operator
from chromadb.execution.expression.operator import *  # noqa: F403 (operator.__all__ is the list)
from chromadb.execution.expression.operator import Where
from chromadb.execution.expression.plan import Search

# Upstream's alias, distinct in name from the classic `Where` dict type of chromadb.api.types.
SearchWhere = Where

__all__ = [*_operator.__all__, "Search", "SearchWhere"]
