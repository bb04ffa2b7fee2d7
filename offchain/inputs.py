"""Fetching what training needs from IPFS, hash-checked against the chain, with caches.

Everything is content addressed, so caches are keyed by sha2-256 and never go stale.
Specs, validation sets, artifacts, recipes and data sets are parsed once per worker run.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from cmu_client.dataset import Dataset, load_csv
from cmu_client.errors import CmuError
from cmu_client.ipfs import IpfsStore
from cmu_client.spec import MAX_SPEC_BYTES, ContentRef, ModelSpec, parse_spec
from cmu_client.types import Model, Version
from offchain.cid import MAX_SINGLE_BLOCK, raw_cid_from_sha256
from offchain.recipe import DataRef, Recipe

_K = TypeVar("_K")
_V = TypeVar("_V")


class LruCache(Generic[_K, _V]):
    """A small least-recently-used map."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> _V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value


class Inputs:
    """Verified, parsed documents of one IPFS store."""

    def __init__(self, store: IpfsStore, cache_entries: int = 64) -> None:
        self.store = store
        self._specs: LruCache[bytes, ModelSpec] = LruCache(cache_entries)
        self._datasets: LruCache[tuple[bytes, bytes], Dataset] = LruCache(cache_entries)
        self._artifacts: LruCache[bytes, bytes] = LruCache(8)
        self._recipes: LruCache[bytes, Recipe] = LruCache(cache_entries * 4)

    async def spec(self, model: Model) -> tuple[ModelSpec, ContentRef]:
        """The model's current spec document and its reference."""
        ref = ContentRef(model.spec_cid, model.spec_hash)
        return await self.spec_at(ref, f"model {model.id} spec"), ref

    async def spec_at(self, ref: ContentRef, what: str = "spec") -> ModelSpec:
        cached = self._specs.get(ref.sha256)
        if cached is not None:
            return cached
        raw = await self.store.get(ref.cid, ref.sha256, what, max_bytes=MAX_SPEC_BYTES)
        return self._specs.put(ref.sha256, parse_spec(raw))

    async def validation(self, spec: ModelSpec) -> Dataset:
        """The spec's validation set, parsed against the spec."""
        if spec.validation is None:
            raise CmuError(
                f"the spec of {spec.name!r} names no validation set",
                "the owner must set a spec with a validation {cid, sha256}",
            )
        return await self.dataset(spec.validation.cid, spec.validation.sha256, spec, "validation")

    async def dataset(
        self, cid: str, sha256: bytes, spec: ModelSpec, what: str, max_bytes: int | None = None
    ) -> Dataset:
        """A labelled CSV data set, hash-checked and parsed (DataError when it is invalid)."""
        key = (sha256, spec.to_bytes())
        cached = self._datasets.get(key)
        if cached is not None:
            return cached
        raw = await self.store.get(cid, sha256, what, max_bytes=max_bytes)
        return self._datasets.put(key, load_csv(raw, spec, subject=f"{what} {cid}"))

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
        )
        return self._artifacts.put(version.artifact_hash, raw)

    async def recipe(self, recipe_hash: bytes, what: str = "recipe") -> Recipe:
        """The recipe with this hash, from the CID the hash names."""
        cached = self._recipes.get(recipe_hash)
        if cached is not None:
            return cached
        raw = await self.store.get(
            raw_cid_from_sha256(recipe_hash), recipe_hash, what, max_bytes=MAX_SINGLE_BLOCK
        )
        return self._recipes.put(recipe_hash, Recipe.from_bytes(raw))


def _data_label(ref: DataRef) -> str:
    return "initial data" if ref.contribution is None else f"contribution {ref.contribution} data"
