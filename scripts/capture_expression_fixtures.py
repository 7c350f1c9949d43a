"""Capture what real chromadb 1.5.9 makes of the Search API expressions and Schema builders.

Run it with the Python of a virtualenv where the real `chromadb==1.5.9` is installed
(not this project), from the repository root:

    /path/to/real-venv/bin/python scripts/capture_expression_fixtures.py

It evaluates every case below with the real package and writes, per case, the JSON its
`to_dict()` / `serialize_to_json()` gives, or the builtin class and message of the error
it raises, to tests/fixtures/expressions_159.json. tests/test_expression_fixtures.py
evaluates the same cases with ours and compares.

A Select's keys are a set upstream, sent in set order: the fixture stores them sorted,
and the test sorts ours the same way.
"""

from __future__ import annotations

import builtins
import json
import sys
import warnings
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "expressions_159.json"

# Names every case may use; `EmbeddingFunction` is each package's own base class.
IMPORTS = """
import numpy as np
from chromadb.base_types import SparseVector
from chromadb.execution.expression import *
from chromadb.execution.expression import Search
from chromadb.api.types import (
    Schema, Cmek, VectorIndexConfig, HnswIndexConfig, SpannIndexConfig, FtsIndexConfig,
    SparseVectorIndexConfig, StringInvertedIndexConfig, IntInvertedIndexConfig,
    FloatInvertedIndexConfig, BoolInvertedIndexConfig, EmbeddingFunction,
)
"""

PRELUDE = """
class FixedEF(EmbeddingFunction):
    def __init__(self, dim=3):
        self.dim = dim
    def __call__(self, input):
        return [np.ones(self.dim, dtype=np.float32) for _ in input]
    @staticmethod
    def name():
        return "fixed_ef"
    def get_config(self):
        return {"dim": self.dim}
    @staticmethod
    def build_from_config(config):
        return FixedEF(config["dim"])
    def default_space(self):
        return "cosine"
    def supported_spaces(self):
        return ["cosine", "l2"]

class WordSparseEF:
    def __init__(self):
        pass
    def __call__(self, input):
        return [SparseVector(indices=[len(t)], values=[1.0]) for t in input]
    @staticmethod
    def name():
        return "word_sparse"
    def get_config(self):
        return {"unit": 1.0}
    @staticmethod
    def build_from_config(config):
        return WordSparseEF()

GCP_KEY = "projects/p/locations/l/keyRings/r/cryptoKeys/k"

ECHOED = {
    "defaults": {
        "string": {"fts_index": {"enabled": False, "config": {}},
                   "string_inverted_index": {"enabled": True, "config": {}}},
        "float_list": {"vector_index": {"enabled": False, "config": {
            "space": "cosine", "embedding_function": {"type": "known", "name": "default", "config": {}},
            "hnsw": {"ef_construction": 100, "max_neighbors": 16, "ef_search": 100, "num_threads": 4,
                     "batch_size": 100, "sync_threshold": 1000, "resize_factor": 1.2}}}},
        "sparse_vector": {"sparse_vector_index": {"enabled": False, "config": {
            "embedding_function": {"type": "unknown"}}}},
        "int": {"int_inverted_index": {"enabled": True, "config": {}}},
        "float": {"float_inverted_index": {"enabled": True, "config": {}}},
        "bool": {"bool_inverted_index": {"enabled": True, "config": {}}},
    },
    "keys": {
        "#document": {"string": {"fts_index": {"enabled": True, "config": {}},
                                 "string_inverted_index": {"enabled": False, "config": {}}}},
        "#embedding": {"float_list": {"vector_index": {"enabled": True, "config": {
            "space": "cosine", "embedding_function": {"type": "legacy"}, "source_key": "#document",
            "hnsw": {"ef_construction": 100, "max_neighbors": 16, "ef_search": 100}}}}},
        "restricted": {"string": {"string_inverted_index": {"enabled": False, "config": {}}}},
        "year": {"int": {"int_inverted_index": {"enabled": False, "config": {}}}},
    },
}
"""

