"""Turn values decoded by substrate-interface into the client's dataclasses and errors.

scalecodec renders byte vectors either as text (when they are valid UTF-8) or as
0x-hex, single-field tuple structs as their field, and unit enum variants as strings;
the helpers here accept every rendering.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cmu_client.errors import (
    ChainError,
    ModelFrozenError,
    PermissionDeniedError,
    StaleParentError,
)
from cmu_client.types import (
    AccessPolicy,
    Attestation,
    AttestationOutcome,
    ChainEvent,
    Contribution,
    ContributionMode,
    ContributionState,
    ContributionStatus,
    ContributorTotals,
    Metric,
    Model,
    RejectionReason,
    RoleSet,
    SlashDestination,
    SlashKind,
    Version,
    VersionStatus,
    Visibility,
)


def as_bytes(value: Any) -> bytes:
    """Bytes from hex text, plain text, a list of ints, or bytes."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        if value.startswith("0x"):
            try:
                return bytes.fromhex(value[2:])
            except ValueError:
                return value.encode("utf-8")
        return value.encode("utf-8")
    if isinstance(value, list | tuple):
        return bytes(int(v) for v in value)
    raise TypeError(f"cannot read {type(value).__name__} as bytes")


def as_text(value: Any) -> str:
    """A CID or metric key: stored as bytes, shown as text."""
    raw = as_bytes(value)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()


def as_int(value: Any) -> int:
    if isinstance(value, dict) and len(value) == 1:  # a newtype rendered as {field: value}
        return as_int(next(iter(value.values())))
    return int(value)


