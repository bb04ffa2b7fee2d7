"""Storing a prepared version in IPFS: the artifact, the recipe (found from its hash) and
the version card; and training a new model's first version for ``cmu model create``.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass

from cmu_client import access, crypto
from cmu_client.chain import CmuChain
from cmu_client.dataset import load_csv
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore, StoredObject, sha256
from cmu_client.keys import Signer
from cmu_client.spec import Acceptance, ContentRef, ModelSpec
from cmu_client.trainer import FirstVersion, FirstVersionRequest
from cmu_client.types import AccessPolicy, Visibility
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


@dataclass(frozen=True)
class Sealing:
    """How a permissioned model's version is encrypted: its fresh content key, bound to
    (model, version)."""

    model: int
    version: int
    key: bytes

    @staticmethod
    def fresh(model: int, version: int) -> Sealing:
        return Sealing(model, version, crypto.new_content_key())


async def upload_sealed(
    store: IpfsStore, sealing: Sealing, artifact: bytes, recipe: bytes, card: bytes
) -> UploadedVersion:
    """Pin the three documents encrypted under the version's content key; each stored
    object names the ciphertext's CID and the plaintext's hash (what the chain records).
    The encrypted recipe is found through the version's key envelope, not its hash."""
    stored = []
    for kind, raw in (("artifact", artifact), ("recipe", recipe), ("card", card)):
        container = await asyncio.to_thread(
            functools.partial(
                crypto.encrypt,
                raw,
                sealing.key,
                kind=kind,
                model=sealing.model,
                version=sealing.version,
            )
        )
        put = await store.put(container)
        stored.append(StoredObject(put.cid, await asyncio.to_thread(sha256, raw), len(raw)))
    return UploadedVersion(*stored)


async def seal_envelope(
    chain: CmuChain,
    store: IpfsStore,
    sealing: Sealing,
    uploaded: UploadedVersion,
    needed: list[bytes],
    parent: int | None,
) -> str:
    """Make and pin the version's key envelope for the model's current holders: the
    content key, where the three documents are, and the keys of ``needed`` (plaintext
    hashes of the data and validation set a verifier must read) and of the parent version
    (its artifact is the starting point). Returns the envelope's CID."""
    keyring = store.keyring
    data_keys: dict[str, bytes] = {}
    objects: dict[str, str] = {}
    if keyring is not None and parent is not None:
        # After a restart the parent's envelope may not be open yet.
        await keyring.open_readable(store, sealing.model, [parent])
        # The ancestors' locations (CIDs, not keys) travel on, so that a verifier finds
        # the parent's recipe from this envelope alone.
        inherited = keyring.payload(sealing.model, parent)
        if inherited is not None:
            objects.update(inherited.objects)
    if keyring is not None:
        for digest in needed:
            kid = keyring.key_of_hash.get(digest)
            if kid is not None and kid in keyring.keys:
                data_keys[kid] = keyring.keys[kid]
        if parent is not None:
            parent_key = keyring.content_key(sealing.model, parent)
            if parent_key is not None:
                data_keys[crypto.key_id(parent_key)] = parent_key
    objects.update(
        {obj.sha256.hex(): obj.cid for obj in (uploaded.artifact, uploaded.recipe, uploaded.card)}
    )
    payload = crypto.EnvelopePayload(objects, data_keys)
    cid, _ = await access.seal_version(
        chain, store, sealing.model, sealing.version, sealing.key, payload
    )
    return cid


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
    if request.content_key is None:
        uploaded = await upload_version(request.store, prepared, card)
    else:
        uploaded = await upload_sealed(
            request.store,
            Sealing(request.model, 0, request.content_key),
            prepared.artifact,
            prepared.recipe.canonical_bytes(),
            card.to_bytes(),
        )
    return FirstVersion(
        artifact=uploaded.artifact,
        recipe_hash=uploaded.recipe.sha256,
        metrics=tuple(prepared.metrics),
        card=uploaded.card,
        recipe=uploaded.recipe,
    )


async def create_model_with_first_version(
    chain: CmuChain,
    store: IpfsStore,
    owner: Signer,
    spec: ModelSpec,
    initial_csv: bytes,
    validation_csv: bytes,
    policy: AccessPolicy | None = None,
) -> tuple[int, FirstVersion]:
    """Store the spec and initial data, create the model and publish its version 0.

    For scripts and tests that build models programmatically (``cmu model create`` is the
    command-line equivalent). Returns the model id and what version 0 recorded.

    A permissioned ``policy`` needs the owner's keyring on ``store``: the initial data is
    sealed to the owner, version 0 is encrypted and its key envelope recorded (the
    validation set the spec names must then be sealed already, see
    :func:`cmu_client.access.put_sealed_to`).
    """
    encrypted = policy is not None and policy.visibility is Visibility.PERMISSIONED
    if encrypted and (store.keyring is None or store.keyring.keypair is None):
        raise CmuError(
            "a permissioned model needs its owner's encryption key on the store's keyring",
            "publish one with `cmu keys encryption publish` and attach the owner's keyring",
        )
    stored_spec = await store.put(spec.to_bytes())
    model_id, _ = await asyncio.to_thread(
        chain.create_model, owner, stored_spec.cid, stored_spec.sha256, policy
    )
    if encrypted:
        assert store.keyring is not None and store.keyring.keypair is not None
        stored_initial = await access.put_sealed_to(
            store,
            model_id,
            initial_csv,
            kind="data",
            recipients={owner.ss58_address: store.keyring.keypair.public},
        )
    else:
        stored_initial = await store.put(initial_csv)
    sealing = Sealing.fresh(model_id, 0) if encrypted else None
    first = await train_first_version(
        FirstVersionRequest(
            model=model_id,
            spec=spec,
            spec_ref=ContentRef(stored_spec.cid, stored_spec.sha256),
            data_ref=stored_initial,
            data=load_csv(initial_csv, spec),
            validation=load_csv(validation_csv, spec),
            store=store,
            content_key=None if sealing is None else sealing.key,
        )
    )
    envelope = None
    if sealing is not None:
        assert first.card is not None and first.recipe is not None
        needed = [stored_initial.sha256]
        if spec.validation is not None:
            needed.append(spec.validation.sha256)
        envelope = await seal_envelope(
            chain,
            store,
            sealing,
            UploadedVersion(first.artifact, first.recipe, first.card),
            needed,
            None,
        )
    await asyncio.to_thread(
        functools.partial(
            chain.publish_version,
            card_cid=None if first.card is None else first.card.cid,
            envelope_cid=envelope,
        ),
        owner,
        model_id,
        None,
        first.artifact.cid,
        first.artifact.sha256,
        first.recipe_hash,
        list(first.metrics),
    )
    return model_id, first
