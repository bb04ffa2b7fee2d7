"""The worker's checkpoint file: atomic replacement, round trip, no going back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from offchain.checkpoint import (
    CheckpointError,
    CheckpointStore,
    RoundCheckpoint,
    Stage,
    atomic_write,
)


def planned(model: int = 3) -> RoundCheckpoint:
    return RoundCheckpoint(
        model=model,
        parent=1,
        version_count=2,
        contributions=(4, 5),
        stage=Stage.PLANNED,
    )


def test_round_trip_and_clear(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "state")
    assert store.load(3) is None
    trained = planned().advance(
        Stage.TRAINED,
        artifact_sha256="cd" * 32,
        metrics=(("val_auc", 9_000_000),),
        settlements=((4, "Accept"), (5, "Reject(Duplicate)")),
    )
    store.save(trained)
    store.keep_artifact(3, b"tree\n")
    assert store.load(3) == trained
    # The file names the stage (tests and people read it).
    assert json.loads((tmp_path / "state" / "model-3.json").read_text())["stage"] == "TRAINED"
    assert store.kept_artifact(3) == b"tree\n"
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == "0o700"
    store.clear(3)
    assert store.load(3) is None and store.kept_artifact(3) is None
    assert os.listdir(tmp_path / "state") == []


def test_stages_only_move_forward() -> None:
    assert Stage.PLANNED < Stage.TRAINED < Stage.UPLOADED < Stage.SUBMITTED
    assert max(Stage) is Stage.SUBMITTED
    uploaded = planned().advance(Stage.UPLOADED)
    with pytest.raises(CheckpointError, match="cannot go back"):
        uploaded.advance(Stage.TRAINED)


def test_atomic_write_leaves_old_or_new_and_no_temporaries(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    atomic_write(target, b"old")
    # A write that fails half way (here: data that cannot be written) keeps the old content.
    not_bytes: Any = "not bytes"
    with pytest.raises(TypeError):
        atomic_write(target, not_bytes)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_a_torn_or_foreign_file_is_reported_not_trusted(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    (tmp_path / "model-7.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not JSON") as torn:
        store.load(7)
    assert torn.value.hint is not None and "chain state is authoritative" in torn.value.hint
    (tmp_path / "model-8.json").write_text(json.dumps({"model": 8}))
    with pytest.raises(CheckpointError, match="malformed"):
        store.load(8)