def variant(value: Any) -> tuple[str, Any]:
    """An enum as (variant name, payload or None)."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and len(value) == 1:
        name, payload = next(iter(value.items()))
        return str(name), payload
    raise TypeError(f"not an enum value: {value!r}")


def policy(value: Mapping[str, Any]) -> AccessPolicy:
    return AccessPolicy(
        visibility=Visibility(variant(value["visibility"])[0]),
        contributions=ContributionMode(variant(value["contributions"])[0]),
    )


def slash_destination(value: Any) -> SlashDestination:
    """Every variant; ``AcceptedContributors`` exists from pallet-cmu v2 on."""
    name, payload = variant(value)
    kind = SlashKind(name)
    return SlashDestination(kind, str(payload) if kind is SlashKind.ACCOUNT else None)


def roles(value: Any) -> RoleSet:
    """A role set: a bare ``RoleSet`` (the first pallet's ``Roles`` value), or the roles of
    a v2 ``Grant {roles, owner}``."""
    if isinstance(value, dict) and "roles" in value:
        return RoleSet(as_int(value["roles"]))
    return RoleSet(as_int(value))


def grant(value: Any) -> tuple[RoleSet, str | None]:
    """A ``Roles`` entry as (roles, the owner it was granted under); the owner is None on
    the first pallet, whose grants follow whoever owns the NFT."""
    if isinstance(value, dict) and "roles" in value:
        owner = value.get("owner")
        return RoleSet(as_int(value["roles"])), None if owner is None else str(owner)
    return RoleSet(as_int(value)), None


def model(model_id: int, value: Mapping[str, Any], owner: str | None) -> Model:
    metadata = value["metadata"]
    head = value.get("head")
    return Model(
        id=model_id,
        owner=owner,
        spec_cid=as_text(metadata["spec_cid"]),
        spec_hash=as_bytes(metadata["spec_hash"]),
        policy=policy(value["policy"]),
        slash_destination=slash_destination(value["slash_destination"]),
        frozen=bool(value["frozen"]),
        head=None if head is None else int(head),
        version_count=int(value["version_count"]),
        contribution_count=int(value["contribution_count"]),
        pending_contributions=int(value["pending_contributions"]),
        created_at=int(value["created_at"]),
        depositor=str(value["depositor"]),
        deposit=int(value["deposit"]),
        retired=bool(value.get("retired", False)),
    )


def version(model_id: int, version_id: int, value: Mapping[str, Any]) -> Version:
    parent = value.get("parent")
    return Version(
        model=model_id,
        id=version_id,
        parent=None if parent is None else int(parent),
        artifact_cid=as_text(value["artifact_cid"]),
        artifact_hash=as_bytes(value["artifact_hash"]),
        recipe_hash=as_bytes(value["recipe_hash"]),
        metrics=tuple(Metric(as_text(m["key"]), int(m["value"])) for m in value["metrics"]),
        trainer=str(value["trainer"]),
        created_at=int(value["created_at"]),
        contributions=tuple(int(c) for c in value["contributions"]),
        status=VersionStatus(variant(value["status"])[0]),
        deposit=int(value["deposit"]),
        card_cid=None if value.get("card_cid") is None else as_text(value["card_cid"]),
        matches=int(value.get("matches", 0)),
        mismatches=int(value.get("mismatches", 0)),
    )


def contribution_status(value: Any) -> ContributionStatus:
    name, payload = variant(value)
    state = ContributionState(name)
    reason = RejectionReason(variant(payload)[0]) if state is ContributionState.REJECTED else None
    return ContributionStatus(state, reason)


def contribution(model_id: int, contribution_id: int, value: Mapping[str, Any]) -> Contribution:
    settled = value.get("settled_in")
    return Contribution(
        model=model_id,
        id=contribution_id,
        contributor=str(value["contributor"]),
        data_cid=as_text(value["data_cid"]),
        data_hash=as_bytes(value["data_hash"]),
        rows=int(value["rows"]),
        deposit=int(value["deposit"]),
        status=contribution_status(value["status"]),
        settled_in=None if settled is None else int(settled),
        submitted_at=int(value["submitted_at"]),
        reward_weight=int(value.get("reward_weight", 0)),
        reward=int(value.get("reward", 0)),
    )


def attestation(
    model_id: int, version_id: int, attester: str, value: Mapping[str, Any]
) -> Attestation:
    return Attestation(
        model=model_id,
        version=version_id,
        attester=attester,
        outcome=AttestationOutcome(variant(value["outcome"])[0]),
        report_cid=as_text(value["report_cid"]),
        deposit=int(value["deposit"]),
        at=int(value["at"]),
    )


def contributor_totals(value: Mapping[str, Any]) -> ContributorTotals:
    return ContributorTotals(
        accepted=int(value["accepted"]),
        rejected=int(value["rejected"]),
        returned=int(value["returned"]),
        rewards=int(value["rewards"]),
        slashed=int(value["slashed"]),
    )


def event(record: Any) -> ChainEvent:
    """A ChainEvent from a substrate-interface EventRecord (or its ``.value``)."""
    value = record.value if hasattr(record, "value") else record
    return ChainEvent(
        pallet=str(value["module_id"]),
        name=str(value["event_id"]),
        attributes=value.get("attributes"),
        extrinsic_index=value.get("extrinsic_idx"),
    )


# --- errors ------------------------------------------------------------------------

_PERMISSION = {
    "NotAdmin",
    "NotTrainer",
    "NotContributor",
    "NotContributionOwner",
    "OnlyOwnerManagesAdmins",
    "NoPermission",
    "NotOwner",
}

#: What to do about each pallet-cmu error (the "what went wrong" comes from metadata).
HINTS: Mapping[str, str] = {
    "UnknownModel": "list models with `cmu model list`",
    "UnknownVersion": "list versions with `cmu version list MODEL`",
    "UnknownContribution": "list contributions with `cmu contribute list MODEL`",
    "NotAdmin": "sign with the owner's key, or ask the owner to grant you the admin role",
    "NotTrainer": "ask the owner or an admin: `cmu role grant MODEL ADDRESS trainer`",
    "NotContributor": "ask the owner or an admin: `cmu role grant MODEL ADDRESS contributor`",
    "NotContributionOwner": "sign with the key that submitted the contribution",
    "OnlyOwnerManagesAdmins": "sign with the owner's key",
    "CannotTargetOwner": "the owner already holds every role",
    "InvalidRoles": "use admin, contributor, trainer, reader",
    "ModelFrozen": "an admin can thaw it with `cmu model thaw MODEL`",
    "AlreadyFrozen": "nothing to do",
    "NotFrozen": "nothing to do",
    "StaleParent": "fetch the new head (`cmu version list MODEL`) and rebuild on it",
    "CannotRevokeHead": "move the head first with `cmu version set-head MODEL VERSION`",
    "VersionRevoked": "pick another version",
    "VersionNotActive": "only active versions can be deprecated",
    "AlreadyHead": "nothing to do",
    "ContributionNotPending": "see its status with `cmu contribute show MODEL ID`",
    "DuplicateSettlement": "settle each contribution once",
    "TooManyPendingContributions": "wait until a trainer settles pending contributions",
    "ZeroRows": "a contribution needs at least one data row",
    "EmptyCid": "upload the content first",
    "FundsUnavailable": "fund the account (it cannot cover the deposit)",
    "NotOwner": "sign with the model owner's key (`cmu model show MODEL` names the owner)",
    "ModelRetired": "the model is retired; pending contributions can still be withdrawn",
    "AlreadyRetired": "nothing to do",
    "ContributionsPending": "the last withdrawal of a pending contribution releases the deposit",
    "TooManyPendingFromAccount": "wait until a trainer settles your pending contributions",
    "AlreadyAttested": "each account attests a version once (`cmu version show MODEL VERSION`)",
    "CannotAttestOwnVersion": "a version's trainer cannot attest it; attest with another key",
    "NoFreeModelId": "ask the chain's root to free model ids, or retry later",
}


def dispatch_error(error: Any, metadata: Any, extrinsic_hash: str | None = None) -> ChainError:
    """A ChainError for a ``DispatchError`` value, with the metadata's explanation."""
    name, payload = variant(error)
    if name == "Module" and payload is not None:
        if isinstance(payload, dict):
            pallet_index, error_field = int(payload["index"]), payload["error"]
        else:
            pallet_index, error_field = int(payload[0]), payload[1]
        error_index = _error_index(error_field)
        return module_error(pallet_index, error_index, metadata, extrinsic_hash)
    detail = ""
    if payload is not None:
        detail = variant(payload)[0] if isinstance(payload, str | dict) else str(payload)
    explanation = _SYSTEM_EXPLANATIONS.get(detail or name, "")
    return ChainError(name, detail or name, explanation, HINTS.get(detail or name), extrinsic_hash)


def _error_index(field: Any) -> int:
    if isinstance(field, int):
        return field
    if isinstance(field, str):  # [u8; 4] rendered as hex; the first byte is the index
        return int(field[2:4], 16)
    if isinstance(field, list | tuple):
        return int(field[0])
    raise TypeError(f"unknown module error encoding {field!r}")


def module_error(
    pallet_index: int, error_index: int, metadata: Any, extrinsic_hash: str | None = None
) -> ChainError:
    pallet = "?"
    for candidate in metadata.pallets:
        if int(candidate.value["index"]) == pallet_index:
            pallet = str(candidate.name)
            break
    try:
        err = metadata.get_module_error(module_index=pallet_index, error_index=error_index)
        name = str(err.name)
        docs = " ".join(str(d).strip() for d in (err.docs or []))
    except Exception:  # unknown index in metadata: keep the numbers
        name, docs = f"Error{error_index}", ""
    return chain_error(pallet, name, docs, extrinsic_hash)


def chain_error(
    pallet: str, name: str, explanation: str, extrinsic_hash: str | None = None
) -> ChainError:
    """The most specific ChainError subclass for a pallet error name."""
    cls: type[ChainError] = ChainError
    if pallet == "Cmu":
        if name in _PERMISSION:
            cls = PermissionDeniedError
        elif name == "ModelFrozen":
            cls = ModelFrozenError
        elif name == "StaleParent":
            cls = StaleParentError
    elif name in _PERMISSION:
        cls = PermissionDeniedError
    return cls(pallet, name, explanation, HINTS.get(name), extrinsic_hash)


_SYSTEM_EXPLANATIONS: Mapping[str, str] = {
    "BadOrigin": "the call needs another origin (signed by a different account, or root)",
    "CannotLookup": "the account address could not be resolved",
    "FundsUnavailable": "the account's free balance cannot cover the amount",
    "BelowMinimum": "the amount is below the existential deposit",
    "Overflow": "an amount would overflow",
    "Underflow": "an amount would underflow",
}
