"""Row-level leak and copy checks: does a contribution repeat rows the model already has?

The whole-file hash check (:func:`offchain.decide.find_duplicates`) catches a byte-exact
copy only. Here every row of a parsed data set gets a **row key**: a 64-bit hash of its
normalised values, i.e. the features as parsed by the spec (float64, categories as
their index, in the spec's feature order) with every NaN made one canonical NaN and -0.0
made 0.0, followed by the label. So ``1``, ``1.0`` and ``1e0`` give the same key, a
reordered column header changes nothing, and the keys of a data set form a set that does
not depend on row order: a shuffled copy has exactly the keys of the original.

The hash chains splitmix64's finaliser over the values' IEEE-754 bits, one column at a
time for all rows at once (numpy: about 0.06 s per 100,000 rows of 21 columns; a per-row
BLAKE2b took 20 times longer, as long as parsing the CSV). It is not cryptographic and
need not be: a collision can only make a contribution look like a copy, chance collisions
between two data sets of a million rows each have a probability of about 5e-8, and an
exact copy needs no collision.

A contribution is rejected as ``Duplicate`` when more than :data:`MAX_OVERLAP_SHARE` of
its rows are rows of

* the model's validation set (a leak: training on it inflates the validation metric that
  judges every later contribution),
* data already accepted into the model (its initial data and accepted contributions: a
  copy adds nothing), or
* an earlier pending contribution of the same round (the lower id keeps its rows, as for
  whole-file duplicates),

counted together (a row found in several of them counts once). The reason says how many
rows overlapped with what.

Why a share and not zero: real tables repeat rows by chance. Two different patients,
customers or houses can have exactly the same values when the features are few, coarse
(integers, categories, rounded measurements) or often missing, so an honest slice can
share a few rows with the validation set or earlier data. Rejecting on the first shared
row would slash honest contributors on such tables; 5% tolerates chance repeats while a
copy, a shuffled copy, or a copy with some rows dropped or a few new rows added (the
attacks) overlaps far more. A contributor can still slip in fewer copied rows than the
share, which gains them little (a handful of leaked rows barely moves the metric).
Tables whose rows take very few distinct values can repeat more than 5% by chance: such
a model needs richer features, or a validation set that is not drawn from the same few
rows.

Key sets of data already accepted are cached by data hash and spec (they do not change),
in memory and as ``.npy`` files under the worker's state directory, so a round hashes
only the new contributions.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.errors import ContentNotFoundError, DataError, HashMismatchError
from cmu_client.spec import ModelSpec
from cmu_client.types import RejectionReason
from offchain.checkpoint import atomic_write
from offchain.decide import Candidate, Decision
from offchain.inputs import Inputs
from offchain.recipe import DataRef

log = logging.getLogger(__name__)

#: Largest share of a contribution's rows that may repeat known rows (see the module doc).
MAX_OVERLAP_SHARE = 0.05
#: The row key format; a new one gets a new tag (and new cache files).
KEY_FORMAT = "k1"
_MASK = 2**64 - 1
_GOLDEN = 0x9E3779B97F4A7C15
_SEED = np.uint64(0x636D752D726F7731)  # "cmu-row1"
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)

KeyArray = npt.NDArray[np.uint64]


def _mix(x: KeyArray) -> KeyArray:
    """splitmix64's finaliser on every element (uint64 arithmetic wraps)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def row_keys(data: Dataset) -> KeyArray:
    """One key per row, in row order (see the module doc for the normalisation)."""
    columns = [np.asarray(data.features, dtype=np.float64)]
    if data.labels is not None:
        columns.append(np.asarray(data.labels, dtype=np.float64).reshape(-1, 1))
    table = np.hstack(columns) if len(columns) > 1 else columns[0]
    table = np.where(np.isnan(table), np.nan, table) + 0.0  # one NaN; -0.0 -> 0.0
    words = np.ascontiguousarray(table, dtype="<f8").view("<u8")
    keys = np.full(words.shape[0], _SEED, dtype=np.uint64)
    for column in range(words.shape[1]):
        salt = np.uint64((_GOLDEN * (column + 1)) & _MASK)
        keys = _mix(keys ^ _mix(words[:, column] + salt))
    return keys


