"""The version card: a JSON document that explains one version to people and tools.

It holds the recipe (verbatim) plus what training produced: the artifact's hash, size and
tree count, the metrics, feature importances and every settlement with its reason. The
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
from offchain.decide import Decision
from offchain.recipe import Recipe, RecipeDocument

CARD_FORMAT = "cmu-version-card/1"


class CardError(CmuError):
    """A version card is malformed."""


class ArtifactSummary(msgspec.Struct):
    sha256: str
    bytes: int
    trees: int


class DecisionRule(msgspec.Struct):
    metric: str
    tolerance: float


class SettlementEntry(msgspec.Struct):
    contribution: int
    verdict: str
    detail: str


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
    decision_metric: str
    tolerance: float
    feature_importances: Mapping[str, Mapping[str, float]]
    settlements: Sequence[Decision]

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
            decision=DecisionRule(self.decision_metric, self.tolerance),
            feature_importances={k: dict(v) for k, v in self.feature_importances.items()},
            settlements=[
                SettlementEntry(d.contribution, d.label, d.detail) for d in self.settlements
            ],
            reward_weights={str(d.contribution): d.weight for d in self.settlements if d.accepted},
        )

    def to_json_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = to_builtins(self.document())
        return obj

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json_obj())


def recipe_from_card(raw: bytes) -> Recipe:
    """The recipe embedded in a stored card."""
    try:
        obj = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as bad:
        raise CardError(f"version card is not JSON: {bad}") from None
    if not isinstance(obj, dict) or obj.get("format") != CARD_FORMAT:
        raise CardError("not a CMU version card", f"expected format {CARD_FORMAT}")
    if not isinstance(obj.get("recipe"), dict):
        raise CardError("version card has no recipe")
    recipe = Recipe.from_json_obj(obj["recipe"])
    try:
        convert(obj, CardDocument)
    except DocumentError as bad:
        raise CardError(f"version card field {bad.path!r}: {bad.problem}") from None
    return recipe
