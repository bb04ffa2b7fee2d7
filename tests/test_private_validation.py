"""A private validation set, committed and later revealed (live chain and Kubo).

The owner commits to the set by CID and hash; its bytes are not in IPFS, so contributors
cannot tune to it. A trainer given the file trains; one without it says what is missing and
judges nothing. A third party cannot verify until the owner rotates to a new set and reveals
the old one at exactly the committed CID; then verify matches.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from fixtures_client import Accounts, CliResult, csv_rows, run_cli, spec_document
from fixtures_worker import inputs_for, run_worker

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore
from cmu_client.types import ContributionState, RoleSet
from offchain.inputs import Inputs
from offchain.private_sets import PrivateSetMissing, PrivateSets
from offchain.verify import verify_version


async def cli(*args: str) -> CliResult:
    """``cmu ARGS`` in a thread: the CLI runs its own event loop."""
    return await asyncio.to_thread(run_cli, *args)


async def _in_ipfs(settings: IpfsSettings, cid: str) -> bool:
    async with IpfsStore(settings) as store:
        try:
            await asyncio.wait_for(store.size(cid), timeout=20)
        except (CmuError, TimeoutError):
            return False
        return True


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {name: tmp_path / f"{name}.csv" for name in ("data", "validation", "next", "more")}
    # Fresh rows each run: a set committed here must be new to Kubo.
    seed = secrets.randbelow(10**9)
    out["data"].write_bytes(csv_rows(300, seed=seed))
    out["validation"].write_bytes(csv_rows(150, seed=seed + 1))
    out["next"].write_bytes(csv_rows(150, seed=seed + 2))
    out["more"].write_bytes(csv_rows(120, seed=seed + 3))
    spec = spec_document()
    spec["lightgbm"]["update_mode"] = "retrain"
    out["spec"] = tmp_path / "spec.json"
    out["spec"].write_text(json.dumps(spec))
    private_dir = tmp_path / "private"
    private_dir.mkdir()
    (private_dir / "held.csv").write_bytes(out["validation"].read_bytes())
    out["private_dir"] = private_dir
    return out


async def test_commit_train_rotate_reveal_verify(
    client_env: Accounts,
    client_chain: CmuChain,
    client_ipfs: IpfsSettings,
    files: dict[str, Path],
    tmp_path: Path,
) -> None:
    chain = client_chain
    owner = client_env.uri("owner")
    created = await cli(
        "model", "create", "--spec", str(files["spec"]), "--data", str(files["data"]),
        "--validation", str(files["validation"]), "--private-validation",
        "--key", owner, "--json",
    )  # fmt: skip
    assert created.code == 0, created.err
    model = created.json()["model"]
    committed = created.json()["validation_cid"]
    shown = (await cli("validation", "show", str(model), "--json")).json()
    assert shown == {
        "model": model,
        "cid": committed,
        "sha256": shown["sha256"],
        "private": True,
    }
    # committed, not published: Kubo does not have the bytes
    assert not await _in_ipfs(client_ipfs, committed)

    trainer = client_env.trainer
    await asyncio.to_thread(
        chain.grant_role, client_env.owner, model, trainer.ss58_address, RoleSet.TRAINER
    )
    contributed = await cli(
        "contribute", "register", str(model), str(files["more"]),
        "--key", client_env.uri("contributor"), "--json",
    )  # fmt: skip
    assert contributed.code == 0, contributed.err

    async with IpfsStore(client_ipfs) as store:
        # A trainer without the file cannot judge, and is told what is missing.
        record = await asyncio.to_thread(chain.model, model)
        spec, _ = await inputs_for(store).spec(record)
        with pytest.raises(PrivateSetMissing) as missing:
            await Inputs(store, PrivateSets(None)).validation(spec, model)
        assert "validation set is private" in missing.value.message
        assert "--validation-dir" in (missing.value.hint or "")
        # Given the file, it trains.
        await run_worker(
            chain, store, tmp_path / "w2", model, uri=client_env.uri("trainer"),
            validation_dir=files["private_dir"],
        )  # fmt: skip
        assert (await asyncio.to_thread(chain.model, model)).head == 1
        # The worker pins the recipe's inputs, but not a private set (not in IPFS).
        assert not await _in_ipfs(client_ipfs, committed)
        [settled] = history.contributions(chain, model)
        assert settled.status.state is not ContributionState.PENDING

        # A third party cannot verify yet, and is told why.
        early = await verify_version(chain, inputs_for(store), model, 1)
        assert not early.matches
        failed = {c.name: c.detail for c in early.checks if not c.ok}
        assert "private" in failed["validation"] and "revealed" in failed["validation"]

    # Refusals change nothing.
    spec_before = chain.model(model).spec_cid
    not_owner = await cli(
        "validation", "rotate", str(model), "--file", str(files["next"]),
        "--key", client_env.uri("outsider"),
    )  # fmt: skip
    assert not_owner.code == 2 and "only the model's owner" in not_owner.err
    wrong = await cli(
        "validation", "rotate", str(model), "--file", str(files["next"]),
        "--reveal", str(files["next"]), "--key", owner,
    )  # fmt: skip
    assert wrong.code == 2 and "is not the committed validation set" in wrong.err
    active = await cli("validation", "reveal", str(model), str(files["validation"]))
    assert active.code == 2 and "current private validation set" in active.err
    assert chain.model(model).spec_cid == spec_before
    assert not await _in_ipfs(client_ipfs, committed)

    # Rotate to a new private set and reveal the old one at its committed CID.
    rotated = await cli(
        "validation", "rotate", str(model), "--file", str(files["next"]),
        "--reveal", str(files["validation"]), "--key", owner, "--json",
    )  # fmt: skip
    assert rotated.code == 0, rotated.err
    summary = rotated.json()
    assert summary["revealed"] == committed and summary["private"] is True
    assert chain.model(model).spec_cid == summary["spec_cid"] != spec_before
    assert not await _in_ipfs(client_ipfs, summary["validation_cid"])

    async with IpfsStore(client_ipfs) as store:
        late = await verify_version(chain, inputs_for(store), model, 1)
    assert late.matches, [c for c in late.checks if not c.ok]