def key_set(keys: KeyArray) -> KeyArray:
    """Sorted distinct keys, the form references are compared in."""
    return np.unique(keys)


def spec_digest(spec_bytes: bytes) -> str:
    """A short name for the spec a data set was parsed with (its keys depend on it)."""
    return hashlib.sha256(spec_bytes).hexdigest()[:16]


@dataclass(frozen=True)
class Reference:
    """Rows a contribution must not repeat: a name for messages and their key set."""

    what: str
    keys: KeyArray


@dataclass(frozen=True)
class Overlap:
    """How many rows of one contribution are known rows, and of what."""

    rows: int
    overlapping: int
    by_reference: tuple[tuple[str, int], ...]

    @property
    def share(self) -> float:
        return self.overlapping / self.rows if self.rows else 0.0

    def too_much(self, limit: float = MAX_OVERLAP_SHARE) -> bool:
        return self.overlapping > limit * self.rows

    def describe(self, limit: float = MAX_OVERLAP_SHARE) -> str:
        """``41 of 83 rows (49%) are rows of the validation set`` (and so on)."""
        parts = [
            f"{count} of {self.rows} rows ({_percent(count, self.rows)}) are rows of {what}"
            for what, count in self.by_reference
            if count
        ]
        text = "; ".join(parts)
        if len(parts) > 1:
            text = (
                f"{self.overlapping} of {self.rows} rows ({_percent(self.overlapping, self.rows)})"
                f" repeat known rows: {text}"
            )
        return f"{text} (at most {limit:.0%} of a contribution's rows may repeat known rows)"


def _percent(count: int, total: int) -> str:
    return f"{100 * count / total:.0f}%" if total else "0%"


def measure(keys: KeyArray, references: Sequence[Reference]) -> Overlap:
    """The overlap of rows with ``keys`` (one per row) with each reference and in all."""
    hit = np.zeros(keys.shape[0], dtype=bool)
    counts: list[tuple[str, int]] = []
    for reference in references:
        inside = np.isin(keys, reference.keys, assume_unique=False)
        counts.append((reference.what, int(inside.sum())))
        hit |= inside
    return Overlap(int(keys.shape[0]), int(hit.sum()), tuple(counts))


class RowKeyCache:
    """Key sets of data sets that do not change (accepted data, validation sets), by data
    sha2-256 and spec digest: in memory, and as ``.npy`` files when given a directory."""

    def __init__(self, directory: Path | None = None, capacity: int = 256) -> None:
        self.directory = directory
        self.capacity = capacity
        self._memory: OrderedDict[tuple[bytes, str], KeyArray] = OrderedDict()
        self.hashed = 0  # data sets hashed (not found in either cache), for tests

    def _path(self, data_sha256: bytes, spec: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{data_sha256.hex()}-{spec}-{KEY_FORMAT}.npy"

    def get(self, data_sha256: bytes, spec: str) -> KeyArray | None:
        key = (data_sha256, spec)
        found = self._memory.get(key)
        if found is not None:
            self._memory.move_to_end(key)
            return found
        path = self._path(data_sha256, spec)
        if path is None or not path.exists():
            return None
        try:
            loaded = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as damaged:
            log.warning("row key cache %s unreadable (%s); hashing again", path, damaged)
            return None
        if loaded.dtype != np.uint64 or loaded.ndim != 1:
            return None
        return self._remember(key, loaded)

    def keys_of(self, data_sha256: bytes, spec: str, data: Dataset) -> KeyArray:
        """The key set of ``data`` (whose bytes hash to ``data_sha256``), cached."""
        cached = self.get(data_sha256, spec)
        if cached is not None:
            return cached
        keys = key_set(row_keys(data))
        self.hashed += 1
        path = self._path(data_sha256, spec)
        if path is not None:
            self._save(path, keys)
        return self._remember((data_sha256, spec), keys)

    def _remember(self, key: tuple[bytes, str], keys: KeyArray) -> KeyArray:
        self._memory[key] = keys
        self._memory.move_to_end(key)
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)
        return keys

    @staticmethod
    def _save(path: Path, keys: KeyArray) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write(path, _npy_bytes(keys))
        except OSError as failed:  # a cache: the round goes on without it
            log.warning("cannot write the row key cache %s: %s", path, failed)


