"""Fetching what training needs from IPFS, hash-checked against the chain, with caches.

Everything is content addressed, so caches are keyed by sha2-256 and never go stale.
Specs, validation sets, artifacts, recipes and data sets are parsed once and kept while
they fit: each cache is bounded by the bytes it holds (parsed data sets by their arrays),
not by a number of entries, so a few large data sets cannot take the worker's memory.
Parsing a data set runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from cmu_client.dataset import Dataset, load_table_async
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import MAX_SPEC_BYTES, ContentRef, ModelSpec, parse_spec
from cmu_client.types import Model, Version
from offchain.cid import MAX_SINGLE_BLOCK, raw_cid_from_sha256
from offchain.private_sets import PrivateSets
from offchain.recipe import DataRef, Recipe

_K = TypeVar("_K")
_V = TypeVar("_V")


#: Bytes of parsed data sets a worker keeps (``$CMU_WORKER_CACHE_BYTES``, default 1 GiB).
DEFAULT_CACHE_BYTES = 1 << 30
CACHE_BYTES_ENV = "CMU_WORKER_CACHE_BYTES"


def cache_bytes_from_env() -> int:
    text = os.environ.get(CACHE_BYTES_ENV, "").strip()
    try:
        value = int(text) if text else DEFAULT_CACHE_BYTES
    except ValueError:
        raise CmuError(
            f"${CACHE_BYTES_ENV} is {text!r}, not a number of bytes",
            f"set it to an integer such as {DEFAULT_CACHE_BYTES}, or unset it",
        ) from None
    return max(0, value)


class LruCache(Generic[_K, _V]):
    """A least-recently-used map bounded by the total size of its values.

    ``size_of`` measures a value (default: 1, so ``capacity`` counts entries). Putting a
    value evicts the least recently used ones until the total fits; a value larger than
    the whole capacity is returned but not kept.
    """

    def __init__(self, capacity: int, size_of: Callable[[_V], int] | None = None) -> None:
        self.capacity = capacity
        self._size_of = size_of or (lambda _: 1)
        self._items: OrderedDict[_K, tuple[_V, int]] = OrderedDict()
        self.size = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: _K) -> _V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: _K, value: _V) -> _V:
        size = self._size_of(value)
        old = self._items.pop(key, None)
        if old is not None:
            self.size -= old[1]
        if size > self.capacity:
            return value
        self._items[key] = (value, size)
        self.size += size
        while self.size > self.capacity:
            _, (_, dropped) = self._items.popitem(last=False)
            self.size -= dropped
        return value


class Inputs:
    """Verified, parsed documents of one IPFS store.

    ``cache_bytes`` bounds the parsed data sets kept (their arrays' bytes); artifacts get an
    eighth of it, specs and recipes 16 MiB each (by their stored size).
    """

    def __init__(
        self,
        store: IpfsStore,
        private: PrivateSets | None = None,
        *,
        cache_bytes: int | None = None,
    ) -> None:
        self.store = store
        #: Private validation sets this trainer holds (``--validation-dir``).
        self.private = private or PrivateSets(None)
        budget = cache_bytes_from_env() if cache_bytes is None else cache_bytes
        documents = 16 << 20
        self._specs: LruCache[bytes, tuple[ModelSpec, int]] = LruCache(documents, _second)
        self._datasets: LruCache[tuple[bytes, bytes], Dataset] = LruCache(
            budget, lambda data: data.nbytes
        )
        self._artifacts: LruCache[bytes, bytes] = LruCache(budget // 8, len)
        self._recipes: LruCache[bytes, tuple[Recipe, int]] = LruCache(documents, _second)

    async def spec(self, model: Model) -> tuple[ModelSpec, ContentRef]:
        """The model's current spec document and its reference."""
        ref = ContentRef(model.spec_cid, model.spec_hash)
        return await self.spec_at(ref, f"model {model.id} spec"), ref

    async def spec_at(self, ref: ContentRef, what: str = "spec") -> ModelSpec:
        cached = self._specs.get(ref.sha256)
        if cached is not None:
            return cached[0]
        raw = await self.store.get(ref.cid, ref.sha256, what, max_bytes=MAX_SPEC_BYTES)
        return self._specs.put(ref.sha256, (parse_spec(raw), len(raw)))[0]

    async def validation(self, spec: ModelSpec, model: int | None = None) -> Dataset:
        """The spec's validation set, parsed against the spec: from IPFS, or for a private
        set from the trainer's own copy (:class:`PrivateSetMissing` when it has none)."""
        if spec.validation is None:
            raise CmuError(
                f"the spec of {spec.name!r} names no validation set",
                "the owner must set a spec with a validation {cid, sha256}",
            )
        ref = spec.validation
        if not spec.validation_private:
            return await self.dataset(ref.cid, ref.sha256, spec, "validation")
        key = (ref.sha256, spec.to_bytes())
        cached = self._datasets.get(key)
        if cached is not None:
            return cached
        raw = self.private.get(ref, model)
        data = await load_table_async(raw, spec, subject=f"private validation set {ref.cid}")
        return self._datasets.put(key, data)

    async def dataset(
        self, cid: str, sha256: bytes, spec: ModelSpec, what: str, max_bytes: int | None = None
    ) -> Dataset:
        """A labelled data set (CSV or Parquet), hash-checked and parsed in a worker thread
        (DataError when it is invalid)."""
        key = (sha256, spec.to_bytes())
        cached = self._datasets.get(key)
        if cached is not None:
            return cached
        raw = await self.store.get(cid, sha256, what, max_bytes=max_bytes)
        data = await load_table_async(raw, spec, subject=f"{what} {cid}")
        del raw  # the bytes are not kept: only the arrays are cached
        return self._datasets.put(key, data)

    async def learned(self, refs: tuple[DataRef, ...], spec: ModelSpec) -> list[Dataset]:
        """The data sets a recipe lists, in order."""
        return [await self.dataset(ref.cid, ref.sha256, spec, _data_label(ref)) for ref in refs]

    async def artifact(self, version: Version) -> bytes:
        """A version's model text, checked against its on-chain hash."""
        cached = self._artifacts.get(version.artifact_hash)
        if cached is not None:
            return cached
        raw = await self.store.get(
            version.artifact_cid,
            version.artifact_hash,
            f"model {version.model} version {version.id} artifact",
            kind="artifact",
        )
        return self._artifacts.put(version.artifact_hash, raw)

    async def recipe(self, recipe_hash: bytes, what: str = "recipe") -> Recipe:
        """The recipe with this hash, from the CID the hash names (an encrypted recipe:
        from the CID its version's opened key envelope lists)."""
        cached = self._recipes.get(recipe_hash)
        if cached is not None:
            return cached[0]
        cid = self.store.locate(recipe_hash) or raw_cid_from_sha256(recipe_hash)
        raw = await self.store.get(cid, recipe_hash, what, max_bytes=MAX_SINGLE_BLOCK)
        return self._recipes.put(recipe_hash, (Recipe.from_bytes(raw), len(raw)))[0]


def _second(item: tuple[object, int]) -> int:
    return item[1]


def _data_label(ref: DataRef) -> str:
    return "initial data" if ref.contribution is None else f"contribution {ref.contribution} data"
