"""The rules of a record write, shared by every RecordStore implementation.

A store calls `plan()` inside its write transaction with the records that exist (read
from its own data, in that transaction), then stores what the plan says. Nothing here
does I/O, so the rules are the same whatever the database.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chromadb.engine.store.base import Record
from chromadb.errors import InvalidArgumentError
from chromadb.model.records import INCONSISTENT_DIMENSIONS, RecordBatch

__all__ = ["Plan", "batch_dimension", "clean_metadata", "merge_metadata", "plan"]

NEW_RID = -1  # the rid of a planned insert, until the store gives it one


@dataclass(frozen=True, slots=True)
class Plan:
    inserts: list[Record]  # rid NEW_RID; in batch order (the store numbers them in this order)
    updates: list[Record]  # final values; embedding None keeps the stored vector


def batch_dimension(batch: RecordBatch) -> int | None:
    """The dimension of the batch's vectors (None: it carries none)."""
    embeddings = batch.embeddings
    if embeddings is None:
        return None
    if isinstance(embeddings, np.ndarray):
        return int(embeddings.shape[1]) if len(embeddings) else None
    present = {len(e) for e in embeddings if e is not None}
    if len(present) > 1:
        raise InvalidArgumentError(INCONSISTENT_DIMENSIONS)
    return present.pop() if present else None


def plan(batch: RecordBatch, existing: Mapping[str, Record]) -> Plan:
    """What an add / upsert / update does, given the batch's records that exist already
    (`existing`: id -> stored record, without its vector; only `add` may also leave out
    the stored fields)."""
    if batch.kind == "add":
        return _plan_add(batch, existing)
    return _plan_merge(batch, existing, insert_missing=batch.kind == "upsert")


def _plan_add(batch: RecordBatch, existing: Mapping[str, Record]) -> Plan:
    """An add of an existing id is a silent no-op; the first of repeated ids wins."""
    ids, embeddings = batch.ids, batch.embeddings
    metadatas, documents, uris = batch.metadatas, batch.documents, batch.uris
    seen: set[str] = set()
    inserts = []
    for i, id_ in enumerate(ids):
        if id_ in existing or id_ in seen:
            continue
        seen.add(id_)
        inserts.append(
            Record(
                NEW_RID,
                id_,
                documents[i] if documents else None,
                uris[i] if uris else None,
                clean_metadata(metadatas[i] if metadatas else None),
                None if embeddings is None else embeddings[i],
            )
        )
    return Plan(inserts, [])


def _plan_merge(batch: RecordBatch, existing: Mapping[str, Record], insert_missing: bool) -> Plan:
    """upsert and update: merge into existing records (a None field keeps the stored one,
    metadata merges key by key); upsert also inserts the missing ones, update ignores them."""
    ids, embeddings = batch.ids, batch.embeddings
    metadatas, documents, uris = batch.metadatas, batch.documents, batch.uris
    merged: dict[str, Record] = {}  # id -> final record; a repeated id merges again
    new_ids: set[str] = set()
    for i, id_ in enumerate(ids):
        vec = None if embeddings is None else embeddings[i]
        doc = documents[i] if documents else None
        uri = uris[i] if uris else None
        meta = metadatas[i] if metadatas else None
        prev = merged.get(id_) or existing.get(id_)
        if prev is None:
            if not insert_missing:
                continue  # an update of a missing id is silently ignored
            if vec is None:
                raise InvalidArgumentError(f"Record {id_!r} does not exist and no embedding was given")
            merged[id_] = Record(NEW_RID, id_, doc, uri, clean_metadata(meta), vec)
            new_ids.add(id_)
        else:
            merged[id_] = Record(
                prev.rid,
                id_,
                doc if doc is not None else prev.document,
                uri if uri is not None else prev.uri,
                merge_metadata(prev.metadata, meta),
                vec if vec is not None else prev.embedding,
            )
    inserts = [r for r in merged.values() if r.id in new_ids]
    updates = [r for r in merged.values() if r.id not in new_ids]
    return Plan(inserts, updates)


def clean_metadata(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """What an insert stores: no None values, and no empty dict."""
    if not meta:
        return None
    if None not in meta.values():
        return meta
    cleaned = {k: v for k, v in meta.items() if v is not None}
    return cleaned or None


def merge_metadata(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Key-by-key merge; a None value deletes the key; an empty result is None."""
    if new is None:
        return old
    merged = dict(old or {})
    for key, value in new.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged or None
