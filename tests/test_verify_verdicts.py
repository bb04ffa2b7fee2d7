"""``cmu verify`` re-derives every verdict (live chain and Kubo).

An honest worker's version, rejections included, verifies. Then a dishonest trainer (it
holds the Trainer role and signs valid extrinsics) publishes versions whose artifact is the
honest output of their own recipe, so the bit-for-bit check alone passes, and verify must
still catch each lie: a wrongful rejection, data that no contribution registered, and a
recipe that is not the spec's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixtures_worker import (
    CONTRIBUTOR_URIS,
    TRAINER_URI,
    LiveModel,
    contribute,
    create_live_model,
    inputs_for,
    run_worker,
    signer,
)

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.dataset import Dataset
from cmu_client.documents import canonical_json
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import ContentRef, ModelSpec
from cmu_client.types import ContributionState, RejectionReason
from offchain import demo_data
from offchain.decide import Candidate, Decision
from offchain.evaluate import evaluate
from offchain.inputs import Inputs
from offchain.prepare import ParentState, PreparedVersion, prepare_update
from offchain.publish import build_card, upload_documents
from offchain.recipe import DataRef, ParentRef, Recipe
from offchain.training import derive_artifact
from offchain.verify import VerifyReport, verify_version

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS


async def _model_with_contributions(
    chain: CmuChain, store: IpfsStore
) -> tuple[LiveModel, dict[str, int]]:
    """A retrain model with auto tolerance; Bob and Charlie honest, Dave's labels flipped."""
    model = await create_live_model(
        chain, store, update_mode="retrain", metric="auc", tolerance=None
    )
    parts = model.slices.contributions
    flipped = parts[2].with_flipped_labels().to_csv()
    header, *rows = model.slices.validation.to_csv().decode().splitlines()
    leaked = ("\n".join([header, *reversed(rows)]) + "\n").encode()  # the validation set, reordered
    ids = {
        "bob": (await contribute(chain, store, BOB, model.id, parts[0].to_csv()))[0],
        "charlie": (await contribute(chain, store, CHARLIE, model.id, parts[1].to_csv()))[0],
        "dave": (await contribute(chain, store, DAVE, model.id, flipped))[0],
        "leak": (await contribute(chain, store, DAVE, model.id, leaked))[0],
    }
    return model, ids


def model_rows(part: int) -> list[str]:
    """The data rows of the story's contribution slice ``part``."""
    return demo_data.story_slices().contributions[part].to_csv().decode().splitlines()[1:]


def _failed(report: VerifyReport) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if not c.ok}


