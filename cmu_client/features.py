"""What the connected runtime's pallet-cmu can do, read from its metadata.

Two pallet-cmu generations run side by side while issue 8 lands: the first one (storage
version 0, runtime spec 100) and v2 (storage version 1: version card CIDs, reward weights,
``AcceptedContributors``, attestations, ``retire_model``, ``reject_contributions``, grants
that record their owner, ``CmuApi`` version 2 with ``contributor_totals``). The client
works against both: :func:`detect` reads what the runtime offers from its metadata (call
parameters, enum variants, storage items) and its runtime version (API versions), and
:func:`adapt` rewrites a :class:`~cmu_client.calls.Call` built for v2 into what an older
runtime takes (no card CID, verdicts without weights) or refuses it with
:class:`UnsupportedByRuntimeError` when the runtime has no such thing (an attestation on
the first pallet). Detection is cached per metadata object.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cmu_client.calls import PALLET, Call
from cmu_client.errors import UsageError

#: ``CmuApi``'s id in ``state_getRuntimeVersion`` (blake2b-64 of the trait name).
CMU_API_ID = "0x" + hashlib.blake2b(b"CmuApi", digest_size=8).hexdigest()

_CACHE_ATTRIBUTE = "_cmu_runtime_features"


class UnsupportedByRuntimeError(UsageError):
    """The connected runtime's pallet-cmu predates what was asked for."""


@dataclass(frozen=True)
class RuntimeFeatures:
    """What the runtime's pallet-cmu offers (v1 = the first pallet, v2 = issue 8)."""

    spec_version: int
    #: Names of the ``Cmu`` calls.
    calls: frozenset[str]
    #: Parameter names of ``Cmu.publish_version``, in order.
    publish_args: tuple[str, ...]
    #: Whether ``Verdict::Accept`` carries a reward weight.
    accept_weight: bool
    #: The ``SlashDestination`` variants.
    slash_destinations: frozenset[str]
    #: Names of the ``Cmu`` storage items.
    storage: frozenset[str]
    #: ``CmuApi``'s version (0 when the runtime has none).
    cmu_api_version: int

    @property
    def card_cid(self) -> bool:
        """``publish_version`` takes (and the version record keeps) the card's CID."""
        return "card_cid" in self.publish_args

    @property
    def encryption(self) -> bool:
        """Encryption keys and key envelopes (``set_encryption_key``, envelope CIDs)."""
        return "set_encryption_key" in self.calls and "envelope_cid" in self.publish_args

    @property
    def attestations(self) -> bool:
        return "attest_version" in self.calls

    @property
    def retire(self) -> bool:
        return "retire_model" in self.calls

    @property
    def reject_contributions(self) -> bool:
        return "reject_contributions" in self.calls

    @property
    def rewards(self) -> bool:
        """Slashed deposits can go to the accepted contributors, by weight."""
        return self.accept_weight and "AcceptedContributors" in self.slash_destinations

    @property
    def contributor_totals(self) -> bool:
        """``CmuApi.contributor_totals`` (runtime API version 2)."""
        return self.cmu_api_version >= 2

    @property
    def grant_owner(self) -> bool:
        """Explicit grants record the owner they were made under (and lapse on a sale)."""
        return "PendingPerAccount" in self.storage

    @property
    def generation(self) -> int:
        """1 for the first pallet-cmu, 2 once every issue-8 feature is there."""
        v2 = (self.card_cid, self.attestations, self.rewards, self.contributor_totals)
        return 2 if all(v2) else 1

    def require(self, feature: str, what: str) -> None:
        """Raise :class:`UnsupportedByRuntimeError` unless ``feature`` (a property name)
        is offered; ``what`` names the thing asked for, for the message."""
        if not getattr(self, feature):
            raise UnsupportedByRuntimeError(
                f"{what} needs pallet-cmu v2; the chain runs runtime spec "
                f"{self.spec_version}, whose pallet-cmu has no {feature.replace('_', ' ')}",
                "connect to a chain running the v2 runtime (--rpc / $CMU_RPC_URL)",
            )


def detect(substrate: Any) -> RuntimeFeatures:
    """The features of the runtime whose metadata ``substrate`` has loaded (cached)."""
    metadata = substrate.metadata
    if metadata is None:
        substrate.init_runtime()
        metadata = substrate.metadata
    cached = getattr(substrate, _CACHE_ATTRIBUTE, None)
    if cached is not None and cached[0] is metadata:
        features: RuntimeFeatures = cached[1]
        return features
    features = _read(substrate, metadata)
    setattr(substrate, _CACHE_ATTRIBUTE, (metadata, features))
    return features


