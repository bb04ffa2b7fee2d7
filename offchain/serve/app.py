"""The ASGI application of ``cmu serve`` (Starlette).

``POST /predict``
    A body of JSON records (``[{"col": value, ...}]`` or ``{"records": [...]}``), CSV
    (``text/csv``) or Parquet (``application/vnd.apache.parquet``, or any body starting
    with Parquet's magic bytes). Checked against the served version's spec with the
    CLI's rules and messages; a bad cell answers 422 with every problem's row and column.
    Answers the model, the version that produced the predictions (also in the
    ``X-CMU-Version`` header) and per row the label and class probabilities, or the value.
``GET /model``
    The model and version in service, the head, why they differ (pin, revoked head), the
    version's metrics, its artifact hash and when that was checked, attestations.
``GET /healthz``
    200 while a version is in service, else 503 with the reason.
``GET /metrics``
    Prometheus text: requests, latency, rows, errors, the version in service, swaps.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cmu_client.dataset import Dataset, load_csv
from cmu_client.errors import CmuError, DataError, Problem, ValidationError
from cmu_client.predict import predict
from cmu_client.spec import ModelSpec, Task
from cmu_client.tables import is_parquet, parquet_to_csv, records_to_csv
from offchain.serve.fastpath import records_matrix
from offchain.serve.follower import HeadFollower, Served

#: Bodies larger than this are refused before they are read (413).
DEFAULT_MAX_BODY = 64 * 1024 * 1024
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class ServeMetrics:
    """The Prometheus metrics of one app (its own registry, so apps do not collide)."""

    def __init__(self, model: int) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cmu_serve_requests",
            "HTTP requests answered",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "cmu_serve_request_seconds",
            "time to answer /predict",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter("cmu_serve_predicted_rows", "rows predicted", registry=self.registry)
        self.errors = Counter(
            "cmu_serve_errors", "failed /predict requests by kind", ["kind"], registry=self.registry
        )
        self.version = Gauge(
            "cmu_serve_version", "version in service (-1: none)", ["model"], registry=self.registry
        )
        self.head = Gauge(
            "cmu_serve_head",
            "the model's head on chain (-1: none)",
            ["model"],
            registry=self.registry,
        )
        self.swaps = Counter("cmu_serve_swaps", "versions swapped in", registry=self.registry)
        self.last_swap = Gauge(
            "cmu_serve_last_swap_timestamp_seconds",
            "when the version in service was swapped in",
            registry=self.registry,
        )
        self.chain_ok = Gauge(
            "cmu_serve_chain_up", "1 when the last chain poll worked", registry=self.registry
        )
        self.model = str(model)
        self.version.labels(self.model).set(-1)
        self.head.labels(self.model).set(-1)


def build_app(
    follower: HeadFollower, *, max_body: int = DEFAULT_MAX_BODY, run_follower: bool = True
) -> Starlette:
    """The app; with ``run_follower`` its lifespan runs the follower's poll loop."""
    metrics = ServeMetrics(follower.model)

    def swapped(served: Served) -> None:
        metrics.swaps.inc()
        metrics.last_swap.set(time.time())

    follower.on_swap = swapped

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        import asyncio

        task = asyncio.create_task(follower.run()) if run_follower else None
        try:
            yield
        finally:
            follower.stop()
            if task is not None:
                await task

    async def predict_endpoint(request: Request) -> Response:
        served = follower.current  # read once: this request uses this version to the end
        started = time.perf_counter()
        status = 200
        try:
            if served is None:
                status = 503
                return _unavailable(follower)
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > max_body:
                status = 413
                metrics.errors.labels("too_large").inc()
                return JSONResponse(
                    {"error": f"the body is {length} bytes, over the {max_body}-byte limit"}, 413
                )
            body = await request.body()
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            try:
                answer = await run_in_threadpool(_predict, served, body, kind)
            except ValidationError as exc:
                status = 422
                metrics.errors.labels("invalid").inc()
                return JSONResponse(
                    _problem_body(exc, served), 422, headers=_version_header(served)
                )
            except CmuError as exc:
                status = 400
                metrics.errors.labels("bad_request").inc()
                return JSONResponse(
                    {"error": exc.message, "hint": exc.hint}, 400, headers=_version_header(served)
                )
            metrics.rows.inc(answer["rows"])
            return JSONResponse(answer, headers=_version_header(served))
        finally:
            metrics.requests.labels("/predict", str(status)).inc()
            if status == 200:
                metrics.latency.observe(time.perf_counter() - started)

    async def model_endpoint(request: Request) -> Response:
        metrics.requests.labels("/model", "200").inc()
        return JSONResponse(describe(follower))

    async def health_endpoint(request: Request) -> Response:
        served = follower.current
        if served is None:
            metrics.requests.labels("/healthz", "503").inc()
            return _unavailable(follower)
        metrics.requests.labels("/healthz", "200").inc()
        return JSONResponse(
            {
                "status": "ok",
                "model": served.model,
                "version": served.version.id,
                "chain_up": follower.state.chain_ok,
                "last_error": follower.state.last_error,
            }
        )

    async def metrics_endpoint(request: Request) -> Response:
        served = follower.current
        metrics.version.labels(metrics.model).set(-1 if served is None else served.version.id)
        head = follower.state.head
        metrics.head.labels(metrics.model).set(-1 if head is None else head)
        metrics.chain_ok.set(1 if follower.state.chain_ok else 0)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/predict", predict_endpoint, methods=["POST"]),
            Route("/model", model_endpoint, methods=["GET"]),
            Route("/healthz", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.follower = follower
    app.state.metrics = metrics
    return app


def _version_header(served: Served) -> dict[str, str]:
    return {"X-CMU-Model": str(served.model), "X-CMU-Version": str(served.version.id)}


def _unavailable(follower: HeadFollower) -> Response:
    reason = follower.state.unavailable or follower.state.last_error or "loading the model"
    return JSONResponse(
        {"error": f"no version in service: {reason}"}, 503, headers={"Retry-After": "1"}
    )


def _problem_body(exc: ValidationError, served: Served) -> dict[str, Any]:
    return {
        "error": exc.message,
        "problems": [_problem(p) for p in exc.problems],
        "more": exc.more,
        "hint": exc.hint,
        "model": served.model,
        "version": served.version.id,
    }


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "row": problem.row,
        "column": problem.column,
        "problem": problem.problem,
        "expected": problem.expected,
        "message": str(problem),
    }


