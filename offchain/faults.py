"""Test hooks that make the worker crash or wait at a named point of a round.

``CMU_WORKER_CRASH_AT=<point>`` makes the process SIGKILL itself when it reaches that point
(no cleanup, no flushing: what ``kill -9`` does). ``CMU_WORKER_HOLD_AT=<point>`` with
``CMU_WORKER_HOLD_FILE=<path>`` makes it wait at that point until the file exists, so a test
can line two workers up before they race. Unset, both cost one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path

log = logging.getLogger(__name__)


def crash_point(point: str) -> None:
    """SIGKILL this process if ``$CMU_WORKER_CRASH_AT`` names ``point``."""
    if os.environ.get("CMU_WORKER_CRASH_AT") == point:
        log.warning("fault injection: killing the worker at %s", point)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)


async def hold_point(point: str) -> None:
    """Wait for ``$CMU_WORKER_HOLD_FILE`` to exist if ``$CMU_WORKER_HOLD_AT`` names ``point``."""
    if os.environ.get("CMU_WORKER_HOLD_AT") != point:
        return
    gate = Path(os.environ.get("CMU_WORKER_HOLD_FILE", ""))
    log.warning("fault injection: holding at %s until %s exists", point, gate)
    while not gate.exists():
        await asyncio.sleep(0.1)
