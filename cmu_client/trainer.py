"""The contract between ``cmu model create`` and a trainer: a new model's version 0.

``cmu model create`` creates the model on chain, then hands a :class:`FirstVersionRequest`
to the trainer a CLI plugin provides (``train_first_version``, see :mod:`cmu_client.plugin`)
and publishes the :class:`FirstVersion` it returns with ``publish_version(expected_parent =
None)``. Library only: no CLI, no LightGBM here (the trainer brings its own).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from cmu_client.dataset import Dataset
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.spec import ContentRef, ModelSpec
from cmu_client.types import Metric, ModelId


@dataclass(frozen=True)
class FirstVersionRequest:
    """Everything known when a model has just been created."""

    model: ModelId
    spec: ModelSpec
    #: The spec document as stored (CID and sha2-256 of its bytes).
    spec_ref: ContentRef
    #: The initial data set as stored, and its parsed rows.
    data_ref: StoredObject
    data: Dataset
    #: The validation set (spec.validation) as parsed rows.
    validation: Dataset
    #: An open IPFS store to put the artifact and the recipe in.
    store: IpfsStore
    #: A permissioned model's version-0 content key: the artifact, recipe and card are
    #: stored encrypted under it (bound to model and version 0). ``None``: in the clear.
    content_key: bytes | None = None


@dataclass(frozen=True)
class FirstVersion:
    """What the chain records for version 0."""

    artifact: StoredObject
    recipe_hash: bytes
    metrics: tuple[Metric, ...]
    #: The version card as pinned; pallet-cmu v2 records its CID (and needs one), the first
    #: pallet has no field for it.
    card: StoredObject | None = None
    #: The recipe as stored (its CID is the ciphertext's when encrypted).
    recipe: StoredObject | None = None


class FirstVersionTrainer(Protocol):
    """Trains version 0 (recipe mode "fresh"), pins artifact and recipe, returns them."""

    def __call__(self, request: FirstVersionRequest) -> Awaitable[FirstVersion]: ...
