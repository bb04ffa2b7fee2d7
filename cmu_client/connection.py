"""One reused substrate-interface connection, with timeouts and automatic reconnect.

Every RPC of the client goes through :meth:`ChainConnection.run`, which serialises
access (substrate-interface is not thread safe, and the worker calls it from threads),
applies the socket timeout, and on a dropped connection reconnects and retries reads
with a short backoff. Writes pass ``retry=False``: resubmitting is the caller's choice.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import websocket
from substrateinterface import SubstrateInterface
from substrateinterface.exceptions import SubstrateRequestException

from cmu_client.config import SS58_FORMAT, ChainSettings
from cmu_client.errors import ChainConnectionError, ChainTimeoutError, CmuError, RpcError

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_DROPPED = (
    websocket.WebSocketConnectionClosedException,
    websocket.WebSocketBadStatusException,
    ConnectionError,
    BrokenPipeError,
    OSError,
)
_TIMEOUTS = (websocket.WebSocketTimeoutException, socket.timeout, TimeoutError)


#: scalecodec builds each connection's type registry from the process-wide class tree of
#: its decoders, which other connections extend while they decode; several connections
#: building registries at once in one process (threads) have produced an incomplete one
#: ("Decoder class for Compact<u32> not found", seen in the soak). One at a time, then.
_REGISTRY_LOCK = threading.Lock()


class ChainConnection:
    """Lazily connected, automatically reconnecting access to one node."""

    def __init__(self, settings: ChainSettings | None = None) -> None:
        self.settings = settings or ChainSettings.from_env()
        self._substrate: Any = None
        self._lock = threading.RLock()

    # -- lifecycle ----------------------------------------------------------------

    def _open(self) -> Any:
        try:
            with _REGISTRY_LOCK:
                substrate = SubstrateInterface(
                    url=self.settings.url,
                    ss58_format=SS58_FORMAT,
                    ws_options={"timeout": self.settings.request_timeout},
                    auto_reconnect=True,
                )
                substrate.init_runtime()  # the registry, while no other connection builds one
        except _TIMEOUTS:
            raise ChainTimeoutError(
                f"the chain at {self.settings.url} did not answer within "
                f"{self.settings.request_timeout:g}s",
                "check `scripts/chain.sh status`, or raise $CMU_RPC_TIMEOUT",
            ) from None
        except (*_DROPPED, SubstrateRequestException, ValueError, NotImplementedError) as exc:
            raise ChainConnectionError(
                f"cannot connect to the chain at {self.settings.url} ({type(exc).__name__})",
                "start it with `scripts/chain.sh start` or set $CMU_RPC_URL",
            ) from None
        return substrate

    @property
    def substrate(self) -> Any:
        """The live SubstrateInterface (connecting on first use)."""
        with self._lock:
            if self._substrate is None:
                self._substrate = self._open()
            return self._substrate

    def _reconnect(self) -> None:
        # Always from scratch: a drop in the middle of substrate-interface's init_runtime
        # leaves that instance's type registry cleared but marked current, and every later
        # decode fails ("Decoder class for Compact<u32> not found"; seen in the soak).
        # The next request opens a new connection and reads the metadata again.
        self._drop()

    def _drop(self) -> None:
        substrate, self._substrate = self._substrate, None
        if substrate is not None:
            # Closing a broken socket may fail in many ways; it is being dropped anyway.
            with contextlib.suppress(Exception):
                substrate.close()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __enter__(self) -> ChainConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running requests ---------------------------------------------------------

    def run(self, action: Callable[[Any], _T], *, retry: bool = True, what: str = "request") -> _T:
        """Run ``action(substrate)``; on a dropped connection reconnect and (if ``retry``)
        run it again, up to ``reconnect_attempts`` times."""
        attempts = self.settings.reconnect_attempts if retry else 0
        with self._lock:
            for attempt in range(attempts + 1):
                try:
                    return action(self.substrate)
                except CmuError:
                    raise
                except _TIMEOUTS:
                    # The socket may hold a late answer that would be taken for the next
                    # request's; start over on a fresh socket.
                    self._drop()
                    raise ChainTimeoutError(
                        f"the chain did not answer a {what} within "
                        f"{self.settings.request_timeout:g}s",
                        "check `scripts/chain.sh status`, or raise $CMU_RPC_TIMEOUT",
                    ) from None
                except NotImplementedError as exc:
                    # scalecodec found no decoder for a type: this connection's registry is
                    # incomplete (see _REGISTRY_LOCK). A fresh connection builds it again.
                    log.warning("incomplete type registry during %s (%s); reconnecting", what, exc)
                    self._drop()
                    if attempt == attempts:
                        raise ChainConnectionError(
                            f"could not decode the chain's data during a {what} ({exc})",
                            "retry; if it persists, the runtime's metadata has a type this "
                            "client cannot decode",
                        ) from None
                except _DROPPED as exc:
                    log.warning(
                        "chain connection lost during %s (%s); reconnecting",
                        what,
                        type(exc).__name__,
                    )
                    self._reconnect()
                    if attempt == attempts:
                        self._drop()
                        raise ChainConnectionError(
                            f"lost the connection to {self.settings.url} during a {what}",
                            "check that the chain is running (`scripts/chain.sh status`)",
                        ) from None
                    time.sleep(min(0.2 * 2**attempt, 2.0))
        raise AssertionError("unreachable")

    def rpc(self, method: str, params: list[Any], *, retry: bool = True) -> Any:
        """A raw JSON-RPC call; returns ``result`` or raises :class:`RpcError` with the
        node's message when the node answers with an error."""

        def call(substrate: Any) -> Any:
            try:
                response = substrate.rpc_request(method, params)
            except SubstrateRequestException as exc:  # the library raises some errors itself
                response = {"error": exc.args[0] if exc.args else str(exc)}
            if "error" in response:
                raise rpc_error(method, response["error"])
            return response.get("result")

        return self.run(call, retry=retry, what=method)


#: What the pool's ``InvalidTransaction`` / ``UnknownTransaction`` codes mean.
_INVALID = {
    "stale": "the transaction is outdated: its nonce was already used (a replay?)",
    "future": "the transaction's nonce is ahead of the account's",
    "badProof": "the signature does not match the signer and the transaction",
    "payment": "the signer cannot pay the fee",
    "exhaustsResources": "the transaction does not fit in a block",
    "call": "the call cannot be dispatched",
    "badSigner": "the signer is not valid here",
}


def rpc_error(method: str, error: Any) -> RpcError:
    """A readable :class:`RpcError` from a node's JSON-RPC error object."""
    if isinstance(error, dict):
        detail = str(error.get("message", "")).strip()
        data = str(error.get("data", "") or "").strip()
        detail = f"{detail}: {data}" if data else detail
    else:
        detail = str(error)
    known = [text for code, text in _INVALID.items() if f'"{code}"' in detail]
    if known:
        detail = f"{known[0]} ({detail})"
    elif "unreachable" in detail and method == "author_submitExtrinsic":
        detail = f"the runtime cannot decode these bytes as an extrinsic ({detail})"
    return RpcError(
        f"the node refused {method}: {detail}", "check what was sent; nothing was applied"
    )
