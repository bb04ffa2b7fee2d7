"""CMU's JSON documents: one canonical byte form, and typed decoding with JSON paths.

Every hashed document (model spec, training recipe, version card) is stored as
:func:`canonical_json`: sorted keys, no spaces, UTF-8 with non-ASCII characters kept as
they are, no NaN or infinity. The same document always gives the same bytes, so the same
sha2-256, whoever writes it (the CLI storing a spec, the worker storing a recipe and its
card).

Documents are read into typed :class:`msgspec.Struct` models with :func:`convert`, which
reports the first problem as a :class:`DocumentError` with the JSON path of the offending
value (``data[0].sha256``), for callers to turn into their own error. Documents people
write (the model spec) are checked with :func:`check_fields`, which reports every problem
with its path, worded as the model's fields say (:func:`says`).
"""

from __future__ import annotations

import functools
import json
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin, get_type_hints

import msgspec

from cmu_client.errors import Problem

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


# --- checking every key, for documents people write ---------------------------------


def says(problem: str, expected: str | None = None, **constraints: Any) -> msgspec.Meta:
    """A field's constraints (msgspec ``Meta`` keywords) and how a value that breaks them
    is reported by :func:`check_fields` (``{value!r}`` in ``problem`` is the value found)."""
    return msgspec.Meta(**constraints, extra={"problem": problem, "expected": expected})


#: What :func:`check_fields` leaves out for keys that are absent or wrong.
ABSENT: Any = object()


@dataclass(frozen=True)
class _Field:
    name: str
    annotation: Any
    required: bool
    problem: str
    expected: str | None


@functools.cache
def _fields_of(model: type[msgspec.Struct]) -> list[_Field]:
    hints = get_type_hints(model, include_extras=True)
    found = []
    for info in msgspec.structs.fields(model):
        extra: dict[str, Any] = {}
        for meta in get_args(hints[info.name])[1:]:
            if isinstance(meta, msgspec.Meta) and meta.extra:
                extra = meta.extra
        found.append(
            _Field(
                info.encode_name,
                hints[info.name],
                info.required,
                extra.get("problem", "not valid"),
                extra.get("expected"),
            )
        )
    return found


def _unwrap(annotation: Any) -> Any:
    """``X`` for ``Annotated[X, ...]``."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The struct ``annotation`` names (also as ``Annotated[...]`` or ``X | None``)."""
    annotation = _unwrap(annotation)
    union = get_origin(annotation) in (Union, types.UnionType)
    for option in get_args(annotation) if union else (annotation,):
        if (
            get_origin(option) is None
            and isinstance(option, type)
            and issubclass(option, msgspec.Struct)
        ):
            return option
    return None


def check_fields(
    raw: Any,
    model: type[msgspec.Struct],
    path: str,
    problems: list[Problem],
    not_object: tuple[str, str | None] = ("not an object", None),
    list_keys: bool = False,
) -> dict[str, Any] | None:
    """Every key of ``raw`` checked against ``model``, each on its own, so that every
    problem is reported (appended to ``problems`` with its JSON path), not the first.

    Returns the keys that passed, converted to their field types (nested structs and
    lists of structs as dicts checked the same way; absent optional keys are left out),
    or None when ``raw`` is not an object. ``list_keys`` names the known keys in the
    report of an unknown one.
    """

    def add(where: str, problem: str, expected: str | None = None) -> None:
        problems.append(Problem(row=None, column=where, problem=problem, expected=expected))

    if not isinstance(raw, dict):
        add(path, *not_object)
        return None
    fields = _fields_of(model)
    known = sorted(f.name for f in fields)
    listed = "one of " + ", ".join(known) if list_keys else None
    for key in sorted(set(raw) - set(known)):
        add(join_path(path, key), "unknown key", listed)
    values: dict[str, Any] = {}
    for f in fields:
        where = join_path(path, f.name)
        value = raw.get(f.name, ABSENT)
        if value is ABSENT:
            if f.required:
                add(where, f.problem.format(value=None), f.expected)
            continue
        nested = _struct_of(f.annotation)
        items = get_args(_unwrap(f.annotation))
        if nested is not None and value is not None:
            checked = check_fields(value, nested, where, problems, (f.problem, f.expected))
            if checked is not None:
                values[f.name] = checked
        elif get_origin(_unwrap(f.annotation)) is list and _struct_of(items[0]) is not None:
            if not isinstance(value, list) or not value:
                add(where, f.problem, f.expected)
            else:
                item_model = _struct_of(items[0])
                assert item_model is not None
                values[f.name] = [
                    check_fields(v, item_model, f"{where}[{i}]", problems)
                    for i, v in enumerate(value)
                ]
        else:
            try:
                values[f.name] = msgspec.convert(value, f.annotation, strict=True)
            except msgspec.ValidationError:
                add(where, f.problem.format(value=value), f.expected)
    return values
