"""The training recipe: everything needed to re-derive a version's artifact bit for bit.

A recipe names its inputs by content (parent artifact hash, ordered data CIDs and hashes,
the spec and validation set), the resolved LightGBM parameters and round count, and the
library versions. Its canonical JSON is stored in IPFS as one raw block, so its CIDv1 is
a function of its sha2-256: the ``recipe_hash`` recorded on chain is enough to find it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cmu_client.errors import CmuError
from cmu_client.spec import ContentRef

RECIPE_FORMAT = "cmu-recipe/1"

#: How a version's artifact is derived from its inputs.
#: ``fresh``: trained from scratch on ``data`` (a model's first version);
#: ``continue``: trees added to the parent artifact, trained on ``data`` only;
#: ``retrain``: trained from scratch on ``data`` (every data set the lineage accepted);
#: ``unchanged``: the parent's artifact as is (a round that accepted nothing).
Mode = Literal["fresh", "continue", "retrain", "unchanged"]
MODES: tuple[Mode, ...] = ("fresh", "continue", "retrain", "unchanged")

#: A LightGBM parameter value as it may appear in canonical JSON.
ParamValue = bool | int | float | str


class RecipeError(CmuError):
    """A recipe document is malformed or does not describe a derivable version."""


@dataclass(frozen=True)
class DataRef:
    """One data set used in training, in the order rows are concatenated.

    ``contribution`` is the on-chain contribution id, or ``None`` for the data a model
    was created with.
    """

    cid: str
    sha256: bytes
    rows: int
    contribution: int | None


@dataclass(frozen=True)
class ParentRef:
    """The version a recipe builds on."""

    version: int
    artifact_cid: str
    artifact_sha256: bytes


@dataclass(frozen=True)
class Recipe:
    """The complete, content-addressed description of how one artifact was trained."""

    model: int
    mode: Mode
    parent: ParentRef | None
    spec: ContentRef
    validation: ContentRef
    data: tuple[DataRef, ...]
    params: tuple[tuple[str, ParamValue], ...]
    num_boost_round: int
    libraries: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise RecipeError(f"unknown recipe mode {self.mode!r}", f"use one of {MODES}")
        if (self.parent is None) != (self.mode == "fresh"):
            raise RecipeError(
                f"recipe mode {self.mode!r} {'needs' if self.parent is None else 'takes no'}"
                " parent version",
                "only a model's first version is trained fresh, without a parent",
            )
        if self.mode == "unchanged" and self.data:
            raise RecipeError("an 'unchanged' recipe cannot use data")
        if self.mode in ("fresh", "retrain", "continue") and not self.data:
            raise RecipeError(f"a {self.mode!r} recipe needs at least one data set")
        if self.num_boost_round < 0:
            raise RecipeError("num_boost_round must not be negative")

    @property
    def param_dict(self) -> dict[str, ParamValue]:
        """The LightGBM parameters as a dict."""
        return dict(self.params)

    @property
    def total_rows(self) -> int:
        """Rows over every data set."""
        return sum(ref.rows for ref in self.data)

    def to_json_obj(self) -> dict[str, Any]:
        """The recipe as plain JSON values."""
        return {
            "format": RECIPE_FORMAT,
            "model": self.model,
            "mode": self.mode,
            "parent": None
            if self.parent is None
            else {
                "version": self.parent.version,
                "artifact_cid": self.parent.artifact_cid,
                "artifact_sha256": self.parent.artifact_sha256.hex(),
            },
            "spec": {"cid": self.spec.cid, "sha256": self.spec.sha256.hex()},
            "validation": {"cid": self.validation.cid, "sha256": self.validation.sha256.hex()},
            "data": [
                {
                    "cid": d.cid,
                    "sha256": d.sha256.hex(),
                    "rows": d.rows,
                    "contribution": d.contribution,
                }
                for d in self.data
            ],
            "params": dict(self.params),
            "num_boost_round": self.num_boost_round,
            "libraries": dict(self.libraries),
        }

    def canonical_bytes(self) -> bytes:
        """The canonical JSON encoding: sorted keys, no spaces, ASCII, no NaN."""
        return canonical_json(self.to_json_obj())

    def sha256(self) -> bytes:
        """sha2-256 of the canonical bytes: the ``recipe_hash`` put on chain."""
        return hashlib.sha256(self.canonical_bytes()).digest()

    @classmethod
    def from_json_obj(cls, obj: Mapping[str, Any]) -> Recipe:
        """Parse a recipe; raises :class:`RecipeError` with the offending field."""
        try:
            if obj.get("format") != RECIPE_FORMAT:
                raise RecipeError(
                    f"unknown recipe format {obj.get('format')!r}",
                    f"this version of cmu reads {RECIPE_FORMAT}",
                )
            parent_obj = obj["parent"]
            parent = (
                None
                if parent_obj is None
                else ParentRef(
                    version=_int(parent_obj["version"], "parent.version"),
                    artifact_cid=_str(parent_obj["artifact_cid"], "parent.artifact_cid"),
                    artifact_sha256=_hex32(parent_obj["artifact_sha256"], "parent.artifact_sha256"),
                )
            )
            data = tuple(
                DataRef(
                    cid=_str(d["cid"], f"data[{i}].cid"),
                    sha256=_hex32(d["sha256"], f"data[{i}].sha256"),
                    rows=_int(d["rows"], f"data[{i}].rows"),
                    contribution=None
                    if d["contribution"] is None
                    else _int(d["contribution"], f"data[{i}].contribution"),
                )
                for i, d in enumerate(_list(obj["data"], "data"))
            )
            params = obj["params"]
            if not isinstance(params, dict) or not all(
                isinstance(v, bool | int | float | str) for v in params.values()
            ):
                raise RecipeError("recipe field 'params' must map names to scalars")
            libraries = obj["libraries"]
            if not isinstance(libraries, dict) or not all(
                isinstance(v, str) for v in libraries.values()
            ):
                raise RecipeError("recipe field 'libraries' must map names to version strings")
            mode = _mode(obj["mode"])
            if mode is None:
                raise RecipeError(f"unknown recipe mode {obj['mode']!r}", f"use one of {MODES}")
            return cls(
                model=_int(obj["model"], "model"),
                mode=mode,
                parent=parent,
                spec=_content_ref(obj["spec"], "spec"),
                validation=_content_ref(obj["validation"], "validation"),
                data=data,
                params=sorted_params(params),
                num_boost_round=_int(obj["num_boost_round"], "num_boost_round"),
                libraries=tuple(sorted(libraries.items())),
            )
        except KeyError as missing:
            raise RecipeError(f"recipe lacks the field {missing}") from None
        except (TypeError, AttributeError) as bad:
            raise RecipeError(f"recipe is malformed: {bad}") from None

    @classmethod
    def from_bytes(cls, raw: bytes) -> Recipe:
        """Parse a stored recipe document."""
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as bad:
            raise RecipeError(f"recipe is not JSON: {bad}") from None
        if not isinstance(obj, dict):
            raise RecipeError("recipe is not a JSON object")
        return cls.from_json_obj(obj)


def canonical_json(obj: object) -> bytes:
    """Deterministic JSON bytes for hashing (sorted keys, compact, ASCII, finite floats)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def sorted_params(params: Mapping[str, ParamValue]) -> tuple[tuple[str, ParamValue], ...]:
    """Parameters as a sorted tuple, the form a recipe keeps."""
    return tuple(sorted(params.items()))


