"""Benchmark: ``cmu serve`` against calling the LightGBM Booster in-process on the same rows.

On the live dev chain and Kubo it creates the breast-cancer model (30 numeric features,
version 0 trained by the worker code), starts ``cmu serve`` as a subprocess on a free port
and measures, for a 1-row and a 1,000-row request body (JSON records and CSV):

- the service: requests per second and p50/p99 latency with ``--clients`` concurrent
  HTTP clients (httpx, keep-alive), for ``--seconds`` each;
- the baseline: ``booster.predict`` on the same rows as a float64 array, in this process,
  one caller (p50/p99 per call and calls per second).

The ratio (service p50 / Booster p50) is the cost of the service: HTTP, parsing and
checking every cell against the spec, and JSON answers. Last, ``--swaps`` versions are
published under a 1-client load: how long after its block each new version answers,
and how many answers failed (none should).

Usage: python benchmarks/bench_serve.py [--seconds 10] [--clients 1 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import lightgbm as lgb
import numpy as np

from cmu_client.chain import CmuChain
from cmu_client.config import IpfsSettings
from cmu_client.ipfs import IpfsStore, StoredObject
from cmu_client.keys import keypair_from_uri
from cmu_client.spec import parse_spec
from cmu_client.types import Metric
from offchain import demo_data
from offchain.publish import create_model_with_first_version


async def create_model(chain: CmuChain) -> tuple[int, bytes, StoredObject]:
    """A breast-cancer model with version 0; returns its id and v0's artifact."""
    slices = demo_data.story_slices()
    async with IpfsStore(IpfsSettings.from_env()) as store:
        validation_csv = slices.validation.to_csv()
        stored = await store.put(validation_csv)
        doc = demo_data.spec_document(slices.validation.feature_names)
        doc["validation"] = {"cid": stored.cid, "sha256": stored.sha256.hex()}
        model, first = await create_model_with_first_version(
            chain,
            store,
            keypair_from_uri("//Alice"),
            parse_spec(doc),
            slices.initial.to_csv(),
            validation_csv,
        )
        artifact = await store.get(first.artifact.cid, first.artifact.sha256)
    return model, artifact, first.artifact


def swap_latency(
    chain: CmuChain, url: str, model: int, artifact: StoredObject, body: bytes, swaps: int
) -> tuple[list[float], int, int]:
    """Publish ``swaps`` versions (v0's artifact again, so each is a real fetch, hash
    check and load) under a 1-client load; seconds from each version's inclusion to the
    first answer it produced, answers in all, failed answers."""
    answers: list[tuple[float, int, int | None]] = []
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                got = client.post(
                    url + "/predict", content=body, headers={"content-type": "application/json"}
                )
                version = got.json()["version"] if got.status_code == 200 else None
                answers.append((time.monotonic(), got.status_code, version))

    thread = threading.Thread(target=run)
    thread.start()
    owner = keypair_from_uri("//Alice")
    latencies = []
    try:
        for n in range(swaps):
            head = chain.model(model).head
            version, _ = chain.publish_version(
                owner,
                model,
                head,
                artifact.cid,
                artifact.sha256,
                n.to_bytes(32, "little"),
                [Metric.from_float("val_auc", 0.9)],
            )
            included = time.monotonic()
            while not any(v == version and at >= included for at, _, v in list(answers)):
                time.sleep(0.01)
            first = min(at for at, _, v in answers if v == version and at >= included)
            latencies.append(first - included)
    finally:
        stop.set()
        thread.join()
    return latencies, len(answers), sum(1 for _, status, _ in answers if status != 200)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return p50, p99


def load(url: str, body: bytes, kind: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run() -> None:
        nonlocal failures
        mine: list[float] = []
        bad = 0
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                answer = client.post(url + "/predict", content=body, headers={"content-type": kind})
                mine.append(time.perf_counter() - started)
                bad += answer.status_code != 200
        with lock:
            latencies.extend(mine)
            failures += bad

    began = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    p50, p99 = percentiles(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": p50 * 1e3,
        "p99_ms": p99 * 1e3,
        "requests": len(latencies),
        "failed": failures,
    }


def booster_baseline(
    booster: lgb.Booster, rows: np.ndarray[Any, Any], seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        started = time.perf_counter()
        booster.predict(rows)
        latencies.append(time.perf_counter() - started)
    p50, p99 = percentiles(latencies)
    return {"rps": len(latencies) / seconds, "p50_ms": p50 * 1e3, "p99_ms": p99 * 1e3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--swaps", type=int, default=5, help="versions published under load")
    args = parser.parse_args()

    chain = CmuChain.connect()
    model, artifact, stored = asyncio.run(create_model(chain))
    booster = lgb.Booster(model_str=artifact.decode())
    frame = demo_data.breast_cancer()
    names = list(frame.feature_names)
    tiled = np.vstack([frame.features] * 2)[:1000]

    def bodies(rows: np.ndarray[Any, Any]) -> dict[str, tuple[str, bytes]]:
        records = [dict(zip(names, map(float, row), strict=True)) for row in rows]
        header = ",".join(f'"{n}"' for n in names)
        lines = [header, *(",".join(repr(float(v)) for v in row) for row in rows)]
        return {
            "json": ("application/json", json.dumps(records).encode()),
            "csv": ("text/csv", ("\n".join(lines) + "\n").encode()),
        }

    port = free_port()
    log = Path(tempfile.mkdtemp()) / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cmu_client.cli",
                "serve",
                str(model),
                "--port",
                str(port),
                "--log-level",
                "WARNING",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            print(log.read_text(), file=sys.stderr)
            return 1
        print(f"model {model}, {len(names)} numeric features; {args.seconds:g}s per line")
        print(
            f"{'rows':>5} {'body':>5} {'clients':>7} {'rps':>9} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'failed':>6}   booster p50 ms (rps)   p50 ratio"
        )
        for count, rows in ((1, frame.features[:1]), (1000, tiled)):
            base = booster_baseline(booster, rows, args.seconds / 2)
            for kind, (ctype, body) in bodies(rows).items():
                httpx.post(url + "/predict", content=body, headers={"content-type": ctype})
                for clients in args.clients:
                    got = load(url, body, ctype, clients, args.seconds)
                    print(
                        f"{count:>5} {kind:>5} {clients:>7} {got['rps']:>9.1f} "
                        f"{got['p50_ms']:>8.2f} {got['p99_ms']:>8.2f} {got['failed']:>6.0f}"
                        f"   {base['p50_ms']:>8.3f} ({base['rps']:>7.0f})"
                        f"   {got['p50_ms'] / base['p50_ms']:>8.1f}x"
                    )
        latencies, answered, failed = swap_latency(
            chain, url, model, stored, bodies(frame.features[:1])["json"][1], args.swaps
        )
        print(
            f"head swaps (poll 1 s, the default): {len(latencies)} versions published under "
            f"load, first answer from each new version after "
            f"{statistics.median(latencies):.2f} s median, {max(latencies):.2f} s max; "
            f"{answered} answers, {failed} failed"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
        chain.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
