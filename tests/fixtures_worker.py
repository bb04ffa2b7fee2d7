"""Shared helpers for the worker, verify and monitor tests.

Pure helpers (specs, CSV slices, prepared versions) need nothing running; the chain
helpers further down talk to the live dev chain and Kubo.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from cmu_client.dataset import Dataset, load_csv
from cmu_client.spec import ModelSpec, parse_spec
from offchain import demo_data
from offchain.decide import Candidate
from offchain.prepare import ParentState, PreparedVersion, prepare_first_version
from offchain.recipe import ContentRef, DataRef, ParentRef

SPEC_REF = ContentRef("bafkreispec", "00" * 32)


def sha_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class LocalModel:
    """A breast-cancer model prepared without chain or IPFS (fake CIDs, real hashes)."""

    spec: ModelSpec
    validation: Dataset
    first: PreparedVersion
    initial_ref: DataRef
    initial: Dataset
    slices: demo_data.StorySlices

    def parent_state(self) -> ParentState:
        ref = ParentRef(0, "bafkreiartifact0", sha_hex(self.first.artifact))
        return ParentState(ref, self.first.artifact, [(self.initial_ref, self.initial)])

    def candidate(self, contribution: int, csv: bytes) -> Candidate:
        data = load_csv(csv, self.spec)
        return Candidate(
            DataRef(f"bafkreidata{contribution}", sha_hex(csv), data.rows, contribution), data
        )


@functools.lru_cache(maxsize=8)
def local_spec(
    update_mode: str = "continue", metric: str = "auc", tolerance: float = 0.005
) -> tuple[ModelSpec, bytes]:
    """A parsed breast-cancer spec with its validation set, and the validation CSV."""
    slices = demo_data.story_slices()
    validation_csv = slices.validation.to_csv()
    doc = demo_data.spec_document(
        slices.validation.feature_names, update_mode=update_mode, metric=metric, tolerance=tolerance
    )
    doc["validation"] = {"cid": "bafkreivalidation", "sha256": sha_hex(validation_csv)}
    return parse_spec(doc), validation_csv


@functools.lru_cache(maxsize=8)
def local_model(
    update_mode: str = "continue", metric: str = "auc", tolerance: float = 0.005
) -> LocalModel:
    spec, validation_csv = local_spec(update_mode, metric, tolerance)
    slices = demo_data.story_slices()
    validation = load_csv(validation_csv, spec, subject="validation")
    initial_csv = slices.initial.to_csv()
    initial = load_csv(initial_csv, spec)
    initial_ref = DataRef("bafkreiinitial", sha_hex(initial_csv), initial.rows, None)
    first = prepare_first_version(0, spec, SPEC_REF, validation, initial_ref, initial)
    return LocalModel(spec, validation, first, initial_ref, initial, slices)
