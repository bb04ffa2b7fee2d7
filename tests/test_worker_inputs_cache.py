"""The worker's input caches are bounded by bytes, and data sets are parsed off the event
loop. No chain or IPFS needed (a stand-in store)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from fixtures_client import csv_rows, make_spec, sha

from cmu_client.dataset import Dataset
from cmu_client.errors import CmuError
from offchain.inputs import CACHE_BYTES_ENV, Inputs, LruCache, cache_bytes_from_env


def test_lru_is_bounded_by_the_size_of_its_values() -> None:
    cache: LruCache[str, bytes] = LruCache(10, len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recently used
    cache.put("c", b"1234")  # 12 bytes > 10: b (least recently used) goes
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    assert cache.size == 8 and len(cache) == 2
    assert cache.put("huge", b"x" * 11) == b"x" * 11  # returned, not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2
    cache.put("a", b"1")  # replacing a value counts its new size
    assert cache.size == 5


def test_lru_counts_entries_without_a_size() -> None:
    cache: LruCache[int, str] = LruCache(2)
    for i in range(3):
        cache.put(i, str(i))
    assert cache.get(0) is None and len(cache) == 2


def test_cache_budget_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_BYTES_ENV, "12345")
    assert cache_bytes_from_env() == 12345
    monkeypatch.setenv(CACHE_BYTES_ENV, "lots")
    with pytest.raises(CmuError, match="not a number of bytes"):
        cache_bytes_from_env()


class _Store:
    """Serves fixed bytes by CID and records the threads that parse them."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.gets = 0

    async def get(self, cid: str, expected: bytes, what: str, **kwargs: Any) -> bytes:
        self.gets += 1
        return self.objects[cid]


async def test_data_sets_are_cached_by_their_bytes_and_parsed_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = make_spec()
    files = {f"cid{i}": csv_rows(1000, seed=i) for i in range(3)}
    store = _Store(files)
    loop_thread = threading.get_ident()
    parsed_in: list[int] = []
    import cmu_client.dataset as dataset

    original = dataset.load_table

    def spy(*args: Any, **kwargs: Any) -> Dataset:
        parsed_in.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(dataset, "load_table", spy)
    one = 1000 * 4 * 8 + 1000 * 8  # features and labels of a 1,000-row data set
    inputs = Inputs(store, cache_bytes=2 * one)  # type: ignore[arg-type]
    first = await inputs.dataset("cid0", sha(files["cid0"]), spec, "data")
    assert first.nbytes == one
    assert parsed_in and loop_thread not in parsed_in
    await inputs.dataset("cid0", sha(files["cid0"]), spec, "data")
    assert store.gets == 1  # cached
    await inputs.dataset("cid1", sha(files["cid1"]), spec, "data")
    await inputs.dataset("cid2", sha(files["cid2"]), spec, "data")  # evicts cid0
    await inputs.dataset("cid0", sha(files["cid0"]), spec, "data")
    assert store.gets == 4
    # while one data set is being parsed the loop keeps running
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    big = csv_rows(20_000, seed=7)
    store.objects["big"] = big
    await inputs.dataset("big", sha(big), spec, "data")
    ticker.cancel()
    assert ticks > 1
