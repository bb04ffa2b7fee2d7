"""The version card: a JSON document that explains one version to people and tools.

It holds the recipe (verbatim) plus what training produced: the artifact's hash, size and
tree count, the metrics, feature importances and every settlement with its reason. Cards
of format 2 also name the judging rule and its settings and, for every candidate the rule
trained and evaluated, what it measured (:class:`offchain.decide.Evidence`), so that
``cmu verify`` can re-derive each verdict, rejections included. The
recipe is the part whose hash is on chain (and whose CID follows from that hash); the card
is the readable companion, stored next to it. The artifact's CID is on chain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from cmu_client.documents import DocumentError, canonical_json, convert, to_builtins
from cmu_client.errors import CmuError
from cmu_client.lgbm_params import ParamValue
from cmu_client.spec import Acceptance
from offchain import judge
from offchain.decide import Decision, Evidence
from offchain.judge import Agreement, Change
from offchain.recipe import Recipe, RecipeDocument

CARD_FORMAT = "cmu-version-card/2"
#: Formats ``cmu verify`` reads: format 1 predates the judging rule's record.
CARD_FORMATS = ("cmu-version-card/1", CARD_FORMAT)


class CardError(CmuError):
    """A version card is malformed."""


class ArtifactSummary(msgspec.Struct):
    sha256: str
    bytes: int
    trees: int


class DecisionRule(msgspec.Struct, omit_defaults=True):
    metric: str
    #: A fixed tolerance, or ``None`` (null) for auto.
    tolerance: float | None
    #: The judging rule (absent in format-1 cards: greedy, in contribution order).
    rule: str | None = None
    alpha: float | None = None
    z: float | None = None
    agreement_draws: int | None = None
    change_draws: int | None = None


class AgreementEntry(msgspec.Struct):
    loss: float
    limit: float
    validation_loss: float


class ChangeEntry(msgspec.Struct):
    before: float
    after: float
    gain: float
    tolerance: float
    standard_error: float

    @staticmethod
    def of(change: Change) -> ChangeEntry:
        return ChangeEntry(
            change.before, change.after, change.gain, change.tolerance, change.standard_error
        )

    def to_change(self) -> Change:
        return Change(self.before, self.after, self.gain, self.tolerance, self.standard_error)


class EvidenceEntry(msgspec.Struct, omit_defaults=True):
    agreement: AgreementEntry
    change: ChangeEntry | None = None
    dropped_jointly: bool = False

    @staticmethod
    def of(evidence: Evidence) -> EvidenceEntry:
        a = evidence.agreement
        return EvidenceEntry(
            AgreementEntry(a.loss, a.limit, a.validation_loss),
            None if evidence.change is None else ChangeEntry.of(evidence.change),
            evidence.dropped_jointly,
        )

    def to_evidence(self) -> Evidence:
        a = self.agreement
        return Evidence(
            Agreement(a.loss, a.limit, a.validation_loss),
            None if self.change is None else self.change.to_change(),
            self.dropped_jointly,
        )


class SettlementEntry(msgspec.Struct, omit_defaults=True):
    contribution: int
    verdict: str
    detail: str
    #: What the rule measured (candidates it trained or evaluated; format 2).
    evidence: EvidenceEntry | None = None


class CardDocument(msgspec.Struct):
    """The version card as stored (``cmu-version-card/1``)."""

    format: str
    model: int
    parent: int | None
    recipe: RecipeDocument
    recipe_sha256: str
    recipe_cid: str
    artifact: ArtifactSummary
    data_cids: list[str]
    parameters: dict[str, ParamValue]
    num_boost_round: int
    libraries: dict[str, str]
    metrics: dict[str, float]
    decision: DecisionRule
    feature_importances: dict[str, dict[str, float]]
    settlements: list[SettlementEntry]
    #: Reward weight of each accepted contribution (by id), as passed to publish_version:
    #: its marginal gain on the decision metric, in millionths (offchain/decide.py).
    reward_weights: dict[str, int] = msgspec.field(default_factory=dict)
    #: The whole-round check of this version's model against its parent (format 2).
    joint: ChangeEntry | None = None


@dataclass(frozen=True)
class VersionCard:
    """What a version is, how it was made and how good it is."""

    recipe: Recipe
    recipe_sha256: str
    recipe_cid: str
    artifact_sha256: str
    artifact_bytes: int
    trees: int
    metrics: Mapping[str, float]
    acceptance: Acceptance
    feature_importances: Mapping[str, Mapping[str, float]]
    settlements: Sequence[Decision]
    joint: Change | None = None

    def document(self) -> CardDocument:
        return CardDocument(
            format=CARD_FORMAT,
            model=self.recipe.model,
            parent=None if self.recipe.parent is None else self.recipe.parent.version,
            recipe=self.recipe.document(),
            recipe_sha256=self.recipe_sha256,
            recipe_cid=self.recipe_cid,
            artifact=ArtifactSummary(self.artifact_sha256, self.artifact_bytes, self.trees),
            data_cids=[d.cid for d in self.recipe.data],
            parameters=dict(self.recipe.params),
            num_boost_round=self.recipe.num_boost_round,
            libraries=dict(self.recipe.libraries),
            metrics=dict(self.metrics),
            decision=DecisionRule(
                self.acceptance.metric,
                self.acceptance.tolerance,
                judge.RULE,
                judge.ALPHA,
                judge.Z,
                judge.AGREEMENT_DRAWS,
                judge.CHANGE_DRAWS,
            ),
            feature_importances={k: dict(v) for k, v in self.feature_importances.items()},
            settlements=[
                SettlementEntry(
                    d.contribution,
                    d.label,
                    d.detail,
                    None if d.evidence is None else EvidenceEntry.of(d.evidence),
                )
                for d in self.settlements
            ],
            reward_weights={str(d.contribution): d.weight for d in self.settlements if d.accepted},
            joint=None if self.joint is None else ChangeEntry.of(self.joint),
        )

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = to_builtins(self.document())
        return obj

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json_obj())


def card_document(raw: bytes) -> CardDocument:
    """A stored card, checked (format 1 or 2)."""
    recipe_from_card(raw)  # the format, the embedded recipe and every field
    return convert(json.loads(raw), CardDocument)


def recipe_from_card(raw: bytes) -> Recipe:
    """The recipe embedded in a stored card."""
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as bad:
        raise CardError(f"version card is not JSON: {bad}") from None
    if not isinstance(obj, dict) or obj.get("format") not in CARD_FORMATS:
        raise CardError("not a CMU version card", f"expected format {CARD_FORMAT}")
    if not isinstance(obj.get("recipe"), dict):
        raise CardError("version card has no recipe")
    recipe = Recipe.from_json_obj(obj["recipe"])
    try:
        convert(obj, CardDocument)
    except DocumentError as bad:
        raise CardError(f"version card field {bad.path!r}: {bad.problem}") from None
    return recipe
