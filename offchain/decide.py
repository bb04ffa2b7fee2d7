"""Per-contribution decisions: which data a new version uses and why the rest is refused.

Screening refuses what can be judged without training (duplicates, bytes that do not hash
to the registered hash, data that cannot be fetched or does not fit the spec). The rest is
judged by the rule ``cmu-judge/2`` (docs/worker.md, "Judging"; the statistics are in
:mod:`offchain.judge`), each candidate on its own against the round's parent, so that the
order in which contributions were submitted never changes a verdict:

1. **Label agreement.** The parent's mean loss on the candidate's rows must not be above
   what equally many held-out rows show in 99 of 100 bootstrap draws.
2. **Marginal effect.** The model trained from the parent with this candidate alone must
   not be worse on the acceptance metric than the parent beyond the tolerance (fixed in
   the spec, or ``auto``: 2.326 bootstrap standard errors of the change).
3. **The round as a whole.** The candidates that pass are trained together; if that model
   is worse than the parent beyond its tolerance, the candidate of lowest value (then the
   highest id) is refused and the rest are trained again, until the joint model passes.
   So a published version is never worse than its parent beyond the tolerance, however
   many contributions the round accepts.

Accepted data enters the recipe ordered by its sha2-256, not by contribution id, so the
artifact does not depend on submission order either. A candidate whose training or
evaluation fails is refused (``InvalidSchema``, with LightGBM's message) and the round
goes on.

Each accepted contribution's **value** (its reward weight) is its marginal gain: the
metric of the parent plus it alone over the parent's, in millionths of the metric's units,
rounded, floored at 0 and capped at the u32 maximum. Training and evaluation are
deterministic, so anyone who re-runs the round gets the same verdicts and values
(``cmu verify`` does). Under the slash destination ``AcceptedContributors`` pallet-cmu v2
shares the version's slashed deposits pro rata to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from cmu_client.dataset import Dataset
from cmu_client.spec import Acceptance, Task
from cmu_client.types import MAX_REWARD_WEIGHT, RejectionReason, Verdict
from offchain import judge
from offchain.evaluate import Evaluation, EvaluationError, evaluation_of
from offchain.judge import Agreement, Change
from offchain.recipe import DataRef
from offchain.training import TrainingError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Decision:
    """The verdict on one contribution, with a human-readable reason."""

    contribution: int
    verdict: Verdict
    detail: str
    #: The measurements behind a judged (trained and evaluated) candidate's verdict.
    evidence: Evidence | None = None

    @classmethod
    def accept(
        cls, contribution: int, detail: str, weight: int = 0, evidence: Evidence | None = None
    ) -> Decision:
        return cls(contribution, Verdict.accept(weight), detail, evidence)

    @property
    def weight(self) -> int:
        """The reward weight (accepted decisions; 0 otherwise)."""
        return self.verdict.weight

    @classmethod
    def reject(
        cls,
        contribution: int,
        reason: RejectionReason,
        detail: str,
        evidence: Evidence | None = None,
    ) -> Decision:
        return cls(contribution, Verdict.reject(reason), detail, evidence)

    @property
    def accepted(self) -> bool:
        return self.verdict.accepted

    @property
    def label(self) -> str:
        reason = self.verdict.reason
        return "Accept" if reason is None else f"Reject({reason.value})"


@dataclass(frozen=True)
class Candidate:
    """A contribution that passed screening: its reference and parsed rows."""

    ref: DataRef
    data: Dataset

    @property
    def contribution(self) -> int:
        if self.ref.contribution is None:
            raise ValueError("a candidate must be a contribution")
        return self.ref.contribution


@dataclass(frozen=True)
class Evidence:
    """What the rule measured for one candidate; a verifier must measure the same."""

    #: The parent's mean per-row loss on the candidate's rows, and the highest accepted.
    agreement: Agreement
    #: The metric's change from the parent to the parent plus this candidate alone
    #: (``None`` when the label agreement test already refused it: not trained).
    change: Change | None = None
    #: Refused by the whole-round check (step 3), not by its own tests.
    dropped_jointly: bool = False


@dataclass(frozen=True)
class Selection:
    """The outcome of judging candidates: decisions, and the model on the accepted ones.

    ``artifact`` is ``None`` when nothing was accepted (the parent stays as it is).
    ``accepted`` is in recipe order (by data sha2-256). ``joint`` is the whole-round
    check of the published model against the parent (``None`` when nothing was accepted).
    """

    decisions: tuple[Decision, ...]
    accepted: tuple[Candidate, ...]
    artifact: bytes | None
    evaluation: Evaluation
    joint: Change | None = None


#: Reward weights count millionths of the acceptance metric's units.
WEIGHT_SCALE = 1_000_000


def reward_weight(gain: float) -> int:
    """The reward weight of an accepted contribution with this marginal gain on the
    acceptance metric: in millionths, floored at 0 and capped at the u32 maximum."""
    return max(0, min(MAX_REWARD_WEIGHT, round(gain * WEIGHT_SCALE)))


def find_duplicates(
    contributions: Sequence[tuple[int, bytes]], used_hashes: Iterable[bytes]
) -> dict[int, Decision]:
    """Rejections for contributions whose data hash was already used.

    ``contributions`` are (id, data hash) of this round in id order; ``used_hashes`` are
    the hashes of data used by versions or submitted by earlier contributions. Within the
    round, the earliest contribution with a hash keeps it.
    """
    seen = set(used_hashes)
    rejected: dict[int, Decision] = {}
    for contribution, data_hash in sorted(contributions):
        if data_hash in seen:
            rejected[contribution] = Decision.reject(
                contribution,
                RejectionReason.DUPLICATE,
                f"data sha2-256 {data_hash.hex()[:16]}... was already used by earlier data",
            )
        else:
            seen.add(data_hash)
    return rejected


def recipe_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates in the order their data enters a recipe: by data sha2-256 (then id)."""
    return sorted(candidates, key=lambda c: (c.ref.sha256, c.contribution))


