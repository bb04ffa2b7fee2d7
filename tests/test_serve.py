"""``cmu serve`` against the live dev chain and Kubo, with a real HTTP client.

A server runs as a subprocess (``python -m cmu_client.cli serve``); request threads keep
it busy while versions are published, the head is rolled back with ``set_head`` and a
version is revoked. Nothing is imitated: the artifacts are real LightGBM models stored in
Kubo and recorded on chain.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import lightgbm as lgb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fixtures_worker import (
    CONTRIBUTOR_URIS,
    OWNER_URI,
    TRAINER_URI,
    LiveModel,
    create_live_model,
    free_port,
    signer,
    subprocess_env,
)

from cmu_client.chain import CmuChain
from cmu_client.dataset import load_csv
from cmu_client.ipfs import IpfsStore
from cmu_client.lgbm_params import resolve
from cmu_client.types import AccessPolicy, Metric, Visibility

#: Bounded waits (not assertions about speed): how long a swap or start may take at most.
SWAP_WAIT_S = 90.0
START_WAIT_S = 120.0


# --- helpers ---------------------------------------------------------------------------


async def publish_other_version(
    chain: CmuChain, store: IpfsStore, live: LiveModel, parent: int, rounds: int
) -> int:
    """Train a real LightGBM model (``rounds`` trees) on the initial data, store it and
    publish it on top of ``parent`` with the owner's key; returns the version id."""
    data = load_csv(live.initial_csv, live.spec)
    params = dict(resolve(live.spec.training.params, live.spec.task.value, None))
    train_set = lgb.Dataset(
        data.features, label=data.labels, feature_name=list(data.feature_names), params=params
    )
    booster = lgb.train(params, train_set, num_boost_round=rounds)
    artifact = booster.model_to_string().encode("utf-8")
    stored = await store.put(artifact)
    recipe_hash = hashlib.sha256(b"test_serve recipe %d" % rounds).digest()
    version, _ = await asyncio.to_thread(
        # pallet-cmu v2 records a version card CID (the first pallet drops it).
        functools.partial(chain.publish_version, card_cid=stored.cid),
        signer(OWNER_URI),
        live.id,
        parent,
        stored.cid,
        stored.sha256,
        recipe_hash,
        [Metric.from_float("auc", 0.9 + rounds / 1000)],
    )
    return version


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_server(model: int, tmp_path: Path, *extra: str) -> Iterator[Server]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    argv = [
        sys.executable,
        "-m",
        "cmu_client.cli",
        "serve",
        str(model),
        "--port",
        str(port),
        "--poll",
        "0.2",
        *extra,
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env=subprocess_env()
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + START_WAIT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"cmu serve exited with {process.returncode}:\n{server.log_text()}")
            try:
                if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"cmu serve did not become healthy:\n{server.log_text()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Load:
    """Request threads hammering /predict; every answer is recorded."""

    url: str
    bodies: list[tuple[str, bytes]]
    results: list[tuple[float, int, int | None, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def _run(self, offset: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = offset
            while not self.stop.is_set():
                kind, body = self.bodies[i % len(self.bodies)]
                i += 1
                try:
                    answer = client.post(
                        self.url + "/predict", content=body, headers={"content-type": kind}
                    )
                except httpx.HTTPError as exc:
                    self.results.append((time.monotonic(), -1, None, repr(exc)))
                    continue
                version = None
                if answer.status_code == 200:
                    payload = answer.json()
                    version = payload["version"]
                    if answer.headers.get("x-cmu-version") != str(version):
                        self.results.append((time.monotonic(), -2, version, "header differs"))
                        continue
                self.results.append(
                    (
                        time.monotonic(),
                        answer.status_code,
                        version,
                        answer.text[:300] if answer.status_code != 200 else "",
                    )
                )

    def start(self, threads: int = 3) -> None:
        for n in range(threads):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for_version(self, version: int, since: float) -> float:
        """Seconds after ``since`` until an answer came from ``version`` (bounded)."""
        deadline = time.monotonic() + SWAP_WAIT_S
        while time.monotonic() < deadline:
            for at, status, got, _ in list(self.results):
                if at >= since and status == 200 and got == version:
                    return at - since
            time.sleep(0.05)
        raise AssertionError(f"no answer from v{version} within {SWAP_WAIT_S}s")


def _json_rows(live: LiveModel, rows: int) -> bytes:
    import json

    frame = live.slices.validation
    records = [
        dict(zip(frame.feature_names, map(float, row), strict=True))
        for row in frame.features[:rows]
    ]
    return json.dumps(records).encode()


def _model_json(server: Server) -> dict[str, Any]:
    answer = httpx.get(server.url + "/model", timeout=10)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SWAP_WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {SWAP_WAIT_S}s: {what}")
        time.sleep(0.1)


# --- tests -----------------------------------------------------------------------------


@pytest.fixture(name="served_model")
async def served_model_fixture(live_chain: CmuChain, live_store: IpfsStore) -> LiveModel:
    return await create_live_model(live_chain, live_store)


@pytest.mark.slow
async def test_follows_publish_and_rollback_under_load_without_a_failed_request(
    live_chain: CmuChain, live_store: IpfsStore, served_model: LiveModel, tmp_path: Path
) -> None:
    live = served_model
    csv_body = live.slices.validation.take(0, 50).to_csv()
    bodies = [
        ("application/json", _json_rows(live, 1)),
        ("text/csv", csv_body),
        ("application/json", _json_rows(live, 200)),
    ]
    with running_server(live.id, tmp_path) as server:
        load = Load(server.url, bodies)
        load.start()
        try:
            load.wait_for_version(0, 0.0)
            v1 = await publish_other_version(live_chain, live_store, live, 0, rounds=7)
            published = time.monotonic()
            load.wait_for_version(v1, published)
            await asyncio.to_thread(live_chain.set_head, signer(OWNER_URI), live.id, 0)
            rolled_back = time.monotonic()
            load.wait_for_version(0, rolled_back)
            v2 = await publish_other_version(live_chain, live_store, live, 0, rounds=11)
            load.wait_for_version(v2, time.monotonic())
            # revoke v1 (not the head: the chain refuses revoking a head) and move the head
            await asyncio.to_thread(live_chain.revoke_version, signer(OWNER_URI), live.id, v1)
            await asyncio.to_thread(live_chain.set_head, signer(OWNER_URI), live.id, 0)
            load.wait_for_version(0, time.monotonic())
        finally:
            load.finish()
        model = _model_json(server)
        metrics = httpx.get(server.url + "/metrics", timeout=10).text
        log = server.log_text()

    failures = [r for r in load.results if r[1] != 200]
    assert not failures, failures[:5]
    assert len(load.results) > 50
    served_versions = {r[2] for r in load.results}
    assert served_versions == {0, v1, v2}
    # after the rollback, answers come from v0 only once they switched: once v0 answered
    # again, v1 is never seen again (no flapping).
    after = [r[2] for r in load.results if r[0] >= rolled_back]
    first_v0 = after.index(0)
    assert v1 not in after[first_v0:]
    assert model["serving"]["version"] == 0
    assert model["head"] == 0
    assert model["serving"]["artifact_sha256"]
    assert model["swaps"] >= 4
    assert "cmu_serve_swaps_total" in metrics
    assert f'cmu_serve_version{{model="{live.id}"}} 0.0' in metrics
    assert "sha2-256 verified" in log


async def test_pinned_version_and_a_revoked_pin(
    live_chain: CmuChain, live_store: IpfsStore, served_model: LiveModel, tmp_path: Path
) -> None:
    live = served_model
    v1 = await publish_other_version(live_chain, live_store, live, 0, rounds=5)
    await asyncio.to_thread(live_chain.set_head, signer(OWNER_URI), live.id, 0)
    with running_server(live.id, tmp_path, "--pin", str(v1)) as server:
        answer = httpx.post(
            server.url + "/predict",
            content=_json_rows(live, 3),
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["version"] == v1
        assert len(answer.json()["predictions"]) == 3
        model = _model_json(server)
        assert model["pinned"] == v1 and model["head"] == 0
        assert model["serving"]["is_head"] is False
        # a pinned version that becomes revoked is never served again
        await asyncio.to_thread(live_chain.revoke_version, signer(OWNER_URI), live.id, v1)
        _eventually(lambda: _model_json(server)["serving"] is None, "the revoked pin unloaded")
        answer = httpx.post(
            server.url + "/predict",
            content=_json_rows(live, 1),
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 503
        assert f"the pinned version v{v1} is revoked" in answer.json()["error"]
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 503
    # starting pinned to a revoked version is refused
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmu_client.cli",
            "serve",
            str(live.id),
            "--pin",
            str(v1),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"the pinned version v{v1} is revoked" in done.stderr


async def test_bodies_json_csv_parquet_and_422_with_row_and_column(
    served_model: LiveModel, tmp_path: Path
) -> None:
    live = served_model
    frame = live.slices.validation.take(0, 20)
    csv_body = frame.to_csv()
    table = pa.table({name: frame.features[:, i] for i, name in enumerate(frame.feature_names)})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    with (
        running_server(live.id, tmp_path) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        by_csv = client.post(
            "/predict", content=csv_body, headers={"content-type": "text/csv"}
        ).json()
        by_parquet = client.post(
            "/predict",
            content=sink.getvalue(),
            headers={"content-type": "application/vnd.apache.parquet"},
        ).json()
        by_json = client.post(
            "/predict",
            json={
                "records": [
                    dict(zip(frame.feature_names, map(float, row), strict=True))
                    for row in frame.features
                ]
            },
        ).json()
        assert by_csv["rows"] == by_parquet["rows"] == by_json["rows"] == 20
        assert by_csv["predictions"] == by_parquet["predictions"] == by_json["predictions"]
        first = by_csv["predictions"][0]
        assert first["label"] in ("malignant", "benign")
        assert abs(sum(first["probabilities"].values()) - 1.0) < 1e-9

        # the same messages as the CLI: row from 1, column, expected
        bad = csv_body.decode().splitlines()
        cells = bad[2].split(",")
        cells[3] = "lots"
        bad[2] = ",".join(cells)
        answer = client.post(
            "/predict", content="\n".join(bad).encode(), headers={"content-type": "text/csv"}
        )
        assert answer.status_code == 422
        problem = answer.json()["problems"][0]
        column = frame.feature_names[3]
        assert (problem["row"], problem["column"]) == (2, column)
        assert problem["message"] == (
            f"row 2, column {column!r}: 'lots' is not a number (expected a decimal "
            "number such as 1.5 or -2e3, or an empty cell if missing)"
        )
        record = dict(zip(frame.feature_names, map(float, frame.features[0]), strict=True))
        del record[frame.feature_names[0]]
        answer = client.post("/predict", json=[record])
        assert answer.status_code == 422
        assert answer.json()["problems"][0]["problem"] == "missing column"
        answer = client.post(
            "/predict", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert answer.status_code == 422
        model = client.get("/model").json()
        assert model["serving"]["version"] == 0
        assert model["serving"]["spec"]["task"] == "binary"
        assert model["serving"]["hash_verified_at"] > 0
        metrics = client.get("/metrics").text
        assert 'cmu_serve_errors_total{kind="invalid"} 3.0' in metrics
        assert 'cmu_serve_requests_total{endpoint="/predict",status="200"} 3.0' in metrics


async def test_permissioned_model_needs_a_key_with_a_role(
    live_chain: CmuChain, served_model: LiveModel, tmp_path: Path
) -> None:
    live = served_model
    await asyncio.to_thread(
        live_chain.set_access_policy,
        signer(OWNER_URI),
        live.id,
        AccessPolicy(visibility=Visibility.PERMISSIONED),
    )

    def serve(*extra: str) -> subprocess.CompletedProcess[str]:
        argv = [
            sys.executable,
            "-m",
            "cmu_client.cli",
            "serve",
            str(live.id),
            "--port",
            str(free_port()),
            *extra,
        ]
        return subprocess.run(
            argv, capture_output=True, text=True, env=subprocess_env(), timeout=120, check=False
        )

    no_key = serve()
    assert no_key.returncode == 2, no_key.stderr
    assert "is permissioned: serving it needs a key holding a role on it" in no_key.stderr
    stranger = serve("--key", CONTRIBUTOR_URIS[2])
    assert stranger.returncode == 4, stranger.stderr
    assert "Cmu.NotReader" in stranger.stderr
    # the trainer holds a role: it may serve the model
    with running_server(live.id, tmp_path, "--key", TRAINER_URI) as server:
        answer = httpx.post(
            server.url + "/predict",
            content=_json_rows(live, 2),
            headers={"content-type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
