"""One training round for one model: plan, screen, train, upload, publish.

The chain decides what is done: ``publish_version`` names the parent it was built on and
settles each contribution at most once, so a repeated or raced submission fails instead
of publishing twice. The local checkpoint (:mod:`offchain.checkpoint`) remembers how far
this worker got, so that after ``kill -9`` it resumes (same bytes: training is
deterministic) and recognises its own version when the head moved because its last
submission landed. When another trainer moved the head, the round starts over on the
new head ("rebase").
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cmu_client import history
from cmu_client.chain import CmuChain, skipped_settlements
from cmu_client.errors import ChainError, StaleParentError
from cmu_client.keys import Signer
from cmu_client.spec import ModelSpec, UpdateMode
from cmu_client.types import (
    Contribution,
    ContributionState,
    Metric,
    Model,
    RejectionReason,
    RoleSet,
    Verdict,
    Version,
    Visibility,
)
from offchain.card import card_document
from offchain.checkpoint import CheckpointStore, RoundCheckpoint, Stage
from offchain.decide import Candidate, Decision, find_duplicates
from offchain.faults import crash_point, hold_point
from offchain.inputs import Inputs
from offchain.overlap import RowChecker, RowKeyCache
from offchain.prepare import ParentState, prepare_update
from offchain.publish import Sealing, build_card, seal_envelope, upload_documents, upload_sealed
from offchain.recipe import DataRef, ParentRef, Recipe, accumulated_data
from offchain.screen import Deferred, Screener
from offchain.timing import Stopwatch
from offchain.training import sha256_hex

log = logging.getLogger("offchain.round")
_T = TypeVar("_T")


@dataclass(frozen=True)
class RoundLimits:
    """Bounds on one round's work."""

    max_contributions: int = 16
    max_rows: int = 2_000_000
    max_bytes: int = 512 * 1024 * 1024


class Outcome(enum.Enum):
    PUBLISHED = "published"
    IDLE = "idle"  # nothing pending, or everything deferred
    REBASE = "rebase"  # another trainer moved the head; run again
    REPLAN = "replan"  # the pending set changed under us; run again
    SKIPPED = "skipped"  # frozen, no first version, or not a trainer


