"""One JSON-RPC request over HTTP to the dev chain, for the stdlib-only service scripts."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def rpc(url: str, method: str, params: list[Any], timeout: float = 60) -> Any:
    """The result of ``method``; RuntimeError with the node's error when it answers one."""
    payload = json.dumps({"id": 1, "jsonrpc": "2.0", "method": method, "params": params})
    request = urllib.request.Request(url, payload.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]
