"""CMU's JSON documents: one canonical byte form, and typed decoding with JSON paths.

Every hashed document (model spec, training recipe, version card) is stored as
:func:`canonical_json`: sorted keys, no spaces, UTF-8 with non-ASCII characters kept as
they are, no NaN or infinity. The same document always gives the same bytes, so the same
sha2-256, whoever writes it (the CLI storing a spec, the worker storing a recipe and its
card).

Documents are read into typed :class:`msgspec.Struct` models with :func:`convert`, which
reports the first problem as a :class:`DocumentError` with the JSON path of the offending
value (``data[0].sha256``), for callers to turn into their own error.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import msgspec

_T = TypeVar("_T")

_AT = re.compile(r"^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`$")


def canonical_json(document: Any) -> bytes:
    """``document`` (plain JSON values) as canonical bytes."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


class DocumentError(ValueError):
    """A document does not fit its model: ``path`` (``""`` for the whole document) and
    what is wrong there (``"missing"``, ``"unknown key"``, or msgspec's description)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or 'document'}: {problem}")
        self.path = path
        self.problem = problem


def join_path(parent: str, key: str) -> str:
    """``parent.key`` as a JSON path (``key`` alone at the top)."""
    return f"{parent}.{key}" if parent else key


def convert(obj: Any, model: type[_T]) -> _T:
    """``obj`` (decoded JSON) as ``model``, strictly (no type coercion)."""
    try:
        return msgspec.convert(obj, model, strict=True)
    except msgspec.ValidationError as bad:
        raise _document_error(bad) from None


def decode(raw: bytes | str, model: type[_T]) -> _T:
    """JSON bytes as ``model``; a ``DocumentError`` with path ``""`` if it is not JSON."""
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as bad:
        raise _document_error(bad) from None
    except msgspec.DecodeError as bad:
        raise DocumentError("", f"not JSON: {bad}") from None


def to_builtins(document: msgspec.Struct) -> Any:
    """A typed document as plain JSON values (for :func:`canonical_json`)."""
    return msgspec.to_builtins(document)


def _document_error(bad: msgspec.ValidationError) -> DocumentError:
    found = _AT.match(str(bad))
    assert found is not None  # the pattern matches any text
    problem, path = found["problem"], (found["path"] or "").removeprefix(".")
    for pattern, what in ((_MISSING, "missing"), (_UNKNOWN, "unknown key")):
        field = pattern.match(problem)
        if field:
            return DocumentError(join_path(path, field["field"]), what)
    return DocumentError(path, problem)
