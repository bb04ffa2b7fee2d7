"""Builders for every pallet-cmu call (plus the NFT transfer and batching).

A :class:`Call` is a plain description (pallet, function, SCALE-ready arguments); the
chain composes it against live metadata when it is submitted, so calls can be built
ahead, batched with ``Utility.batch_all``, or pipelined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cmu_client.errors import UsageError
from cmu_client.types import (
    AccessPolicy,
    AttestationOutcome,
    ContributionId,
    Metric,
    ModelId,
    RejectionReason,
    RoleSet,
    SlashDestination,
    Verdict,
    VersionId,
)

PALLET = "Cmu"
_U32_MAX = 2**32 - 1


@dataclass(frozen=True)
class Call:
    """One runtime call: ``pallet.function(**args)``; nested calls for batches."""

    pallet: str
    function: str
    args: Mapping[str, Any] = field(default_factory=dict)
    nested: tuple[Call, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.pallet}.{self.function}"


def _hash32(value: bytes, what: str) -> str:
    if len(value) != 32:
        raise UsageError(f"{what} must be 32 bytes (sha2-256), got {len(value)}")
    return "0x" + value.hex()


def _cid(value: str, what: str) -> str:
    if not value or not value.isascii() or any(c.isspace() for c in value):
        raise UsageError(f"{what} {value!r} is not a CID")
    # Passed as 0x-hex so the codec never reinterprets the text.
    return "0x" + value.encode("ascii").hex()


def _u32(value: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _U32_MAX:
        raise UsageError(f"{what} {value!r} is not a valid id", "a whole number from 0")
    return value


def _roles(roles: RoleSet) -> int:
    value = int(roles)
    if value == 0 or value & ~int(RoleSet.all()):
        raise UsageError(
            "the role set is empty or has undefined bits", "use admin, contributor, trainer, reader"
        )
    return value


def _bounded(items: list[Any]) -> tuple[list[Any]]:
    # A BoundedVec is a one-field tuple struct in the metadata; scalecodec would read a bare
    # list as that tuple's fields, so the list goes inside a 1-tuple.
    return (items,)


def _account(address: str) -> dict[str, str]:
    # AccountIdLookup: the MultiAddress::Id variant.
    return {"Id": address}


def create_model(spec_cid: str, spec_hash: bytes, policy: AccessPolicy) -> Call:
    return Call(
        PALLET,
        "create_model",
        {
            "spec_cid": _cid(spec_cid, "spec CID"),
            "spec_hash": _hash32(spec_hash, "spec hash"),
            "policy": policy.to_scale(),
        },
    )


def set_model_metadata(model: ModelId, spec_cid: str, spec_hash: bytes) -> Call:
    return Call(
        PALLET,
        "set_model_metadata",
        {
            "model": _u32(model, "model"),
            "spec_cid": _cid(spec_cid, "spec CID"),
            "spec_hash": _hash32(spec_hash, "spec hash"),
        },
    )


def set_access_policy(model: ModelId, policy: AccessPolicy) -> Call:
    return Call(
        PALLET, "set_access_policy", {"model": _u32(model, "model"), "policy": policy.to_scale()}
    )


def grant_role(model: ModelId, who: str, roles: RoleSet) -> Call:
    return Call(
        PALLET,
        "grant_role",
        {"model": _u32(model, "model"), "who": _account(who), "roles": _roles(roles)},
    )


def revoke_role(model: ModelId, who: str, roles: RoleSet) -> Call:
    return Call(
        PALLET,
        "revoke_role",
        {"model": _u32(model, "model"), "who": _account(who), "roles": _roles(roles)},
    )


def freeze_model(model: ModelId) -> Call:
    return Call(PALLET, "freeze_model", {"model": _u32(model, "model")})


def thaw_model(model: ModelId) -> Call:
    return Call(PALLET, "thaw_model", {"model": _u32(model, "model")})


def submit_contribution(model: ModelId, data_cid: str, data_hash: bytes, rows: int) -> Call:
    return Call(
        PALLET,
        "submit_contribution",
        {
            "model": _u32(model, "model"),
            "data_cid": _cid(data_cid, "data CID"),
            "data_hash": _hash32(data_hash, "data hash"),
            "rows": _u32(rows, "row count"),
        },
    )


def withdraw_contribution(model: ModelId, contribution: ContributionId) -> Call:
    return Call(
        PALLET,
        "withdraw_contribution",
        {
            "model": _u32(model, "model"),
            "contribution": _u32(contribution, "contribution"),
        },
    )


def publish_version(
    model: ModelId,
    expected_parent: VersionId | None,
    artifact_cid: str,
    artifact_hash: bytes,
    recipe_hash: bytes,
    metrics: Sequence[Metric] = (),
    settlements: Iterable[tuple[ContributionId, Verdict]] = (),
    *,
    card_cid: str | None = None,
    envelope_cid: str | None = None,
) -> Call:
    """Append a version; ``card_cid`` names the version card (pallet-cmu v2 requires it,
    the first pallet has no field for it and the composer drops it there), and each
    accepted verdict carries its reward weight (dropped for the first pallet too).
    ``envelope_cid`` names the key envelope of an encrypted version: required for a
    permissioned model, refused for a public one (runtimes without encryption have no
    such argument: a ``None`` is dropped there, a CID refused)."""
    args: dict[str, Any] = {
        "model": _u32(model, "model"),
        "expected_parent": None
        if expected_parent is None
        else _u32(expected_parent, "parent version"),
        "artifact_cid": _cid(artifact_cid, "artifact CID"),
        "artifact_hash": _hash32(artifact_hash, "artifact hash"),
        "recipe_hash": _hash32(recipe_hash, "recipe hash"),
    }
    if card_cid is not None:
        args["card_cid"] = _cid(card_cid, "version card CID")
    args["metrics"] = _bounded(
        [{"key": "0x" + m.key.encode("utf-8").hex(), "value": m.value} for m in metrics]
    )
    args["settlements"] = _bounded(
        [(_u32(cid, "contribution"), verdict.to_scale()) for cid, verdict in settlements]
    )
    args["envelope_cid"] = None if envelope_cid is None else _cid(envelope_cid, "envelope CID")
    return Call(PALLET, "publish_version", args)


def set_encryption_key(public_key: bytes | None) -> Call:
    """Publish (or with ``None`` clear) the signer's x25519 public key for CMU."""
    key = None if public_key is None else _hash32(public_key, "x25519 public key")
    return Call(PALLET, "set_encryption_key", {"key": key})


