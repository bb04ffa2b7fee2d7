"""The IPFS store against the live Kubo daemon: pinned puts, verified gets, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from cmu_client.config import IpfsSettings
from cmu_client.errors import (
    ContentNotFoundError,
    ContentTooLargeError,
    HashMismatchError,
    IpfsError,
    IpfsTimeoutError,
    UsageError,
)
from cmu_client.ipfs import IpfsStore, sha256

# A CID of bytes no test ever stores (sha2-256 of "cmu: never stored").
MISSING_CID = "bafkreieaqr3n2vgkxsadqygolmbtfdde5kspgynx2fdhyjt4ae4qg4uj64"


async def test_put_pins_and_get_returns_verified_bytes(client_ipfs: IpfsSettings) -> None:
    data = os.urandom(2_500_000)
    seen: list[tuple[int, int]] = []
    async with IpfsStore(dataclasses.replace(client_ipfs, chunk_bytes=1 << 20)) as store:
        stored = await store.put(data)
        assert stored.sha256 == sha256(data) and stored.size == len(data)
        assert stored.cid.startswith("bafy")
        assert await store.is_pinned(stored.cid)
        assert await store.size(stored.cid) == len(data)
        got = await store.get(stored.cid, stored.sha256, progress=lambda d, t: seen.append((d, t)))
    assert got == data
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    assert len(seen) == 4  # three 1 MiB chunks, after the initial report


async def test_hash_mismatch_is_an_error_not_a_silent_load(client_ipfs: IpfsSettings) -> None:
    async with IpfsStore(client_ipfs) as store:
        stored = await store.put(b"the real artifact")
        with pytest.raises(HashMismatchError) as caught:
            await store.get(stored.cid, sha256(b"what the chain says"), "model 1 v2 artifact")
    error = caught.value
    assert error.expected_hex == sha256(b"what the chain says").hex()
    assert error.actual_hex == stored.sha256.hex()
    assert "model 1 v2 artifact" in error.message and "do not use it" in (error.hint or "")


async def test_missing_cid_is_reported_as_not_found(client_ipfs: IpfsSettings) -> None:
    async with IpfsStore(client_ipfs) as store:
        started = time.monotonic()
        with pytest.raises(ContentNotFoundError, match="content not found"):
            await store.get(MISSING_CID, None)
        assert time.monotonic() - started < client_ipfs.timeout


async def test_malformed_cid_is_refused_before_asking(client_ipfs: IpfsSettings) -> None:
    async with IpfsStore(client_ipfs) as store:
        for bad in ("notacid", "", "bafy with space", "/ipfs/bafkrei"):
            with pytest.raises(UsageError, match="is not a CID"):
                await store.get(bad, None)


async def test_size_limits_apply_both_ways(client_ipfs: IpfsSettings) -> None:
    small = dataclasses.replace(client_ipfs, max_bytes=1000)
    async with IpfsStore(small) as store:
        with pytest.raises(ContentTooLargeError, match="over the 1000-byte limit"):
            await store.put(os.urandom(1001))
    async with IpfsStore(client_ipfs) as store:
        stored = await store.put(os.urandom(5000))
    async with IpfsStore(small) as store:
        with pytest.raises(ContentTooLargeError, match="is 5000 bytes"):
            await store.get(stored.cid, stored.sha256)


async def test_unpin_and_hash_only(client_ipfs: IpfsSettings) -> None:
    data = os.urandom(777)
    async with IpfsStore(client_ipfs) as store:
        cid = await store.cid_of(data)
        assert not await store.is_pinned(cid)
        assert not await store.has_pin_for(data)
        stored = await store.put(data)
        assert stored.cid == cid and await store.has_pin_for(data)
        await store.unpin(cid)
        assert not await store.is_pinned(cid)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


async def test_timeouts_are_clear(silent_server: int) -> None:
    settings = IpfsSettings(api=f"/ip4/127.0.0.1/tcp/{silent_server}", timeout=0.5)
    async with IpfsStore(settings) as store:
        with pytest.raises(IpfsTimeoutError, match=r"took longer than 0\.5s") as caught:
            await store.put(b"x")
    assert "CMU_IPFS_TIMEOUT" in (caught.value.hint or "")


async def test_daemon_down_is_clear() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with IpfsStore(IpfsSettings(api=f"/ip4/127.0.0.1/tcp/{port}", timeout=5)) as store:
        with pytest.raises(IpfsError, match=r"(no answer from|cannot reach) the IPFS") as caught:
            await asyncio.wait_for(store.version(), 10)
    assert "scripts/ipfs.sh start" in (caught.value.hint or "")


class _FakeKubo:
    """A stand-in for Kubo's RPC API: ``files/stat`` announces ``size`` bytes and ``cat``
    sends ``body`` in pieces, optionally stalling after ``stall_after`` bytes."""

    def __init__(self, body: bytes, size: int | None = None, stall_after: int | None = None):
        self.body = body
        self.size = len(body) if size is None else size
        self.stall_after = stall_after
        self.cats: list[dict[str, str]] = []
        self.release = asyncio.Event()

    def app(self) -> Any:
        from aiohttp import web

        async def stat(request: web.Request) -> web.Response:
            return web.json_response({"Size": self.size, "Type": "file", "Hash": "x"})

        async def cat(request: web.Request) -> web.StreamResponse:
            self.cats.append(dict(request.query))
            response = web.StreamResponse()
            await response.prepare(request)
            for start in range(0, len(self.body), 65_536):
                if self.stall_after is not None and start >= self.stall_after:
                    await self.release.wait()
                await response.write(self.body[start : start + 65_536])
            await response.write_eof()
            return response

        app = web.Application()
        app.router.add_post("/api/v0/files/stat", stat)
        app.router.add_post("/api/v0/cat", cat)
        return app


@contextlib.asynccontextmanager
async def _serving(kubo: _FakeKubo, timeout: float = 5) -> AsyncIterator[IpfsStore]:
    from aiohttp import web

    runner = web.AppRunner(kubo.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        settings = IpfsSettings(api=f"/ip4/127.0.0.1/tcp/{port}", timeout=timeout)
        async with IpfsStore(dataclasses.replace(settings, chunk_bytes=1 << 20)) as store:
            yield store
    finally:
        kubo.release.set()
        await runner.cleanup()


FAKE_CID = "bafkreieaqr3n2vgkxsadqygolmbtfdde5kspgynx2fdhyjt4ae4qg4uj64"


async def test_a_get_is_one_cat_request_streamed_and_hashed() -> None:
    body = os.urandom(3 * (1 << 20) + 123)
    kubo = _FakeKubo(body)
    seen: list[tuple[int, int]] = []
    async with _serving(kubo) as store:
        got = await store.get(FAKE_CID, sha256(body), progress=lambda d, t: seen.append((d, t)))
        assert got == body and isinstance(got, bytes)
        assert len(kubo.cats) == 1 and kubo.cats[0]["length"] == str(len(body))
        # progress as the bytes arrive, at most once per MiB, after the initial report
        done = [d for d, _ in seen]
        assert seen[0] == (0, len(body)) and seen[-1] == (len(body), len(body))
        assert done == sorted(done) and 3 <= len(done) <= 5
        with pytest.raises(HashMismatchError):
            await store.get(FAKE_CID, sha256(b"something else"), "data")


async def test_a_node_that_sends_too_little_or_too_much_is_refused() -> None:
    body = os.urandom(200_000)
    async with _serving(_FakeKubo(body, size=300_000)) as store:
        with pytest.raises(IpfsError, match="ended after 200000 of 300000 bytes"):
            await store.get(FAKE_CID, None, "data")
    async with _serving(_FakeKubo(body, size=100_000)) as store:
        with pytest.raises(IpfsError, match="more than the 100000 bytes it announced"):
            await store.get(FAKE_CID, None, "data")


async def test_a_stalled_download_times_out_but_a_slow_one_does_not() -> None:
    body = os.urandom(500_000)
    async with _serving(_FakeKubo(body, stall_after=200_000), timeout=0.5) as store:
        started = time.monotonic()
        with pytest.raises(IpfsTimeoutError, match="took longer than"):
            await store.get(FAKE_CID, None, "data")
        assert time.monotonic() - started < 5
