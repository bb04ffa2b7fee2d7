"""Reading a 1,000-version lineage: one request per version vs paged reads vs the runtime API.

Run against the dev chain (scripts/chain.sh start):

    ~/.cache/cmu/venv/bin/python benchmarks/bench_lineage.py [--versions 1000] [--model ID]

Builds (or reuses, with ``--model``) a model whose head has ``--versions`` ancestors, then
reads the lineage head -> genesis three ways, each decoding the same records:

- baseline: one ``state_getStorage`` per version, following parent links;
- paged: ``history.lineage`` (``state_queryStorageAt`` with 256 computed keys per request);
- runtime API: ``history.lineage_via_api`` (``CmuApi.lineage``, 1,000 per call).
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from typing import Any

from cmu_client import calls, decode, history, storage
from cmu_client.chain import CmuChain
from cmu_client.keys import keypair_from_uri
from cmu_client.types import Version


def build(chain: CmuChain, versions: int) -> int:
    owner = keypair_from_uri(f"//Alice//bench-lineage-{secrets.token_hex(3)}")
    decimals = chain.info().token_decimals
    deposit = chain.info().version_deposit
    chain.transfer_balance(keypair_from_uri("//Alice"), owner.ss58_address,
                           2_000 * 10**decimals + deposit * versions * 2)
    model, _ = chain.create_model(owner, "bafkreibenchmarkspec", bytes(32))
    # The owner holds every role implicitly, Trainer included: it publishes itself.
    artifact = "bafkreibenchmarkartifact"
    publishes = [calls.publish_version(model, None if i == 0 else i - 1, artifact, bytes(32),
                                       i.to_bytes(32, "little")) for i in range(versions)]
    started = time.perf_counter()
    wrappers = [calls.batch_all(publishes[i:i + 50]) for i in range(0, versions, 50)]
    outcomes = chain.submit_many(owner, wrappers)
    assert all(o.success for o in outcomes), [o.error for o in outcomes if o.error]
    print(f"published {versions} versions of model {model} in "
          f"{time.perf_counter() - started:.1f} s")
    return model


def one_request_per_version(chain: CmuChain, model: int) -> list[Version]:
    head = chain.model(model).head
    type_string = chain.value_type("Versions")
    at = chain.head_hash()
    walked: list[Version] = []
    current = head
    while current is not None:
        key = storage.to_hex(storage.double_map_key("Versions", model, current))
        raw = chain.connection.rpc("state_getStorage", [key, at])
        version = decode.version(model, current, chain.decode_value(type_string, raw))
        walked.append(version)
        current = version.parent
    return walked


class RequestCounter:
    """Counts JSON-RPC requests sent on the connection (instrumentation only)."""

    def __init__(self, chain: CmuChain) -> None:
        self.count = 0
        substrate = chain.connection.substrate
        original = substrate.rpc_request

        def counted(method: str, params: Any, result_handler: Any = None) -> Any:
            self.count += 1
            return original(method, params, result_handler)

        substrate.rpc_request = counted


def timed(label: str, action: Callable[[], list[Version]], repeat: int,
          counter: RequestCounter) -> tuple[float, int, list[Version]]:
    best = float("inf")
    result: list[Version] = []
    requests = 0
    for _ in range(repeat):
        before = counter.count
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
        requests = counter.count - before
    print(f"  {label:<44} {best * 1000:8.1f} ms  {requests:5d} requests  "
          f"({len(result)} versions)", flush=True)
    return best, requests, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--model", type=int, help="reuse a model built by an earlier run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rpc", default=None)
    args = parser.parse_args()

    chain = CmuChain.connect(args.rpc)
    model = args.model if args.model is not None else build(chain, args.versions)
    chain.value_type("Versions")  # metadata lookups are cached; time the reads only
    counter = RequestCounter(chain)
    print(f"lineage of model {model} (best of {args.repeat})")
    base, base_requests, expected = timed(
        "one request per version (state_getStorage)",
        lambda: one_request_per_version(chain, model), args.repeat, counter)
    paged, paged_requests, got = timed(
        "paged (state_queryStorageAt, 256 keys each)",
        lambda: list(history.lineage(chain, model).versions), args.repeat, counter)
    assert got == expected
    api, api_requests, via_api = timed(
        "runtime API (CmuApi.lineage, 1000 each)",
        lambda: list(history.lineage_via_api(chain, model).versions), args.repeat, counter)
    assert via_api == expected
    print(f"speed-up over one request per version, measured here: paged {base / paged:.1f}x, "
          f"runtime API {base / api:.1f}x")
    # Over a real network every request also pays a round trip; the loopback one is
    # already inside the measurement, so only the extra latency is added.
    for rtt in (0.010, 0.050):
        slow = base + base_requests * rtt
        print(f"projected with {rtt * 1000:.0f} ms round trips: one-by-one {slow:.1f} s, "
              f"paged {paged + paged_requests * rtt:.2f} s "
              f"({slow / (paged + paged_requests * rtt):.0f}x), runtime API "
              f"{api + api_requests * rtt:.2f} s ({slow / (api + api_requests * rtt):.0f}x)")
    chain.close()

if __name__ == "__main__":
    main()