def _read(substrate: Any, metadata: Any) -> RuntimeFeatures:
    # Plain data only: names from the loaded metadata and enum variants from its portable
    # type registry. Nothing here builds scalecodec decoder classes (other threads' registry
    # builds must not see the class tree change, see cmu_client.connection) or makes
    # substrate-interface init_runtime again; one plain RPC reads the API versions.
    pallet = metadata.get_metadata_pallet(PALLET)
    functions = {str(c.name): c for c in (pallet.calls or [])} if pallet else {}
    calls = frozenset(functions)
    storage = frozenset(str(s.name) for s in (pallet.storage or [])) if pallet else frozenset()
    publish_args: tuple[str, ...] = ()
    if "publish_version" in functions:
        publish_args = tuple(str(a.value["name"]) for a in functions["publish_version"].args)
    variants = _pallet_enums(metadata)
    verdict = variants.get("Verdict", {})
    return _features(
        substrate,
        calls=calls,
        publish_args=publish_args,
        accept_weight=verdict.get("Accept", 0) > 0,
        slash_destinations=frozenset(variants.get("SlashDestination", {})),
        storage=storage,
    )


def _pallet_enums(metadata: Any) -> dict[str, dict[str, int]]:
    """pallet-cmu's ``Verdict`` and ``SlashDestination``: variant name -> field count."""
    found: dict[str, dict[str, int]] = {}
    for entry in metadata.portable_registry.value["types"]:
        kind = entry["type"]
        path = kind.get("path") or []
        if (
            len(path) >= 2
            and path[0] == "pallet_cmu"
            and path[-1]
            in (
                "Verdict",
                "SlashDestination",
            )
        ):
            listed = kind.get("def", {}).get("variant", {}).get("variants", [])
            found[path[-1]] = {str(v["name"]): len(v.get("fields") or []) for v in listed}
    return found


def _features(
    substrate: Any,
    *,
    calls: frozenset[str],
    publish_args: tuple[str, ...],
    accept_weight: bool,
    slash_destinations: frozenset[str],
    storage: frozenset[str],
) -> RuntimeFeatures:
    version = substrate.rpc_request("state_getRuntimeVersion", [])["result"]
    api_version = next((int(v) for api_id, v in version.get("apis", []) if api_id == CMU_API_ID), 0)
    return RuntimeFeatures(
        spec_version=int(version.get("specVersion", 0)),
        calls=calls,
        publish_args=publish_args,
        accept_weight=accept_weight,
        slash_destinations=slash_destinations,
        storage=storage,
        cmu_api_version=api_version,
    )


#: Calls only pallet-cmu v2 has, and the feature each needs.
_V2_CALLS = {
    "attest_version": ("attestations", "attesting a version (attest_version)"),
    "retire_model": ("retire", "retiring a model (retire_model)"),
    "reject_contributions": (
        "reject_contributions",
        "rejecting without publishing (reject_contributions)",
    ),
    "set_encryption_key": ("encryption", "publishing an encryption key (set_encryption_key)"),
    "set_version_envelope": ("encryption", "rekeying a version (set_version_envelope)"),
}


def adapt(call: Call, features: RuntimeFeatures) -> Call:
    """``call`` as the runtime takes it: v2 arguments dropped for the first pallet-cmu
    (a card CID, reward weights), or refused when the runtime cannot do it at all."""
    if call.nested:
        return Call(
            call.pallet, call.function, call.args, tuple(adapt(c, features) for c in call.nested)
        )
    if call.pallet != PALLET:
        return call
    if call.function in _V2_CALLS:
        feature, what = _V2_CALLS[call.function]
        features.require(feature, what)
        return call
    if call.function == "set_slash_destination":
        destination = call.args.get("destination")
        if destination == "AcceptedContributors":
            features.require("rewards", "the slash destination AcceptedContributors")
        return call
    if call.function != "publish_version":
        return call
    args = dict(call.args)
    if features.card_cid:
        if "card_cid" not in args:
            raise UsageError(
                "this runtime's publish_version needs the version card's CID",
                "pin the version card in IPFS and pass its CID (card_cid=...)",
            )
    else:
        args.pop("card_cid", None)
    # Runtimes without encryption have no envelope argument: drop an unused one.
    if not features.encryption and args.pop("envelope_cid", None) is not None:
        features.require("encryption", "an encrypted version (envelope_cid)")
    (settlements,) = args["settlements"]
    args["settlements"] = (
        [(cid, _verdict(verdict, features.accept_weight)) for cid, verdict in settlements],
    )
    return Call(call.pallet, call.function, args)


def _verdict(verdict: Any, weighted: bool) -> Any:
    """An accepted verdict with a weight (v2: ``Accept(u32)``) or without (the first
    pallet's unit ``Accept``)."""
    if verdict == "Accept" or (isinstance(verdict, dict) and "Accept" in verdict):
        weight = verdict["Accept"] if isinstance(verdict, dict) else 0
        return {"Accept": weight} if weighted else "Accept"
    return verdict