CASES: list[tuple[str, str]] = [
    # -- filters ----------------------------------------------------------------------
    ("where_eq", "K('status') == 'active'"),
    ("where_ne", "K('status') != 'draft'"),
    ("where_gt", "K('year') > 2020"),
    ("where_gte", "K('score') >= 0.5"),
    ("where_lt", "K('year') < 2000"),
    ("where_lte", "K('flag') <= True"),
    ("where_in", "K('cat').is_in(['a', 'b'])"),
    ("where_nin", "K('cat').not_in([1, 2])"),
    ("where_id_in", "K.ID.is_in(['id1', 'id2'])"),
    ("where_id_eq", "Key.ID == 'x'"),
    ("where_doc_contains", "K.DOCUMENT.contains('llama')"),
    ("where_doc_not_contains", "K.DOCUMENT.not_contains('draft')"),
    ("where_doc_regex", "K.DOCUMENT.regex('^a.*z$')"),
    ("where_doc_not_regex", "K.DOCUMENT.not_regex('[0-9]+')"),
    ("where_array_contains", "K('tags').contains(3)"),
    ("where_array_not_contains", "K('tags').not_contains('x')"),
    ("where_and", "(K('a') == 1) & (K('b') > 2)"),
    ("where_and_chain_flat", "(K('a') == 1) & (K('b') == 2) & (K('c') == 3)"),
    ("where_and_of_ands", "((K('a') == 1) & (K('b') == 2)) & ((K('c') == 3) & (K('d') == 4))"),
    ("where_or_chain_flat", "(K('a') == 1) | (K('b') == 2) | (K('c') == 3)"),
    ("where_mixed", "(K('status') == 'active') & ((K('score') > 0.5) | (K('priority') == 'high'))"),
    ("where_or_of_ands", "((K('a') == 1) & (K('b') == 2)) | (K('c') == 3)"),
    ("where_from_shorthand", "Where.from_dict({'cat': 'animal'})"),
    ("where_from_ops", "Where.from_dict({'$and': [{'a': {'$gte': 1}}, {'b': {'$in': [1, 2]}}, {'#document': {'$regex': 'x'}}]})"),
    ("where_from_single_and", "Where.from_dict({'$and': [{'a': {'$ne': 1}}]})"),
    ("where_from_nested", "Where.from_dict({'$or': [{'$and': [{'a': 1}, {'b': 2}]}, {'c': {'$nin': ['x']}}]})"),
    ("where_from_contains", "Where.from_dict({'tags': {'$not_contains': 2}})"),
    ("err_where_empty", "Where.from_dict({})"),
    ("err_where_two_fields", "Where.from_dict({'a': 1, 'b': 2})"),
    ("err_where_unknown_op", "Where.from_dict({'a': {'$like': 1}})"),
    ("err_where_two_ops", "Where.from_dict({'a': {'$gt': 1, '$lt': 3}})"),
    ("err_where_empty_ops", "Where.from_dict({'a': {}})"),
    ("err_where_in_not_list", "Where.from_dict({'a': {'$in': 'x'}})"),
    ("err_where_and_empty", "Where.from_dict({'$and': []})"),
    ("err_where_and_not_list", "Where.from_dict({'$and': {'a': 1}})"),
    ("err_where_and_extra", "Where.from_dict({'$and': [{'a': 1}], 'b': 2})"),
    ("err_where_regex_not_str", "Where.from_dict({'#document': {'$regex': 3}})"),
    ("err_where_not_dict", "Where.from_dict([1])"),
    ("err_doc_contains_int", "K.DOCUMENT.contains(3)"),
    ("err_doc_not_contains_int", "K.DOCUMENT.not_contains(3)"),
    # -- rank expressions -------------------------------------------------------------
    ("knn_defaults", "Knn(query=[0.1, 0.2, 0.3])"),
    ("knn_all_fields", "Knn(query=[1, 0], key='#embedding', limit=100, default=1000.0, return_rank=True)"),
    ("knn_key_obj", "Knn(query=[1.5], key=K.EMBEDDING, limit=5)"),
    ("knn_numpy", "Knn(query=np.array([0.1, 0.2], dtype=np.float32))"),
    ("knn_sparse", "Knn(query=SparseVector(indices=[1, 5], values=[0.5, 2.0]), key='sv')"),
    ("knn_sparse_labels", "Knn(query=SparseVector(indices=[1], values=[0.5], labels=['fox']), key='sv', default=10)"),
    ("knn_string", "Knn(query='hello world', key='bm25')"),
    ("knn_default_zero", "Knn(query=[1.0], default=0)"),
    ("val", "Val(0.5)"),
    ("val_int", "Val(3)"),
    ("sum_chain", "Knn(query=[1.0]) + Knn(query=[2.0], key='sv') + 0.5"),
    ("radd", "1 + Knn(query=[1.0])"),
    ("sub", "Knn(query=[1.0]) - 0.25"),
    ("rsub", "1.0 - Knn(query=[1.0])"),
    ("mul_weights", "Knn(query=[1.0]) * 0.8 + Val(0.5) * 0.2"),
    ("rmul", "2 * Knn(query=[1.0])"),
    ("mul_chain", "Knn(query=[1.0]) * 2 * 3"),
    ("div", "Knn(query=[1.0]) / 10.0"),
    ("rdiv", "1.0 / Knn(query=[1.0])"),
    ("neg", "-Knn(query=[1.0])"),
    ("neg_sum", "-(Knn(query=[1.0]) + 1)"),
    ("abs_builtin", "abs(Knn(query=[1.0]) - 0.5)"),
    ("abs_method", "(Knn(query=[1.0]) - 0.5).abs()"),
    ("exp", "Knn(query=[1.0]).exp()"),
    ("log", "(Knn(query=[1.0]) + 1).log()"),
    ("max_min_clamp", "Knn(query=[1.0]).min(1.0).max(0.0)"),
    ("max_chain", "Knn(query=[1.0]).max(Val(0.1)).max(0.2)"),
    ("min_chain", "Val(1).min(Val(2)).min(Val(3))"),
    ("sum_of_sums", "(Val(1) + Val(2)) + (Val(3) + Val(4))"),
    ("mul_of_muls", "(Val(1) * Val(2)) * (Val(3) * Val(4))"),
    ("rrf_basic", "Rrf([Knn(query=[1, 0, 0], return_rank=True), Knn(query=[0, 1, 0], return_rank=True)])"),
    ("rrf_single", "Rrf([Knn(query=[1.0], return_rank=True)])"),
    ("rrf_k_weights", "Rrf(ranks=[Knn(query=[1.0], return_rank=True, limit=100, default=1000), Knn(query=SparseVector(indices=[2], values=[1.0]), key='sv', return_rank=True)], weights=[2.0, 1.0], k=100)"),
    ("rrf_int_weights", "Rrf([Knn(query=[1.0], return_rank=True), Knn(query=[2.0], return_rank=True)], weights=[2, 1])"),
    ("rrf_normalize", "Rrf([Knn(query=[1.0], return_rank=True), Knn(query=[2.0], return_rank=True)], weights=[3.0, 1.0], normalize=True)"),
    ("rrf_normalize_default_weights", "Rrf([Knn(query=[1.0]), Knn(query=[2.0]), Knn(query=[3.0])], normalize=True)"),
    ("rrf_of_sum", "Rrf([Knn(query=[1.0]) + 1, Knn(query=[2.0])])"),
    ("rrf_in_arithmetic", "Rrf([Knn(query=[1.0], return_rank=True)]) * 0.5 + Knn(query=[2.0])"),
    ("err_rrf_empty", "Rrf([])"),
    ("err_rrf_k_zero", "Rrf([Knn(query=[1.0])], k=0)"),
    ("err_rrf_weights_count", "Rrf([Knn(query=[1.0]), Knn(query=[2.0])], weights=[1.0])"),
    ("err_rrf_negative_weight", "Rrf([Knn(query=[1.0]), Knn(query=[2.0])], weights=[1.0, -1.0])"),
    ("err_rrf_zero_sum_normalize", "Rrf([Knn(query=[1.0])], weights=[0.0], normalize=True)"),
    ("rank_from_val", "Rank.from_dict({'$val': 2})"),
    ("rank_from_knn_dense", "Rank.from_dict({'$knn': {'query': [1, 2]}})"),
    ("rank_from_knn_float32", "Rank.from_dict({'$knn': {'query': [0.1, 0.2], 'limit': 7, 'default': 5.0, 'return_rank': True, 'key': '#embedding'}})"),
    ("rank_from_knn_sparse", "Rank.from_dict({'$knn': {'query': {'#type': 'sparse_vector', 'indices': [0, 3], 'values': [1.0, 0.5]}, 'key': 'sv'}})"),
    ("rank_from_all_ops", "Rank.from_dict({'$sum': [{'$mul': [{'$val': 2}, {'$knn': {'query': [1.0]}}]}, {'$sub': {'left': {'$val': 1}, 'right': {'$abs': {'$val': -1}}}}, {'$div': {'left': {'$exp': {'$val': 0}}, 'right': {'$log': {'$val': 2}}}}, {'$max': [{'$val': 1}, {'$val': 2}]}, {'$min': [{'$val': 1}, {'$val': 2}, {'$val': 3}]}]})"),
    ("rank_from_sum3", "Rank.from_dict({'$sum': [{'$val': 1}, {'$val': 2}, {'$val': 3}]})"),
    ("err_rank_unknown", "Rank.from_dict({'$bogus': 1})"),
    ("err_rank_empty", "Rank.from_dict({})"),
    ("err_rank_two_ops", "Rank.from_dict({'$val': 1, '$abs': {'$val': 1}})"),
    ("err_rank_val_str", "Rank.from_dict({'$val': 'x'})"),
    ("err_rank_sum_one", "Rank.from_dict({'$sum': [{'$val': 1}]})"),
    ("err_rank_sum_not_list", "Rank.from_dict({'$sum': {'$val': 1}})"),
    ("err_rank_sub_missing", "Rank.from_dict({'$sub': {'left': {'$val': 1}}})"),
    ("err_rank_abs_not_dict", "Rank.from_dict({'$abs': 3})"),
    ("err_rank_knn_no_query", "Rank.from_dict({'$knn': {'limit': 3}})"),
    ("err_rank_knn_limit_zero", "Rank.from_dict({'$knn': {'query': [1.0], 'limit': 0}})"),
    ("err_rank_knn_limit_str", "Rank.from_dict({'$knn': {'query': [1.0], 'limit': '3'}})"),
    ("err_rank_knn_return_rank", "Rank.from_dict({'$knn': {'query': [1.0], 'return_rank': 1}})"),
    ("err_rank_knn_key_int", "Rank.from_dict({'$knn': {'query': [1.0], 'key': 3}})"),
    ("err_rank_knn_sparse_untagged", "Rank.from_dict({'$knn': {'query': {'indices': [1], 'values': [1.0]}}})"),
    ("err_rank_knn_query_int", "Rank.from_dict({'$knn': {'query': 5}})"),
    ("err_rank_not_dict", "Rank.from_dict([1])"),
    # -- limit, select, group by ------------------------------------------------------
    ("limit_default", "Limit()"),
    ("limit_both", "Limit(offset=10, limit=20)"),
    ("limit_from", "Limit.from_dict({'limit': 5})"),
    ("limit_from_offset", "Limit.from_dict({'offset': 3})"),
    ("err_limit_negative_offset", "Limit.from_dict({'offset': -1})"),
    ("err_limit_zero", "Limit.from_dict({'limit': 0})"),
    ("err_limit_float", "Limit.from_dict({'limit': 2.5})"),
    ("err_limit_extra", "Limit.from_dict({'limit': 2, 'page': 1})"),
    ("select_empty", "Select()"),
    ("select_keys", "Select(keys={K.DOCUMENT, K.SCORE, 'title'})"),
    ("select_from", "Select.from_dict({'keys': ['#document', '#embedding', '#metadata', '#score', '#id', 'x']})"),
    ("err_select_key_int", "Select.from_dict({'keys': [1]})"),
    ("err_select_keys_str", "Select.from_dict({'keys': 'abc'})"),
    ("err_select_extra", "Select.from_dict({'keys': [], 'x': 1})"),
    ("group_by_default", "GroupBy()"),
    ("group_by_min", "GroupBy(keys=K('category'), aggregate=MinK(keys=K.SCORE, k=3))"),
    ("group_by_two_keys", "GroupBy(keys=[K('year'), 'category'], aggregate=MinK(keys=K.SCORE, k=2))"),
    ("group_by_tiebreak", "GroupBy(keys=K('category'), aggregate=MinK(keys=[K('priority'), K.SCORE], k=1))"),
    ("group_by_max", "GroupBy(keys=['cat'], aggregate=MaxK(keys=['#score'], k=2))"),
    ("group_by_from", "GroupBy.from_dict({'keys': ['cat'], 'aggregate': {'$min_k': {'keys': ['#score'], 'k': 1}}})"),
    ("group_by_from_empty", "GroupBy.from_dict({})"),
    ("aggregate_from_max", "Aggregate.from_dict({'$max_k': {'keys': ['a', '#score'], 'k': 4}})"),
    ("min_k_single", "MinK(keys='rating', k=1)"),
    ("err_group_by_no_aggregate", "GroupBy.from_dict({'keys': ['cat']})"),
    ("err_group_by_no_keys", "GroupBy.from_dict({'aggregate': {'$min_k': {'keys': ['#score'], 'k': 1}}})"),
    ("err_group_by_empty_keys", "GroupBy.from_dict({'keys': [], 'aggregate': {'$min_k': {'keys': ['#score'], 'k': 1}}})"),
    ("err_aggregate_unknown", "Aggregate.from_dict({'$avg': {'keys': ['a'], 'k': 1}})"),
    ("err_aggregate_k_zero", "Aggregate.from_dict({'$min_k': {'keys': ['a'], 'k': 0}})"),
    ("err_aggregate_no_k", "Aggregate.from_dict({'$min_k': {'keys': ['a']}})"),
    ("err_aggregate_empty_keys", "Aggregate.from_dict({'$max_k': {'keys': [], 'k': 1}})"),
    # -- Search -----------------------------------------------------------------------
    ("search_empty", "Search()"),
    ("search_observed_body", "Search().where(K('cat') == 'animal').rank(Knn(query=[1, 0, 0])).limit(2)"),
    ("search_builder", "Search().where((K('status') == 'active') & (K('score') > 0.5)).rank(Knn(query=[0.1, 0.2]) * 0.8 + Val(0.5) * 0.2).limit(20, offset=10).select(K.DOCUMENT, K.SCORE, 'title')"),
    ("search_select_all", "Search().rank(Knn(query=[1.0])).select_all()"),
    ("search_group_by", "Search().rank(Knn(query=[1.0])).group_by(GroupBy(keys=K('cat'), aggregate=MinK(keys=K.SCORE, k=1))).select(K.SCORE, 'cat')"),
    ("search_dicts", "Search(where={'cat': {'$eq': 'x'}}, rank={'$knn': {'query': [0.5, 0.5]}}, group_by={'keys': ['cat'], 'aggregate': {'$max_k': {'keys': ['#score'], 'k': 2}}}, limit={'offset': 1, 'limit': 3}, select=['#document', '#score'])"),
    ("search_int_limit", "Search(limit=5)"),
    ("search_select_set", "Search(select={'#metadata', 'a'})"),
    ("search_select_dict", "Search(select={'keys': ['#embedding']})"),
    ("search_where_none_resets", "Search().where(K('a') == 1).where(None)"),
    ("search_rrf", "Search().rank(Rrf([Knn(query=[1.0], return_rank=True, default=100), Knn(query=SparseVector(indices=[4], values=[1.0]), key='sv', return_rank=True, default=100)])).limit(10).select(K.DOCUMENT)"),
    ("search_id_filter", "Search(where=K.ID.is_in(['a', 'b']) & K.DOCUMENT.contains('x')).select(K.METADATA)"),
    ("err_search_rank_number", "Search(rank=0.5)"),
    ("err_search_where_str", "Search(where='a')"),
    ("err_search_limit_str", "Search(limit='5')"),
    ("err_search_limit_zero", "Search(limit=0)"),
    ("err_search_select_str", "Search(select='#document')"),
    ("err_search_group_by_list", "Search(group_by=['a'])"),
    ("err_search_where_empty", "Search(where={})"),
    # -- sparse vectors ---------------------------------------------------------------
    ("sparse_basic", "SparseVector(indices=[0, 3, 9], values=[0.5, 1.0, 2])"),
    ("sparse_labels", "SparseVector(indices=[1, 2], values=[1.0, 2.0], labels=['a', 'b'])"),
    ("sparse_empty", "SparseVector(indices=[], values=[])"),
    ("sparse_from", "SparseVector.from_dict({'#type': 'sparse_vector', 'indices': [2, 4], 'values': [0.1, 0.2], 'tokens': ['x', 'y']})"),
    ("err_sparse_unsorted", "SparseVector(indices=[3, 1], values=[1.0, 2.0])"),
    ("err_sparse_duplicate", "SparseVector(indices=[1, 1], values=[1.0, 2.0])"),
    ("err_sparse_negative", "SparseVector(indices=[-1], values=[1.0])"),
    ("err_sparse_lengths", "SparseVector(indices=[1, 2], values=[1.0])"),
    ("err_sparse_float_index", "SparseVector(indices=[1.5], values=[1.0])"),
    ("err_sparse_str_value", "SparseVector(indices=[1], values=['a'])"),
    ("err_sparse_labels_length", "SparseVector(indices=[1], values=[1.0], labels=['a', 'b'])"),
    ("err_sparse_indices_not_list", "SparseVector(indices=5, values=[1.0])"),
    ("err_sparse_from_untagged", "SparseVector.from_dict({'indices': [1], 'values': [1.0]})"),
    # -- Schema -----------------------------------------------------------------------
    ("schema_default", "Schema()"),
    ("schema_fts_off", "Schema().delete_index(FtsIndexConfig(), key='#document')"),
    ("schema_fts_on", "Schema().create_index(FtsIndexConfig(), key=K.DOCUMENT)"),
    ("schema_string_off_key", "Schema().delete_index(StringInvertedIndexConfig(), key='restricted')"),
    ("schema_string_off_global", "Schema().delete_index(StringInvertedIndexConfig())"),
    ("schema_int_on_key", "Schema().create_index(IntInvertedIndexConfig(), key='year')"),
    ("schema_float_bool_off", "Schema().delete_index(FloatInvertedIndexConfig(), key='price').delete_index(BoolInvertedIndexConfig(), key='price')"),
    ("schema_int_off_global", "Schema().delete_index(IntInvertedIndexConfig()).delete_index(FloatInvertedIndexConfig()).delete_index(BoolInvertedIndexConfig())"),
    ("schema_string_on_global", "Schema().create_index(StringInvertedIndexConfig())"),
    ("schema_vector_hnsw", "Schema().create_index(VectorIndexConfig(space='cosine', hnsw=HnswIndexConfig(ef_construction=200, max_neighbors=32, ef_search=50)))"),
    ("schema_vector_hnsw_all", "Schema().create_index(VectorIndexConfig(space='ip', hnsw=HnswIndexConfig(ef_construction=10, max_neighbors=8, ef_search=20, num_threads=2, batch_size=50, sync_threshold=500, resize_factor=1.5)))"),
    ("schema_vector_spann", "Schema().create_index(VectorIndexConfig(spann=SpannIndexConfig(search_nprobe=64, write_nprobe=32, ef_construction=100, ef_search=100, max_neighbors=16, reassign_neighbor_count=64, split_threshold=100, merge_threshold=50)))"),
    ("schema_vector_legacy_ef", "Schema().create_index(VectorIndexConfig(embedding_function=None, space='l2'))"),
    ("schema_vector_custom_ef", "Schema().create_index(VectorIndexConfig(embedding_function=FixedEF(5)))"),
    ("schema_vector_custom_ef_space", "Schema().create_index(VectorIndexConfig(embedding_function=FixedEF(2), space='l2'))"),
    ("schema_vector_source_key", "Schema().create_index(VectorIndexConfig(source_key='body'))"),
    ("schema_sparse_plain", "Schema().create_index(SparseVectorIndexConfig(), key='sv')"),
    ("schema_sparse_ef", "Schema().create_index(SparseVectorIndexConfig(embedding_function=WordSparseEF(), source_key=K.DOCUMENT, bm25=True), key='bm25')"),
    ("schema_sparse_off_then_other", "Schema().create_index(SparseVectorIndexConfig(bm25=False), key='a').delete_index(StringInvertedIndexConfig(), key='a')"),
    ("schema_cmek", "Schema().set_cmek(Cmek.gcp(GCP_KEY))"),
    ("schema_cmek_removed", "Schema().set_cmek(Cmek.gcp(GCP_KEY)).set_cmek(None)"),
    ("schema_chain", "Schema().delete_index(FtsIndexConfig(), key='#document').create_index(StringInvertedIndexConfig(), key='a').delete_index(StringInvertedIndexConfig(), key='a').create_index(FloatInvertedIndexConfig(), key='a')"),
    ("schema_roundtrip_default", "Schema.deserialize_from_json(Schema().serialize_to_json())"),
    ("schema_roundtrip_complex", "Schema.deserialize_from_json(Schema().delete_index(StringInvertedIndexConfig(), key='r').create_index(VectorIndexConfig(space='cosine', hnsw=HnswIndexConfig(ef_search=77))).create_index(SparseVectorIndexConfig(), key='sv').set_cmek(Cmek.gcp(GCP_KEY)).serialize_to_json())"),
    ("schema_from_echo", "Schema.deserialize_from_json(ECHOED)"),
    ("schema_from_minimal", "Schema.deserialize_from_json({'defaults': {}, 'keys': {'a': {'string': {'string_inverted_index': {}}}}})"),
    ("schema_from_empty", "Schema.deserialize_from_json({})"),
    ("schema_from_fixed_ef_unregistered", "Schema.deserialize_from_json({'defaults': {}, 'keys': {'#embedding': {'float_list': {'vector_index': {'enabled': True, 'config': {'embedding_function': {'type': 'known', 'name': 'no_such_ef', 'config': {}}}}}}}})"),
    ("schema_from_sparse_unknown", "Schema.deserialize_from_json({'defaults': {}, 'keys': {'sv': {'sparse_vector': {'sparse_vector_index': {'enabled': True, 'config': {'embedding_function': {'type': 'unknown'}, 'bm25': True, 'source_key': 'body'}}}}}})"),
    ("schema_keys_order", "list(Schema().create_index(IntInvertedIndexConfig(), key='z').create_index(IntInvertedIndexConfig(), key='a').keys)"),
    ("schema_default_fts_enabled", "Schema().keys['#document'].string.fts_index.enabled"),
    ("schema_embedding_source", "Schema().keys['#embedding'].float_list.vector_index.config.source_key"),
    ("schema_defaults_vector_enabled", "Schema().defaults.float_list.vector_index.enabled"),
    ("err_schema_create_nothing", "Schema().create_index()"),
    ("err_schema_create_embedding_key", "Schema().create_index(VectorIndexConfig(), key='#embedding')"),
    ("err_schema_create_document_non_fts", "Schema().create_index(StringInvertedIndexConfig(), key='#document')"),
    ("err_schema_create_hash_key", "Schema().create_index(StringInvertedIndexConfig(), key='#foo')"),
    ("err_schema_create_vector_key", "Schema().create_index(VectorIndexConfig(), key='v')"),
    ("err_schema_create_fts_key", "Schema().create_index(FtsIndexConfig(), key='body')"),
    ("err_schema_create_fts_global", "Schema().create_index(FtsIndexConfig())"),
    ("err_schema_create_sparse_global", "Schema().create_index(SparseVectorIndexConfig())"),
    ("err_schema_create_all_for_key", "Schema().create_index(key='a')"),
    ("err_schema_two_sparse", "Schema().create_index(SparseVectorIndexConfig(), key='a').create_index(SparseVectorIndexConfig(), key='b')"),
    ("err_schema_sparse_source_without_ef", "Schema().create_index(SparseVectorIndexConfig(source_key='body'), key='sv')"),
    ("err_schema_delete_nothing", "Schema().delete_index()"),
    ("err_schema_delete_embedding", "Schema().delete_index(VectorIndexConfig(), key='#embedding')"),
    ("err_schema_delete_document_non_fts", "Schema().delete_index(StringInvertedIndexConfig(), key='#document')"),
    ("err_schema_delete_hash_key", "Schema().delete_index(IntInvertedIndexConfig(), key='#x')"),
    ("err_schema_delete_vector", "Schema().delete_index(VectorIndexConfig())"),
    ("err_schema_delete_sparse", "Schema().delete_index(SparseVectorIndexConfig(), key='sv')"),
    ("err_schema_delete_fts_other", "Schema().delete_index(FtsIndexConfig(), key='body')"),
    ("err_schema_delete_all_for_key", "Schema().delete_index(key='a')"),
    ("cmek_dict", "Cmek.gcp(GCP_KEY).to_dict()"),
    ("cmek_valid", "Cmek.gcp(GCP_KEY).validate_pattern()"),
    ("cmek_invalid", "Cmek.gcp('not-a-key').validate_pattern()"),
    ("cmek_from", "Cmek.from_dict({'gcp': GCP_KEY}).resource"),
    ("err_cmek_from_unknown", "Cmek.from_dict({'aws': 'x'})"),
    ("err_cmek_from_not_str", "Cmek.from_dict({'gcp': 3})"),
    ("hnsw_dump", "HnswIndexConfig(ef_search=10, resize_factor=1.5).model_dump(exclude_none=True)"),
    ("spann_dump", "SpannIndexConfig(search_nprobe=3).model_dump(exclude_none=True)"),
    ("err_hnsw_extra", "HnswIndexConfig(foo=1)"),
    ("err_hnsw_bad_type", "HnswIndexConfig(ef_search='many')"),
    ("err_spann_extra", "SpannIndexConfig(nprobe=1)"),
    ("err_fts_extra", "FtsIndexConfig(x=1)"),
    ("err_string_extra", "StringInvertedIndexConfig(x=1)"),
    ("err_vector_space", "VectorIndexConfig(space='manhattan')"),
    ("err_vector_extra", "VectorIndexConfig(dims=3)"),
    ("err_vector_source_hash", "VectorIndexConfig(source_key='#embedding')"),
    ("err_vector_source_int", "VectorIndexConfig(source_key=3)"),
    ("err_vector_ef_not_callable", "VectorIndexConfig(embedding_function=3)"),
    ("err_sparse_config_extra", "SparseVectorIndexConfig(weights=1)"),
    ("err_sparse_config_source_hash", "SparseVectorIndexConfig(source_key='#id')"),
    ("err_sparse_config_ef_not_callable", "SparseVectorIndexConfig(embedding_function='bm25')"),
]