@dataclass(frozen=True)
class RoundResult:
    model: int
    outcome: Outcome
    version: int | None = None
    decisions: tuple[Decision, ...] = ()
    deferred: tuple[Deferred, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    #: The version card's CID (published rounds of this run only).
    card_cid: str | None = None
    #: Settlements pallet-cmu v2 skipped because the contribution was no longer pending
    #: (withdrawn while the round ran); they are not in the version's contribution list.
    skipped: tuple[int, ...] = ()


class RoundRunner:
    """Runs rounds for one signing key."""

    def __init__(
        self,
        chain: CmuChain,
        inputs: Inputs,
        screener: Screener,
        signer: Signer,
        checkpoints: CheckpointStore,
        limits: RoundLimits | None = None,
    ) -> None:
        self.chain = chain
        self.inputs = inputs
        self.screener = screener
        self.signer = signer
        self.checkpoints = checkpoints
        self.limits = limits or RoundLimits()
        self.rows = RowChecker(inputs, RowKeyCache(checkpoints.directory / "rows"))
        self._max_settlements: int | None = None

    async def _chain(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run a blocking chain call off the event loop."""
        return await asyncio.to_thread(fn, *args)

    # -- entry point ----------------------------------------------------------------

    async def run(self, model_id: int) -> RoundResult:
        """One round; resumes a checkpointed round first."""
        watch = Stopwatch()
        with watch.phase("chain"):
            model = await self._chain(self.chain.model, model_id)
            checkpoint = self.checkpoints.load(model_id)
            if checkpoint is not None:
                checkpoint = await self._reconcile(checkpoint, model)
                if checkpoint is None:
                    model = await self._chain(self.chain.model, model_id)
        skip = await self._skip_reason(model)
        if skip:
            return RoundResult(model_id, Outcome.SKIPPED, detail=skip)
        assert model.head is not None
        with watch.phase("chain"):
            head = await self._chain(self.chain.version, model_id, model.head)
        if checkpoint is None:
            with watch.phase("chain"):
                pending = await self._chain(history.pending_contributions, self.chain, model_id)
                cap = await self._chain(self._settlement_cap)
            if not pending:
                return RoundResult(model_id, Outcome.IDLE)
            chosen = self._bounded(pending, cap)
            checkpoint = RoundCheckpoint(
                model=model_id,
                parent=head.id,
                version_count=model.version_count,
                contributions=tuple(c.id for c in chosen),
                stage=Stage.PLANNED,
            )
            self.checkpoints.save(checkpoint)
            log.info(
                "model %d: round on v%d with contribution(s) %s",
                model_id,
                head.id,
                ", ".join(f"#{c}" for c in checkpoint.contributions),
            )
            crash_point("after-plan")
        if checkpoint.stage is Stage.PLANNED:
            trained = await self._train(model, head, checkpoint, watch)
            if isinstance(trained, RoundResult):
                return trained
            checkpoint = trained
        if checkpoint.stage is Stage.TRAINED:
            try:
                checkpoint = await self._upload(checkpoint, watch)
            except _Replan as why:
                log.warning("model %d: %s; planning again", model_id, why)
                self.checkpoints.clear(model_id)
                return RoundResult(model_id, Outcome.REPLAN, detail=str(why))
        return await self._publish(model, checkpoint, watch)

    async def _skip_reason(self, model: Model) -> str:
        if model.frozen:
            return "model is frozen"
        if model.head is None:
            return "model has no first version yet"
        roles = await self._chain(self.chain.roles_of, model.id, self.signer.ss58_address)
        if RoleSet.TRAINER not in roles:
            return f"{self.signer.ss58_address} lacks the Trainer role"
        return ""

    def _bounded(self, pending: Sequence[Contribution], cap: int) -> list[Contribution]:
        """Pending contributions in id order, within the round's count and row bounds."""
        limit = min(self.limits.max_contributions, cap)
        chosen: list[Contribution] = []
        rows = 0
        for contribution in sorted(pending, key=lambda c: c.id):
            if len(chosen) >= limit or (chosen and rows + contribution.rows > self.limits.max_rows):
                break
            chosen.append(contribution)
            rows += contribution.rows
        return chosen

    def _settlement_cap(self) -> int:
        if self._max_settlements is None:
            self._max_settlements = int(self.chain.constant("MaxSettlementsPerVersion"))
        return self._max_settlements

    # -- after a restart ------------------------------------------------------------

    async def _reconcile(self, checkpoint: RoundCheckpoint, model: Model) -> RoundCheckpoint | None:
        """Decide what a checkpoint left by an earlier run means now.

        Returns the checkpoint to resume from, or ``None`` (cleared) when the round is over:
        our version landed, or the head or the pending set moved on without us.
        """
        model_id = model.id
        if model.head != checkpoint.parent:
            mine = await self._find_own_version(checkpoint, model)
            if mine is not None:
                log.info(
                    "model %d: version v%d from the interrupted round is on chain; nothing to redo",
                    model_id,
                    mine.id,
                )
            else:
                log.info(
                    "model %d: head moved from v%s to v%s since the interrupted round; rebasing",
                    model_id,
                    checkpoint.parent,
                    model.head,
                )
            self.checkpoints.clear(model_id)
            return None
        pending = set(await self._chain(history.pending_contribution_ids, self.chain, model_id))
        planned = set(checkpoint.contributions)
        settled = {c for c, _ in checkpoint.settlements} if checkpoint.settlements else planned
        if not settled <= pending:
            log.info(
                "model %d: contribution(s) %s no longer pending; planning again",
                model_id,
                sorted(settled - pending),
            )
            self.checkpoints.clear(model_id)
            return None
        log.info(
            "model %d: resuming the interrupted round at stage %s", model_id, checkpoint.stage.name
        )
        return checkpoint

    async def _find_own_version(self, checkpoint: RoundCheckpoint, model: Model) -> Version | None:
        if checkpoint.stage < Stage.TRAINED or checkpoint.recipe_sha256 is None:
            return None
        ids = list(range(checkpoint.version_count, model.version_count))
        found = await self._chain(history.read_versions, self.chain, model.id, ids)
        for version in found.values():
            if (
                version.parent == checkpoint.parent
                and version.recipe_hash.hex() == checkpoint.recipe_sha256
                and version.artifact_hash.hex() == checkpoint.artifact_sha256
                and version.trainer == self.signer.ss58_address
            ):
                return version
        return None

    # -- stages ---------------------------------------------------------------------

    async def _train(
        self, model: Model, head: Version, checkpoint: RoundCheckpoint, watch: Stopwatch
    ) -> RoundCheckpoint | RoundResult:
        model_id = model.id
        keyring = self.inputs.store.keyring
        encrypted = False
        if keyring is not None:
            # An encrypted head's key envelope holds the keys of its validation set, data
            # and parent (also after the model was made public again: its validation set
            # stays encrypted). One storage read when the head has no envelope.
            with watch.phase("fetch"):
                await keyring.open_readable(self.inputs.store, model_id, [head.id])
            encrypted = keyring.content_key(model_id, head.id) is not None
        with watch.phase("fetch"):
            spec, spec_ref = await self.inputs.spec(model)
            validation = await self.inputs.validation(spec, model_id)
            parent_artifact = await self.inputs.artifact(head)
        with watch.phase("chain"):
            lineage = await self._chain(history.lineage, self.chain, model_id, head.id)
            everyone = await self._chain(history.contributions, self.chain, model_id)
        if encrypted:
            assert keyring is not None
            # Encrypted recipes are found through their versions' key envelopes.
            with watch.phase("fetch"):
                await keyring.open_readable(
                    self.inputs.store, model_id, [v.id for v in lineage.versions]
                )
        with watch.phase("fetch"):
            root = await self.inputs.recipe(lineage.versions[-1].recipe_hash)
            learned: tuple[DataRef, ...] = ()
            if spec.training.update_mode is UpdateMode.RETRAIN:
                learned = accumulated_data(await self._since_last_reset(lineage.versions))
            learned_data = await self.inputs.learned(learned, spec)
        chosen = set(checkpoint.contributions)
        planned = [
            c for c in everyone if c.id in chosen and c.status.state is ContributionState.PENDING
        ]
        if not planned:
            self.checkpoints.clear(model_id)
            return RoundResult(
                model_id,
                Outcome.REPLAN,
                timings=watch.seconds,
                detail="the planned contributions are no longer pending",
            )
        screened, candidates, deferred = await self._screen(
            planned, everyone, {ref.sha256 for ref in root.data}, spec, watch
        )
        # Row-level leak and copy checks (offchain/overlap.py): against the validation
        # set, the data already accepted (initial data and accepted contributions) and
        # the round's lower-id candidates.
        accepted = [ref for ref in root.data if ref.contribution is None] + [
            DataRef(c.data_cid, c.data_hash, c.rows, c.id)
            for c in everyone
            if c.status.state is ContributionState.ACCEPTED
        ]
        assert spec.validation is not None  # inputs.validation checked it
        with watch.phase("rows"):
            candidates, copies = await self.rows.check(
                candidates, validation, spec.validation.sha256, accepted, spec
            )
        screened.extend(copies)
        if not candidates and not screened:
            self.checkpoints.clear(model_id)
            return RoundResult(
                model_id, Outcome.IDLE, deferred=tuple(deferred), timings=watch.seconds
            )
        parent = ParentState(
            ParentRef(head.id, head.artifact_cid, head.artifact_hash),
            parent_artifact,
            list(zip(learned, learned_data, strict=True)),
        )

        def progress(decision: Decision, _evaluation: object) -> None:
            log.info(
                "model %d: contribution #%d -> %s (%s)",
                model_id,
                decision.contribution,
                decision.label,
                decision.detail,
            )

        prepared = await asyncio.to_thread(
            prepare_update,
            model_id,
            spec,
            spec_ref,
            validation,
            parent,
            candidates,
            screened,
            progress,
            watch,
        )
        for decision in prepared.decisions:
            if (
                not decision.accepted
                and decision.verdict.reason is not RejectionReason.HARMS_METRIC
            ):
                log.info(
                    "model %d: contribution #%d -> %s (%s)",
                    model_id,
                    decision.contribution,
                    decision.label,
                    decision.detail,
                )
        card = build_card(prepared, spec.acceptance)
        self.checkpoints.keep_artifact(model_id, prepared.artifact)
        trained = checkpoint.advance(
            Stage.TRAINED,
            artifact_sha256=sha256_hex(prepared.artifact),
            recipe_sha256=prepared.recipe.sha256().hex(),
            recipe_text=prepared.recipe.canonical_bytes().decode("utf-8"),
            card_text=card.to_bytes().decode("utf-8"),
            metrics=tuple((m.key, m.value) for m in prepared.metrics),
            settlements=tuple((d.contribution, d.label) for d in prepared.decisions),
            weights=tuple((d.contribution, d.weight) for d in prepared.decisions if d.accepted),
        )
        self.checkpoints.save(trained)
        crash_point("after-train")
        return trained

    async def _since_last_reset(self, newest_first: Sequence[Version]) -> list[Recipe]:
        """Recipes from the newest fresh/retrain one up to the head, oldest first."""
        recipes: list[Recipe] = []
        for version in newest_first:
            recipe = await self.inputs.recipe(
                version.recipe_hash, f"model {version.model} version {version.id} recipe"
            )
            recipes.append(recipe)
            if recipe.mode in ("fresh", "retrain"):
                break
        return list(reversed(recipes))

    async def _screen(
        self,
        planned: Sequence[Contribution],
        everyone: Sequence[Contribution],
        initial_hashes: set[bytes],
        spec: ModelSpec,
        watch: Stopwatch,
    ) -> tuple[list[Decision], list[Candidate], list[Deferred]]:
        """Duplicates first (no fetch), then each contribution's data, within the budget.

        Data counts as used when a version was created from it or an accepted (or earlier
        pending) contribution registered the same hash; rejected and withdrawn data does
        not, so it may be offered again after a fix.
        """
        planned_ids = {c.id for c in planned}
        first = min(planned_ids)
        used = set(initial_hashes)
        used |= {
            c.data_hash
            for c in everyone
            if c.id not in planned_ids
            and (
                c.status.state is ContributionState.ACCEPTED
                or (c.status.state is ContributionState.PENDING and c.id < first)
            )
        }
        duplicates = find_duplicates([(c.id, c.data_hash) for c in planned], used)
        screened: list[Decision] = list(duplicates.values())
        candidates: list[Candidate] = []
        deferred: list[Deferred] = []
        budget = self.limits.max_bytes
        with watch.phase("fetch"):
            for contribution in planned:
                if contribution.id in duplicates:
                    continue
                size = await self.screener.size(contribution)
                if isinstance(size, Decision):
                    screened.append(size)
                    continue
                if isinstance(size, Deferred):
                    deferred.append(size)
                    continue
                if size > budget and (candidates or screened):
                    deferred.append(Deferred(contribution.id, "round byte budget used up"))
                    continue
                budget -= size
                outcome = await self.screener.screen(contribution, spec)
                if isinstance(outcome, Candidate):
                    candidates.append(outcome)
                elif isinstance(outcome, Decision):
                    screened.append(outcome)
                else:
                    deferred.append(outcome)
        for item in deferred:
            log.info("contribution #%d deferred: %s", item.contribution, item.why)
        return screened, candidates, deferred

    async def _upload(self, checkpoint: RoundCheckpoint, watch: Stopwatch) -> RoundCheckpoint:
        artifact = self.checkpoints.kept_artifact(checkpoint.model)
        if artifact is None or sha256_hex(artifact) != checkpoint.artifact_sha256:
            # The kept artifact is gone or torn: plan again (training is deterministic).
            raise _Replan("the kept artifact is missing or damaged")
        assert checkpoint.recipe_text is not None and checkpoint.card_text is not None
        model = await self._chain(self.chain.model, checkpoint.model)
        sealing = None
        if model.policy.visibility is Visibility.PERMISSIONED:
            # Visibility is read at upload: a change takes effect from the next version.
            sealing = Sealing.fresh(checkpoint.model, checkpoint.version_count)
        recipe_bytes = checkpoint.recipe_text.encode("utf-8")
        card_bytes = checkpoint.card_text.encode("utf-8")
        with watch.phase("publish"):
            if sealing is None:
                uploaded = await upload_documents(
                    self.inputs.store, artifact, recipe_bytes, card_bytes
                )
            else:
                uploaded = await upload_sealed(
                    self.inputs.store, sealing, artifact, recipe_bytes, card_bytes
                )
        recipe = Recipe.from_bytes(recipe_bytes)
        with watch.phase("publish"):
            pinned = await self._pin_inputs(recipe)
            pinned += await self._pin_judged(checkpoint.model, card_bytes)
        envelope_cid = None
        if sealing is not None:
            judged = await self._judged(checkpoint.model, card_bytes)
            needed = [ref.sha256 for ref in recipe.data] + [c.data_hash for c in judged]
            needed.append(recipe.validation.sha256)
            with watch.phase("publish"):
                envelope_cid = await seal_envelope(
                    self.chain, self.inputs.store, sealing, uploaded, needed, checkpoint.parent
                )
        done = checkpoint.advance(
            Stage.UPLOADED,
            artifact_cid=uploaded.artifact.cid,
            recipe_cid=uploaded.recipe.cid,
            card_cid=uploaded.card.cid,
            envelope_cid=envelope_cid,
        )
        self.checkpoints.save(done)
        log.info(
            "model %d: artifact %s, recipe %s, card %s pinned, and %d input(s) of the recipe",
            checkpoint.model,
            uploaded.artifact.cid,
            uploaded.recipe.cid,
            uploaded.card.cid,
            len(pinned),
        )
        crash_point("after-upload")
        return done

    async def _pin_inputs(self, recipe: Recipe) -> list[str]:
        """Pin what re-deriving the version needs, so that its history stays verifiable
        whatever contributors and owners later unpin: the spec, the validation set (unless
        it is private), the parent's artifact and every data set of the recipe (the data
        accepted this round; in retrain mode all the lineage's data). The artifact, recipe
        and card were pinned when they were added."""
        spec = await self.inputs.spec_at(recipe.spec, f"model {recipe.model} spec")
        cids = [recipe.spec.cid, *(ref.cid for ref in recipe.data)]
        if not spec.validation_private:
            # A private validation set is not in IPFS until it is revealed (pinning it
            # would ask the network for it): the trainer holds the file.
            cids.append(recipe.validation.cid)
        if recipe.parent is not None:
            cids.append(recipe.parent.artifact_cid)
        unique = list(dict.fromkeys(cids))
        for cid in unique:
            await self.inputs.store.pin(cid)
        return unique

    async def _pin_judged(self, model_id: int, card_bytes: bytes) -> list[str]:
        """Pin the data of every contribution the rule trained or evaluated, rejected ones
        included: `cmu verify` re-judges them, so their data must outlive the
        contributor's pin. (Data refused by screening is not kept: its verdict is
        re-checked from the chain and the card, or cannot be re-derived at all.)"""
        cids = list(dict.fromkeys(c.data_cid for c in await self._judged(model_id, card_bytes)))
        for cid in cids:
            await self.inputs.store.pin(cid)
        return cids

    async def _judged(self, model_id: int, card_bytes: bytes) -> list[Contribution]:
        """The contributions the card's rule trained or evaluated (with evidence)."""
        card = card_document(card_bytes)
        judged = sorted(s.contribution for s in card.settlements if s.evidence is not None)
        if not judged:
            return []
        found = await self._chain(history.read_contributions, self.chain, model_id, judged)
        return list(found.values())

    async def _publish(
        self, model: Model, checkpoint: RoundCheckpoint, watch: Stopwatch
    ) -> RoundResult:
        model_id = model.id
        artifact_cid, artifact_hash, recipe_hash = (
            checkpoint.artifact_cid,
            checkpoint.artifact_sha256,
            checkpoint.recipe_sha256,
        )
        assert artifact_cid and artifact_hash and recipe_hash, "publishing needs an upload"
        weights = dict(checkpoint.weights)
        settlements = [
            (c, _verdict(label, weights.get(c, 0))) for c, label in checkpoint.settlements
        ]
        metrics = [Metric(k, v) for k, v in checkpoint.metrics]
        await hold_point("before-submit")
        if checkpoint.stage is not Stage.SUBMITTED:
            checkpoint = checkpoint.advance(Stage.SUBMITTED)
            self.checkpoints.save(checkpoint)
        crash_point("before-submit")
        try:
            with watch.phase("chain"):
                version_id, result = await self._chain(
                    functools.partial(
                        self.chain.publish_version,
                        card_cid=checkpoint.card_cid,
                        envelope_cid=checkpoint.envelope_cid,
                    ),
                    self.signer,
                    model_id,
                    checkpoint.parent,
                    artifact_cid,
                    bytes.fromhex(artifact_hash),
                    bytes.fromhex(recipe_hash),
                    metrics,
                    settlements,
                )
        except StaleParentError:
            latest = await self._chain(self.chain.model, model_id)
            mine = await self._find_own_version(checkpoint, latest)
            self.checkpoints.clear(model_id)
            if mine is not None:
                # An earlier submission of this same round landed (resubmitted after a crash).
                return self._published(model_id, mine.id, checkpoint, watch)
            log.info(
                "model %d: v%s is no longer the head (now v%s): another trainer published"
                " first; rebasing",
                model_id,
                checkpoint.parent,
                latest.head,
            )
            return RoundResult(
                model_id,
                Outcome.REBASE,
                timings=watch.seconds,
                detail=f"head moved to v{latest.head}",
            )
        except ChainError as refused:
            # The first pallet fails the whole version when a contribution was withdrawn
            # meanwhile (ContributionNotPending); v2 skips it (see below).
            if refused.name in ("ContributionNotPending", "UnknownContribution"):
                self.checkpoints.clear(model_id)
                log.info("model %d: %s; planning again", model_id, refused.name)
                return RoundResult(
                    model_id, Outcome.REPLAN, timings=watch.seconds, detail=refused.name
                )
            self.checkpoints.clear(model_id)
            raise
        crash_point("after-publish")
        self.checkpoints.clear(model_id)
        log.info(
            "model %d: published v%d in block #%d (fee %d)",
            model_id,
            version_id,
            result.block_number,
            result.fee,
        )
        skipped = tuple(skipped_settlements(result))
        if skipped:
            # pallet-cmu v2: a contributor withdrew while the round ran. The version landed
            # without those settlements; a withdrawn contribution that was accepted is in
            # the artifact (the recipe names it) but not in the version's list, and
            # `cmu verify` accepts exactly that case.
            log.warning(
                "model %d: v%d skipped contribution(s) %s: no longer pending (withdrawn)",
                model_id,
                version_id,
                ", ".join(f"#{c}" for c in skipped),
            )
        return self._published(model_id, version_id, checkpoint, watch, skipped)

    def _published(
        self,
        model_id: int,
        version_id: int,
        checkpoint: RoundCheckpoint,
        watch: Stopwatch,
        skipped: tuple[int, ...] = (),
    ) -> RoundResult:
        weights = dict(checkpoint.weights)
        decisions = tuple(
            Decision(c, _verdict(label, weights.get(c, 0)), "")
            for c, label in checkpoint.settlements
            if c not in skipped
        )
        return RoundResult(
            model_id,
            Outcome.PUBLISHED,
            version_id,
            decisions,
            timings=dict(watch.seconds),
            card_cid=checkpoint.card_cid,
            skipped=skipped,
        )


class _Replan(Exception):
    """The round's local state cannot be used; start the round over."""


def _verdict(label: str, weight: int = 0) -> Verdict:
    if label == "Accept":
        return Verdict.accept(weight)
    reason = label.removeprefix("Reject(").removesuffix(")")
    return Verdict.reject(RejectionReason(reason))
