"""The runtime under polkadot-omni-node, the production node: create a model, publish a
version and read both back with the client.

Runs only when the binary is built (`scripts/omni-node.sh build`, hours cold on 2 cores); when
it is not, the test is reported as skipped with the reason, never as passed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_client import sha
from fixtures_network import run_script
from fixtures_worker import free_port

from cmu_client.chain import CmuChain
from cmu_client.keys import keypair_from_uri
from cmu_client.types import Metric, RoleSet

OMNI_NODE = Path.home() / ".cache" / "cmu" / "omni-node" / "bin" / "polkadot-omni-node"


@pytest.fixture
def omni_node(tmp_path: Path) -> Iterator[str]:
    if not os.access(OMNI_NODE, os.X_OK):
        pytest.skip(
            f"NOT RUN: polkadot-omni-node is not built ({OMNI_NODE} is missing); "
            "build it with `scripts/omni-node.sh build`"
        )
    port = free_port()
    env = {**os.environ, "CMU_OMNI_PORT": str(port), "CMU_OMNI_CHAIN": str(tmp_path / "omni")}
    run_script("omni-node.sh", env, "start", timeout=600)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        run_script("omni-node.sh", env, "stop")


def test_omni_node_runs_the_runtime_and_the_client_works_against_it(omni_node: str) -> None:
    alice, bob = keypair_from_uri("//Alice"), keypair_from_uri("//Bob")
    with CmuChain.connect(omni_node) as chain:
        info = chain.info()
        assert info.token_symbol == "CMU"
        model, result = chain.create_model(alice, "bafkreiomnispec", sha(b"omni spec"))
        assert result.success
        assert chain.grant_role(alice, model, bob.ss58_address, RoleSet.parse("trainer")).success
        version, result = chain.publish_version(
            bob,
            model,
            None,
            "bafkreiomniartifact",
            sha(b"omni artifact"),
            sha(b"omni recipe"),
            [Metric.from_float("val_auc", 0.7)],
            card_cid="bafkreiomnicard",
        )
        assert result.success
        head = chain.head(model)
        assert head.id == version
        assert head.artifact_cid == "bafkreiomniartifact"
        assert head.trainer == bob.ss58_address
        assert chain.model(model).owner == alice.ss58_address
