"""Snapshots of everything a refused input must leave alone, for the bad-input tests.

A :class:`StateSnapshot` holds, read from the live services:

- every storage entry of the ``Cmu`` and ``Nfts`` pallets (raw key -> raw value), so any
  write by a refused call, to any model, shows up;
- free, reserved and held balances (``Balances.Holds``) of the watched accounts;
- every recursive pin of the Kubo node;
- the bytes and mode of the watched local files.

``assert_unchanged`` compares two snapshots and names what differs. An account that paid
a transaction fee for a call refused on chain (dispatched, then failed) may be given with
that exact fee: its free balance must be lower by that much and nothing else may differ.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from substrateinterface.utils.hasher import xxh128

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import IpfsStore

PALLETS = ("Cmu", "Nfts")
PAGE = 1000


@dataclass(frozen=True)
class AccountState:
    free: int
    reserved: int
    holds: str | None


@dataclass(frozen=True)
class StateSnapshot:
    storage: dict[str, str | None]
    accounts: dict[str, AccountState]
    pins: frozenset[str]
    files: dict[str, tuple[str, int] | None] = field(default_factory=dict)


def pallet_storage(chain: CmuChain, pallet: str) -> dict[str, str | None]:
    """Every raw storage entry under ``twox128(pallet)``, at one block."""
    prefix = "0x" + xxh128(pallet.encode()).hex()
    at = chain.head_hash()
    keys: list[str] = []
    start: str | None = None
    while True:
        page = chain.connection.rpc("state_getKeysPaged", [prefix, PAGE, start, at])
        keys += page
        if len(page) < PAGE:
            break
        start = page[-1]
    values: dict[str, str | None] = dict.fromkeys(keys)
    for chunk in range(0, len(keys), 256):
        result = chain.connection.rpc("state_queryStorageAt", [keys[chunk : chunk + 256], at])
        for change_set in result or []:
            for key, value in change_set["changes"]:
                values[key] = value
    return values


def account_state(chain: CmuChain, address: str) -> AccountState:
    balance = chain.balance(address)

    def holds(substrate: Any) -> str | None:
        value = substrate.query("Balances", "Holds", [address]).value
        return None if value is None else repr(value)

    return AccountState(
        balance.free, balance.reserved, chain.connection.run(holds, what="Balances.Holds read")
    )


def pins(settings: IpfsSettings) -> frozenset[str]:
    async def read() -> frozenset[str]:
        async with IpfsStore(settings) as store:
            result = await store.client.pin.ls(pintype="recursive", quiet=True)
        return frozenset((result or {}).get("Keys", {}))

    return asyncio.run(read())


def file_state(path: Path) -> tuple[str, int] | None:
    if not path.exists():
        return None
    # Sparse test files are huge: hash their first MiB and record the size.
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    stat = path.stat()
    return hashlib.sha256(head + str(stat.st_size).encode()).hexdigest(), stat.st_mode


def snapshot(
    chain: CmuChain,
    ipfs: IpfsSettings,
    addresses: Iterable[str] = (),
    files: Iterable[Path] = (),
) -> StateSnapshot:
    return StateSnapshot(
        storage={k: v for p in PALLETS for k, v in pallet_storage(chain, p).items()},
        accounts={a: account_state(chain, a) for a in addresses},
        pins=pins(ipfs),
        files={str(p): file_state(p) for p in files},
    )


def differences(
    before: StateSnapshot, after: StateSnapshot, fees: Mapping[str, int] | None = None
) -> list[str]:
    found: list[str] = []
    changed = {
        k
        for k in before.storage.keys() | after.storage.keys()
        if before.storage.get(k) != after.storage.get(k)
    }
    if changed:
        found.append(f"{len(changed)} Cmu/Nfts storage entries changed, e.g. {sorted(changed)[0]}")
    for address, was in before.accounts.items():
        now = after.accounts[address]
        fee = (fees or {}).get(address, 0)
        expected = AccountState(was.free - fee, was.reserved, was.holds)
        if now != expected:
            found.append(f"account {address}: {was} -> {now} (fee allowed: {fee})")
    if before.pins != after.pins:
        found.append(
            f"pins added {sorted(after.pins - before.pins)}, "
            f"removed {sorted(before.pins - after.pins)}"
        )
    for path, was in before.files.items():
        if after.files.get(path) != was:
            found.append(f"file {path} changed")
    return found


def assert_unchanged(
    before: StateSnapshot, after: StateSnapshot, fees: Mapping[str, int] | None = None
) -> None:
    problems = differences(before, after, fees)
    assert not problems, "state changed: " + "; ".join(problems)


def one_message(text: str) -> list[str]:
    """The ``error:`` lines of a CLI run's stderr; a clean refusal has exactly one,
    followed by a ``hint:`` (problem lists of a validation error are indented)."""
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error line, got: {text!r}"
    assert any(line.startswith("hint:") for line in lines), f"no hint in: {text!r}"
    assert "Traceback" not in text, text
    others = [
        line for line in lines if not line.startswith(("error:", "hint:", "  ", "warning: plugin"))
    ]
    assert not others, f"unexpected output besides the error: {others!r}"
    return errors
