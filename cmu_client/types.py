"""Dataclasses for the records pallet-cmu keeps, and the small value types its calls take.

Field names follow pallet/src/types.rs. Hashes are raw 32-byte ``bytes``; accounts are
SS58 strings; CIDs are ``str``. Fixed-point metrics keep the on-chain integer and
offer the float view.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cmu_client.errors import UsageError

ModelId = int
VersionId = int
ContributionId = int

#: Metrics are stored as ``round(value * METRIC_SCALE)`` in an i64.
METRIC_SCALE = 1_000_000_000
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


class RoleSet(enum.IntFlag):
    """Per-model roles as bit flags, exactly as pallet-cmu stores them."""

    ADMIN = 1
    CONTRIBUTOR = 2
    TRAINER = 4
    READER = 8

    @classmethod
    def none(cls) -> RoleSet:
        return cls(0)

    @classmethod
    def all(cls) -> RoleSet:
        return cls.ADMIN | cls.CONTRIBUTOR | cls.TRAINER | cls.READER

    @classmethod
    def parse(cls, text: str) -> RoleSet:
        """Parse ``"admin,trainer"``, ``"all"`` or a number such as ``"6"``."""
        text = text.strip()
        if text.isdigit():
            value = int(text)
            if value & ~int(cls.all()):
                raise UsageError(
                    f"role bits {value} include undefined bits",
                    "valid bits: Admin 1, Contributor 2, Trainer 4, Reader 8",
                )
            return cls(value)
        if text.lower() == "all":
            return cls.all()
        result = cls(0)
        for part in filter(None, (p.strip().upper() for p in text.split(","))):
            if part not in cls.__members__:
                raise UsageError(
                    f"unknown role {part.lower()!r}",
                    "use admin, contributor, trainer, reader (comma separated) or all",
                )
            result |= cls[part]
        return result

    def names(self) -> list[str]:
        """Role names in bit order, lower case."""
        return [r.name.lower() for r in RoleSet if r.name is not None and r in self]

    def label(self) -> str:
        return ",".join(self.names()) or "-"


class Visibility(enum.Enum):
    """Who may read a model's content: anyone, or (``PERMISSIONED``) only the accounts its
    per-version content keys are sealed to (:mod:`cmu_client.access`); the chain itself
    shows every model's records to everyone."""

    PUBLIC = "Public"
    PERMISSIONED = "Permissioned"


class ContributionMode(enum.Enum):
    """Who may submit contributions."""

    OPEN = "Open"
    ROLE_REQUIRED = "RoleRequired"


@dataclass(frozen=True)
class AccessPolicy:
    visibility: Visibility = Visibility.PUBLIC
    contributions: ContributionMode = ContributionMode.OPEN

    def to_scale(self) -> dict[str, str]:
        return {"visibility": self.visibility.value, "contributions": self.contributions.value}


class SlashKind(enum.Enum):
    MODEL_OWNER = "ModelOwner"
    BURN = "Burn"
    ACCOUNT = "Account"
    #: Shared among the accepted contributors of the version that rejected the data, pro
    #: rata to their reward weights (pallet-cmu v2, issue 8).
    ACCEPTED_CONTRIBUTORS = "AcceptedContributors"


@dataclass(frozen=True)
class SlashDestination:
    """Where a rejected contribution's deposit goes."""

    kind: SlashKind = SlashKind.MODEL_OWNER
    account: str | None = None

    def to_scale(self) -> str | dict[str, str]:
        if self.kind is SlashKind.ACCOUNT:
            if self.account is None:
                raise UsageError("slash destination Account needs an account")
            return {"Account": self.account}
        return str(self.kind.value)

    def label(self) -> str:
        return self.account if self.kind is SlashKind.ACCOUNT and self.account else self.kind.value


