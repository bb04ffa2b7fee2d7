"""One worker per state directory: an exclusive ``flock`` on ``STATE/worker.lock``.

Two workers sharing checkpoints would overwrite each other's round records and could
publish or settle from a record the other one wrote. The lock is taken when the worker
starts and held for its whole run; the kernel drops it when the process ends, even after
``kill -9``, so a stale lock file never blocks a restart. The file holds the owner's pid
and address, which the refusal names.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from cmu_client.errors import CmuError

LOCK_NAME = "worker.lock"


class StateDirLockedError(CmuError):
    """Another running worker holds the state directory."""


class StateDirLock:
    """``with StateDirLock(state_dir, address): ...`` holds the directory exclusively."""

    def __init__(self, directory: Path, owner: str) -> None:
        self.directory = directory
        self.owner = owner
        self.path = directory / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise StateDirLockedError(
                f"another worker{holder} is running with the state directory {self.directory}",
                "stop that worker first, or give this one its own --state-dir",
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.owner}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> StateDirLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        return ""
    if len(text) >= 2 and text[0].isdigit():
        return f" (pid {text[0]}, key {text[1]})"
    return ""
