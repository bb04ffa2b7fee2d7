"""``cmu monitor`` against the live chain: the view shows lineage, metrics and deposits, and
follows new blocks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from fixtures_worker import (
    CONTRIBUTOR_URIS,
    contribute,
    create_live_model,
    run_worker,
    subprocess_env,
)
from rich.console import Console

from cmu_client.blocks import BlockReader
from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from offchain.monitor import collect, render

BOB, CHARLIE, _ = CONTRIBUTOR_URIS


def text_of(renderable: object) -> str:
    console = Console(width=220, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def lineage_title(screen: str, model: int) -> str:
    """The title line of ``model``'s lineage table."""
    for line in screen.splitlines():
        if f"Model {model} lineage (head first)" in line:
            return line
    raise AssertionError(f"no lineage table for model {model}:\n{screen}")


async def test_monitor_shows_lineage_metrics_and_settled_deposits(
    live_chain: CmuChain, live_store: IpfsStore, tmp_path: Path
) -> None:
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    info = await asyncio.to_thread(chain.info)
    blocks = BlockReader(chain.connection)

    before = await asyncio.to_thread(
        collect, chain, [model.id], info, await asyncio.to_thread(blocks.head_number)
    )
    screen = text_of(render(before))
    assert "v0 (head)" in screen and "val_auc" in screen
    assert "permissioned" not in lineage_title(screen, model.id)
    assert f"Model {model.id} contributions" in screen

    good, _ = await contribute(chain, store, BOB, model.id, model.slices.contributions[0].to_csv())
    bad, _ = await contribute(
        chain,
        store,
        CHARLIE,
        model.id,
        model.slices.contributions[1].with_flipped_labels().to_csv(),
    )
    pending = text_of(
        render(
            await asyncio.to_thread(
                collect, chain, [model.id], info, await asyncio.to_thread(blocks.head_number)
            )
        )
    )
    assert pending.count("Pending") >= 2

    await run_worker(chain, store, tmp_path, model.id)
    after = await asyncio.to_thread(
        collect, chain, [model.id], info, await asyncio.to_thread(blocks.head_number)
    )
    assert after.block > before.block
    view = after.views[0]
    assert [v.id for v in view.lineage] == [1, 0]
    screen = text_of(render(after))
    assert "v1 (head)" in screen
    assert "Accepted" in screen and "Rejected(HarmsMetric)" in screen
    assert info.token_symbol in screen  # deposits shown in the chain's token
    row = next(line for line in screen.splitlines() if f"#{bad} " in line and "Rejected" in line)
    assert "v1" in row

    # The CLI prints the same snapshot once.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cmu_client.cli", "monitor", "--once", "--model", str(model.id)],
        env=subprocess_env(COLUMNS="220"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "v1 (head)" in result.stdout and "Rejected(HarmsMetric)" in result.stdout
    assert f"#{good}" in result.stdout
