"""``cmu serve``: an HTTP prediction service that follows a model's head.

- :mod:`offchain.serve.follower` watches the chain, picks the version to serve (the head,
  a pinned version, or the newest good ancestor of a revoked head), fetches and
  hash-checks its artifact, loads it, and swaps it in as one immutable :class:`Served`.
- :mod:`offchain.serve.app` is the ASGI application (Starlette): ``POST /predict``,
  ``GET /model``, ``GET /healthz``, ``GET /metrics`` (Prometheus).
- :mod:`offchain.serve.cli` is the ``cmu.plugins`` entry point adding ``cmu serve``.

See docs/serving.md.
"""
