"""Storing a prepared version in IPFS: the artifact, the recipe (found from its hash) and
the version card; and training a new model's first version for ``cmu model create``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from cmu_client.chain import CmuChain
from cmu_client.dataset import load_csv
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.keys import Signer
from cmu_client.spec import Acceptance, ContentRef, ModelSpec
from cmu_client.trainer import FirstVersion, FirstVersionRequest
from offchain.card import VersionCard
from offchain.cid import MAX_SINGLE_BLOCK, raw_cid_from_sha256
from offchain.prepare import PreparedVersion, prepare_first_version
from offchain.recipe import DataRef
from offchain.training import sha256_hex


class PublishError(CmuError):
    """A version cannot be stored as CMU requires (a recipe too big to be found from its
    hash, an IPFS node that does not add small files as raw blocks). Not an outage:
    retrying gives the same result, so the worker stops the model's rounds."""


@dataclass(frozen=True)
class UploadedVersion:
    """Where a version's documents went."""

    artifact: StoredObject
    recipe: StoredObject
    card: StoredObject


def build_card(prepared: PreparedVersion, acceptance: Acceptance) -> VersionCard:
    recipe_hash = prepared.recipe.sha256()
    return VersionCard(
        recipe=prepared.recipe,
        recipe_sha256=recipe_hash.hex(),
        recipe_cid=raw_cid_from_sha256(recipe_hash),
        artifact_sha256=sha256_hex(prepared.artifact),
        artifact_bytes=len(prepared.artifact),
        trees=prepared.trees,
        metrics=dict(prepared.evaluation.values),
        acceptance=acceptance,
        feature_importances=prepared.importances,
        settlements=tuple(prepared.decisions),
        joint=prepared.joint,
    )


async def upload_documents(
    store: IpfsStore, artifact: bytes, recipe: bytes, card: bytes
) -> UploadedVersion:
    """Pin the three documents; the recipe must land at the CID its hash names."""
    if len(recipe) > MAX_SINGLE_BLOCK:
        raise PublishError(
            f"the recipe is {len(recipe)} bytes; only up to {MAX_SINGLE_BLOCK} can be found"
            " from its hash",
            "switch the model to update_mode 'continue' or merge data sets",
        )
    stored_artifact = await store.put(artifact)
    stored_recipe = await store.put(recipe)
    expected = raw_cid_from_sha256(stored_recipe.sha256)
    if stored_recipe.cid != expected:
        raise PublishError(
            f"IPFS stored the recipe as {stored_recipe.cid}, not {expected}",
            "the IPFS node must add small files as CIDv1 raw blocks (sha2-256)",
        )
    stored_card = await store.put(card)
    return UploadedVersion(stored_artifact, stored_recipe, stored_card)


async def upload_version(
    store: IpfsStore, prepared: PreparedVersion, card: VersionCard
) -> UploadedVersion:
    return await upload_documents(
        store, prepared.artifact, prepared.recipe.canonical_bytes(), card.to_bytes()
    )


async def train_first_version(request: FirstVersionRequest) -> FirstVersion:
    """The plugin hook ``cmu model create`` calls: train version 0 and store it.

    The initial data set is recorded in the recipe as data with no contribution id.
    """
    data_ref = DataRef(
        cid=request.data_ref.cid,
        sha256=request.data_ref.sha256,
        rows=request.data.rows,
        contribution=None,
    )
    prepared = await asyncio.to_thread(
        prepare_first_version,
        request.model,
        request.spec,
        request.spec_ref,
        request.validation,
        data_ref,
        request.data,
    )
    card = build_card(prepared, request.spec.acceptance)
    uploaded = await upload_version(request.store, prepared, card)
    return FirstVersion(
        artifact=uploaded.artifact,
        recipe_hash=uploaded.recipe.sha256,
        metrics=tuple(prepared.metrics),
        card=uploaded.card,
    )


async def create_model_with_first_version(
    chain: CmuChain,
    store: IpfsStore,
    owner: Signer,
    spec: ModelSpec,
    initial_csv: bytes,
    validation_csv: bytes,
) -> tuple[int, FirstVersion]:
    """Store the spec and initial data, create the model and publish its version 0.

    For scripts and tests that build models programmatically (``cmu model create`` is the
    command-line equivalent). Returns the model id and what version 0 recorded.
    """
    stored_spec = await store.put(spec.to_bytes())
    model_id, _ = await asyncio.to_thread(
        chain.create_model, owner, stored_spec.cid, stored_spec.sha256
    )
    stored_initial = await store.put(initial_csv)
    first = await train_first_version(
        FirstVersionRequest(
            model=model_id,
            spec=spec,
            spec_ref=ContentRef(stored_spec.cid, stored_spec.sha256),
            data_ref=stored_initial,
            data=load_csv(initial_csv, spec),
            validation=load_csv(validation_csv, spec),
            store=store,
        )
    )
    await asyncio.to_thread(
        chain.publish_version,
        owner,
        model_id,
        None,
        first.artifact.cid,
        first.artifact.sha256,
        first.recipe_hash,
        list(first.metrics),
        card_cid=None if first.card is None else first.card.cid,
    )
    return model_id, first