@dataclass(frozen=True)
class Metric:
    """One evaluation metric; ``value`` is the on-chain fixed-point integer (x 1e9)."""

    key: str
    value: int

    @classmethod
    def from_float(cls, key: str, value: float) -> Metric:
        if value != value or value in (float("inf"), float("-inf")):
            raise UsageError(f"metric {key!r} is not a finite number")
        scaled = round(value * METRIC_SCALE)
        if not _I64_MIN <= scaled <= _I64_MAX:
            raise UsageError(f"metric {key!r} = {value} does not fit the on-chain fixed point")
        return cls(key, scaled)

    @property
    def as_float(self) -> float:
        return self.value / METRIC_SCALE

    def to_scale(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value}


class VersionStatus(enum.Enum):
    ACTIVE = "Active"
    DEPRECATED = "Deprecated"
    REVOKED = "Revoked"


class RejectionReason(enum.Enum):
    """Why a trainer rejected a contribution (pallet ``RejectionReason``)."""

    INVALID_SCHEMA = "InvalidSchema"
    HASH_MISMATCH = "HashMismatch"
    UNREACHABLE = "Unreachable"
    HARMS_METRIC = "HarmsMetric"
    DUPLICATE = "Duplicate"


#: Largest reward weight (``RewardWeight`` is a u32).
MAX_REWARD_WEIGHT = 2**32 - 1


@dataclass(frozen=True)
class Verdict:
    """A trainer's decision on one contribution.

    ``weight`` is the reward weight of an accepted contribution (its measured improvement;
    slashed deposits are shared pro rata to it under ``AcceptedContributors``). Runtimes
    before pallet-cmu v2 take no weight; it is dropped for them when the call is composed
    (:mod:`cmu_client.features`).
    """

    accepted: bool
    reason: RejectionReason | None = None
    weight: int = 0

    @classmethod
    def accept(cls, weight: int = 0) -> Verdict:
        if not isinstance(weight, int) or not 0 <= weight <= MAX_REWARD_WEIGHT:
            raise UsageError(f"reward weight {weight!r} is not a u32")
        return cls(True, None, weight)

    @classmethod
    def reject(cls, reason: RejectionReason) -> Verdict:
        return cls(False, reason)

    def to_scale(self) -> str | dict[str, Any]:
        # A weightless "Accept" is what the first pallet takes; the composer turns it into
        # Accept(0) for pallet-cmu v2 (cmu_client.features.adapt).
        if self.accepted:
            return {"Accept": self.weight} if self.weight else "Accept"
        assert self.reason is not None
        return {"Reject": self.reason.value}


class ContributionState(enum.Enum):
    PENDING = "Pending"
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    WITHDRAWN = "Withdrawn"


@dataclass(frozen=True)
class ContributionStatus:
    state: ContributionState
    reason: RejectionReason | None = None

    def label(self) -> str:
        if self.reason is not None:
            return f"{self.state.value}({self.reason.value})"
        return self.state.value


@dataclass(frozen=True)
class Model:
    """A model: its NFT owner plus everything pallet-cmu keeps (``ModelInfo``)."""

    id: ModelId
    owner: str | None
    spec_cid: str
    spec_hash: bytes
    policy: AccessPolicy
    slash_destination: SlashDestination
    frozen: bool
    head: VersionId | None
    version_count: int
    contribution_count: int
    pending_contributions: int
    created_at: int
    depositor: str
    deposit: int
    #: Retired (by its owner, or its NFT was burned): no new versions or contributions.
    #: Always False on runtimes before pallet-cmu v2.
    retired: bool = False


@dataclass(frozen=True)
class Version:
    """One entry in a model's version linked list (``VersionRecord``)."""

    model: ModelId
    id: VersionId
    parent: VersionId | None
    artifact_cid: str
    artifact_hash: bytes
    recipe_hash: bytes
    metrics: tuple[Metric, ...]
    trainer: str
    created_at: int
    contributions: tuple[ContributionId, ...]
    status: VersionStatus
    deposit: int
    #: The version card's CID (None on runtimes before pallet-cmu v2, which have no field
    #: for it).
    card_cid: str | None = None
    #: Accounts that re-derived the version and attested a bit-for-bit match / a mismatch
    #: (0 on runtimes before pallet-cmu v2).
    matches: int = 0
    mismatches: int = 0

    def metric(self, key: str) -> Metric | None:
        return next((m for m in self.metrics if m.key == key), None)

    def attestation_label(self) -> str:
        """``verified by N accounts, disputed by M`` (people, not machines)."""
        accounts = "account" if self.matches == 1 else "accounts"
        return f"verified by {self.matches} {accounts}, disputed by {self.mismatches}"