def builtin_error(exc: BaseException) -> str:
    """The nearest builtin class of an exception (pydantic's ValidationError is a ValueError)."""
    for cls in type(exc).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "Exception"


def jsonable(value: Any) -> Any:
    if hasattr(value, "serialize_to_json"):
        value = value.serialize_to_json()
    elif hasattr(value, "to_dict"):
        value = value.to_dict()
    return sort_select_keys(value)


def sort_select_keys(value: Any) -> Any:
    """Sort the keys of every Select (a dict whose only key is "keys" listing strings)."""
    if isinstance(value, dict):
        out = {k: sort_select_keys(v) for k, v in value.items()}
        if list(out) == ["keys"] and isinstance(out["keys"], list):
            out["keys"] = sorted(out["keys"])
        return out
    if isinstance(value, list):
        return [sort_select_keys(v) for v in value]
    return value


def evaluate(expr: str, namespace: dict[str, Any]) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {"value": jsonable(eval(expr, namespace))}
    except Exception as exc:  # noqa: BLE001 - recording what it raises is the point
        out = {"error": builtin_error(exc)}
        # pydantic wraps messages in its own report; only plain exceptions keep theirs.
        if type(exc).__module__ == "builtins":
            out["message"] = str(exc)
        return out


def main() -> None:
    import chromadb
    import chromadb.api.types

    if getattr(chromadb, "__version__", None) != "1.5.9" or chromadb.api.types.Schema.__module__ != "chromadb.api.types":
        sys.exit("run this with real chromadb 1.5.9 (not this project's package) installed")
    namespace: dict[str, Any] = {}
    exec(IMPORTS, namespace)
    exec(PRELUDE, namespace)
    cases = {name: {"expr": expr, **evaluate(expr, namespace)} for name, expr in CASES}
    FIXTURE.write_text(
        json.dumps({"chromadb": chromadb.__version__, "prelude": PRELUDE, "cases": cases}, indent=1) + "\n"
    )
    print(f"wrote {len(cases)} cases to {FIXTURE}")


if __name__ == "__main__":
    main()
