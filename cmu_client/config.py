"""Endpoints, timeouts and limits, from the environment with local-dev defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass

from cmu_client.errors import ConfigError

DEFAULT_RPC_URL = "ws://127.0.0.1:9944"
DEFAULT_IPFS_API = "/ip4/127.0.0.1/tcp/5001"
#: The address format of CMU chains (42: generic Substrate, ``5...`` addresses).
SS58_FORMAT = 42


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            f"${name}={raw!r} is not a number", f"unset {name} or give seconds"
        ) from None
    if value <= 0:
        raise ConfigError(f"${name} must be positive")
    return value


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"${name}={raw!r} is not an integer") from None


@dataclass(frozen=True)
class ChainSettings:
    """How to reach the chain and how long to wait for it."""

    url: str = DEFAULT_RPC_URL
    #: Socket timeout of one RPC round trip, seconds.
    request_timeout: float = 30.0
    #: How long to wait for a submitted extrinsic to be included, seconds.
    inclusion_timeout: float = 120.0
    #: Reconnect attempts after the connection drops, before giving up.
    reconnect_attempts: int = 3

    @classmethod
    def from_env(cls, url: str | None = None) -> ChainSettings:
        return cls(
            url=url or os.environ.get("CMU_RPC_URL") or DEFAULT_RPC_URL,
            request_timeout=_float_env("CMU_RPC_TIMEOUT", 30.0),
            inclusion_timeout=_float_env("CMU_INCLUSION_TIMEOUT", 120.0),
            reconnect_attempts=_int_env("CMU_RECONNECT_ATTEMPTS", 3),
        )


@dataclass(frozen=True)
class IpfsSettings:
    """How to reach Kubo's RPC API and what sizes and waits are acceptable."""

    api: str = DEFAULT_IPFS_API
    #: Timeout of one IPFS request, seconds.
    timeout: float = 60.0
    #: Largest object fetched or stored, bytes (256 MiB).
    max_bytes: int = 256 * 1024 * 1024
    #: Download chunk size (progress granularity), bytes.
    chunk_bytes: int = 1024 * 1024

    @classmethod
    def from_env(cls, api: str | None = None) -> IpfsSettings:
        return cls(
            api=api or os.environ.get("CMU_IPFS_API") or DEFAULT_IPFS_API,
            timeout=_float_env("CMU_IPFS_TIMEOUT", 60.0),
            max_bytes=_int_env("CMU_IPFS_MAX_BYTES", 256 * 1024 * 1024),
        )