def accumulated_data(lineage: Sequence[Recipe]) -> tuple[DataRef, ...]:
    """Every data set a model built from ``lineage`` (oldest recipe first) has learned from.

    A fresh or retrain recipe restarts the list; continue adds to it; unchanged adds nothing.
    This is what a ``retrain`` recipe on top of that lineage starts from.
    """
    used: list[DataRef] = []
    for recipe in lineage:
        if recipe.mode in ("fresh", "retrain"):
            used = list(recipe.data)
        elif recipe.mode == "continue":
            used.extend(recipe.data)
    return tuple(used)


def _mode(value: object) -> Mode | None:
    for mode in MODES:
        if value == mode:
            return mode
    return None


def _content_ref(value: object, field: str) -> ContentRef:
    if not isinstance(value, dict):
        raise RecipeError(f"recipe field {field!r} must be an object with cid and sha256")
    return ContentRef(
        _str(value["cid"], f"{field}.cid"), _hex32(value["sha256"], f"{field}.sha256")
    )


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecipeError(f"recipe field {field!r} must be an integer, got {value!r}")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecipeError(f"recipe field {field!r} must be a non-empty string")
    return value


def _hex32(value: object, field: str) -> bytes:
    text = _str(value, field)
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise RecipeError(f"recipe field {field!r} must be 64 lowercase hex digits")
    return bytes.fromhex(text)


def _list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecipeError(f"recipe field {field!r} must be a list")
    return value
