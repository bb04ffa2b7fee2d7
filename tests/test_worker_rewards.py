"""Reward weights (no chain): each accepted contribution's marginal gain on the acceptance
metric, in millionths; a round's weights add up to its gain over the parent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from cmu_client.dataset import Dataset
from cmu_client.spec import Acceptance
from cmu_client.types import MAX_REWARD_WEIGHT
from offchain.decide import Candidate, reward_weight, select
from offchain.evaluate import Evaluation
from offchain.recipe import DataRef

LOGLOSS = Acceptance("logloss", 0.01, higher_is_better=False)
AUC = Acceptance("auc", 0.0, higher_is_better=True)


def test_weight_is_the_gain_in_millionths_in_the_metric_direction() -> None:
    assert reward_weight(LOGLOSS, 0.1812, 0.2000) == 18_800
    assert reward_weight(AUC, 0.954, 0.950) == 4_000
    # Accepted within the tolerance although slightly worse: no reward.
    assert reward_weight(LOGLOSS, 0.2050, 0.2000) == 0
    assert reward_weight(AUC, 1e6, 0.0) == MAX_REWARD_WEIGHT


def _candidate(contribution: int) -> Candidate:
    ref = DataRef(f"bafkreidata{contribution}", bytes(32), 10, contribution)
    return Candidate(ref, cast(Dataset, None))


def test_round_weights_telescope_to_the_gain_over_the_parent() -> None:
    # The "artifact" is the list of accepted ids; its logloss is a fixed table.
    scores = {(): 0.30, (1,): 0.25, (1, 2): 0.40, (1, 3): 0.21, (1, 3, 4): 0.215}

    def train_on(accepted: Sequence[Candidate]) -> bytes:
        return json.dumps([c.contribution for c in accepted]).encode()

    def evaluate(artifact: bytes) -> Evaluation:
        return Evaluation({"logloss": scores[tuple(json.loads(artifact))]})

    selection = select(
        [_candidate(i) for i in (1, 2, 3, 4)],
        Evaluation({"logloss": 0.30}),
        train_on,
        evaluate,
        LOGLOSS,
    )
    weights = {d.contribution: d.weight for d in selection.decisions if d.accepted}
    assert weights == {1: 50_000, 3: 40_000, 4: 0}  # 4 accepted within the tolerance
    assert [d.contribution for d in selection.decisions if not d.accepted] == [2]
    assert sum(weights.values()) == round((0.30 - 0.21) * 1e6)
    assert "reward weight 50000" in selection.decisions[0].detail
