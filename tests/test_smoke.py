"""Smoke test of the local network: the dev chain runs the CMU runtime and Kubo stores bytes.

Talks to the chain with plain substrate-interface and to Kubo with plain aioipfs (not
cmu_client), so a failure here points at the network, not at the client library.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from typing import Any

import aioipfs
import pytest
from substrateinterface import Keypair, SubstrateInterface

CMU_CALLS = {
    "create_model",
    "set_model_metadata",
    "set_access_policy",
    "grant_role",
    "revoke_role",
    "freeze_model",
    "thaw_model",
    "submit_contribution",
    "withdraw_contribution",
    "publish_version",
    "set_head",
    "deprecate_version",
    "revoke_version",
    "set_slash_destination",
}
#: Calls pallet-cmu v2 (issue 8) adds.
CMU_V2_CALLS = {"retire_model", "reject_contributions", "attest_version"}
#: Encryption for permissioned models (issue 10).
CMU_ENCRYPTION_CALLS = {"set_encryption_key", "set_version_envelope"}


@pytest.fixture(scope="module")
def substrate(dev_chain_url: str) -> Iterator[SubstrateInterface]:
    connection = SubstrateInterface(url=dev_chain_url)
    yield connection
    connection.close()


def _as_bytes(value: Any) -> bytes:
    """scalecodec shows byte vectors as text when they are UTF-8 and as 0x-hex otherwise."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        return bytes.fromhex(value[2:])
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (list, tuple)):
        return bytes(value)
    raise TypeError(f"not a byte string: {value!r}")


def test_chain_properties_and_runtime(substrate: SubstrateInterface) -> None:
    version = substrate.rpc_request("state_getRuntimeVersion", [])["result"]
    assert version["specName"] == "cmu"
    properties = substrate.rpc_request("system_properties", [])["result"]
    assert properties == {"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "CMU"}


def test_cmu_pallet_calls_are_in_metadata(substrate: SubstrateInterface) -> None:
    pallet = substrate.get_metadata_module("Cmu")
    assert pallet is not None, "the runtime has no pallet named Cmu"
    calls = {call.name for call in pallet.calls}
    assert calls in (
        CMU_CALLS,
        CMU_CALLS | CMU_V2_CALLS,
        CMU_CALLS | CMU_V2_CALLS | CMU_ENCRYPTION_CALLS,
    )
    assert substrate.get_metadata_module("Nfts") is not None


def test_create_model_signed_by_alice_reads_back(substrate: SubstrateInterface) -> None:
    alice = Keypair.create_from_uri("//Alice")
    spec = b'{"smoke": "' + secrets.token_hex(8).encode() + b'"}'
    spec_cid = "bafkreismoketest" + secrets.token_hex(8)
    spec_hash = hashlib.sha256(spec).digest()
    call = substrate.compose_call(
        call_module="Cmu",
        call_function="create_model",
        call_params={
            "spec_cid": "0x" + spec_cid.encode().hex(),
            "spec_hash": "0x" + spec_hash.hex(),
            "policy": {"visibility": "Public", "contributions": "Open"},
        },
    )
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=alice)
    receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message

    created = [
        event.value["attributes"]
        for event in receipt.triggered_events
        if event.value["module_id"] == "Cmu" and event.value["event_id"] == "ModelCreated"
    ]
    assert len(created) == 1
    model_id = created[0]["model"]
    assert created[0]["owner"] == alice.ss58_address

    info = substrate.query("Cmu", "Models", [model_id]).value
    assert info is not None
    assert _as_bytes(info["metadata"]["spec_cid"]) == spec_cid.encode()
    assert _as_bytes(info["metadata"]["spec_hash"]) == spec_hash
    assert info["policy"] == {"visibility": "Public", "contributions": "Open"}
    assert info["head"] is None and info["version_count"] == 0
    assert info["depositor"] == alice.ss58_address

    # The model is an NFT owned by Alice in the pallet's collection.
    collection = substrate.query("Cmu", "ModelCollection").value
    item = substrate.query("Nfts", "Item", [collection, model_id]).value
    assert item["owner"] == alice.ss58_address


async def test_kubo_add_then_cat(ipfs_api: str) -> None:
    client = aioipfs.AsyncIPFS(maddr=ipfs_api)
    try:
        data = b"cmu smoke " + secrets.token_bytes(32)
        # add_bytes, not add(filepath): the latter breaks with aiohttp >= 3.12.2.
        added = await client.core.add_bytes(data, cid_version=1, pin=True)
        cid = added["Hash"]
        assert cid.startswith("bafk")
        assert await client.core.cat(cid) == data
    finally:
        await client.close()