def request_table(body: bytes, content_type: str) -> tuple[bytes | None, Any]:
    """The request's table: CSV bytes (from CSV or Parquet), or decoded JSON records."""
    if is_parquet(body) or content_type in (
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/parquet",
    ):
        return parquet_to_csv(body, "request"), None
    if content_type == "application/json" or (not content_type and body[:1] in b"[{"):
        try:
            return None, json.loads(body)
        except ValueError as exc:
            raise DataError(
                "request",
                [Problem(None, None, f"not valid JSON: {exc}")],
                'send [{"column": value, ...}, ...]',
            ) from None
    return body, None


def request_data(body: bytes, content_type: str, spec: ModelSpec) -> Dataset:
    """The request checked against ``spec`` (the CLI's rules and messages)."""
    csv_bytes, records = request_table(body, content_type)
    if csv_bytes is None:
        matrix = records_matrix(records, spec)  # plainly valid records skip the CSV text
        if matrix is not None:
            return Dataset(tuple(spec.feature_names), matrix, None)
        csv_bytes = records_to_csv(records, "request")
    return load_csv(
        csv_bytes, spec, require_label=False, allow_extra_columns=True, subject="request"
    )


def _predict(served: Served, body: bytes, content_type: str) -> dict[str, Any]:
    data = request_data(body, content_type, served.spec)
    values = predict(served.booster, data, served.spec)
    return {
        "model": served.model,
        "version": served.version.id,
        "rows": data.rows,
        "predictions": prediction_records(values, served.spec),
    }


def prediction_records(values: np.ndarray[Any, Any], spec: ModelSpec) -> list[dict[str, Any]]:
    """Per row ``{"value"}`` (regression) or ``{"label", "probabilities"}``."""
    if spec.task is Task.REGRESSION:
        return [{"value": float(v)} for v in values.tolist()]
    labels = list(spec.classes) if spec.classes else [str(i) for i in range(spec.class_count)]
    if spec.task is Task.BINARY:
        return [
            {"label": labels[int(p >= 0.5)], "probabilities": {labels[0]: 1.0 - p, labels[1]: p}}
            for p in values.tolist()
        ]
    return [
        {"label": labels[int(np.argmax(row))], "probabilities": dict(zip(labels, row, strict=True))}
        for row in values.tolist()
    ]


def describe(follower: HeadFollower) -> dict[str, Any]:
    """What ``GET /model`` answers."""
    served = follower.current
    state = follower.state
    body: dict[str, Any] = {
        "model": follower.model,
        "head": state.head,
        "pinned": follower.pin,
        "serving": None,
        "unavailable": state.unavailable,
        "chain_up": state.chain_ok,
        "last_poll": state.last_poll,
        "last_error": state.last_error,
        "swaps": state.swaps,
        "last_swap": state.last_swap,
        "recent_swaps": [
            {"at": at, "version": v, "reason": why} for at, v, why in state.history[-10:]
        ],
    }
    if served is None:
        return body
    version = served.version
    body["serving"] = {
        "version": version.id,
        "parent": version.parent,
        "status": version.status.value,
        "is_head": version.id == state.head,
        "fallback": served.fallback,
        "metrics": {m.key: m.as_float for m in version.metrics},
        "trainer": version.trainer,
        "created_at": version.created_at,
        "contributions": list(version.contributions),
        "artifact_cid": version.artifact_cid,
        "artifact_sha256": version.artifact_hash.hex(),
        "recipe_sha256": version.recipe_hash.hex(),
        "hash_verified_at": served.verified_at,
        # The chain records no attestations yet (the verification-attestation issue).
        "attestations": [],
        "spec": {
            "name": served.spec.name,
            "task": served.spec.task.value,
            "label": served.spec.label,
            "features": len(served.spec.features),
            "sha256": served.spec_hash.hex(),
        },
    }
    return body
