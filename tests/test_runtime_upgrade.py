"""A runtime upgrade of the running dev chain: models, versions and contributions survive it,
and pallet-cmu's storage migration runs exactly once.

The chain runs the parachain runtime (spec N). The upgrade installs the same code built as
spec N + 1 (the runtime's ``upgrade-test`` feature; scripts/build-runtime.sh builds it) with
``Sudo::sudo(System::set_code)``. On a parachain that only schedules the upgrade:
parachain-system stores the code, the relay chain (mocked by chopsticks) sends the go-ahead,
the code is applied, and the first block under the new code runs the migrations.

To make the migration do real work, the test first rewrites pallet-cmu's records into the
layout of storage version 0 (the first pallet's), byte for byte, and sets the pallet's
storage version to 0: the state of a chain that ran the first pallet. Runs a chain of its
own (own run directory and port): it changes the runtime.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures_client import sha
from fixtures_network import run_script
from fixtures_worker import free_port
from substrateinterface import SubstrateInterface
from substrateinterface.utils.hasher import xxh128

from cmu_client.chain import CmuChain
from cmu_client.keys import keypair_from_uri
from cmu_client.types import Metric, RoleSet, Verdict

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = Path(
    os.environ.get("CMU_RUNTIME_DIR", Path.home() / ".cache" / "cmu" / "runtime")
).expanduser()
UPGRADE_WASM = RUNTIME_DIR / "cmu_runtime_upgrade.compact.compressed.wasm"


def _twox128(name: str) -> str:
    return xxh128(name.encode()).hex()


PALLET_PREFIX = "0x" + _twox128("Cmu")
STORAGE_VERSION_KEY = PALLET_PREFIX + _twox128(":__STORAGE_VERSION__:")


def _item_prefix(item: str) -> str:
    return PALLET_PREFIX + _twox128(item)


def _compact_len(data: bytes, at: int) -> tuple[int, int]:
    """(value, bytes used) of the SCALE compact integer at ``data[at]`` (lengths < 2^30)."""
    mode = data[at] & 3
    if mode == 0:
        return data[at] >> 2, 1
    if mode == 1:
        return int.from_bytes(data[at : at + 2], "little") >> 2, 2
    assert mode == 2, "lengths this long do not occur here"
    return int.from_bytes(data[at : at + 4], "little") >> 2, 4


def _skip_bytes_field(data: bytes, at: int) -> int:
    """Offset just past the ``BoundedVec<u8>`` starting at ``at``."""
    length, used = _compact_len(data, at)
    return at + used + length


def version_record_to_v0(value: bytes) -> bytes:
    """`VersionRecord` v1 -> v0: drop `card_cid` (after `recipe_hash`) and the trailing
    `matches` and `mismatches` (u32 each)."""
    at = 5 if value[0] == 1 else 1  # parent: Option<u32>
    at = _skip_bytes_field(value, at)  # artifact_cid
    at += 32 + 32  # artifact_hash, recipe_hash
    card_end = _skip_bytes_field(value, at)
    return value[:at] + value[card_end:-8]


def model_info_to_v0(value: bytes, has_head: bool) -> bytes:
    """`ModelInfo` v1 -> v0: drop `retired`, the bool before the fixed-size tail (head,
    three counters, created_at, depositor, deposit)."""
    tail = (5 if has_head else 1) + 4 * 4 + 32 + 16
    retired_at = len(value) - tail - 1
    assert value[retired_at] == 0, "the model must not be retired"
    return value[:retired_at] + value[retired_at + 1 :]


def _storage_under(substrate: SubstrateInterface, prefix: str) -> dict[str, bytes]:
    keys: list[str] = substrate.rpc_request("state_getKeysPaged", [prefix, 1000, None, None])[
        "result"
    ]
    values: dict[str, bytes] = {}
    for key in keys:
        raw = substrate.rpc_request("state_getStorage", [key])["result"]
        values[key] = bytes.fromhex(raw[2:])
    return values


def _new_blocks(substrate: SubstrateInterface, count: int) -> None:
    substrate.rpc_request("dev_newBlock", [{"count": count}])


def _spec_version(substrate: SubstrateInterface) -> int:
    version: int = substrate.rpc_request("state_getRuntimeVersion", [])["result"]["specVersion"]
    return version


@pytest.fixture
def own_chain(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "CMU_RUN": str(tmp_path / "run"), "CMU_CHAIN_PORT": str(port)}
    run_script("chain.sh", env, "start")
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        run_script("chain.sh", env, "reset")


def _records(chain: CmuChain, model: int, versions: list[int], contributions: list[int]) -> Any:
    return (
        chain.model(model),
        [chain.version(model, v) for v in versions],
        [chain.contribution(model, c) for c in contributions],
    )


def test_runtime_upgrade_keeps_state_and_runs_the_migration_once(own_chain: str) -> None:
    if not UPGRADE_WASM.is_file():
        pytest.fail(
            f"no upgrade runtime at {UPGRADE_WASM}: run scripts/build-runtime.sh", pytrace=False
        )
    alice, bob, charlie = (keypair_from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie"))
    chain = CmuChain.connect(own_chain)
    substrate = SubstrateInterface(own_chain)
    try:
        base_spec = _spec_version(substrate)
        assert base_spec >= 200  # a parachain runtime
        # State of every kind: a model with a grant, a settled and a pending contribution,
        # a published version.
        model, _ = chain.create_model(alice, "bafkreiupgradespec", sha(b"spec"))
        trainer = RoleSet.parse("trainer")
        assert chain.grant_role(alice, model, charlie.ss58_address, trainer).success
        settled, _ = chain.submit_contribution(bob, model, "bafkreiupgradedata1", sha(b"1"), 10)
        pending, _ = chain.submit_contribution(bob, model, "bafkreiupgradedata2", sha(b"2"), 20)
        version, result = chain.publish_version(
            charlie,
            model,
            None,
            "bafkreiupgradeartifact",
            sha(b"artifact"),
            sha(b"recipe"),
            [Metric.from_float("val_auc", 0.75)],
            [(settled, Verdict.accept(0))],
            card_cid="bafkreiupgradecard",
        )
        assert result.success
        before = _records(chain, model, [version], [settled, pending])
        holders_before = chain.role_holders(model)
        pending_key_prefix = _item_prefix("PendingPerAccount")
        assert len(_storage_under(substrate, pending_key_prefix)) == 1

        # Rewrite pallet-cmu's storage into the layout of storage version 0.
        rewrite: list[list[str | None]] = []
        for key, value in _storage_under(substrate, _item_prefix("Roles")).items():
            assert len(value) == 1 + 32  # Grant { roles: u8, owner }
            rewrite.append([key, "0x" + value[:1].hex()])
        for key, value in _storage_under(substrate, _item_prefix("Contributions")).items():
            rewrite.append([key, "0x" + value[:-20].hex()])  # no reward_weight, reward
        for key, value in _storage_under(substrate, _item_prefix("Versions")).items():
            rewrite.append([key, "0x" + version_record_to_v0(value).hex()])
        for key, value in _storage_under(substrate, _item_prefix("Models")).items():
            rewrite.append([key, "0x" + model_info_to_v0(value, has_head=True).hex()])
        # Version 0 had no per-account pending counter: the migration rebuilds it.
        for key in _storage_under(substrate, pending_key_prefix):
            rewrite.append([key, None])
        rewrite.append([STORAGE_VERSION_KEY, "0x0000"])
        substrate.rpc_request("dev_setStorage", [rewrite])
        _new_blocks(substrate, 1)
        assert not _storage_under(substrate, pending_key_prefix)
        # The v1 runtime cannot read the v0 records: the rewrite took effect.
        with pytest.raises(Exception):  # noqa: B017 - any decoding failure will do
            chain.version(model, version)

        # The upgrade: sudo(set_code) schedules it through parachain-system.
        code = "0x" + UPGRADE_WASM.read_bytes().hex()
        set_code = substrate.compose_call("System", "set_code", {"code": code})
        sudo = substrate.compose_call("Sudo", "sudo", {"call": set_code})
        receipt = substrate.submit_extrinsic(
            substrate.create_signed_extrinsic(sudo, alice), wait_for_inclusion=True
        )
        assert receipt.is_success, receipt.error_message
        events = [(e.value["module_id"], e.value["event_id"]) for e in receipt.triggered_events]
        assert ("ParachainSystem", "ValidationFunctionStored") in events, events
        assert ("Sudo", "Sudid") in events
        # Go-ahead from the (mock) relay chain, code applied, first block under the new code.
        for _ in range(5):
            _new_blocks(substrate, 1)
            if _spec_version(substrate) == base_spec + 1:
                break
        assert _spec_version(substrate) == base_spec + 1
        _new_blocks(substrate, 1)

        version_key = STORAGE_VERSION_KEY
        raw_version = substrate.rpc_request("state_getStorage", [version_key])["result"]
        assert raw_version == "0x0100", "the migration to storage version 1 did not run"
        last_upgrade = substrate.query("System", "LastRuntimeUpgrade").value
        assert last_upgrade["spec_version"] == base_spec + 1

        # Everything survived, in the new layout. What version 0 did not store comes back
        # empty: the card CID, attestation counts and rewards.
        chain.close()
        chain = CmuChain.connect(own_chain)
        after = _records(chain, model, [version], [settled, pending])
        model_before, (version_before,), contributions_before = before
        model_after, (version_after,), contributions_after = after
        assert model_after == model_before
        assert version_after.artifact_cid == version_before.artifact_cid
        assert version_after.artifact_hash == version_before.artifact_hash
        assert version_after.recipe_hash == version_before.recipe_hash
        assert version_after.metrics == version_before.metrics
        assert version_after.contributions == version_before.contributions
        assert version_after.trainer == version_before.trainer
        assert version_after.card_cid in ("", None)
        assert [c.data_cid for c in contributions_after] == [
            c.data_cid for c in contributions_before
        ]
        assert [c.status for c in contributions_after] == [c.status for c in contributions_before]
        assert chain.role_holders(model) == holders_before

        # The pending counter was rebuilt once: one pending contribution, counted once.
        def pending_count() -> int:
            count = substrate.query("Cmu", "PendingPerAccount", [model, bob.ss58_address])
            return int(count.value)

        assert pending_count() == 1
        # More blocks under the new code do not run it again (a second run would count the
        # pending contribution twice).
        _new_blocks(substrate, 3)
        assert pending_count() == 1
        assert substrate.rpc_request("state_getStorage", [version_key])["result"] == "0x0100"

        # And the chain keeps working under the new runtime.
        third, result = chain.submit_contribution(bob, model, "bafkreiupgradedata3", sha(b"3"), 5)
        assert result.success
        assert pending_count() == 2
        next_version, result = chain.publish_version(
            charlie,
            model,
            version,
            "bafkreiupgradeartifact2",
            sha(b"artifact2"),
            sha(b"recipe2"),
            [Metric.from_float("val_auc", 0.8)],
            [(pending, Verdict.accept(0)), (third, Verdict.accept(0))],
            card_cid="bafkreiupgradecard2",
        )
        assert result.success
        assert chain.model(model).head == next_version
        assert pending_count() == 0
    finally:
        substrate.close()
        chain.close()
