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
from typing import Annotated, Any, Literal

import msgspec

from cmu_client.documents import DocumentError, canonical_json, convert, to_builtins
from cmu_client.errors import CmuError
from cmu_client.lgbm_params import ParamValue
from cmu_client.spec import ContentRef

RECIPE_FORMAT = "cmu-recipe/1"

#: How a version's artifact is derived from its inputs.
#: ``fresh``: trained from scratch on ``data`` (a model's first version);
#: ``continue``: trees added to the parent artifact, trained on ``data`` only;
#: ``retrain``: trained from scratch on ``data`` (every data set the lineage accepted);
#: ``unchanged``: the parent's artifact as is (a round that accepted nothing).
Mode = Literal["fresh", "continue", "retrain", "unchanged"]
MODES: tuple[Mode, ...] = ("fresh", "continue", "retrain", "unchanged")


#: A sha2-256 digest in a document: 64 lowercase hex digits.
Hex32 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
#: A CID (or other name) that must not be empty.
Name = Annotated[str, msgspec.Meta(min_length=1)]


class RefDocument(msgspec.Struct):
    cid: Name
    sha256: Hex32

    def ref(self) -> ContentRef:
        return ContentRef(self.cid, bytes.fromhex(self.sha256))


class ParentDocument(msgspec.Struct):
    version: int
    artifact_cid: Name
    artifact_sha256: Hex32


class DataDocument(msgspec.Struct):
    cid: Name
    sha256: Hex32
    rows: int
    contribution: int | None


class DistributedDocument(msgspec.Struct):
    """How a distributed training run split its rows (:mod:`offchain.distributed`)."""

    engine: Name
    tree_learner: Name
    workers: int
    partitions: list[int]
    libraries: dict[str, str]


class RecipeDocument(msgspec.Struct, omit_defaults=True):
    """The recipe document as stored (``cmu-recipe/1``); its canonical JSON is hashed.

    ``distributed`` is omitted when absent, so a recipe trained on one machine encodes (and
    hashes) as before it existed.
    """

    format: str
    model: int
    mode: Mode
    parent: ParentDocument | None
    spec: RefDocument
    validation: RefDocument
    data: list[DataDocument]
    params: dict[str, ParamValue]
    num_boost_round: int
    libraries: dict[str, str]
    distributed: DistributedDocument | None = None


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
class Distributed:
    """A recipe trained on Dask: the engine, its learner, and the row layout (partition
    ``i``, contiguous in recipe order, on LightGBM rank ``i``)."""

    engine: str
    tree_learner: str
    workers: int
    partitions: tuple[int, ...]
    libraries: tuple[tuple[str, str], ...]

    def document(self) -> DistributedDocument:
        return DistributedDocument(
            self.engine,
            self.tree_learner,
            self.workers,
            list(self.partitions),
            dict(self.libraries),
        )


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
    #: Set when trained on Dask (``None``: one machine, and the document omits it).
    distributed: Distributed | None = None

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
        layout = self.distributed
        if layout is not None:
            if layout.workers < 1 or len(layout.partitions) != layout.workers:
                raise RecipeError("a distributed recipe needs one partition per worker")
            if any(rows < 1 for rows in layout.partitions):
                raise RecipeError("a distributed recipe's partitions must not be empty")
            if sum(layout.partitions) != self.total_rows:
                raise RecipeError(
                    f"the partitions hold {sum(layout.partitions)} rows, the data {self.total_rows}"
                )

    @property
    def param_dict(self) -> dict[str, ParamValue]:
        """The LightGBM parameters as a dict."""
        return dict(self.params)

    @property
    def total_rows(self) -> int:
        """Rows over every data set."""
        return sum(ref.rows for ref in self.data)

    def document(self) -> RecipeDocument:
        """The recipe as its typed JSON document."""
        return RecipeDocument(
            format=RECIPE_FORMAT,
            model=self.model,
            mode=self.mode,
            parent=None
            if self.parent is None
            else ParentDocument(
                self.parent.version, self.parent.artifact_cid, self.parent.artifact_sha256.hex()
            ),
            spec=RefDocument(self.spec.cid, self.spec.sha256.hex()),
            validation=RefDocument(self.validation.cid, self.validation.sha256.hex()),
            data=[DataDocument(d.cid, d.sha256.hex(), d.rows, d.contribution) for d in self.data],
            params=dict(self.params),
            num_boost_round=self.num_boost_round,
            libraries=dict(self.libraries),
            distributed=None if self.distributed is None else self.distributed.document(),
        )

    def to_json_obj(self) -> dict[str, Any]:
        """The recipe as plain JSON values."""
        obj: dict[str, Any] = to_builtins(self.document())
        return obj

    def canonical_bytes(self) -> bytes:
        """The canonical JSON encoding (:func:`cmu_client.documents.canonical_json`)."""
        return canonical_json(self.to_json_obj())

    def sha256(self) -> bytes:
        """sha2-256 of the canonical bytes: the ``recipe_hash`` put on chain."""
        return hashlib.sha256(self.canonical_bytes()).digest()

    @classmethod
    def from_json_obj(cls, obj: Mapping[str, Any]) -> Recipe:
        """Parse a recipe; raises :class:`RecipeError` with the offending field."""
        if obj.get("format") != RECIPE_FORMAT:
            raise RecipeError(
                f"unknown recipe format {obj.get('format')!r}",
                f"this version of cmu reads {RECIPE_FORMAT}",
            )
        try:
            doc = convert(dict(obj), RecipeDocument)
        except DocumentError as bad:
            if bad.path == "mode":
                raise RecipeError(
                    f"unknown recipe mode {obj.get('mode')!r}", f"use one of {MODES}"
                ) from None
            if bad.problem == "missing":
                raise RecipeError(f"recipe lacks the field {bad.path!r}") from None
            raise RecipeError(f"recipe field {bad.path!r} is malformed: {bad.problem}") from None
        return cls(
            model=doc.model,
            mode=doc.mode,
            parent=None
            if doc.parent is None
            else ParentRef(
                doc.parent.version,
                doc.parent.artifact_cid,
                bytes.fromhex(doc.parent.artifact_sha256),
            ),
            spec=doc.spec.ref(),
            validation=doc.validation.ref(),
            data=tuple(
                DataRef(d.cid, bytes.fromhex(d.sha256), d.rows, d.contribution) for d in doc.data
            ),
            params=sorted_params(doc.params),
            num_boost_round=doc.num_boost_round,
            libraries=tuple(sorted(doc.libraries.items())),
            distributed=None
            if doc.distributed is None
            else Distributed(
                doc.distributed.engine,
                doc.distributed.tree_learner,
                doc.distributed.workers,
                tuple(doc.distributed.partitions),
                tuple(sorted(doc.distributed.libraries.items())),
            ),
        )

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
