"""Reading a model's history in bulk: lineage and contributions, a page per request.

Version and contribution ids are dense per model (0..count-1), so the entries of a page
of ids are fetched ``page_size`` at a time with one ``state_queryStorageAt``
(:meth:`CmuChain.read_entries`: substrate-interface builds the keys from the metadata). The
lineage walk goes from a version (the head by default) through ``parent`` links to the
first version; as parents always have smaller ids, it reads descending windows of ids
and follows the links inside each window. :func:`lineage_via_api` asks the runtime's
``CmuApi.lineage`` instead (one ``state_call`` per 1,000 versions).
"""

from __future__ import annotations

import struct
from typing import Any

from scalecodec.base import ScaleBytes

from cmu_client import decode
from cmu_client.chain import CmuChain
from cmu_client.errors import NotFoundError
from cmu_client.types import (
    Contribution,
    ContributionId,
    ContributionState,
    Lineage,
    ModelId,
    Version,
    VersionId,
)

DEFAULT_PAGE = 256
#: The runtime API's cap on one lineage page (pallet/src/runtime_api.rs).
API_LINEAGE_PAGE = 1000


def read_versions(
    chain: CmuChain, model: ModelId, ids: list[VersionId], at: str | None = None
) -> dict[VersionId, Version]:
    """The given versions in one storage request (absent ones are left out)."""
    values = chain.read_entries("Versions", [(model, i) for i in ids], at)
    return {
        i: decode.version(model, i, v) for i, v in zip(ids, values, strict=True) if v is not None
    }


def read_contributions(
    chain: CmuChain, model: ModelId, ids: list[ContributionId], at: str | None = None
) -> dict[ContributionId, Contribution]:
    values = chain.read_entries("Contributions", [(model, i) for i in ids], at)
    return {
        i: decode.contribution(model, i, v)
        for i, v in zip(ids, values, strict=True)
        if v is not None
    }


def lineage(
    chain: CmuChain,
    model: ModelId,
    start: VersionId | None = None,
    limit: int | None = None,
    page_size: int = DEFAULT_PAGE,
) -> Lineage:
    """Versions from ``start`` (default: the head) back to the first, newest first."""
    at = chain.head_hash()  # one consistent snapshot for every page
    info = chain.model(model)
    current = info.head if start is None else start
    if current is None:
        return Lineage(model, ())
    if current >= info.version_count:
        raise NotFoundError(f"model {model} has no version {current}")
    walked: list[Version] = []
    cache: dict[VersionId, Version] = {}
    # A short walk (the monitor's 12 versions) reads a window of its own size first.
    window = page_size if limit is None else max(1, min(page_size, limit))
    while current is not None and (limit is None or len(walked) < limit):
        if current not in cache:
            low = max(0, current - window + 1)
            cache = read_versions(chain, model, list(range(current, low - 1, -1)), at)
            if current not in cache:
                raise NotFoundError(f"model {model} has no version {current}")
        version = cache[current]
        walked.append(version)
        current = version.parent
    return Lineage(model, tuple(walked))


def all_versions(chain: CmuChain, model: ModelId, page_size: int = DEFAULT_PAGE) -> list[Version]:
    """Every version of the model, by id (branches included), in pages."""
    count = chain.model(model).version_count
    at = chain.head_hash()
    found: dict[VersionId, Version] = {}
    for low in range(0, count, page_size):
        found.update(read_versions(chain, model, list(range(low, min(count, low + page_size))), at))
    return [found[i] for i in sorted(found)]


def contributions(
    chain: CmuChain,
    model: ModelId,
    state: ContributionState | None = None,
    page_size: int = DEFAULT_PAGE,
) -> list[Contribution]:
    """Every contribution of the model (optionally of one state), by id, in pages."""
    count = chain.model(model).contribution_count
    at = chain.head_hash()
    result: list[Contribution] = []
    for low in range(0, count, page_size):
        page = read_contributions(chain, model, list(range(low, min(count, low + page_size))), at)
        result.extend(page[i] for i in sorted(page))
    if state is not None:
        result = [c for c in result if c.status.state is state]
    return result


def pending_contribution_ids(
    chain: CmuChain, model: ModelId, page_size: int = DEFAULT_PAGE
) -> list[ContributionId]:
    """Ids in the ``PendingContributions`` index (``state_getKeysPaged``, in pages)."""
    return sorted(
        int(i) for i in chain.map_keys("PendingContributions", [model], page_size=page_size)
    )


def pending_contributions(
    chain: CmuChain, model: ModelId, page_size: int = DEFAULT_PAGE
) -> list[Contribution]:
    """The pending contributions with their records, in pages."""
    ids = pending_contribution_ids(chain, model, page_size)
    at = chain.head_hash()
    found: dict[ContributionId, Contribution] = {}
    for low in range(0, len(ids), page_size):
        found.update(read_contributions(chain, model, ids[low : low + page_size], at))
    return [found[i] for i in sorted(found)]


# --- the runtime API ---------------------------------------------------------------


def _decode_id_record_list(
    chain: CmuChain, data: ScaleBytes, record_type: str
) -> list[tuple[int, Any]]:
    """Decode a ``Vec<(u32, Record)>`` returned by a runtime API call."""

    def action(substrate: Any) -> list[tuple[int, Any]]:
        config = substrate.runtime_config
        length = config.create_scale_object("Compact<u32>", data=data)
        count = int(length.decode(check_remaining=False))
        items: list[tuple[int, Any]] = []
        for _ in range(count):
            (record_id,) = struct.unpack("<I", data.get_next_bytes(4))
            obj = config.create_scale_object(record_type, data=data, metadata=substrate.metadata)
            items.append((record_id, obj.decode(check_remaining=False)))
        return items

    return chain.connection.run(action, what="runtime API decode")


def lineage_via_api(
    chain: CmuChain,
    model: ModelId,
    start: VersionId | None = None,
    limit: int | None = None,
) -> Lineage:
    """The lineage from ``CmuApi.lineage``, 1,000 versions per call."""
    at = chain.head_hash()
    record_type = chain.value_type("Versions")
    walked: list[Version] = []
    current = start
    first = True
    while first or current is not None:
        page = API_LINEAGE_PAGE if limit is None else min(API_LINEAGE_PAGE, limit - len(walked))
        if page <= 0:
            break
        params = struct.pack("<I", model)
        params += b"\x00" if current is None else b"\x01" + struct.pack("<I", current)
        params += struct.pack("<I", page)
        raw = chain.state_call("CmuApi_lineage", params, at)
        items = _decode_id_record_list(chain, raw, record_type)
        if first and not items and start is not None:
            raise NotFoundError(f"model {model} has no version {start}")
        first = False
        walked.extend(decode.version(model, vid, value) for vid, value in items)
        if len(items) < page or not walked:
            break
        current = walked[-1].parent
    return Lineage(model, tuple(walked))


def pending_via_api(chain: CmuChain, model: ModelId) -> list[Contribution]:
    """Pending contributions from ``CmuApi.pending_contributions`` (one call), by id."""
    raw = chain.state_call("CmuApi_pending_contributions", struct.pack("<I", model))
    items = _decode_id_record_list(chain, raw, chain.value_type("Contributions"))
    # The runtime returns storage (hash) order; callers get id order, as everywhere else.
    return sorted(
        (decode.contribution(model, cid, value) for cid, value in items), key=lambda c: c.id
    )
