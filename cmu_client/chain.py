"""The CMU chain: a method for every pallet-cmu call and query, over one connection.

Reads return dataclasses from :mod:`cmu_client.types`. Writes take the signing key
first, wait for inclusion and return the :class:`ExtrinsicResult` (block, events, fee);
a call that fails on chain raises a :class:`ChainError` subclass named after the pallet
error, with its doc comment from the runtime metadata as the explanation.

Bulk history reads (lineage, contribution lists) live in :mod:`cmu_client.history`;
many writes at once go through :class:`cmu_client.submitter.Submitter`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scalecodec.base import ScaleBytes
from substrateinterface.storage import StorageKey

from cmu_client import calls, decode, features
from cmu_client.calls import Call
from cmu_client.config import ChainSettings
from cmu_client.connection import ChainConnection
from cmu_client.errors import ChainError, NotFoundError, UsageError
from cmu_client.features import RuntimeFeatures
from cmu_client.keys import Signer
from cmu_client.submitter import Submitter
from cmu_client.types import (
    AccessPolicy,
    Attestation,
    AttestationOutcome,
    CallResult,
    Contribution,
    ContributionId,
    ContributorTotals,
    ExtrinsicResult,
    Metric,
    Model,
    ModelId,
    RejectionReason,
    RoleSet,
    SlashDestination,
    Verdict,
    Version,
    VersionId,
)

PALLET = "Cmu"


@dataclass(frozen=True)
class ChainInfo:
    """Constants worth showing to users."""

    chain: str
    token_symbol: str
    token_decimals: int
    model_deposit: int
    version_deposit: int
    contribution_deposit: int
    max_cid_len: int
    max_pending_contributions: int
    #: Held per attestation (pallet-cmu v2; None on the first pallet).
    attestation_deposit: int | None = None
    #: Most contributions one account may have pending on a model (v2; None before).
    max_pending_per_account: int | None = None


@dataclass(frozen=True)
class Balance:
    """An account's balance in the chain's smallest unit (``System.Account``)."""

    free: int
    #: Held: deposits of models, versions and contributions.
    reserved: int
    frozen: int


class CmuChain:
    """Client for pallet-cmu. ``with CmuChain.connect() as chain: ...``"""

    def __init__(self, connection: ChainConnection | None = None) -> None:
        self.connection = connection or ChainConnection()
        self._submitters: dict[str, Submitter] = {}
        self._value_types: dict[tuple[str, str, Any], str] = {}

    @classmethod
    def connect(cls, url: str | None = None) -> CmuChain:
        chain = cls(ChainConnection(ChainSettings.from_env(url)))
        chain.connection.substrate  # noqa: B018 - connect now so errors surface here
        return chain

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> CmuChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low-level helpers ----------------------------------------------------------

    def _query(self, pallet: str, item: str, params: list[Any] | None = None) -> Any:
        def action(substrate: Any) -> Any:
            return substrate.query(pallet, item, params or []).value

        return self.connection.run(action, what=f"{pallet}.{item} read")

    def constant(self, name: str, pallet: str = PALLET) -> Any:
        """A runtime constant's decoded value (``Cmu.MaxSettlementsPerVersion``, ...), or
        None when the runtime has no such constant."""

        def action(substrate: Any) -> Any:
            constant = substrate.get_constant(pallet, name)
            return None if constant is None else constant.value

        return self.connection.run(action, what=f"{pallet}.{name} constant")

    def value_type(self, item: str, pallet: str = PALLET) -> str:
        """The SCALE type string of a storage item's value (for bulk decoding); cached
        per runtime version, as looking it up walks the metadata."""

        def action(substrate: Any) -> str:
            key = (pallet, item, substrate.runtime_version)
            if key not in self._value_types:
                entry = substrate.get_metadata_storage_function(pallet, item)
                if entry is None:
                    raise UsageError(f"the runtime has no storage item {pallet}.{item}")
                self._value_types[key] = str(entry.get_value_type_string())
            return self._value_types[key]

        return self.connection.run(action, what="metadata read")

    def read_entries(
        self,
        item: str,
        keys: Sequence[Sequence[Any]],
        at: str | None = None,
        pallet: str = PALLET,
    ) -> list[Any]:
        """The decoded values of many entries of the storage map ``pallet.item`` (None
        where absent), in one ``state_queryStorageAt`` at block ``at`` (default: the head).

        substrate-interface builds the keys from the runtime metadata (the map's hashers)
        and decodes the values; ``keys`` are the map's key parameters, e.g. ``(model,
        version)`` for ``Versions``.

        Cost, measured (benchmarks/bench_lineage.py, 1,000 versions, loopback): 416 ms
        against 241 ms with the keys hashed by hand as before, in the same 11 requests:
        ``StorageKey`` looks the storage item up in the metadata for every key (~0.2 ms).
        Kept: the keys follow the metadata's hashers instead of a copy of them, and over a
        network the round trips, not the keys, dominate.
        """
        if not keys:
            return []
        block = at or self.head_hash()

        def action(substrate: Any) -> list[Any]:
            substrate.init_runtime(block_hash=block)
            storage_keys = [
                StorageKey.create_from_storage_function(
                    pallet,
                    item,
                    list(params),
                    runtime_config=substrate.runtime_config,
                    metadata=substrate.metadata,
                )
                for params in keys
            ]
            found = {
                key.to_hex(): value.value
                for key, value in substrate.query_multi(storage_keys, block_hash=block)
            }
            return [found.get(key.to_hex()) for key in storage_keys]

        return self.connection.run(action, what=f"{pallet}.{item} read")

    def map_keys(
        self,
        item: str,
        prefix: Sequence[Any],
        at: str | None = None,
        page_size: int = 256,
        pallet: str = PALLET,
    ) -> list[Any]:
        """The last key parameter of every entry of ``pallet.item`` under ``prefix`` (the
        first key parameters), read in pages at block ``at`` (default: the head)."""
        block = at or self.head_hash()

        def action(substrate: Any) -> list[Any]:
            result = substrate.query_map(
                pallet, item, list(prefix), block_hash=block, page_size=page_size
            )
            return [key.value for key, _ in result]

        return self.connection.run(action, what=f"{pallet}.{item} keys")

    def state_call(self, method: str, params: bytes, at: str | None = None) -> ScaleBytes:
        """Call a runtime API function (``Api_method``) with SCALE-encoded params."""
        result = self.connection.rpc("state_call", [method, "0x" + params.hex(), at])
        return ScaleBytes(result)

    def head_hash(self) -> str:
        return str(self.connection.rpc("chain_getBlockHash", []))

    def features(self) -> RuntimeFeatures:
        """What the connected runtime's pallet-cmu offers (v1 or v2), from its metadata;
        cached per metadata."""
        return self.connection.run(features.detect, what="metadata read")

    def ensure_runtime(self) -> None:
        """Load metadata now (the first read otherwise pays for it)."""
        self.connection.run(lambda s: s.init_runtime(), what="metadata load")

    def pallet_error(self, name: str, pallet: str = PALLET) -> ChainError:
        """The error ``pallet.name`` as the chain would raise it (explained from metadata),
        for refusing early, before anything is uploaded or signed."""

        def action(substrate: Any) -> str:
            error = substrate.get_metadata_error(pallet, name)
            return "" if error is None else " ".join(str(d).strip() for d in error.docs or [])

        return decode.chain_error(pallet, name, self.connection.run(action, what="metadata"))

    # -- chain facts ----------------------------------------------------------------

    def info(self) -> ChainInfo:
        def action(substrate: Any) -> tuple[str, str, int]:
            return (
                str(substrate.chain),
                str(substrate.token_symbol or "UNIT"),
                int(substrate.token_decimals or 12),
            )

        name, symbol, decimals = self.connection.run(action, what="chain properties")
        return ChainInfo(
            chain=name,
            token_symbol=symbol,
            token_decimals=decimals,
            model_deposit=int(self.constant("ModelDeposit")),
            version_deposit=int(self.constant("VersionDeposit")),
            contribution_deposit=int(self.constant("ContributionDeposit")),
            max_cid_len=int(self.constant("MaxCidLen")),
            max_pending_contributions=int(self.constant("MaxPendingContributions")),
            attestation_deposit=_optional_int(self.constant("AttestationDeposit")),
            max_pending_per_account=_optional_int(self.constant("MaxPendingPerAccount")),
        )

    def balance(self, address: str) -> Balance:
        value = self._query("System", "Account", [address])
        data = value["data"]
        return Balance(
            int(data["free"]),
            int(data["reserved"]),
            int(data.get("frozen", data.get("misc_frozen", 0))),
        )

    # -- models ---------------------------------------------------------------------

    def model_collection(self) -> int | None:
        value = self._query(PALLET, "ModelCollection")
        return None if value is None else int(value)

    def next_model_id(self) -> int:
        return int(self._query(PALLET, "NextModelId"))

    def owner_of(self, model_id: ModelId) -> str | None:
        collection = self.model_collection()
        if collection is None:
            return None
        item = self._query("Nfts", "Item", [collection, model_id])
        return None if item is None else str(item["owner"])

    def model_or_none(self, model_id: ModelId) -> Model | None:
        value = self._query(PALLET, "Models", [model_id])
        if value is None:
            return None
        return decode.model(model_id, value, self.owner_of(model_id))

    def model(self, model_id: ModelId) -> Model:
        found = self.model_or_none(model_id)
        if found is None:
            raise NotFoundError(
                f"no model {model_id} on chain", "list models with `cmu model list`"
            )
        return found

    def models(self, page_size: int = 256) -> list[Model]:
        """Every model, read in pages (keys and values ``page_size`` at a time)."""

        def action(substrate: Any) -> list[tuple[int, Any]]:
            result = substrate.query_map(PALLET, "Models", page_size=page_size)
            return [(int(k.value), v.value) for k, v in result]

        entries = self.connection.run(action, what="Models read")
        owners = self._owners([mid for mid, _ in entries])
        return sorted(
            (decode.model(mid, v, owners.get(mid)) for mid, v in entries), key=lambda m: m.id
        )

    def _owners(self, model_ids: Iterable[ModelId]) -> dict[ModelId, str]:
        ids = list(model_ids)
        collection = self.model_collection()
        if collection is None or not ids:
            return {}

        owners: dict[ModelId, str] = {}
        for low in range(0, len(ids), 256):
            page = ids[low : low + 256]
            items = self.read_entries("Item", [(collection, i) for i in page], pallet="Nfts")
            owners.update({i: str(v["owner"]) for i, v in zip(page, items, strict=True) if v})
        return owners

    # -- roles ----------------------------------------------------------------------

    def explicit_roles(self, model_id: ModelId, who: str) -> RoleSet:
        """Roles granted to ``who`` that count now (not the owner's implicit ones). On
        pallet-cmu v2 a grant counts only while the owner it was made under owns the NFT."""
        value = self._query(PALLET, "Roles", [model_id, who])
        if value is None:
            return RoleSet.none()
        roles, granted_under = decode.grant(value)
        if granted_under is not None and granted_under != self.owner_of(model_id):
            return RoleSet.none()
        return roles

    def roles_of(self, model_id: ModelId, who: str) -> RoleSet:
        """Roles ``who`` holds, the owner's implicit ones included."""
        if self.owner_of(model_id) == who:
            return RoleSet.all()
        return self.explicit_roles(model_id, who)

    def role_holders(self, model_id: ModelId, page_size: int = 256) -> dict[str, RoleSet]:
        """Every account with explicitly granted roles on the model."""

        def action(substrate: Any) -> dict[str, tuple[RoleSet, str | None]]:
            result = substrate.query_map(PALLET, "Roles", [model_id], page_size=page_size)
            return {str(k.value): decode.grant(v.value) for k, v in result}

        grants = self.connection.run(action, what="Roles read")
        owner = self.owner_of(model_id) if any(o for _, o in grants.values()) else None
        # v2 grants made under an earlier owner no longer count (they lapse on a sale).
        return {
            who: roles for who, (roles, under) in grants.items() if under is None or under == owner
        }

    # -- versions and contributions (single) ----------------------------------------

    def version_or_none(self, model_id: ModelId, version_id: VersionId) -> Version | None:
        value = self._query(PALLET, "Versions", [model_id, version_id])
        return None if value is None else decode.version(model_id, version_id, value)

    def version(self, model_id: ModelId, version_id: VersionId) -> Version:
        found = self.version_or_none(model_id, version_id)
        if found is None:
            raise NotFoundError(
                f"model {model_id} has no version {version_id}",
                f"list versions with `cmu version list {model_id}`",
            )
        return found

    def head(self, model_id: ModelId) -> Version:
        model = self.model(model_id)
        if model.head is None:
            raise NotFoundError(
                f"model {model_id} has no version yet", "a trainer publishes the first version"
            )
        return self.version(model_id, model.head)

    def contribution_or_none(
        self, model_id: ModelId, contribution_id: ContributionId
    ) -> Contribution | None:
        value = self._query(PALLET, "Contributions", [model_id, contribution_id])
        return None if value is None else decode.contribution(model_id, contribution_id, value)

    def contribution(self, model_id: ModelId, contribution_id: ContributionId) -> Contribution:
        found = self.contribution_or_none(model_id, contribution_id)
        if found is None:
            raise NotFoundError(
                f"model {model_id} has no contribution {contribution_id}",
                f"list them with `cmu contribute list {model_id}`",
            )
        return found

    # -- attestations and track records (pallet-cmu v2) -----------------------------

    def attestation(self, model_id: ModelId, version_id: VersionId, who: str) -> Attestation | None:
        """``who``'s attestation of the version, if any (None on the first pallet)."""
        if not self.features().attestations:
            return None
        value = self._query(PALLET, "Attestations", [model_id, version_id, who])
        return None if value is None else decode.attestation(model_id, version_id, who, value)

    def attestations(
        self, model_id: ModelId, version_id: VersionId, page_size: int = 256
    ) -> list[Attestation]:
        """Every attestation of the version, read in pages ([] on the first pallet)."""
        if not self.features().attestations:
            return []

        def action(substrate: Any) -> list[tuple[str, Any]]:
            result = substrate.query_map(
                PALLET, "Attestations", [model_id, version_id], page_size=page_size
            )
            return [(str(k.value), v.value) for k, v in result]

        entries = self.connection.run(action, what="Attestations read")
        found = [decode.attestation(model_id, version_id, who, v) for who, v in entries]
        return sorted(found, key=lambda a: (a.at, a.attester))

    def contributor_totals(self, who: str) -> ContributorTotals:
        """``who``'s track record as a contributor across every model, in one runtime API
        call (``CmuApi.contributor_totals``; pallet-cmu v2)."""
        self.features().require("contributor_totals", "per-account contribution totals")
        raw = self.state_call("CmuApi_contributor_totals", _account_id(who))
        type_string = self.value_type("ContributorStats")

        def action(substrate: Any) -> Any:
            obj = substrate.runtime_config.create_scale_object(
                type_string, data=raw, metadata=substrate.metadata
            )
            return obj.decode()

        return decode.contributor_totals(self.connection.run(action, what="totals decode"))

    # -- writing --------------------------------------------------------------------

    def submitter(self, signer: Signer) -> Submitter:
        """The (cached) submitter of ``signer``: one local nonce sequence per key."""
        key = signer.ss58_address
        if key not in self._submitters:
            self._submitters[key] = Submitter(self.connection, signer)
        return self._submitters[key]

    def submit(self, signer: Signer, call: Call) -> ExtrinsicResult:
        return self.submitter(signer).submit(call)

    def submit_many(self, signer: Signer, many: Sequence[Call]) -> list[ExtrinsicResult]:
        return self.submitter(signer).submit_many(many)

    def submit_batch(
        self, signer: Signer, many: Sequence[Call], *, atomic: bool = True
    ) -> list[CallResult]:
        return self.submitter(signer).submit_batch(many, atomic=atomic)

    def create_model(
        self,
        signer: Signer,
        spec_cid: str,
        spec_hash: bytes,
        policy: AccessPolicy | None = None,
    ) -> tuple[ModelId, ExtrinsicResult]:
        result = self.submit(
            signer, calls.create_model(spec_cid, spec_hash, policy or AccessPolicy())
        )
        return int(result.first(PALLET, "ModelCreated").attr("model")), result

    def set_model_metadata(
        self, signer: Signer, model_id: ModelId, spec_cid: str, spec_hash: bytes
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.set_model_metadata(model_id, spec_cid, spec_hash))

    def set_access_policy(
        self, signer: Signer, model_id: ModelId, policy: AccessPolicy
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.set_access_policy(model_id, policy))

    def grant_role(
        self, signer: Signer, model_id: ModelId, who: str, roles: RoleSet
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.grant_role(model_id, who, roles))

    def revoke_role(
        self, signer: Signer, model_id: ModelId, who: str, roles: RoleSet
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.revoke_role(model_id, who, roles))

    def freeze_model(self, signer: Signer, model_id: ModelId) -> ExtrinsicResult:
        return self.submit(signer, calls.freeze_model(model_id))

    def thaw_model(self, signer: Signer, model_id: ModelId) -> ExtrinsicResult:
        return self.submit(signer, calls.thaw_model(model_id))

    def submit_contribution(
        self, signer: Signer, model_id: ModelId, data_cid: str, data_hash: bytes, rows: int
    ) -> tuple[ContributionId, ExtrinsicResult]:
        result = self.submit(signer, calls.submit_contribution(model_id, data_cid, data_hash, rows))
        return int(result.first(PALLET, "ContributionSubmitted").attr("contribution")), result

    def withdraw_contribution(
        self, signer: Signer, model_id: ModelId, contribution_id: ContributionId
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.withdraw_contribution(model_id, contribution_id))

    def publish_version(
        self,
        signer: Signer,
        model_id: ModelId,
        expected_parent: VersionId | None,
        artifact_cid: str,
        artifact_hash: bytes,
        recipe_hash: bytes,
        metrics: Sequence[Metric] = (),
        settlements: Iterable[tuple[ContributionId, Verdict]] = (),
        *,
        card_cid: str | None = None,
        envelope_cid: str | None = None,
    ) -> tuple[VersionId, ExtrinsicResult]:
        """Append a version. ``card_cid`` (the version card) is required by pallet-cmu v2
        and dropped for the first pallet, like the accepted verdicts' reward weights. On
        v2 a settlement of a contribution that is no longer pending is skipped, not
        failed: see :func:`skipped_settlements` on the result."""
        result = self.submit(
            signer,
            calls.publish_version(
                model_id,
                expected_parent,
                artifact_cid,
                artifact_hash,
                recipe_hash,
                metrics,
                settlements,
                card_cid=card_cid,
                envelope_cid=envelope_cid,
            ),
        )
        return int(result.first(PALLET, "VersionPublished").attr("version")), result

    # -- encryption (permissioned models) ---------------------------------------------

    def encryption_key(self, who: str) -> bytes | None:
        """The x25519 public key ``who`` published for CMU, if any."""
        if not self.features().encryption:
            return None
        value = self._query(PALLET, "EncryptionKeys", [who])
        return None if value is None else decode.as_bytes(value)

    def encryption_keys(self, accounts: Iterable[str]) -> dict[str, bytes | None]:
        """The published x25519 keys of ``accounts`` (``None`` where there is none)."""
        return {who: self.encryption_key(who) for who in dict.fromkeys(accounts)}

    def version_envelope(self, model_id: ModelId, version_id: VersionId) -> str | None:
        """The CID of the version's key envelope (encrypted versions only)."""
        if not self.features().encryption:
            return None
        value = self._query(PALLET, "VersionEnvelopes", [model_id, version_id])
        return None if value is None else decode.as_text(value)

    def set_encryption_key(self, signer: Signer, public_key: bytes | None) -> ExtrinsicResult:
        return self.submit(signer, calls.set_encryption_key(public_key))

    def set_version_envelope(
        self, signer: Signer, model_id: ModelId, envelope_cid: str
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.set_version_envelope(model_id, envelope_cid))

    def reject_contributions(
        self,
        signer: Signer,
        model_id: ModelId,
        rejections: Iterable[tuple[ContributionId, RejectionReason]],
    ) -> ExtrinsicResult:
        """Settle rejections without publishing a version (pallet-cmu v2)."""
        return self.submit(signer, calls.reject_contributions(model_id, rejections))

    def attest_version(
        self,
        signer: Signer,
        model_id: ModelId,
        version_id: VersionId,
        outcome: AttestationOutcome,
        report_cid: str,
    ) -> ExtrinsicResult:
        """Record that ``signer`` re-derived the version and found ``outcome``; holds the
        attestation deposit (pallet-cmu v2)."""
        return self.submit(signer, calls.attest_version(model_id, version_id, outcome, report_cid))

    def retire_model(self, signer: Signer, model_id: ModelId) -> ExtrinsicResult:
        """Retire the model (owner; pallet-cmu v2)."""
        return self.submit(signer, calls.retire_model(model_id))

    def set_head(
        self, signer: Signer, model_id: ModelId, version_id: VersionId, reason: int = 0
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.set_head(model_id, version_id, reason))

    def deprecate_version(
        self, signer: Signer, model_id: ModelId, version_id: VersionId
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.deprecate_version(model_id, version_id))

    def revoke_version(
        self, signer: Signer, model_id: ModelId, version_id: VersionId
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.revoke_version(model_id, version_id))

    def set_slash_destination(
        self, signer: Signer, model_id: ModelId, destination: SlashDestination
    ) -> ExtrinsicResult:
        return self.submit(signer, calls.set_slash_destination(model_id, destination))

    def transfer_model(self, signer: Signer, model_id: ModelId, dest: str) -> ExtrinsicResult:
        """Give the model (its NFT) to ``dest``; roles follow the NFT owner."""
        collection = self.model_collection()
        if collection is None:
            raise NotFoundError("no model has been created yet")
        return self.submit(signer, calls.nfts_transfer(collection, model_id, dest))

    def transfer_balance(self, signer: Signer, dest: str, amount: int) -> ExtrinsicResult:
        return self.submit(signer, calls.balances_transfer(dest, amount))


def skipped_settlements(result: ExtrinsicResult | CallResult) -> list[ContributionId]:
    """Contributions a ``publish_version`` or ``reject_contributions`` skipped because
    they were no longer pending (``Cmu.SettlementSkipped``; pallet-cmu v2)."""
    return [int(e.attr("contribution")) for e in result.find(PALLET, "SettlementSkipped")]


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _account_id(address: str) -> bytes:
    """The 32 raw bytes of an SS58 address (for runtime API parameters)."""
    from substrateinterface.utils.ss58 import ss58_decode

    try:
        return bytes.fromhex(ss58_decode(address))
    except ValueError as bad:
        raise UsageError(f"{address!r} is not an SS58 address ({bad})") from None