async def test_an_honest_round_verifies_with_its_rejections(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model, ids = await _model_with_contributions(chain, store)
    await run_worker(chain, store, tmp_path, model.id)
    found = await asyncio.to_thread(
        history.read_contributions, chain, model.id, sorted(ids.values())
    )
    assert found[ids["dave"]].status.reason is RejectionReason.HARMS_METRIC
    assert found[ids["bob"]].status.state is ContributionState.ACCEPTED
    assert found[ids["leak"]].status.reason is RejectionReason.DUPLICATE

    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert report.matches, _failed(report)
    checks = {c.name: c.detail for c in report.checks}
    # the leaked validation set's Duplicate is re-counted row by row and holds
    assert checks["verdicts"].startswith("4 verdict(s) re-derived (3 by training)")
    assert {"recipe vs spec", "data provenance", "card settlements", "round"} <= set(checks)


@dataclass(frozen=True)
class Round:
    """What a trainer holds when it judges v0's pending contributions."""

    model: LiveModel
    spec: ModelSpec
    spec_ref: ContentRef
    validation: Dataset
    parent: ParentState
    candidates: list[Candidate]
    #: What screening refused (the leaked validation set, as the worker's row check does).
    screened: list[Decision]

    def judge(
        self, candidates: Sequence[Candidate] | None = None, screened: Sequence[Decision] = ()
    ) -> PreparedVersion:
        chosen = self.candidates if candidates is None else candidates
        screened = [*self.screened, *screened]
        return prepare_update(
            self.model.id,
            self.spec,
            self.spec_ref,
            self.validation,
            self.parent,
            chosen,
            list(screened),
        )

    def trained_on(
        self, prepared: PreparedVersion, recipe: Recipe, extra: dict[bytes, Dataset]
    ) -> PreparedVersion:
        """``prepared`` with ``recipe`` and the artifact that recipe derives."""
        known = {ref.sha256: data for ref, data in self.parent.learned}
        known |= {c.ref.sha256: c.data for c in self.candidates} | extra
        data = [known[ref.sha256] for ref in recipe.data]
        artifact = derive_artifact(recipe, self.spec, self.parent.artifact, data)
        evaluation = evaluate(artifact, self.validation, self.spec.task)
        return dataclasses.replace(
            prepared, recipe=recipe, artifact=artifact, evaluation=evaluation
        )


async def _round(chain: CmuChain, store: IpfsStore, model: LiveModel, ids: dict[str, int]) -> Round:
    inputs = Inputs(store)
    record = await asyncio.to_thread(chain.model, model.id)
    spec, spec_ref = await inputs.spec(record)
    head = await asyncio.to_thread(chain.version, model.id, 0)
    root = await inputs.recipe(head.recipe_hash)
    learned = await inputs.learned(root.data, spec)
    parent = ParentState(
        ParentRef(0, head.artifact_cid, head.artifact_hash),
        await inputs.artifact(head),
        list(zip(root.data, learned, strict=True)),
    )
    found = await asyncio.to_thread(
        history.read_contributions, chain, model.id, sorted(ids.values())
    )
    candidates = []
    screened = [
        Decision.reject(ids["leak"], RejectionReason.DUPLICATE, "rows of the validation set")
    ]
    for cid, c in sorted(found.items()):
        if cid == ids["leak"]:
            continue
        data = await inputs.dataset(c.data_cid, c.data_hash, spec, f"#{cid}")
        candidates.append(Candidate(DataRef(c.data_cid, c.data_hash, data.rows, cid), data))
    validation = await inputs.validation(spec)
    return Round(model, spec, spec_ref, validation, parent, candidates, screened)


async def _publish(
    chain: CmuChain, store: IpfsStore, r: Round, prepared: PreparedVersion, drop_rule: bool
) -> None:
    """Publish ``prepared`` as v1 with its card, signed by a Trainer; ``drop_rule`` takes
    the judging rule's name and settings out of the card."""
    card = build_card(prepared, r.spec.acceptance).to_bytes()
    if drop_rule:
        doc = json.loads(card)
        doc["decision"] = {"metric": doc["decision"]["metric"], "tolerance": None}
        card = canonical_json(doc)
    uploaded = await upload_documents(
        store, prepared.artifact, prepared.recipe.canonical_bytes(), card
    )
    await asyncio.to_thread(
        chain.publish_version,
        signer(TRAINER_URI),
        r.model.id,
        0,
        uploaded.artifact.cid,
        uploaded.artifact.sha256,
        uploaded.recipe.sha256,
        prepared.metrics,
        [(d.contribution, d.verdict) for d in prepared.decisions],
        card_cid=uploaded.card.cid,
    )


async def _lie_and_verify(
    chain: CmuChain,
    store: IpfsStore,
    lie: Callable[[Round, dict[str, int]], PreparedVersion],
    drop_rule: bool = False,
) -> tuple[VerifyReport, dict[str, int]]:
    model, ids = await _model_with_contributions(chain, store)
    r = await _round(chain, store, model, ids)
    await _publish(chain, store, r, await asyncio.to_thread(lie, r, ids), drop_rule)
    report = await verify_version(chain, inputs_for(store), model.id, 1)
    assert report.derived_sha256 == report.onchain_sha256  # the artifact alone checks out
    assert not report.matches
    return report, ids


async def test_a_wrongful_rejection_is_named(live_chain: CmuChain, live_store: IpfsStore) -> None:
    def reject_bob(r: Round, ids: dict[str, int]) -> PreparedVersion:
        bob = ids["bob"]
        honest = r.judge()
        assert next(d for d in honest.decisions if d.contribution == bob).accepted
        others = [c for c in r.candidates if c.contribution != bob]
        lie = Decision.reject(bob, RejectionReason.HARMS_METRIC, "worse: trust me")
        return r.judge(others, [lie])

    report, ids = await _lie_and_verify(live_chain, live_store, reject_bob)
    failed = _failed(report)
    assert (
        f"#{ids['bob']}: recorded Reject(HarmsMetric), the rule gives Accept"
        in (failed["verdicts"])
    )


async def test_a_wrongful_duplicate_is_named(live_chain: CmuChain, live_store: IpfsStore) -> None:
    def call_bob_a_copy(r: Round, ids: dict[str, int]) -> PreparedVersion:
        bob = ids["bob"]
        others = [c for c in r.candidates if c.contribution != bob]
        lie = Decision.reject(bob, RejectionReason.DUPLICATE, "all rows are copies: trust me")
        return r.judge(others, [lie])

    report, ids = await _lie_and_verify(live_chain, live_store, call_bob_a_copy)
    failed = _failed(report)
    assert (
        f"#{ids['bob']}: Duplicate, but only 0 of {len(model_rows(0))} rows repeat known rows"
        in (failed["verdicts"])
    )


async def test_a_wrongful_unreachable_is_named(live_chain: CmuChain, live_store: IpfsStore) -> None:
    def call_bob_unreachable(r: Round, ids: dict[str, int]) -> PreparedVersion:
        bob = ids["bob"]
        others = [c for c in r.candidates if c.contribution != bob]
        lie = Decision.reject(bob, RejectionReason.UNREACHABLE, "timed out: trust me")
        return r.judge(others, [lie])

    report, ids = await _lie_and_verify(live_chain, live_store, call_bob_unreachable)
    assert (
        f"#{ids['bob']}: Unreachable, but its data can be fetched" in (_failed(report)["verdicts"])
    )


async def test_a_card_without_the_rule_does_not_pass_unchecked(
    live_chain: CmuChain, live_store: IpfsStore
) -> None:
    """A trainer cannot dodge the verdict checks by leaving the rule out of its card."""

    def hide_the_rule(r: Round, ids: dict[str, int]) -> PreparedVersion:
        bob = ids["bob"]
        others = [c for c in r.candidates if c.contribution != bob]
        lie = Decision.reject(bob, RejectionReason.HARMS_METRIC, "worse: trust me")
        return r.judge(others, [lie])

    report, _ = await _lie_and_verify(live_chain, live_store, hide_the_rule, drop_rule=True)
    assert "the card names no judging rule" in _failed(report)["verdicts"]


async def test_data_no_contribution_registered_is_named(
    live_chain: CmuChain, live_store: IpfsStore
) -> None:
    holdout = demo_data.story_slices().holdout
    stored = await live_store.put(holdout.to_csv())  # the trainer's own rows, in IPFS
    data = Dataset(holdout.feature_names, holdout.features, holdout.labels)
    ref = DataRef(stored.cid, stored.sha256, data.rows, None)

    def smuggle(r: Round, _ids: dict[str, int]) -> PreparedVersion:
        honest = r.judge()
        recipe = dataclasses.replace(honest.recipe, data=(*honest.recipe.data, ref))
        return r.trained_on(honest, recipe, {ref.sha256: data})

    report, _ = await _lie_and_verify(live_chain, live_store, smuggle)
    failed = _failed(report)
    assert f"{stored.cid} is data no accepted contribution registered" in failed["data provenance"]


async def test_a_recipe_that_is_not_the_specs_is_caught(
    live_chain: CmuChain, live_store: IpfsStore
) -> None:
    def more_rounds(r: Round, _ids: dict[str, int]) -> PreparedVersion:
        honest = r.judge()
        recipe = dataclasses.replace(
            honest.recipe, num_boost_round=honest.recipe.num_boost_round + 7
        )
        return r.trained_on(honest, recipe, {})

    report, _ = await _lie_and_verify(live_chain, live_store, more_rounds)
    failed = _failed(report)
    assert "rounds, the spec says" in failed["recipe vs spec"]
