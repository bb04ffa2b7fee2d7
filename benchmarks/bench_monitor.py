"""Benchmark: the interactive monitor on a model with 1,000 versions.

On the live dev chain it builds (or reuses, ``--model``) a model whose lineage has
``--versions`` versions with an AUC metric each (published in ``batch_all`` groups of
50 by the owner), then, headless (Textual's ``run_test``) at 80x24 and 200x50:

- first read: :meth:`ChainFeed.refresh` from nothing (models, every version,
  contributions, roles, block times, the last blocks' events);
- first render: the app's model screen filled from the feed (summary with the
  sparkline, the versions table with every version, contributions, roles);
- the next tick, which reads the events of the blocks before the start once;
- a quiet tick (no new block) and a tick after one more version is published: what the
  monitor does every poll instead of reading the history again.

Usage: python benchmarks/bench_monitor.py [--versions 1000] [--model ID]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import secrets
import sys
import time

from cmu_client import calls
from cmu_client.chain import CmuChain
from cmu_client.keys import Signer, keypair_from_uri
from cmu_client.types import Metric
from offchain.monitor_tui.app import MonitorApp
from offchain.monitor_tui.feed import STARTUP_BLOCKS, ChainFeed


def build(chain: CmuChain, versions: int) -> tuple[int, Signer]:
    owner = keypair_from_uri(f"//Alice//bench-monitor-{secrets.token_hex(3)}")
    info = chain.info()
    chain.transfer_balance(
        keypair_from_uri("//Alice"),
        owner.ss58_address,
        2_000 * 10**info.token_decimals + info.version_deposit * versions * 2,
    )
    model, _ = chain.create_model(owner, "bafkreibenchmarkspec", bytes(32))
    publishes = [
        calls.publish_version(
            model,
            None if i == 0 else i - 1,
            "bafkreibenchmarkartifact",
            bytes(32),
            i.to_bytes(32, "little"),
            [
                Metric.from_float(
                    "val_auc", 0.8 + 0.15 * (1 - math.exp(-i / 300)) + 0.004 * math.sin(i)
                )
            ],
            card_cid="bafkreibenchmarkcard",
        )
        for i in range(versions)
    ]
    started = time.perf_counter()
    outcomes = chain.submit_many(
        owner, [calls.batch_all(publishes[i : i + 50]) for i in range(0, versions, 50)]
    )
    assert all(o.success for o in outcomes), [o.error for o in outcomes if o.error]
    print(
        f"published {versions} versions of model {model} in {time.perf_counter() - started:.1f} s"
    )
    return model, owner


async def measure(chain: CmuChain, model: int, owner: Signer | None, size: tuple[int, int]) -> None:
    app = MonitorApp(chain, [model], poll=3600)  # ticks only when asked
    feed = app.feed
    async with app.run_test(size=size) as pilot:
        # on_mount already ran one tick; measure a fresh feed read and a full render
        fresh = ChainFeed(chain, [model])
        started = time.perf_counter()
        fresh.refresh()
        read = time.perf_counter() - started
        app.feed = fresh
        app.selected = model
        started = time.perf_counter()
        app._render_models()
        app._render_model(force=True)
        await pilot.pause()
        render = time.perf_counter() - started
        rows = app.query_one("#versions-table").row_count  # type: ignore[attr-defined]
        started = time.perf_counter()
        await app._tick()
        backfill = time.perf_counter() - started
        started = time.perf_counter()
        await app._tick()
        quiet = time.perf_counter() - started
        line = (
            f"{size[0]}x{size[1]}: first read {read * 1e3:.0f} ms, first render "
            f"{render * 1e3:.0f} ms ({rows} version rows), the next tick (reads the last "
            f"{STARTUP_BLOCKS} blocks' events once) {backfill * 1e3:.0f} ms, quiet tick "
            f"{quiet * 1e3:.0f} ms"
        )
        if owner is not None:
            head = fresh.models[model].model.head
            chain.publish_version(
                owner,
                model,
                head,
                "bafkreibenchmarkartifact",
                bytes(32),
                secrets.token_bytes(32),
                [Metric.from_float("val_auc", 0.95)],
                card_cid="bafkreibenchmarkcard",
            )
            started = time.perf_counter()
            await app._tick()
            await pilot.pause()
            line += f", tick after a new version {(time.perf_counter() - started) * 1e3:.0f} ms"
        print(line)
    del feed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--model", type=int)
    args = parser.parse_args()
    chain = CmuChain.connect()
    owner = None
    model = args.model
    if model is None:
        model, owner = build(chain, args.versions)
    for size in ((80, 24), (200, 50)):
        asyncio.run(measure(chain, model, owner, size))
    chain.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
