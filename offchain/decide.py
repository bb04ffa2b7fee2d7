"""Per-contribution decisions: which data a new version uses and why the rest is refused.

Screening refuses what can be judged without training (duplicates, bytes that do not hash
to the registered hash, data that cannot be fetched or does not fit the spec). The rest is
judged greedily in contribution order: a contribution is accepted when the model trained
with it (and the ones accepted before it in this round) is not worse on the validation
metric than the model without it, beyond the spec's tolerance. The final artifact is the
model trained on exactly the accepted data, which is what the recipe records.

Each accepted contribution gets a **reward weight**: its marginal gain on the acceptance
metric, the improvement of the model with it over the model it was judged against (the
round's parent plus the contributions accepted before it in this round), in millionths of
the metric's units, rounded to the nearest integer, floored at 0 (an accepted contribution
that made the metric slightly worse within the tolerance gets 0) and capped at the u32
maximum. The weights of a round add up to the round's total gain over the parent, so they
split it without double counting. Training and evaluation are deterministic, so anyone who
re-runs the round gets the same weights. Under the slash destination
``AcceptedContributors`` pallet-cmu v2 shares the version's slashed deposits pro rata to
them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cmu_client.dataset import Dataset
from cmu_client.spec import Acceptance
from cmu_client.types import MAX_REWARD_WEIGHT, RejectionReason, Verdict
from offchain.evaluate import Evaluation
from offchain.recipe import DataRef


@dataclass(frozen=True)
class Decision:
    """The verdict on one contribution, with a human-readable reason."""

    contribution: int
    verdict: Verdict
    detail: str

    @classmethod
    def accept(cls, contribution: int, detail: str, weight: int = 0) -> Decision:
        return cls(contribution, Verdict.accept(weight), detail)

    @property
    def weight(self) -> int:
        """The reward weight (accepted decisions; 0 otherwise)."""
        return self.verdict.weight

    @classmethod
    def reject(cls, contribution: int, reason: RejectionReason, detail: str) -> Decision:
        return cls(contribution, Verdict.reject(reason), detail)

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
class Selection:
    """The outcome of judging candidates: decisions, and the model on the accepted ones.

    ``artifact`` is ``None`` when nothing was accepted (the parent stays as it is).
    """

    decisions: tuple[Decision, ...]
    accepted: tuple[Candidate, ...]
    artifact: bytes | None
    evaluation: Evaluation


#: Reward weights count millionths of the acceptance metric's units.
WEIGHT_SCALE = 1_000_000


def reward_weight(acceptance: Acceptance, with_data: float, without_data: float) -> int:
    """The reward weight of an accepted contribution: its gain on the acceptance metric over
    the model without it, in millionths, floored at 0 and capped at the u32 maximum."""
    gain = -acceptance.worse_by(with_data, without_data)
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


def select(
    candidates: Sequence[Candidate],
    baseline: Evaluation,
    train_on: Callable[[Sequence[Candidate]], bytes],
    evaluate: Callable[[bytes], Evaluation],
    acceptance: Acceptance,
    on_progress: Callable[[Decision, Evaluation], None] | None = None,
) -> Selection:
    """Judge ``candidates`` in order against ``baseline`` (the parent's evaluation).

    ``train_on(accepted)`` returns the artifact derived from the parent and those
    candidates; ``evaluate`` scores an artifact on the validation set.
    """
    accepted: list[Candidate] = []
    decisions: list[Decision] = []
    current_eval = baseline
    current_artifact: bytes | None = None
    for candidate in sorted(candidates, key=lambda c: c.contribution):
        artifact = train_on([*accepted, candidate])
        candidate_eval = evaluate(artifact)
        metric = acceptance.metric
        before = current_eval.get(metric)
        after = candidate_eval.get(metric)
        change = f"{metric} {before:.6f} -> {after:.6f} (tolerance {acceptance.tolerance:g})"
        if not acceptance.accepts(after, before):
            decision = Decision.reject(
                candidate.contribution, RejectionReason.HARMS_METRIC, f"worse: {change}"
            )
        else:
            weight = reward_weight(acceptance, after, before)
            decision = Decision.accept(
                candidate.contribution, f"{change}, reward weight {weight}", weight
            )
            accepted.append(candidate)
            current_eval = candidate_eval
            current_artifact = artifact
        decisions.append(decision)
        if on_progress is not None:
            on_progress(decision, candidate_eval)
    return Selection(tuple(decisions), tuple(accepted), current_artifact, current_eval)
