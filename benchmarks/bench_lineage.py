"""Reading a 1,000-version lineage: one request per version vs paged reads vs the runtime API.

Run against the dev chain (scripts/chain.sh start):

    ~/.cache/cmu/venv/bin/python benchmarks/bench_lineage.py [--versions 1000] [--model ID]

Builds (or reuses, with ``--model``) a model whose head has ``--versions`` ancestors, then
reads the lineage head -> genesis three ways, each decoding the same records:

- baseline: one ``state_getStorage`` per version, following parent links;
- paged: ``history.lineage`` (``state_queryStorageAt`` with 256 keys per request, keys and
  decoding by substrate-interface: ``StorageKey`` from the metadata, ``query_multi``);
- paged with hand-built keys: the same pages with keys hashed here (twox128,
  Blake2_128Concat, Twox64Concat written out) and values decoded one by one, as
  ``history`` did before; kept to show what substrate-interface's key building costs;
- runtime API: ``history.lineage_via_api`` (``CmuApi.lineage``, 1,000 per call).

``--delays 0,10,50`` then measures the network effect instead of projecting it: the client
connects through a TCP proxy on loopback (in this process) that holds every chunk for
half the added round trip in each direction (latency only, no bandwidth limit, order
kept), and the baseline, paged and runtime-API reads run again at each added round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import xxhash
from scalecodec.base import ScaleBytes

from cmu_client import calls, decode, history
from cmu_client.chain import CmuChain
from cmu_client.config import ChainSettings
from cmu_client.keys import keypair_from_uri
from cmu_client.types import Version


def build(chain: CmuChain, versions: int) -> int:
    owner = keypair_from_uri(f"//Alice//bench-lineage-{secrets.token_hex(3)}")
    decimals = chain.info().token_decimals
    deposit = chain.info().version_deposit
    chain.transfer_balance(
        keypair_from_uri("//Alice"),
        owner.ss58_address,
        2_000 * 10**decimals + deposit * versions * 2,
    )
    model, _ = chain.create_model(owner, "bafkreibenchmarkspec", bytes(32))
    # The owner holds every role implicitly, Trainer included: it publishes itself.
    artifact = "bafkreibenchmarkartifact"
    publishes = [
        calls.publish_version(
            model,
            None if i == 0 else i - 1,
            artifact,
            bytes(32),
            i.to_bytes(32, "little"),
            card_cid=artifact,
        )
        for i in range(versions)
    ]
    started = time.perf_counter()
    wrappers = [calls.batch_all(publishes[i : i + 50]) for i in range(0, versions, 50)]
    outcomes = chain.submit_many(owner, wrappers)
    assert all(o.success for o in outcomes), [o.error for o in outcomes if o.error]
    print(
        f"published {versions} versions of model {model} in {time.perf_counter() - started:.1f} s"
    )
    return model


def _twox128(data: bytes) -> bytes:
    return b"".join(xxhash.xxh64(data, seed=i).intdigest().to_bytes(8, "little") for i in (0, 1))


def hand_built_key(item: str, model: int, version: int) -> str:
    """``Cmu.<item>[(model, version)]``: twox128 prefixes, Blake2_128Concat(model),
    Twox64Concat(version), written out by hand."""
    model_bytes, version_bytes = model.to_bytes(4, "little"), version.to_bytes(4, "little")
    key = (
        _twox128(b"Cmu")
        + _twox128(item.encode())
        + hashlib.blake2b(model_bytes, digest_size=16).digest()
        + model_bytes
        + xxhash.xxh64(version_bytes, seed=0).intdigest().to_bytes(8, "little")
        + version_bytes
    )
    return "0x" + key.hex()


def decode_version(
    chain: CmuChain, model: int, version: int, type_string: str, raw: str
) -> Version:
    def action(substrate: Any) -> Any:
        obj = substrate.runtime_config.create_scale_object(
            type_string, data=ScaleBytes(raw), metadata=substrate.metadata
        )
        return obj.decode()

    return decode.version(model, version, chain.connection.run(action, what="decode"))


def one_request_per_version(chain: CmuChain, model: int) -> list[Version]:
    head = chain.model(model).head
    type_string = chain.value_type("Versions")
    at = chain.head_hash()
    walked: list[Version] = []
    current = head
    while current is not None:
        raw = chain.connection.rpc(
            "state_getStorage", [hand_built_key("Versions", model, current), at]
        )
        version = decode_version(chain, model, current, type_string, raw)
        walked.append(version)
        current = version.parent
    return walked


def paged_hand_built(chain: CmuChain, model: int, page_size: int = 256) -> list[Version]:
    """``history.lineage`` as it was with keys hashed by hand (same pages, same walk)."""
    at = chain.head_hash()
    current = chain.model(model).head
    type_string = chain.value_type("Versions")
    walked: list[Version] = []
    cache: dict[int, Version] = {}
    while current is not None:
        if current not in cache:
            ids = list(range(current, max(0, current - page_size + 1) - 1, -1))
            keys = {hand_built_key("Versions", model, i): i for i in ids}
            result = chain.connection.rpc("state_queryStorageAt", [list(keys), at])
            cache = {
                keys[k]: decode_version(chain, model, keys[k], type_string, v)
                for group in result or []
                for k, v in group["changes"]
                if v is not None
            }
        version = cache[current]
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


def timed(
    label: str, action: Callable[[], list[Version]], repeat: int, counter: RequestCounter
) -> tuple[float, int, list[Version]]:
    best = float("inf")
    result: list[Version] = []
    requests = 0
    for _ in range(repeat):
        before = counter.count
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
        requests = counter.count - before
    print(
        f"  {label:<44} {best * 1000:8.1f} ms  {requests:5d} requests  ({len(result)} versions)",
        flush=True,
    )
    return best, requests, result


class DelayProxy:
    """A TCP relay on 127.0.0.1 that adds ``rtt`` seconds to every round trip: each chunk
    is forwarded ``rtt / 2`` after it arrived, in order, in both directions."""

    def __init__(self, target: tuple[str, int], rtt: float) -> None:
        self.target, self.half = target, rtt / 2
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        """Close every connection; the relays then end on their own."""
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if tasks:
            await asyncio.wait(tasks, timeout=5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            writer.close()
            up_writer.close()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def forward() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                dst.write(data)
                await dst.drain()

        sender = asyncio.create_task(forward())
        try:
            while data := await src.read(65536):
                queue.put_nowait((loop.time() + self.half, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0.0, b""))
        try:
            await sender
        except (ConnectionError, OSError):
            pass
        finally:
            sender.cancel()
            dst.close()


def reads_through(chain: CmuChain, model: int) -> list[tuple[str, Callable[[], list[Version]]]]:
    return [
        ("one request per version", lambda: one_request_per_version(chain, model)),
        ("paged (history.lineage)", lambda: list(history.lineage(chain, model).versions)),
        (
            "runtime API (CmuApi.lineage)",
            lambda: list(history.lineage_via_api(chain, model).versions),
        ),
    ]


def measure_delays(args: argparse.Namespace, model: int, expected: list[Version]) -> None:
    url = urlparse(ChainSettings.from_env(args.rpc).url)
    target = (url.hostname or "127.0.0.1", int(url.port or 9944))
    rows = []
    for ms in args.delays:
        with DelayProxy(target, ms / 1000) as proxy:
            chain = CmuChain.connect(f"ws://127.0.0.1:{proxy.port}")
            chain.value_type("Versions")
            counter = RequestCounter(chain)
            repeat = args.repeat if ms == 0 else 1
            print(f"added round trip {ms} ms (best of {repeat}):")
            results = [
                timed(label, action, repeat, counter)
                for label, action in reads_through(chain, model)
            ]
            assert all(got == expected for _, _, got in results)
            chain.close()
        base, paged, api = (r[0] for r in results)
        rows.append((ms, base, paged, api))
        print(f"  speed-up: paged {base / paged:.1f}x, runtime API {base / api:.1f}x", flush=True)
    print("\nmeasured through the delaying proxy:")
    print("  added RTT   one by one      paged            runtime API")
    for ms, base, paged, api in rows:
        print(
            f"  {ms:5d} ms  {base:9.2f} s  {paged:7.2f} s ({base / paged:5.1f}x)"
            f"  {api:7.2f} s ({base / api:5.1f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--model", type=int, help="reuse a model built by an earlier run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rpc", default=None)
    parser.add_argument(
        "--delays",
        type=lambda text: [int(x) for x in text.split(",")],
        help="added round trips in ms, measured through a delaying proxy (e.g. 0,10,50)",
    )
    args = parser.parse_args()

    chain = CmuChain.connect(args.rpc)
    model = args.model if args.model is not None else build(chain, args.versions)
    chain.value_type("Versions")  # metadata lookups are cached; time the reads only
    counter = RequestCounter(chain)
    print(f"lineage of model {model} (best of {args.repeat})")
    base, base_requests, expected = timed(
        "one request per version (state_getStorage)",
        lambda: one_request_per_version(chain, model),
        args.repeat,
        counter,
    )
    paged, paged_requests, got = timed(
        "paged (history.lineage, substrate-interface)",
        lambda: list(history.lineage(chain, model).versions),
        args.repeat,
        counter,
    )
    assert got == expected
    _, _, by_hand = timed(
        "paged, keys hashed by hand (previous code)",
        lambda: paged_hand_built(chain, model),
        args.repeat,
        counter,
    )
    assert by_hand == expected
    api, api_requests, via_api = timed(
        "runtime API (CmuApi.lineage, 1000 each)",
        lambda: list(history.lineage_via_api(chain, model).versions),
        args.repeat,
        counter,
    )
    assert via_api == expected
    print(
        f"speed-up over one request per version, measured here: paged {base / paged:.1f}x, "
        f"runtime API {base / api:.1f}x"
    )
    # Over a real network every request also pays a round trip; the loopback one is
    # already inside the measurement, so only the extra latency is added.
    for rtt in (0.010, 0.050):
        slow = base + base_requests * rtt
        print(
            f"projected with {rtt * 1000:.0f} ms round trips: one-by-one {slow:.1f} s, "
            f"paged {paged + paged_requests * rtt:.2f} s "
            f"({slow / (paged + paged_requests * rtt):.0f}x), runtime API "
            f"{api + api_requests * rtt:.2f} s ({slow / (api + api_requests * rtt):.0f}x)"
        )
    chain.close()
    if args.delays:
        print()
        measure_delays(args, model, expected)


if __name__ == "__main__":
    main()
