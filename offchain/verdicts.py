"""Re-deriving a version's verdicts: the part of ``cmu verify`` that checks the trainer's
judgement, not only its training.

A version settles contributions; the chain records each verdict (and the reward weight of
each accepted one) and the version card records what the rule measured. Given the version's
recipe, spec, validation set and parent, this module re-checks, for versions judged by
``cmu-judge/2``:

- the recipe against the spec: validation set, LightGBM parameters, rounds, update mode;
- that every data set in the recipe is either data the parent had learned from or a
  contribution this version accepted (no data that nobody registered);
- every verdict: the round's candidates are judged again with the same rule (same
  inputs, same deterministic bootstrap) and each verdict and reward weight is compared
  with the chain's and the card's; screening rejections are re-checked as far as they can
  be (a hash mismatch must still mismatch, invalid data must still fail to parse, a
  duplicate's hash must have been used before; an ``Unreachable`` verdict depends on the
  network at the time and is reported, not judged);
- that the re-run round accepts exactly the recipe's new data and yields the published
  artifact.

Each wrongful verdict is named by contribution id. Any input that cannot be fetched is
named by CID.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError, DataError, HashMismatchError
from cmu_client.ipfs import verify_hash
from cmu_client.spec import ModelSpec, UpdateMode
from cmu_client.types import Contribution, ContributionState, RejectionReason, Version
from offchain import judge, overlap
from offchain.card import CardDocument, CardError, card_document
from offchain.decide import Candidate
from offchain.inputs import Inputs
from offchain.prepare import ParentState, prepare_update
from offchain.recipe import DataRef, ParentRef, Recipe, accumulated_data, sorted_params
from offchain.training import resolve_params, rounds_for

#: Verdicts that come from screening (no training), re-checked one by one.
_SCREENING = (
    RejectionReason.DUPLICATE,
    RejectionReason.HASH_MISMATCH,
    RejectionReason.INVALID_SCHEMA,
    RejectionReason.UNREACHABLE,
)


class Checks(Protocol):
    """Where verdict checks are reported (:class:`offchain.verify.VerifyReport`)."""

    def check(self, name: str, ok: bool, detail: str) -> bool: ...


@dataclass(frozen=True)
class VersionInputs:
    """What verify already loaded for a version."""

    record: Version
    recipe: Recipe
    spec: ModelSpec
    validation: Dataset
    parent_artifact: bytes | None
    artifact: bytes
    #: The model's initial data (version 0's recipe), for the row-level copy check.
    initial: tuple[DataRef, ...] = ()


async def check_verdicts(
    chain: CmuChain, inputs: Inputs, loaded: VersionInputs, report: Checks
) -> None:
    """Re-derive the verdicts of ``loaded.record`` (module docs); results go to ``report``."""
    record, recipe = loaded.record, loaded.recipe
    if record.parent is None or recipe.parent is None:
        report.check("verdicts", True, "first version: nothing was judged")
        return
    if record.card_cid is None:
        report.check("verdicts", True, "not re-derived: the chain keeps no card (pallet-cmu v1)")
        return
    try:
        raw = await inputs.store.get(record.card_cid, None, f"version {record.id} card")
        card = card_document(raw)
    except CardError as bad:
        report.check("card", False, f"version card {record.card_cid}: {bad}")
        return
    except CmuError as missing:
        report.check("card", False, f"cannot fetch the version card {record.card_cid}: {missing}")
        return
    if card.recipe_sha256 != record.recipe_hash.hex():
        report.check("card", False, "the card's recipe is not the version's recipe")
        return
    if card.decision.rule != judge.RULE:
        # A card is the trainer's own document: one that names no rule must not let its
        # verdicts pass unchecked, whatever format it claims.
        report.check(
            "verdicts",
            False,
            f"cannot be re-derived: the card names no judging rule ({judge.RULE} expected,"
            f" card says {card.decision.rule!r})",
        )
        return
    _check_rule_settings(card, report)
    _check_recipe_against_spec(recipe, loaded.spec, report)
    everyone = await asyncio.to_thread(history.contributions, chain, record.model)
    settled = {c.id: c for c in everyone if c.settled_in == record.id}
    accepted_ids = {c for c, v in settled.items() if v.status.state is ContributionState.ACCEPTED}
    learned = await _learned_before(chain, inputs, record, loaded.spec, report)
    if learned is None:
        return
    # Withdrawn while this round ran (v2 skipped the settlement): only data new in this
    # version counts, not data the parent had learned from (in retrain mode the recipe
    # lists that too, and it may have been skipped in an earlier version).
    skipped = _withdrawn_but_used(recipe, everyone, exclude=learned)
    new_refs = [d for d in recipe.data if d.contribution in accepted_ids | skipped]
    _check_data_provenance(recipe, learned, new_refs, report)
    first = await asyncio.to_thread(chain.version, record.model, 0)
    root = await inputs.recipe(first.recipe_hash, "version 0 recipe")
    loaded = replace(loaded, initial=tuple(d for d in root.data if d.contribution is None))
    withdrawn = {
        c.id
        for c in everyone
        if c.status.state is ContributionState.WITHDRAWN and c.settled_in is None
    }
    _check_card_lists_settlements(card, settled, withdrawn, report)
    await _rejudge(chain, inputs, loaded, card, settled, skipped, learned, everyone, report)


def _check_rule_settings(card: CardDocument, report: Checks) -> None:
    rule = card.decision
    ours = (judge.ALPHA, judge.Z, judge.AGREEMENT_DRAWS, judge.CHANGE_DRAWS)
    theirs = (rule.alpha, rule.z, rule.agreement_draws, rule.change_draws)
    report.check(
        "rule",
        ours == theirs,
        f"{judge.RULE} alpha {rule.alpha}, z {rule.z}, draws {rule.agreement_draws}/"
        f"{rule.change_draws}" + ("" if ours == theirs else f" (this verifier's: {ours})"),
    )


def _check_recipe_against_spec(recipe: Recipe, spec: ModelSpec, report: Checks) -> None:
    problems: list[str] = []
    if spec.validation is None or recipe.validation != spec.validation:
        problems.append("the validation set is not the spec's")
    if dict(recipe.params) != dict(sorted_params(resolve_params(spec))):
        problems.append("the LightGBM parameters are not the spec's")
    if recipe.mode != "unchanged" and recipe.num_boost_round != rounds_for(spec, recipe.mode):
        problems.append(
            f"{recipe.num_boost_round} rounds, the spec says {rounds_for(spec, recipe.mode)}"
        )
    wanted = "retrain" if spec.training.update_mode is UpdateMode.RETRAIN else "continue"
    if recipe.mode not in (wanted, "unchanged"):
        problems.append(f"mode {recipe.mode}, the spec's update_mode is {wanted}")
    report.check(
        "recipe vs spec",
        not problems,
        "validation set, parameters, rounds and mode are the spec's"
        if not problems
        else "; ".join(problems),
    )


def _withdrawn_but_used(
    recipe: Recipe, everyone: Sequence[Contribution], exclude: Sequence[DataRef] = ()
) -> set[int]:
    """Contributions in the recipe (other than ``exclude``) that were withdrawn before the
    version landed (v2 skips their settlement, so the chain does not list them)."""
    by_id = {c.id: c for c in everyone}
    return {
        d.contribution
        for d in recipe.data
        if d.contribution is not None
        and d not in exclude
        and d.contribution in by_id
        and by_id[d.contribution].status.state is ContributionState.WITHDRAWN
        and by_id[d.contribution].settled_in is None
    }


async def _learned_before(
    chain: CmuChain, inputs: Inputs, record: Version, spec: ModelSpec, report: Checks
) -> tuple[DataRef, ...] | None:
    """The data the parent had learned from, as a retrain round starts from it."""
    if spec.training.update_mode is not UpdateMode.RETRAIN:
        return ()
    assert record.parent is not None
    lineage = await asyncio.to_thread(history.lineage, chain, record.model, record.parent)
    recipes: list[Recipe] = []
    for version in lineage.versions:  # newest first
        try:
            recipe = await inputs.recipe(version.recipe_hash, f"version {version.id} recipe")
        except CmuError as missing:
            report.check("lineage", False, f"cannot load version {version.id}'s recipe: {missing}")
            return None
        recipes.append(recipe)
        if recipe.mode in ("fresh", "retrain"):
            break
    return accumulated_data(list(reversed(recipes)))


def _check_data_provenance(
    recipe: Recipe, learned: Sequence[DataRef], new_refs: Sequence[DataRef], report: Checks
) -> None:
    if recipe.mode == "unchanged":
        expected: list[DataRef] = []
    elif recipe.mode == "retrain":
        expected = [*learned, *new_refs]
    else:
        expected = list(new_refs)
    unregistered = [d for d in recipe.data if d not in expected]
    missing = [d for d in expected if d not in recipe.data]
    problems = [f"{d.cid} is data no accepted contribution registered" for d in unregistered]
    problems += [f"{d.cid} should be in the recipe" for d in missing]
    report.check(
        "data provenance",
        not problems,
        f"{len(recipe.data)} data set(s): learned before or accepted in this version"
        if not problems
        else "; ".join(problems),
    )


def _check_card_lists_settlements(
    card: CardDocument, settled: dict[int, Contribution], withdrawn: set[int], report: Checks
) -> None:
    # A contribution withdrawn while the round ran is in the card but pallet-cmu v2 skipped
    # its settlement: the chain records no verdict for it.
    listed = {
        s.contribution: s.verdict for s in card.settlements if s.contribution not in withdrawn
    }
    chain_labels = {c: _label(v) for c, v in settled.items()}
    differing = sorted(
        c for c in set(listed) | set(chain_labels) if listed.get(c) != chain_labels.get(c)
    )
    report.check(
        "card settlements",
        not differing,
        f"the card lists the {len(settled)} settlement(s) the chain records"
        if not differing
        else "card and chain differ for "
        + ", ".join(f"#{c} ({listed.get(c)} vs {chain_labels.get(c)})" for c in differing),
    )


def _label(contribution: Contribution) -> str:
    reason = contribution.status.reason
    return "Accept" if reason is None else f"Reject({reason.value})"


async def _rejudge(
    chain: CmuChain,
    inputs: Inputs,
    loaded: VersionInputs,
    card: CardDocument,
    settled: dict[int, Contribution],
    skipped: set[int],
    learned: Sequence[DataRef],
    everyone: Sequence[Contribution],
    report: Checks,
) -> None:
    spec, record = loaded.spec, loaded.record
    judged_by_rule = {s.contribution for s in card.settlements if s.evidence is not None}
    candidates: list[Candidate] = []
    wrongful: list[str] = []
    unfetchable: list[str] = []
    notes: list[str] = []
    pool = {**settled, **{c.id: c for c in everyone if c.id in skipped}}
    for cid in sorted(pool):
        contribution = pool[cid]
        reason = contribution.status.reason
        by_rule = cid in judged_by_rule or reason in (None, RejectionReason.HARMS_METRIC)
        if by_rule or reason is RejectionReason.INVALID_SCHEMA:
            try:
                data = await inputs.dataset(
                    contribution.data_cid, contribution.data_hash, spec, f"contribution {cid}"
                )
            except (DataError, HashMismatchError) as invalid:
                if not by_rule:
                    continue  # the InvalidSchema (or a size mismatch) holds
                wrongful.append(f"#{cid}: its data does not load ({invalid.message})")
                continue
            except CmuError as failed:
                unfetchable.append(f"#{cid} {contribution.data_cid} ({failed.message})")
                continue
            if data.rows != contribution.rows and not by_rule:
                continue  # registered with another row count: InvalidSchema holds
            ref = DataRef(contribution.data_cid, contribution.data_hash, data.rows, cid)
            candidates.append(Candidate(ref, data))
            continue
        problem = await _recheck_screening(inputs, contribution, loaded, everyone, notes)
        if problem:
            wrongful.append(f"#{cid}: {problem}")
    if unfetchable:
        report.check("verdict inputs", False, "cannot fetch " + "; ".join(unfetchable))
        return
    learned_data = await inputs.learned(tuple(learned), spec)
    assert loaded.parent_artifact is not None and record.parent is not None
    parent_record = await asyncio.to_thread(chain.version, record.model, record.parent)
    parent = ParentState(
        ParentRef(record.parent, parent_record.artifact_cid, parent_record.artifact_hash),
        loaded.parent_artifact,
        list(zip(learned, learned_data, strict=True)),
    )
    prepared = await asyncio.to_thread(
        prepare_update,
        record.model,
        spec,
        loaded.recipe.spec,
        loaded.validation,
        parent,
        candidates,
        [],
    )
    card_weights = {int(k): v for k, v in card.reward_weights.items()}
    for decision in prepared.decisions:
        cid = decision.contribution
        contribution = pool[cid]
        recorded = "Accept" if cid in skipped else _label(contribution)
        if decision.label != recorded:
            wrongful.append(f"#{cid}: recorded {recorded}, the rule gives {decision.label}")
        elif decision.accepted:
            weights = {contribution.reward_weight, card_weights.get(cid)}
            if cid in skipped:
                weights = {card_weights.get(cid)}
            if weights != {decision.weight}:
                wrongful.append(
                    f"#{cid}: reward weight {sorted(w for w in weights if w is not None)},"
                    f" the rule gives {decision.weight}"
                )
    report.check(
        "verdicts",
        not wrongful,
        f"{len(pool)} verdict(s) re-derived ({len(candidates)} by training)"
        + (f"; {'; '.join(notes)}" if notes else "")
        if not wrongful
        else "wrongful: " + "; ".join(wrongful),
    )
    if candidates:
        report.check(
            "round",
            prepared.artifact == loaded.artifact and prepared.recipe == loaded.recipe,
            "re-running the round gives the published recipe and artifact"
            if prepared.artifact == loaded.artifact and prepared.recipe == loaded.recipe
            else "re-running the round gives another recipe or artifact",
        )


async def _recount_rows(
    inputs: Inputs,
    contribution: Contribution,
    loaded: VersionInputs,
    everyone: Sequence[Contribution],
    notes: list[str],
) -> str:
    """Count again the rows a row-level ``Duplicate`` repeats, against what the worker
    compared it with: the validation set, the data accepted before this version (initial
    data and accepted contributions) and this round's lower-id candidates that passed
    screening."""
    cid, spec, record = contribution.id, loaded.spec, loaded.record
    try:
        data = await inputs.dataset(
            contribution.data_cid, contribution.data_hash, spec, f"contribution {cid}"
        )
    except CmuError as missing:
        notes.append(f"#{cid} Duplicate: {contribution.data_cid} cannot be loaded ({missing})")
        return ""
    sources: list[tuple[str, DataRef]] = [
        ("data already accepted into the model", ref) for ref in loaded.initial
    ]
    for other in everyone:
        accepted_before = (
            other.status.state is ContributionState.ACCEPTED
            and other.settled_in is not None
            and other.settled_in < record.id
        )
        passed_screening = (
            other.settled_in == record.id
            and other.id < cid
            and other.status.reason not in _SCREENING
        )
        if accepted_before or passed_screening:
            what = (
                "data already accepted into the model"
                if accepted_before
                else f"contribution #{other.id} (pending, lower id)"
            )
            sources.append((what, DataRef(other.data_cid, other.data_hash, other.rows, other.id)))
    references = [
        overlap.Reference(
            "the validation set", overlap.key_set(overlap.row_keys(loaded.validation))
        )
    ]
    for what, ref in sources:
        try:
            rows = await inputs.dataset(ref.cid, ref.sha256, spec, what)
        except CmuError as missing:
            notes.append(f"#{cid} Duplicate: {ref.cid} cannot be loaded to compare ({missing})")
            return ""
        references.append(overlap.Reference(what, overlap.key_set(overlap.row_keys(rows))))
    found = overlap.measure(overlap.row_keys(data), references)
    if found.too_much():
        return ""
    return (
        f"Duplicate, but only {found.overlapping} of {found.rows} rows repeat known rows"
        f" (at most {overlap.MAX_OVERLAP_SHARE:.0%} may)"
    )


async def _recheck_screening(
    inputs: Inputs,
    contribution: Contribution,
    loaded: VersionInputs,
    everyone: Sequence[Contribution],
    notes: list[str],
) -> str:
    """Why a screening rejection is wrong, or "" when it holds (or cannot be judged)."""
    reason = contribution.status.reason
    cid = contribution.id
    if reason is RejectionReason.UNREACHABLE:
        # Whether the data was reachable then cannot be re-derived; whether it is now can.
        try:
            await inputs.store.get(contribution.data_cid, contribution.data_hash, f"#{cid}")
        except CmuError:
            notes.append(f"#{cid} Unreachable: its data cannot be fetched now either")
            return ""
        return "Unreachable, but its data can be fetched and hashes to the registered hash"
    if reason is RejectionReason.DUPLICATE:
        earlier = [
            c.id
            for c in everyone
            if c.id < cid
            and c.data_hash == contribution.data_hash
            and c.status.state in (ContributionState.ACCEPTED, ContributionState.PENDING)
        ]
        if earlier:
            return ""
        return await _recount_rows(inputs, contribution, loaded, everyone, notes)
    try:
        raw = await inputs.store.get(contribution.data_cid, None, f"contribution {cid}")
    except CmuError as missing:
        notes.append(f"#{cid} {contribution.data_cid} cannot be fetched ({missing.message})")
        return ""
    if reason is RejectionReason.HASH_MISMATCH:
        try:
            verify_hash(raw, contribution.data_hash, f"contribution {cid}")
        except HashMismatchError:
            return ""
        return "HashMismatch, but the data hashes to the registered hash"
    return ""
