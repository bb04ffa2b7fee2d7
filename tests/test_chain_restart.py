"""The dev chain keeps its state across stop/start, and still accepts signed extrinsics.

Runs a chain of its own (own run directory and port) so it never disturbs the shared one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fixtures_network import SCRIPTS, run_script
from fixtures_worker import free_port
from substrateinterface import Keypair, SubstrateInterface


def _chain(env: dict[str, str], action: str) -> None:
    run_script("chain.sh", env, action)


def _remark(url: str, text: str) -> tuple[int, int]:
    """Submits a signed remark by //Alice; returns (Alice's nonce, best block number) after it."""
    substrate = SubstrateInterface(url)
    try:
        alice = Keypair.create_from_uri("//Alice")
        call = substrate.compose_call("System", "remark", {"remark": text})
        receipt = substrate.submit_extrinsic(
            substrate.create_signed_extrinsic(call, alice), wait_for_inclusion=True
        )
        assert receipt.is_success
        nonce: int = substrate.get_account_nonce(alice.ss58_address)
        number: int = substrate.get_block_number(None)
        return nonce, number
    finally:
        substrate.close()


# chopsticks announces a block before it writes it to its database; a stop right after
# inclusion used to lose that block (and the nonce) on a fast machine. Stopping straight
# after each inclusion, several times in a row, exercises exactly that window.
RESTARTS = 6


def test_stop_right_after_inclusion_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CMU_RUN": str(tmp_path / "run"), "CMU_CHAIN_PORT": str(port)}
    url = f"ws://127.0.0.1:{port}"
    try:
        _chain(env, "start")
        for round_ in range(1, RESTARTS + 1):
            nonce, number = _remark(url, f"before stop {round_}")
            assert nonce == round_
            _chain(env, "stop")  # no pause: the block was announced a moment ago
            _chain(env, "start")
            substrate = SubstrateInterface(url)
            try:
                alice = Keypair.create_from_uri("//Alice").ss58_address
                assert substrate.get_account_nonce(alice) == round_, f"restart {round_}"
                assert substrate.get_block_number(None) == number, f"restart {round_}"
            finally:
                substrate.close()
        # A new signature over the resumed genesis hash is accepted.
        assert _remark(url, "after restarts")[0] == RESTARTS + 1
        _chain(env, "reset")
        _chain(env, "start")
        assert _remark(url, "after reset")[0] == 1
    finally:
        _chain(env, "stop")


def _signed_extrinsics(substrate: SubstrateInterface, number: int) -> int:
    block = substrate.get_block(block_number=number)
    assert block is not None
    return sum(1 for extrinsic in block["extrinsics"] if "address" in extrinsic.value)


def test_a_first_block_that_failed_to_build_is_rebuilt_before_anyone_uses_it(
    tmp_path: Path,
) -> None:
    """chopsticks builds #1 on every start and its database keeps one block per number, so a
    resume replaces the stored #1. When the start-up build of #1 failed (an Aura slot race
    on the first block of a parachain runtime), the first user extrinsic went into #1 and
    a stop and start lost it. chain.sh now has #1 built, empty, before the chain is used."""
    port = free_port()
    env = {**os.environ, "CMU_RUN": str(tmp_path / "run"), "CMU_CHAIN_PORT": str(port)}
    url = f"ws://127.0.0.1:{port}"
    try:
        _chain(env, "start")
        substrate = SubstrateInterface(url)
        try:
            assert substrate.get_block_number(None) >= 1
            assert _signed_extrinsics(substrate, 1) == 0
            # The state a failed start-up build leaves: the head is genesis.
            substrate.rpc_request("dev_setHead", [substrate.get_block_hash(0)])
            assert substrate.get_block_number(None) == 0
        finally:
            substrate.close()
        ensured = subprocess.run(
            [sys.executable, str(SCRIPTS / "ensure_first_block.py"), f"http://127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ensured.returncode == 0, ensured.stderr
        assert "block #1 is missing" in ensured.stderr
        nonce, number = _remark(url, "first extrinsic")
        assert (nonce, number) == (1, 2)
        _chain(env, "stop")
        _chain(env, "start")
        substrate = SubstrateInterface(url)
        try:
            alice = Keypair.create_from_uri("//Alice").ss58_address
            assert substrate.get_account_nonce(alice) == 1
            assert substrate.get_block_number(None) == 2
            assert _signed_extrinsics(substrate, 2) == 1
        finally:
            substrate.close()
    finally:
        _chain(env, "stop")