@dataclass(frozen=True)
class Judge:
    """The rule's inputs for one round, with training and prediction bound by the caller.

    ``train_on(accepted)`` returns the artifact derived from the parent and those
    candidates (in the order given); ``predict(artifact, rows)`` returns an artifact's
    predictions for a data set's rows.
    """

    task: Task
    acceptance: Acceptance
    validation: Dataset
    validation_sha256: bytes
    parent_artifact: bytes
    train_on: Callable[[Sequence[Candidate]], bytes]
    predict: Callable[[bytes, Dataset], FloatArray]

    @property
    def labels(self) -> FloatArray:
        assert self.validation.labels is not None
        return self.validation.labels

    def losses(self, predictions: FloatArray, rows: Dataset) -> FloatArray:
        assert rows.labels is not None
        return judge.row_losses(self.task, predictions, rows.labels)

    def change(self, before: FloatArray, after: FloatArray) -> Change:
        seed = judge.seed_for(self.validation_sha256, "change")
        return judge.change(self.acceptance, self.task, self.labels, before, after, seed)


_FAILURES = (TrainingError, EvaluationError)


def select(
    candidates: Sequence[Candidate],
    rule: Judge,
    on_progress: Callable[[Decision, Evaluation], None] | None = None,
) -> Selection:
    """Judge ``candidates`` by ``cmu-judge/2`` against the round's parent (module docs)."""
    metric = rule.acceptance.metric
    parent_val = rule.predict(rule.parent_artifact, rule.validation)
    parent_losses = rule.losses(parent_val, rule.validation)
    baseline = evaluation_of(rule.task, rule.labels, parent_val)
    agreement_seed = judge.seed_for(rule.validation_sha256, "agreement")
    worst = judge.worst_loss(rule.task, parent_losses)
    decisions: dict[int, Decision] = {}
    passed: dict[int, tuple[Candidate, bytes, FloatArray, Evidence]] = {}
    for candidate in sorted(candidates, key=lambda c: c.contribution):
        cid = candidate.contribution
        try:
            on_rows = rule.predict(rule.parent_artifact, candidate.data)
            agreement = judge.agreement(
                parent_losses, rule.losses(on_rows, candidate.data), agreement_seed, worst
            )
            if not agreement.passes:
                evidence = Evidence(agreement)
                decisions[cid] = Decision.reject(
                    cid,
                    RejectionReason.HARMS_METRIC,
                    f"labels disagree with the model: {_agreement_text(agreement, candidate)}",
                    evidence,
                )
                _report(on_progress, decisions[cid], baseline)
                continue
            artifact = rule.train_on([candidate])
            predictions = rule.predict(artifact, rule.validation)
        except _FAILURES as failed:
            decisions[cid] = Decision.reject(
                cid,
                RejectionReason.INVALID_SCHEMA,
                f"training or evaluating on it failed: {failed}",
            )
            _report(on_progress, decisions[cid], baseline)
            continue
        moved = rule.change(parent_val, predictions)
        evidence = Evidence(agreement, moved)
        if moved.passes:
            passed[cid] = (candidate, artifact, predictions, evidence)
        else:
            decisions[cid] = Decision.reject(
                cid, RejectionReason.HARMS_METRIC, f"worse: {_change_text(metric, moved)}", evidence
            )
            _report(on_progress, decisions[cid], evaluation_of(rule.task, rule.labels, predictions))

    # The round as a whole: drop the least valuable candidate until the joint model passes.
    joint: Change | None = None
    artifact_out: bytes | None = None
    evaluation = baseline
    while passed:
        kept = recipe_order(entry[0] for entry in passed.values())
        try:
            if len(kept) == 1:
                _, artifact_out, predictions, _ = passed[kept[0].contribution]
            else:
                artifact_out = rule.train_on(kept)
                predictions = rule.predict(artifact_out, rule.validation)
            joint = rule.change(parent_val, predictions)
            failure = None if joint.passes else f"worse: {_change_text(metric, joint)}"
        except _FAILURES as failed:
            failure = f"training the round's accepted data together failed: {failed}"
        if failure is None:
            evaluation = evaluation_of(rule.task, rule.labels, predictions)
            break
        # Lowest value first; among equal values the newest contribution goes first.
        cid = min(passed, key=lambda c: (passed[c][3].change.gain, -c))  # type: ignore[union-attr]
        candidate, _, _, evidence = passed.pop(cid)
        decisions[cid] = Decision.reject(
            cid,
            RejectionReason.HARMS_METRIC,
            f"the round's model with it and {len(passed)} other(s) was {failure}; it had the"
            " lowest value",
            replace(evidence, dropped_jointly=True),
        )
        _report(on_progress, decisions[cid], baseline)
        artifact_out, joint = None, None
    for cid, (_, _, _, evidence) in passed.items():
        assert evidence.change is not None
        weight = reward_weight(evidence.change.gain)
        decisions[cid] = Decision.accept(
            cid,
            f"labels agree ({_agreement_text(evidence.agreement, None)}); "
            f"{_change_text(metric, evidence.change)}; value {weight}",
            weight,
            evidence,
        )
        _report(on_progress, decisions[cid], evaluation)
    accepted = tuple(recipe_order(entry[0] for entry in passed.values()))
    ordered = tuple(decisions[c] for c in sorted(decisions))
    return Selection(ordered, accepted, artifact_out, evaluation, joint)


def _report(
    on_progress: Callable[[Decision, Evaluation], None] | None,
    decision: Decision,
    evaluation: Evaluation,
) -> None:
    if on_progress is not None:
        on_progress(decision, evaluation)


def _agreement_text(agreement: Agreement, candidate: Candidate | None) -> str:
    rows = f" on its {candidate.data.rows} rows" if candidate is not None else ""
    return (
        f"mean loss {agreement.loss:.4f}{rows}, at most {agreement.limit:.4f} expected"
        f" (validation {agreement.validation_loss:.4f})"
    )


def _change_text(metric: str, moved: Change) -> str:
    how = "auto" if moved.standard_error else "fixed"
    return (
        f"{metric} {moved.before:.6f} -> {moved.after:.6f} ({moved.gain:+.6f},"
        f" tolerance {moved.tolerance:.6f} {how})"
    )
