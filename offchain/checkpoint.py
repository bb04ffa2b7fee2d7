"""The worker's local record of the round in progress, one file per model, written atomically.

The chain decides what is done (``publish_version`` checks the expected parent and settles
each contribution once); the checkpoint remembers what this worker already computed for the
current round so that a restart after ``kill -9`` resumes instead of retraining, and
recognises its own version when the head moved because its last submission landed.

Every write goes to a temporary file in the same directory, is fsynced, then renamed over
the old file (and the directory fsynced): a crash leaves either the old or the new record.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from cmu_client.documents import DocumentError, decode
from cmu_client.errors import CmuError


class CheckpointError(CmuError):
    """A checkpoint file cannot be read or written."""


@functools.total_ordering
class Stage(enum.Enum):
    """How far a round got. Each stage implies the ones before it (``<`` follows that
    order). The checkpoint file stores the name."""

    PLANNED = "PLANNED"  # contributions chosen on top of a parent
    TRAINED = "TRAINED"  # decisions made, artifact/recipe/card bytes kept locally
    UPLOADED = "UPLOADED"  # artifact, recipe and card pinned in IPFS
    SUBMITTED = "SUBMITTED"  # publish_version sent

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        order = list(Stage)
        return order.index(self) < order.index(other)


class RoundCheckpoint(msgspec.Struct, frozen=True):
    """What one round decided and produced so far (the checkpoint file's typed form)."""

    model: int
    parent: int | None
    version_count: int
    contributions: tuple[int, ...]
    stage: Stage
    artifact_sha256: str | None = None
    recipe_sha256: str | None = None
    recipe_text: str | None = None
    card_text: str | None = None
    metrics: tuple[tuple[str, int], ...] = ()
    settlements: tuple[tuple[int, str], ...] = ()
    artifact_cid: str | None = None
    recipe_cid: str | None = None
    card_cid: str | None = None
    #: (contribution, reward weight) of each accepted contribution; older checkpoints
    #: have none (weight 0).
    weights: tuple[tuple[int, int], ...] = ()
    #: A permissioned model's version: the CID of its key envelope (made at upload).
    envelope_cid: str | None = None

    def advance(self, stage: Stage, **changes: Any) -> RoundCheckpoint:
        if stage < self.stage:
            raise CheckpointError(f"a round cannot go back from {self.stage.name} to {stage.name}")
        return msgspec.structs.replace(self, stage=stage, **changes)


class CheckpointStore:
    """Checkpoints and kept artifacts of one worker, under one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as failed:
            raise CheckpointError(
                f"cannot create the checkpoint directory {directory}: {failed.strerror}",
                "pass a writable --state-dir",
            ) from None

    def _path(self, model: int) -> Path:
        return self.directory / f"model-{model}.json"

    def _artifact_path(self, model: int) -> Path:
        return self.directory / f"model-{model}.artifact"

    def load(self, model: int) -> RoundCheckpoint | None:
        path = self._path(model)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as failed:
            raise CheckpointError(f"cannot read {path}: {failed.strerror}") from None
        try:
            return decode(raw, RoundCheckpoint)
        except DocumentError as bad:
            if bad.problem.startswith("not JSON"):
                raise CheckpointError(
                    f"{path} is {bad.problem}", "delete it: the chain state is authoritative"
                ) from None
            raise CheckpointError(
                f"checkpoint is malformed: {bad}",
                "delete it: the chain state is authoritative",
            ) from None

    def save(self, checkpoint: RoundCheckpoint) -> None:
        data = msgspec.json.format(msgspec.json.encode(checkpoint), indent=1)
        atomic_write(self._path(checkpoint.model), data)

    def clear(self, model: int) -> None:
        for path in (self._path(model), self._artifact_path(model)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _fsync_dir(self.directory)

    def keep_artifact(self, model: int, artifact: bytes) -> None:
        atomic_write(self._artifact_path(model), artifact)

    def kept_artifact(self, model: int) -> bytes | None:
        try:
            return self._artifact_path(model).read_bytes()
        except FileNotFoundError:
            return None


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new content."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
