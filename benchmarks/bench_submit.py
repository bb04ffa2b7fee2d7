"""Submission throughput: a naive loop vs nonce pipelining vs Utility.batch_all.

Run against the dev chain (scripts/chain.sh start):

    ~/.cache/cmu/venv/bin/python benchmarks/bench_submit.py [--calls 100] [--in-flight 32]

Every variant grants a role to ``--calls`` distinct accounts on its own fresh model, so
the work per call is identical. The baseline is the textbook loop:
``submit_extrinsic(create_signed_extrinsic(call), wait_for_inclusion=True)`` one call at a
time. Prints seconds, calls per second and the speed-up over the baseline.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable

from cmu_client import calls
from cmu_client.chain import CmuChain
from cmu_client.keys import Signer, keypair_from_uri
from cmu_client.submitter import Submitter, compose
from cmu_client.types import RoleSet


def fresh_model(chain: CmuChain, owner: Signer) -> int:
    model, _ = chain.create_model(owner, "bafkreibenchmarkspec", bytes(32))
    return model


def grants(model: int, tag: str, count: int) -> list[calls.Call]:
    return [
        calls.grant_role(
            model, keypair_from_uri(f"//Bench//{tag}//{i}").ss58_address, RoleSet.READER
        )
        for i in range(count)
    ]


def naive(chain: CmuChain, owner: Signer, batch: list[calls.Call]) -> None:
    substrate = chain.connection.substrate
    for call in batch:
        extrinsic = substrate.create_signed_extrinsic(call=compose(substrate, call), keypair=owner)
        receipt = substrate.submit_extrinsic(extrinsic, wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message


def pipelined(chain: CmuChain, owner: Signer, batch: list[calls.Call], in_flight: int) -> None:
    results = Submitter(chain.connection, owner, max_in_flight=in_flight).submit_many(batch)
    assert all(r.success for r in results)


def batched(chain: CmuChain, owner: Signer, batch: list[calls.Call], size: int) -> None:
    submitter = Submitter(chain.connection, owner, max_in_flight=8)
    wrappers = [calls.batch_all(batch[i : i + size]) for i in range(0, len(batch), size)]
    outcomes = submitter.submit_many(wrappers)
    assert all(o.success for o in outcomes), [o.error for o in outcomes]


def timed(label: str, action: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:8.2f} s   {count / seconds:8.1f} calls/s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--rpc", default=None)
    args = parser.parse_args()

    chain = CmuChain.connect(args.rpc)
    owner = keypair_from_uri(f"//Alice//bench-submit-{secrets.token_hex(3)}")
    decimals = chain.info().token_decimals
    chain.transfer_balance(keypair_from_uri("//Alice"), owner.ss58_address, 2_000 * 10**decimals)
    models = [fresh_model(chain, owner) for _ in range(3)]
    tag = secrets.token_hex(3)
    n = args.calls
    print(f"{n} grant_role calls, one key, chain {chain.connection.settings.url}")
    base = timed(
        "naive loop (wait_for_inclusion)",
        lambda: naive(chain, owner, grants(models[0], tag + "a", n)),
        n,
    )
    pipe = timed(
        f"pipelined ({args.in_flight} in flight)",
        lambda: pipelined(chain, owner, grants(models[1], tag + "b", n), args.in_flight),
        n,
    )
    batch = timed(
        f"batch_all x{args.batch_size}, pipelined",
        lambda: batched(chain, owner, grants(models[2], tag + "c", n), args.batch_size),
        n,
    )
    print(
        f"speed-up over the naive loop: pipelined {base / pipe:.1f}x, batched {base / batch:.1f}x"
    )
    chain.close()


if __name__ == "__main__":
    main()