def _npy_bytes(keys: KeyArray) -> bytes:
    out = io.BytesIO()
    np.save(out, keys, allow_pickle=False)
    return out.getvalue()


#: How data already accepted into the model is named in a rejection.
ACCEPTED = "data already accepted into the model"


def _source_name(ref: DataRef) -> str:
    return "the initial data" if ref.contribution is None else f"contribution #{ref.contribution}"


class RowChecker:
    """Rejects contributions that repeat known rows (see the module doc)."""

    def __init__(self, inputs: Inputs, cache: RowKeyCache, limit: float = MAX_OVERLAP_SHARE):
        self.inputs = inputs
        self.cache = cache
        self.limit = limit

    async def _accepted_keys(
        self, accepted: Sequence[DataRef], spec: ModelSpec, digest: str
    ) -> list[tuple[DataRef, KeyArray]]:
        found: list[tuple[DataRef, KeyArray]] = []
        for ref in accepted:
            keys = self.cache.get(ref.sha256, digest)
            if keys is None:
                what = f"{_source_name(ref)} data"
                try:
                    data = await self.inputs.dataset(ref.cid, ref.sha256, spec, what)
                except (ContentNotFoundError, HashMismatchError, DataError) as unusable:
                    # Not comparable (gone from IPFS, or no longer fits the current spec):
                    # judged without it rather than stalling the model.
                    log.warning("rows of %s not compared: %s", what, unusable)
                    continue
                keys = self.cache.keys_of(ref.sha256, digest, data)
            found.append((ref, keys))
        return found

    async def check(
        self,
        candidates: Sequence[Candidate],
        validation: Dataset,
        validation_sha256: bytes,
        accepted: Sequence[DataRef],
        spec: ModelSpec,
    ) -> tuple[list[Candidate], list[Decision]]:
        """The candidates that keep going, in id order, and rejections for the others.

        ``accepted`` are the data sets already accepted into the model (initial data and
        accepted contributions).
        """
        if not candidates:
            return [], []
        digest = spec_digest(spec.to_bytes())
        known = await self._accepted_keys(accepted, spec, digest)
        validation_keys = self.cache.keys_of(validation_sha256, digest, validation)
        references = [Reference("the validation set", validation_keys)]
        if known:
            union = np.unique(np.concatenate([keys for _, keys in known]))
            references.append(Reference(ACCEPTED, union))
        kept: list[Candidate] = []
        rejected: list[Decision] = []
        for candidate in sorted(candidates, key=lambda c: c.contribution):
            keys = row_keys(candidate.data)
            overlap = measure(keys, references)
            if overlap.too_much(self.limit):
                detail = overlap.describe(self.limit)
                if dict(overlap.by_reference).get(ACCEPTED):
                    detail += _accepted_sources(keys, known)
                rejected.append(
                    Decision.reject(candidate.contribution, RejectionReason.DUPLICATE, detail)
                )
                continue
            kept.append(candidate)
            references.append(
                Reference(
                    f"contribution #{candidate.contribution} (pending, lower id)", key_set(keys)
                )
            )
        return kept, rejected


def _accepted_sources(keys: KeyArray, known: Sequence[tuple[DataRef, KeyArray]]) -> str:
    """Which accepted data sets the repeated rows come from (the largest three)."""
    counts = [(int(np.isin(keys, source).sum()), _source_name(ref)) for ref, source in known]
    counts = sorted((c for c in counts if c[0]), key=lambda c: (-c[0], c[1]))
    shown = ", ".join(f"{name}: {count}" for count, name in counts[:3])
    more = f", and {len(counts) - 3} more" if len(counts) > 3 else ""
    return f"; accepted data repeated: {shown}{more}"
