"""The `local_testnet` preset as a chain: two collators, no sudo, para id 1000.

Runs the raw spec scripts/build-runtime.sh writes for it (the spec a local relay-chain
deployment starts from) on a chopsticks of its own, and checks what that preset promises:
the Aura authorities are //Alice's and //Bob's, nobody holds sudo (a sudo call is refused),
and ordinary transactions go through.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_network import run_script
from fixtures_worker import free_port
from substrateinterface import Keypair, SubstrateInterface

RUNTIME_DIR = Path(
    os.environ.get("CMU_RUNTIME_DIR", Path.home() / ".cache" / "cmu" / "runtime")
).expanduser()
LOCAL_TESTNET_SPEC = RUNTIME_DIR / "cmu-local-testnet-raw.json"


@pytest.fixture
def local_testnet(tmp_path: Path) -> Iterator[SubstrateInterface]:
    if not LOCAL_TESTNET_SPEC.is_file():
        pytest.fail(
            f"no local testnet spec at {LOCAL_TESTNET_SPEC}: run scripts/build-runtime.sh",
            pytrace=False,
        )
    port = free_port()
    env = {
        **os.environ,
        "CMU_RUN": str(tmp_path / "run"),
        "CMU_CHAIN_PORT": str(port),
        "CMU_CHAIN_SPEC": str(LOCAL_TESTNET_SPEC),
    }
    run_script("chain.sh", env, "start")
    substrate = SubstrateInterface(f"ws://127.0.0.1:{port}")
    try:
        yield substrate
    finally:
        substrate.close()
        run_script("chain.sh", env, "reset")


def test_local_testnet_has_two_collators_no_sudo_and_works(
    local_testnet: SubstrateInterface,
) -> None:
    substrate = local_testnet
    alice, bob = Keypair.create_from_uri("//Alice"), Keypair.create_from_uri("//Bob")
    assert substrate.query("ParachainInfo", "ParachainId").value == 1000
    # Aura keys are the collators' sr25519 public keys (the same seeds as their accounts).
    authorities = substrate.query("Aura", "Authorities").value
    assert sorted(authorities) == sorted("0x" + k.public_key.hex() for k in (alice, bob))
    invulnerables = substrate.query("CollatorSelection", "Invulnerables").value
    assert sorted(invulnerables) == sorted([alice.ss58_address, bob.ss58_address])
    assert substrate.query("Sudo", "Key").value is None

    # No account can act as root: //Alice's sudo call is refused.
    remark = substrate.compose_call("System", "remark_with_event", {"remark": "root?"})
    sudo = substrate.compose_call("Sudo", "sudo", {"call": remark})
    receipt = substrate.submit_extrinsic(
        substrate.create_signed_extrinsic(sudo, alice), wait_for_inclusion=True
    )
    assert not receipt.is_success
    assert receipt.error_message["name"] == "RequireSudo"

    # Ordinary transactions go through.
    transfer = substrate.compose_call(
        "Balances", "transfer_keep_alive", {"dest": alice.ss58_address, "value": 10**12}
    )
    receipt = substrate.submit_extrinsic(
        substrate.create_signed_extrinsic(transfer, bob), wait_for_inclusion=True
    )
    assert receipt.is_success, receipt.error_message
