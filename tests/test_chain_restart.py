"""The dev chain keeps its state across stop/start, and still accepts signed extrinsics.

Runs a chain of its own (own run directory and port) so it never disturbs the shared one.
"""

from __future__ import annotations

import os
from pathlib import Path

from fixtures_network import run_script
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