@dataclass(frozen=True)
class Contribution:
    """A data set registered for a model (``ContributionRecord``)."""

    model: ModelId
    id: ContributionId
    contributor: str
    data_cid: str
    data_hash: bytes
    rows: int
    deposit: int
    status: ContributionStatus
    settled_in: VersionId | None
    submitted_at: int
    #: The trainer's reward weight, once accepted (0 on runtimes before pallet-cmu v2).
    reward_weight: int = 0
    #: Slashed deposits of other contributions paid to this one's contributor.
    reward: int = 0


class AttestationOutcome(enum.Enum):
    """What re-deriving a version found (pallet ``AttestationOutcome``)."""

    MATCH = "Match"
    MISMATCH = "Mismatch"


@dataclass(frozen=True)
class Attestation:
    """One account's attestation of one version (``AttestationRecord``)."""

    model: ModelId
    version: VersionId
    attester: str
    outcome: AttestationOutcome
    report_cid: str
    deposit: int
    at: int


@dataclass(frozen=True)
class ContributorTotals:
    """An account's track record as a contributor across every model
    (``ContributorTotals``, read with the runtime API ``CmuApi.contributor_totals``)."""

    accepted: int = 0
    rejected: int = 0
    #: Deposits released on acceptance.
    returned: int = 0
    #: Rewards received from other contributors' slashed deposits.
    rewards: int = 0
    #: Deposits slashed on rejection.
    slashed: int = 0


@dataclass(frozen=True)
class ChainEvent:
    """A runtime event, with its attributes as decoded from metadata."""

    pallet: str
    name: str
    attributes: Any
    extrinsic_index: int | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.pallet}.{self.name}"

    def attr(self, key: str) -> Any:
        if isinstance(self.attributes, dict):
            return self.attributes.get(key)
        return None


@dataclass(frozen=True)
class ExtrinsicResult:
    """What happened to one submitted extrinsic: where it landed and what it emitted."""

    extrinsic_hash: str
    block_hash: str
    block_number: int
    extrinsic_index: int
    success: bool
    events: tuple[ChainEvent, ...]
    fee: int = 0
    error: Exception | None = None

    def find(self, pallet: str, name: str) -> list[ChainEvent]:
        return [e for e in self.events if e.pallet == pallet and e.name == name]

    def first(self, pallet: str, name: str) -> ChainEvent:
        found = self.find(pallet, name)
        if not found:
            raise LookupError(f"no {pallet}.{name} event in {self.extrinsic_hash}")
        return found[0]


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call inside a batch (or of a lone extrinsic)."""

    index: int
    success: bool
    events: tuple[ChainEvent, ...] = ()
    error: Exception | None = None
    extrinsic: ExtrinsicResult | None = None

    def find(self, pallet: str, name: str) -> list[ChainEvent]:
        return [e for e in self.events if e.pallet == pallet and e.name == name]


@dataclass(frozen=True)
class Lineage:
    """A model's versions from a starting version (usually the head) back to genesis."""

    model: ModelId
    versions: tuple[Version, ...] = field(default_factory=tuple)

    def ids(self) -> list[VersionId]:
        return [v.id for v in self.versions]


def hex32(value: bytes) -> str:
    """A 32-byte hash as 0x-prefixed hex."""
    return "0x" + value.hex()


def roles_from_iter(names: Iterable[str]) -> RoleSet:
    result = RoleSet(0)
    for n in names:
        result |= RoleSet.parse(n)
    return result


def amount(value: int, decimals: int = 12, symbol: str = "UNIT") -> str:
    """A balance in whole tokens for people, e.g. ``1,000.0000 CMU``."""
    whole = value / 10**decimals
    return f"{whole:,.4f} {symbol}"