def set_version_envelope(model: ModelId, envelope_cid: str) -> Call:
    """Replace the head's key envelope (rekey; owner or Admin)."""
    return Call(
        PALLET,
        "set_version_envelope",
        {"model": _u32(model, "model"), "envelope_cid": _cid(envelope_cid, "envelope CID")},
    )


def reject_contributions(
    model: ModelId, rejections: Iterable[tuple[ContributionId, RejectionReason]]
) -> Call:
    """Settle rejections without publishing a version (pallet-cmu v2)."""
    items = [(_u32(cid, "contribution"), reason.value) for cid, reason in rejections]
    if not items:
        raise UsageError("nothing to reject")
    return Call(
        PALLET,
        "reject_contributions",
        {"model": _u32(model, "model"), "rejections": _bounded(items)},
    )


def attest_version(
    model: ModelId, version: VersionId, outcome: AttestationOutcome, report_cid: str
) -> Call:
    """Record a re-derivation's outcome, with the report's CID (pallet-cmu v2)."""
    return Call(
        PALLET,
        "attest_version",
        {
            "model": _u32(model, "model"),
            "version": _u32(version, "version"),
            "outcome": outcome.value,
            "report_cid": _cid(report_cid, "report CID"),
        },
    )


def retire_model(model: ModelId) -> Call:
    """Stop a model for good: no new versions or contributions (pallet-cmu v2)."""
    return Call(PALLET, "retire_model", {"model": _u32(model, "model")})


def set_head(model: ModelId, version: VersionId, reason: int = 0) -> Call:
    if not 0 <= reason <= 255:
        raise UsageError("the head-change reason is a code from 0 to 255")
    return Call(
        PALLET,
        "set_head",
        {"model": _u32(model, "model"), "version": _u32(version, "version"), "reason": reason},
    )


def deprecate_version(model: ModelId, version: VersionId) -> Call:
    return Call(
        PALLET,
        "deprecate_version",
        {"model": _u32(model, "model"), "version": _u32(version, "version")},
    )


def revoke_version(model: ModelId, version: VersionId) -> Call:
    return Call(
        PALLET,
        "revoke_version",
        {"model": _u32(model, "model"), "version": _u32(version, "version")},
    )


def set_slash_destination(model: ModelId, destination: SlashDestination) -> Call:
    return Call(
        PALLET,
        "set_slash_destination",
        {"model": _u32(model, "model"), "destination": destination.to_scale()},
    )


def nfts_transfer(collection: int, item: ModelId, dest: str) -> Call:
    """Move a model's NFT (and with it, ownership) with pallet-nfts."""
    return Call(
        "Nfts",
        "transfer",
        {"collection": collection, "item": _u32(item, "model"), "dest": _account(dest)},
    )


def balances_transfer(dest: str, amount: int) -> Call:
    return Call("Balances", "transfer_keep_alive", {"dest": _account(dest), "value": amount})


def batch_all(calls: Sequence[Call]) -> Call:
    """All calls in one extrinsic, atomically (any failure reverts every call)."""
    if not calls:
        raise UsageError("nothing to batch")
    return Call("Utility", "batch_all", nested=tuple(calls))


def force_batch(calls: Sequence[Call]) -> Call:
    """All calls in one extrinsic; each may fail on its own (``Utility.ItemFailed``)."""
    if not calls:
        raise UsageError("nothing to batch")
    return Call("Utility", "force_batch", nested=tuple(calls))
