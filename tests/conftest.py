"""Session setup shared by every test: the live dev network and the fixture modules.

- Every ``tests/fixtures_*.py`` module is loaded as a pytest plugin, so the fixtures it
  defines are available to all tests without imports.
- ``dev_chain_url`` / ``ipfs_api`` / ``ipfs_gateway_url`` make sure the dev chain
  (chopsticks, ``scripts/chain.sh``) and Kubo (``scripts/ipfs.sh``) are running, starting
  them when they are not, and export ``CMU_RPC_URL`` / ``CMU_IPFS_API`` for code that reads
  the environment. An autouse session fixture requests both, so the network is up before the
  first test; set ``CMU_TESTS_NO_NETWORK=1`` to run pure tests without starting it.
- When ``CMU_RPC_URL`` or ``CMU_IPFS_API`` is already set, that service is used as given and
  only checked, never started.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
SCRIPTS = REPO_ROOT / "scripts"
SERVICE_START_TIMEOUT_S = 300


#: Set by scripts/test.sh: a directory under which each pytest-xdist worker starts a chain
#: and a Kubo of its own (free ports), so parallel tests never share nonces or balances.
NETWORK_PER_WORKER_ENV = "CMU_TEST_NETWORK_PER_WORKER"


def pytest_configure(config: pytest.Config) -> None:
    """Registers every tests/fixtures_*.py module as a plugin (sorted, so order is stable);
    under pytest-xdist with $CMU_TEST_NETWORK_PER_WORKER, starts this worker's network."""
    for module in sorted(TESTS_DIR.glob("fixtures_*.py")):
        if not config.pluginmanager.has_plugin(module.stem):
            config.pluginmanager.import_plugin(module.stem)
    base = os.environ.get(NETWORK_PER_WORKER_ENV)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if base and worker and os.environ.get("CMU_TESTS_NO_NETWORK") != "1":
        _start_worker_network(Path(base) / worker)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stops this worker's network (xdist workers may exit before pytest_unconfigure)."""
    if os.environ.get(NETWORK_PER_WORKER_ENV) and os.environ.get("PYTEST_XDIST_WORKER"):
        for script in ("chain.sh", "ipfs.sh"):
            subprocess.run([str(SCRIPTS / script), "stop"], capture_output=True, check=False)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _start_worker_network(run_dir: Path) -> None:
    chain_port, api_port, gateway_port = _free_ports(3)
    os.environ.update(
        CMU_RUN=str(run_dir),
        CMU_CHAIN_PORT=str(chain_port),
        CMU_IPFS_API_PORT=str(api_port),
        CMU_IPFS_GATEWAY_PORT=str(gateway_port),
        CMU_RPC_URL=f"ws://127.0.0.1:{chain_port}",
        CMU_IPFS_API=f"/ip4/127.0.0.1/tcp/{api_port}",
    )
    for script in ("chain.sh", "ipfs.sh"):
        result = subprocess.run(
            [str(SCRIPTS / script), "start"],
            capture_output=True,
            text=True,
            timeout=SERVICE_START_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise pytest.UsageError(
                f"{script} start for this test worker ({run_dir}) failed:\n"
                + result.stderr
                + result.stdout
            )


def _start_service(script: str) -> None:
    """Runs ``scripts/<script> start`` (idempotent) and fails the session with its output."""
    command = [str(SCRIPTS / script), "start"]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=SERVICE_START_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} did not finish within {SERVICE_START_TIMEOUT_S}s")
    if result.returncode != 0:
        output = result.stderr + result.stdout
        pytest.fail(
            f"{' '.join(command)} failed (exit {result.returncode}):\n{output}", pytrace=False
        )


def _check_reachable(host: str, port: int, what: str) -> None:
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as error:
        pytest.fail(f"{what} at {host}:{port} is not reachable: {error}", pytrace=False)


def _host_port_of_url(url: str) -> tuple[str, int]:
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = netloc.rpartition(":")
    return host.strip("[]"), int(port)


def _host_port_of_multiaddr(maddr: str) -> tuple[str, int]:
    parts = maddr.strip("/").split("/")
    return parts[1], int(parts[3])


@pytest.fixture(scope="session")
def dev_chain_url() -> str:
    """WebSocket URL of a running dev chain (started with scripts/chain.sh when needed)."""
    given = os.environ.get("CMU_RPC_URL")
    if given:
        _check_reachable(*_host_port_of_url(given), "the chain at $CMU_RPC_URL")
        return given
    _start_service("chain.sh")
    url = f"ws://127.0.0.1:{os.environ.get('CMU_CHAIN_PORT', '9944')}"
    os.environ["CMU_RPC_URL"] = url
    return url


@pytest.fixture(scope="session")
def ipfs_api() -> str:
    """Multiaddr of a running Kubo RPC API (started with scripts/ipfs.sh when needed)."""
    given = os.environ.get("CMU_IPFS_API")
    if given:
        _check_reachable(*_host_port_of_multiaddr(given), "Kubo at $CMU_IPFS_API")
        return given
    _start_service("ipfs.sh")
    maddr = f"/ip4/127.0.0.1/tcp/{os.environ.get('CMU_IPFS_API_PORT', '5001')}"
    os.environ["CMU_IPFS_API"] = maddr
    return maddr


@pytest.fixture(scope="session")
def ipfs_gateway_url(ipfs_api: str) -> str:
    """HTTP URL of the Kubo gateway started with the API."""
    return f"http://127.0.0.1:{os.environ.get('CMU_IPFS_GATEWAY_PORT', '8080')}"


@pytest.fixture(scope="session", autouse=True)
def dev_network(request: pytest.FixtureRequest) -> None:
    """Brings the dev chain and Kubo up once, before the first test."""
    if os.environ.get("CMU_TESTS_NO_NETWORK") == "1":
        return
    request.getfixturevalue("dev_chain_url")
    request.getfixturevalue("ipfs_api")
