"""Row-level leak and copy checks (offchain/overlap.py) through the real worker, chain and
Kubo: a contribution that repeats the validation set, data already accepted, or an earlier
pending contribution's rows is rejected as Duplicate with a reason that says how many rows
overlapped with what; a few chance repeats are not."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import random
import re
from pathlib import Path

import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    contribute,
    create_live_model,
    run_worker,
)

from cmu_client import history
from cmu_client.chain import CmuChain
from cmu_client.ipfs import IpfsStore
from cmu_client.types import Contribution, ContributionState, RejectionReason
from offchain import demo_data
from offchain.overlap import MAX_OVERLAP_SHARE

BOB, CHARLIE, DAVE = CONTRIBUTOR_URIS


def shuffled(raw: bytes, seed: int = 3) -> bytes:
    """The same CSV with its data rows in another order."""
    header, *rows = raw.decode().splitlines()
    random.Random(seed).shuffle(rows)
    return ("\n".join([header, *rows]) + "\n").encode()


def rewritten(raw: bytes, seed: int = 4) -> bytes:
    """The same rows written differently: shuffled rows, columns in reverse order, whole
    numbers without their ".0" ("1001" for "1001.0"), other numbers with a trailing zero
    ("13.540" for "13.54") and labels as class indices ("0" for "malignant")."""

    def cell(text: str) -> str:
        if text in demo_data.CLASSES:
            return str(demo_data.CLASSES.index(text))
        value = float(text)
        if value.is_integer():
            return str(int(value))
        return text + "0" if "e" not in text else text

    table = list(csv.reader(io.StringIO(raw.decode())))
    header, rows = table[0], table[1:]
    random.Random(seed).shuffle(rows)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(reversed(header)))
    writer.writerows([[cell(c) for c in reversed(row)] for row in rows])
    return out.getvalue().encode()


def rows_of(raw: bytes) -> list[str]:
    return raw.decode().splitlines()[1:]


def with_rows(raw: bytes, rows: list[str]) -> bytes:
    return ("\n".join([raw.decode().splitlines()[0], *rows]) + "\n").encode()


async def settled(chain: CmuChain, model: int) -> dict[int, Contribution]:
    return {c.id: c for c in await asyncio.to_thread(history.contributions, chain, model)}


def reason(caplog: pytest.LogCaptureFixture, contribution: int) -> str:
    """The reason the worker logged for its verdict on ``contribution``."""
    pattern = re.compile(rf"contribution #{contribution} -> (\S+) \((.*)\)$")
    found = [m for r in caplog.records if (m := pattern.search(r.getMessage()))]
    assert found, f"no verdict logged for #{contribution}"
    return found[-1].group(2)


async def test_copies_of_the_validation_set_are_rejected_and_a_few_shared_rows_are_not(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="offchain.round")
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    validation = model.slices.validation.to_csv()
    assert rewritten(validation) != validation and shuffled(validation) != validation
    good = model.slices.contributions[0].to_csv()
    # Two validation rows inside an honest slice: 2 of 76 rows (under 5%).
    few = with_rows(good, rows_of(good) + rows_of(validation)[:2])
    assert 2 / (len(rows_of(few))) < MAX_OVERLAP_SHARE

    shuffled_copy, _ = await contribute(chain, store, BOB, model.id, shuffled(validation))
    rewritten_copy, _ = await contribute(chain, store, CHARLIE, model.id, rewritten(validation))
    honest, _ = await contribute(chain, store, DAVE, model.id, few)
    await run_worker(chain, store, tmp_path, model.id)

    records = await settled(chain, model.id)
    for copy in (shuffled_copy, rewritten_copy):
        assert records[copy].status.state is ContributionState.REJECTED, copy
        assert records[copy].status.reason is RejectionReason.DUPLICATE, copy
    assert records[honest].status.state is ContributionState.ACCEPTED
    v1 = await asyncio.to_thread(chain.version, model.id, 1)
    assert v1.contributions == (honest,)
    # The reason says how many rows overlapped with what.
    for copy in (shuffled_copy, rewritten_copy):
        detail = reason(caplog, copy)
        assert detail.startswith("150 of 150 rows (100%) are rows of the validation set"), detail


async def test_a_shuffled_copy_of_accepted_data_is_a_copy_and_row_keys_are_cached(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="offchain.round")
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    first = model.slices.contributions[0].to_csv()
    accepted, _ = await contribute(chain, store, BOB, model.id, first)
    worker = await run_worker(chain, store, tmp_path, model.id)
    assert (await settled(chain, model.id))[accepted].status.state is ContributionState.ACCEPTED
    # The worker hashed the validation set and the initial data once and kept the keys.
    cached = sorted(p.name for p in (tmp_path / "rows").glob("*.npy"))
    assert len(cached) == 2 and worker.runner.rows.cache.hashed == 2

    # Half of the accepted slice, shuffled, with new rows: 37 of 74 rows are copies.
    half = rows_of(first)[: len(rows_of(first)) // 2]
    fresh_rows = rows_of(model.slices.contributions[1].to_csv())[: len(half)]
    mixed = shuffled(with_rows(first, half + fresh_rows))
    copy_of_accepted, _ = await contribute(chain, store, CHARLIE, model.id, shuffled(first))
    copy_of_initial, _ = await contribute(chain, store, DAVE, model.id, shuffled(model.initial_csv))
    half_copy, _ = await contribute(chain, store, BOB, model.id, mixed)
    # A new worker process (empty memory): the accepted data is hashed once, the rest
    # comes from the state directory's cache.
    again = await run_worker(chain, store, tmp_path, model.id)
    assert again.runner.rows.cache.hashed == 1
    assert len(list((tmp_path / "rows").glob("*.npy"))) == 3

    records = await settled(chain, model.id)
    for copy in (copy_of_accepted, copy_of_initial, half_copy):
        assert records[copy].status.reason is RejectionReason.DUPLICATE, copy
        assert records[copy].settled_in == 2
    rows = len(rows_of(first))
    assert reason(caplog, copy_of_accepted).startswith(
        f"{rows} of {rows} rows (100%) are rows of data already accepted into the model"
    )
    assert f"contribution #{accepted}: {rows}" in reason(caplog, copy_of_accepted)
    assert "the initial data: 120" in reason(caplog, copy_of_initial)
    detail = reason(caplog, half_copy)
    assert detail.startswith(f"{len(half)} of {2 * len(half)} rows (50%) are rows of data already")


async def test_the_later_of_two_pending_contributions_sharing_rows_is_rejected(
    live_chain: CmuChain,
    live_store: IpfsStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="offchain.round")
    chain, store = live_chain, live_store
    model = await create_live_model(chain, store)
    parts = model.slices.contributions
    earlier_csv = parts[0].to_csv()
    # 20 of the earlier contribution's rows among 54 others: 20 of 74 rows (27%).
    shared = rows_of(earlier_csv)[:20]
    later_csv = shuffled(with_rows(earlier_csv, shared + rows_of(parts[1].to_csv())[:54]))
    earlier, _ = await contribute(chain, store, BOB, model.id, earlier_csv)
    later, _ = await contribute(chain, store, CHARLIE, model.id, later_csv)
    await run_worker(chain, store, tmp_path, model.id)

    records = await settled(chain, model.id)
    assert records[earlier].status.state is ContributionState.ACCEPTED
    assert records[later].status.reason is RejectionReason.DUPLICATE
    assert reason(caplog, later).startswith(
        f"20 of 74 rows (27%) are rows of contribution #{earlier} (pending, lower id)"
    )
