"""``cmu verify MODEL VERSION``: re-derive a version from its recipe and compare bit for bit.

The recipe is found from the ``recipe_hash`` on chain (its CID follows from the hash), its
inputs are fetched and hash-checked (the parent's artifact against the parent's on-chain
hash, every data set against the hash in the recipe and, for contributions, on chain),
the artifact is trained again with the same settings, and its sha2-256 is compared with
the on-chain ``artifact_hash``. The metrics are recomputed too. When the bytes differ, the
report says where: tree counts, parameters, the first differing line.

With pallet-cmu v2 the outcome can be recorded on chain (:func:`attest`): the report is
pinned in IPFS as canonical JSON and ``attest_version(model, version, Match | Mismatch,
report_cid)`` holds the attestation deposit; the version then counts who verified it and
who disputed it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.dataset import Dataset
from cmu_client.documents import canonical_json
from cmu_client.errors import (
    CmuError,
    ContentNotFoundError,
    HashMismatchError,
    IpfsTimeoutError,
)
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.keys import Signer
from cmu_client.spec import ModelSpec
from cmu_client.types import AttestationOutcome, ContributionState, ExtrinsicResult, Version
from offchain import distributed
from offchain.evaluate import evaluate
from offchain.inputs import Inputs
from offchain.private_sets import PrivateSetMissing
from offchain.recipe import Recipe
from offchain.training import derive_artifact, library_versions
from offchain.verdicts import VersionInputs, check_verdicts


@dataclass(frozen=True)
class Check:
    """One thing verify looked at."""

    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    """The outcome of re-deriving one version."""

    model: int
    version: int
    onchain_sha256: str
    derived_sha256: str | None = None
    checks: list[Check] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        """The re-derived artifact is bit for bit the published one, and all checks pass."""
        return self.derived_sha256 == self.onchain_sha256 and all(c.ok for c in self.checks)

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    @property
    def outcome(self) -> AttestationOutcome:
        return AttestationOutcome.MATCH if self.matches else AttestationOutcome.MISMATCH

    def document(self) -> bytes:
        """The report as stored for an attestation (``cmu-verify-report/1``, canonical
        JSON)."""
        return canonical_json(
            {
                "format": REPORT_FORMAT,
                "model": self.model,
                "version": self.version,
                "outcome": self.outcome.value,
                "onchain_sha256": self.onchain_sha256,
                "derived_sha256": self.derived_sha256,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
                "differences": list(self.differences),
            }
        )


REPORT_FORMAT = "cmu-verify-report/1"


@dataclass(frozen=True)
class Attested:
    """An attestation recorded on chain."""

    report: StoredObject
    result: ExtrinsicResult
    matches: int
    mismatches: int


async def attest(
    chain: CmuChain, store: IpfsStore, signer: Signer, report: VerifyReport
) -> Attested:
    """Pin the report and record its outcome with ``attest_version`` (pallet-cmu v2)."""
    stored = await store.put(report.document())
    result = await asyncio.to_thread(
        chain.attest_version, signer, report.model, report.version, report.outcome, stored.cid
    )
    event = result.first("Cmu", "VersionAttested")
    return Attested(stored, result, int(event.attr("matches")), int(event.attr("mismatches")))


async def verify_version(chain: CmuChain, inputs: Inputs, model: int, version: int) -> VerifyReport:
    """Re-derive ``version`` of ``model`` and compare it with what the chain records."""
    record = await asyncio.to_thread(chain.version, model, version)
    report = VerifyReport(model, version, record.artifact_hash.hex())
    try:
        recipe = await inputs.recipe(record.recipe_hash, f"version {version} recipe")
    except CmuError as missing:
        report.check("recipe", False, f"cannot load the recipe: {missing}")
        return report
    report.check("recipe", True, f"sha2-256 {record.recipe_hash.hex()[:16]}... ({recipe.mode})")
    if not await _check_lineage(chain, record, recipe, report):
        return report
    _check_libraries(recipe, report)
    spec = await inputs.spec_at(recipe.spec, "recipe spec")
    try:
        validation = await inputs.dataset(
            recipe.validation.cid, recipe.validation.sha256, spec, "validation"
        )
    except (ContentNotFoundError, IpfsTimeoutError) as missing:
        if not spec.validation_private:
            raise
        try:  # a trainer given the set can verify before it is revealed
            validation = await inputs.validation(spec, model)
        except PrivateSetMissing:
            report.check(
                "validation",
                False,
                f"the validation set is private (committed sha2-256"
                f" {recipe.validation.sha256.hex()[:16]}..., CID {recipe.validation.cid}) and"
                f" not revealed yet ({missing.message}): verify again once the owner rotates"
                " it (cmu validation rotate --reveal), or, given the file by the owner, with"
                " cmu verify --validation-dir DIR",
            )
            return report
    parent_artifact = None
    if record.parent is not None:
        parent = await asyncio.to_thread(chain.version, model, record.parent)
        parent_artifact = await inputs.artifact(parent)
    data = await inputs.learned(recipe.data, spec)
    report.check("inputs", True, f"{len(data)} data set(s), {recipe.total_rows} rows, hashes ok")
    # A distributed recipe is re-derived (and its round re-run) on a LocalCluster of the
    # recorded worker count.
    trainer = None
    if recipe.distributed is not None:
        workers = recipe.distributed.workers
        trainer = await asyncio.to_thread(distributed.DaskTrainer.local, workers)
    try:
        with distributed.using(trainer):
            await _rederive(
                recipe, record, spec, validation, parent_artifact, data, report, inputs, chain
            )
    finally:
        if trainer is not None:
            await asyncio.to_thread(trainer.close)
    return report


async def _rederive(
    recipe: Recipe,
    record: Version,
    spec: ModelSpec,
    validation: Dataset,
    parent_artifact: bytes | None,
    data: Sequence[Dataset],
    report: VerifyReport,
    inputs: Inputs,
    chain: CmuChain,
) -> None:
    derived = await asyncio.to_thread(derive_artifact, recipe, spec, parent_artifact, data)
    report.derived_sha256 = hashlib.sha256(derived).hexdigest()
    same = report.derived_sha256 == report.onchain_sha256
    if recipe.distributed is not None:
        _check_distributed(recipe, same, report)
    report.check(
        "artifact",
        same,
        "re-derived bytes match the on-chain hash"
        if same
        else f"re-derived sha2-256 {report.derived_sha256[:16]}... differs",
    )
    evaluation = await asyncio.to_thread(evaluate, derived, validation, spec.task)
    recomputed = {m.key: m.value for m in evaluation.on_chain()}
    recorded = {m.key: m.value for m in record.metrics}
    report.check(
        "metrics",
        recomputed == recorded,
        ", ".join(f"{k}={v / 1e9:.6f}" for k, v in sorted(recorded.items()))
        if recomputed == recorded
        else f"recomputed {recomputed} != recorded {recorded}",
    )
    await check_verdicts(
        chain,
        inputs,
        VersionInputs(record, recipe, spec, validation, parent_artifact, derived),
        report,
    )
    if not same:
        try:
            published = await inputs.artifact(record)
        except HashMismatchError as tampered:
            report.differences.append(f"the artifact in IPFS does not match the chain: {tampered}")
        else:
            report.differences.extend(diff_artifacts(derived, published))


def _check_distributed(recipe: Recipe, same: bool, report: VerifyReport) -> None:
    layout = recipe.distributed
    assert layout is not None
    where = (
        f"{layout.engine} ({layout.tree_learner} parallel) on a LocalCluster of"
        f" {layout.workers} workers, partitions {list(layout.partitions)}"
    )
    if same:
        report.check("distributed training", True, f"re-derived bit for bit with {where}")
        return
    local = dict(distributed.dask_versions())
    versions = ", ".join(
        f"{name} {dict(layout.libraries).get(name)} recorded, {local.get(name)} here"
        for name in ("dask", "distributed")
    )
    report.check(
        "distributed training",
        False,
        f"distributed training: not bit-for-bit reproducible (re-derived with {where};"
        f" {versions}; see the differences)",
    )


async def _check_lineage(
    chain: CmuChain, record: Version, recipe: Recipe, report: VerifyReport
) -> bool:
    ok = report.check(
        "model",
        recipe.model == record.model,
        f"recipe is for model {recipe.model}",
    )
    parent_version = None if recipe.parent is None else recipe.parent.version
    ok &= report.check(
        "parent",
        parent_version == record.parent,
        f"recipe parent v{parent_version}, chain parent v{record.parent}",
    )
    if ok and record.parent is not None and recipe.parent is not None:
        parent = await asyncio.to_thread(chain.version, record.model, record.parent)
        ok &= report.check(
            "parent artifact",
            parent.artifact_hash == recipe.parent.artifact_sha256,
            "recipe names the parent's on-chain artifact hash",
        )
    used = {d.contribution for d in recipe.data if d.contribution is not None}
    listed = set(record.contributions)
    # A retrain recipe also lists the data earlier versions accepted.
    same_set = listed <= used if recipe.mode == "retrain" else listed == used
    detail = f"chain lists {sorted(listed)}, recipe uses {sorted(used)}"
    found = await asyncio.to_thread(
        history.read_contributions, chain, record.model, sorted(listed | used)
    )
    if not same_set and recipe.mode != "retrain" and listed <= used:
        # pallet-cmu v2 skips a settlement whose contribution was withdrawn before the
        # version landed: its data is in the artifact but not in the version's list.
        withdrawn = {
            c
            for c in used - listed
            if c in found
            and found[c].status.state is ContributionState.WITHDRAWN
            and found[c].settled_in is None
        }
        if withdrawn == used - listed:
            same_set = True
            detail += f" ({sorted(withdrawn)} withdrawn before the version landed)"
    ok &= report.check("contributions", same_set, detail)
    if found:
        by_id = {d.contribution: d for d in recipe.data if d.contribution is not None}
        mismatched = [
            cid
            for cid, contribution in found.items()
            if cid in by_id
            and (
                contribution.data_hash != by_id[cid].sha256
                or contribution.data_cid != by_id[cid].cid
            )
        ]
        ok &= report.check(
            "contribution data",
            not mismatched,
            "recipe data matches the registered CIDs and hashes"
            if not mismatched
            else f"recipe data differs from the chain for {mismatched}",
        )
    return ok


def _check_libraries(recipe: Recipe, report: VerifyReport) -> None:
    recorded = dict(recipe.libraries)
    local = dict(library_versions())
    differing = {k: (recorded.get(k), local.get(k)) for k in ("lightgbm", "numpy")}
    differing = {k: v for k, v in differing.items() if v[0] != v[1]}
    report.check(
        "libraries",
        not differing,
        ", ".join(f"{k} {v}" for k, v in sorted(recorded.items()))
        if not differing
        else "recorded vs local: "
        + ", ".join(f"{k} {a} != {b}" for k, (a, b) in differing.items())
        + " (bytes may differ for that reason alone)",
    )


def diff_artifacts(derived: bytes, published: bytes) -> list[str]:
    """Human-readable differences between two LightGBM text models."""
    ours = derived.decode("utf-8", "replace").splitlines()
    theirs = published.decode("utf-8", "replace").splitlines()
    found: list[str] = []
    trees_ours, trees_theirs = _tree_count(ours), _tree_count(theirs)
    if trees_ours != trees_theirs:
        found.append(f"tree count: re-derived {trees_ours}, published {trees_theirs}")
    params_ours, params_theirs = _parameters(ours), _parameters(theirs)
    for key in sorted(set(params_ours) | set(params_theirs)):
        a, b = params_ours.get(key), params_theirs.get(key)
        if a != b:
            found.append(f"parameter {key}: re-derived {a!r}, published {b!r}")
    for number, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1):
        if a != b:
            found.append(
                f"first differing line {number}: re-derived {_clip(a)!r}, published {_clip(b)!r}"
            )
            break
    else:
        if len(ours) != len(theirs):
            found.append(f"line count: re-derived {len(ours)}, published {len(theirs)}")
    return found


def _tree_count(lines: Sequence[str]) -> int:
    return sum(1 for line in lines if line.startswith("Tree="))


def _parameters(lines: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    inside = False
    for line in lines:
        if line == "parameters:":
            inside = True
        elif line == "end of parameters":
            break
        elif inside and line.startswith("[") and line.endswith("]") and ": " in line:
            key, value = line[1:-1].split(": ", 1)
            params[key] = value
    return params


def _clip(text: str, width: int = 100) -> str:
    return text if len(text) <= width else text[:width] + "..."
