"""A TCP proxy on loopback that can cut every connection through it on demand.

Used by the soak (scripts/soak.py) to drop the websocket connections of clients and
workers to the chain while they are busy. Bytes pass unchanged to the real service; the
proxy keeps listening after a cut, so clients that reconnect get through again.
"""

from __future__ import annotations

import asyncio
import threading


class TcpProxy:
    """Listens on 127.0.0.1:``port`` (0: any free port) and forwards to ``target``."""

    def __init__(self, target_port: int, port: int = 0, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._requested_port = port
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> TcpProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self._requested_port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def cut(self) -> int:
        """Close every open connection (both sides); returns how many pairs were cut."""

        async def close_all() -> int:
            writers = list(self._writers)
            for writer in writers:
                writer.close()
            self._writers.clear()
            return len(writers) // 2

        return asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(timeout=10)

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await bridge(reader, writer, self.target, self._writers)


async def bridge(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    target: tuple[str, int],
    open_writers: set[asyncio.StreamWriter],
) -> None:
    """Connect an accepted client to ``target`` and relay both ways until either side
    closes; both writers are in ``open_writers`` while open (closing them cuts the pair).
    When the target refuses, the client is closed."""
    try:
        up_reader, up_writer = await asyncio.open_connection(*target)
    except OSError:
        writer.close()  # the service is down: the client sees a refused connection
        return
    open_writers |= {writer, up_writer}

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                # A closing transport buffers writes without bound while its peer does not
                # read (drain() returns at once when closing): stop instead.
                if dst.is_closing():
                    break
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            dst.close()
            open_writers.discard(dst)

    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
