"""Chroma's `index_metadata.pickle` (user id <-> HNSW label), read without unpickling.

`pickle.load` runs whatever the file names, so it is never called. The opcodes are
parsed with `pickletools.genops` (a parser only: it executes nothing) and interpreted
here over a whitelist: plain containers and scalars, the memo, and exactly one class
symbol, Chroma 0.4-0.6's `PersistentData`, which is kept as a name and never imported:
`NEWOBJ` and `BUILD` only attach its state dict to a placeholder. Chroma 1.x writes a
plain dict (Rust serde_pickle). Any other opcode or global is refused.
"""
from __future__ import annotations

import pickletools
from dataclasses import dataclass
from typing import Any

from chromadb.errors import ChromaImportError

# the one class an 0.4-0.6 id map may name (module, qualified name)
_PERSISTENT_DATA = ("chromadb.segment.impl.vector.local_persistent_hnsw", "PersistentData")

_SCALARS = {
    "BININT", "BININT1", "BININT2", "INT", "LONG", "LONG1", "LONG4",
    "BINFLOAT", "FLOAT",
    "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING", "SHORT_BINSTRING",
    "BINBYTES", "SHORT_BINBYTES", "BINBYTES8",
}
_CONSTANTS = {"NONE": None, "NEWTRUE": True, "NEWFALSE": False}
_IGNORED = {"PROTO", "FRAME"}


@dataclass
class _ClassSymbol:
    module: str
    name: str


@dataclass
class _Instance:
    """What NEWOBJ of the allowed class gives: a holder for the state BUILD sets."""

    state: Any = None


@dataclass
class IdMap:
    id_to_label: dict[str, int]
    max_seq_id: int | None  # 0.4 kept the vector segment's flush point only here
    total_elements_added: int | None = None


class _Mark:
    pass


def read_id_map(data: bytes, path: str) -> IdMap:
    """The id map of a Chroma HNSW folder; ChromaImportError for anything else."""
    state = _interpret(data, path)
    if isinstance(state, _Instance):
        state = state.state
    if not isinstance(state, dict) or not isinstance(state.get("id_to_label"), dict):
        raise ChromaImportError(f"{path} is not a Chroma id map (no id_to_label dict in it): refused", path)
    id_to_label = state["id_to_label"]
    for key, value in id_to_label.items():
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, int):
            raise ChromaImportError(f"{path}: id_to_label maps {key!r} to {value!r}, not an id to a label", path)
    max_seq = state.get("max_seq_id")
    if isinstance(max_seq, bytes):
        max_seq = int.from_bytes(max_seq, "big")
    if max_seq is not None and (isinstance(max_seq, bool) or not isinstance(max_seq, int)):
        raise ChromaImportError(f"{path}: max_seq_id is {max_seq!r}, not a number", path)
    total = state.get("total_elements_added")
    return IdMap(id_to_label, max_seq, total if isinstance(total, int) else None)


def _interpret(data: bytes, path: str) -> Any:
    stack: list[Any] = []
    memo: dict[int, Any] = {}

    def refuse(why: str) -> ChromaImportError:
        return ChromaImportError(f"{path} is not the id map Chroma writes ({why}): refused, nothing was loaded", path)

    def pop_mark() -> list[Any]:
        for i in range(len(stack) - 1, -1, -1):
            if isinstance(stack[i], _Mark):
                items = stack[i + 1 :]
                del stack[i:]
                return items
        raise refuse("MARK missing")

    try:
        for opcode, arg, _pos in pickletools.genops(data):
            name = opcode.name
            if name in _IGNORED:
                continue
            if name in _SCALARS:
                stack.append(arg)
            elif name in _CONSTANTS:
                stack.append(_CONSTANTS[name])
            elif name == "MARK":
                stack.append(_Mark())
            elif name == "EMPTY_DICT":
                stack.append({})
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "EMPTY_SET":
                stack.append(set())
            elif name == "DICT":
                items = pop_mark()
                stack.append(dict(zip(items[::2], items[1::2])))
            elif name == "LIST":
                stack.append(pop_mark())
            elif name == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                items = stack[-n:]
                del stack[-n:]
                stack.append(tuple(items))
            elif name == "FROZENSET":
                stack.append(frozenset(pop_mark()))
            elif name == "SETITEM":
                value = stack.pop()
                key = stack.pop()
                _dict(stack[-1], refuse)[key] = value
            elif name == "SETITEMS":
                items = pop_mark()
                _dict(stack[-1], refuse).update(zip(items[::2], items[1::2]))
            elif name == "APPEND":
                value = stack.pop()
                _list(stack[-1], refuse).append(value)
            elif name == "APPENDS":
                items = pop_mark()
                _list(stack[-1], refuse).extend(items)
            elif name == "ADDITEMS":
                items = pop_mark()
                target = stack[-1]
                if not isinstance(target, set):
                    raise refuse("ADDITEMS on something that is not a set")
                target.update(items)
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[_memo_key(arg)] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if _memo_key(arg) not in memo:
                    raise refuse(f"memo entry {arg} read before it was written")
                stack.append(memo[_memo_key(arg)])
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "GLOBAL":
                    module, _, qualname = str(arg).partition(" ")
                else:
                    qualname = stack.pop()
                    module = stack.pop()
                if (module, qualname) != _PERSISTENT_DATA:
                    raise refuse(f"it refers to {module}.{qualname}")
                stack.append(_ClassSymbol(module, qualname))
            elif name == "NEWOBJ":
                args = stack.pop()
                cls = stack.pop()
                if not isinstance(cls, _ClassSymbol) or args != ():
                    raise refuse("NEWOBJ of something other than PersistentData()")
                stack.append(_Instance())
            elif name == "BUILD":
                state = stack.pop()
                target = stack[-1]
                if not isinstance(target, _Instance) or target.state is not None:
                    raise refuse("BUILD on something other than a new PersistentData")
                target.state = state
            elif name == "STOP":
                if len(stack) != 1:
                    raise refuse("a stack of more than one value at STOP")
                return stack.pop()
            else:
                raise refuse(f"opcode {name} is not allowed")
    except ChromaImportError:
        raise
    except (ValueError, IndexError, KeyError, TypeError) as e:
        raise refuse(f"malformed: {e}") from None
    raise refuse("no STOP opcode")


def _memo_key(arg: Any) -> int:
    return int(arg)


def _dict(target: Any, refuse: Any) -> dict[Any, Any]:
    if not isinstance(target, dict):
        raise refuse("SETITEM(S) on something that is not a dict")
    return target


def _list(target: Any, refuse: Any) -> list[Any]:
    if not isinstance(target, list):
        raise refuse("APPEND(S) on something that is not a list")
    return target
