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

from cmu_client.errors import CmuError
from offchain.decide import Decision
from offchain.recipe import Recipe, canonical_json

CARD_FORMAT = "cmu-version-card/1"


class CardError(CmuError):
    """A version card is malformed."""


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

    def to_json_obj(self) -> dict[str, Any]:
        return {
            "format": CARD_FORMAT,
            "model": self.recipe.model,
            "parent": None if self.recipe.parent is None else self.recipe.parent.version,
            "recipe": self.recipe.to_json_obj(),
            "recipe_sha256": self.recipe_sha256,
            "recipe_cid": self.recipe_cid,
            "artifact": {
                "sha256": self.artifact_sha256,
                "bytes": self.artifact_bytes,
                "trees": self.trees,
            },
            "data_cids": [d.cid for d in self.recipe.data],
            "parameters": dict(self.recipe.params),
            "num_boost_round": self.recipe.num_boost_round,
            "libraries": dict(self.recipe.libraries),
            "metrics": dict(self.metrics),
            "decision": {"metric": self.decision_metric, "tolerance": self.tolerance},
            "feature_importances": {k: dict(v) for k, v in self.feature_importances.items()},
            "settlements": [
                {"contribution": d.contribution, "verdict": d.label, "detail": d.detail}
                for d in self.settlements
            ],
        }

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
    recipe = obj.get("recipe")
    if not isinstance(recipe, dict):
        raise CardError("version card has no recipe")
    return Recipe.from_json_obj(recipe)
