"""Private validation sets a trainer holds: files in a directory, found by their sha2-256.

A spec may commit to its validation set without publishing it (``"private": true``; see
:mod:`cmu_client.commands.validation`). The owner gives the file to the trainers, who run
``cmu worker run --validation-dir DIR``. A file is used only if its bytes hash to the
committed sha2-256, so a wrong or stale file is never trained against. The directory is
scanned again when a committed hash is not found, so a file dropped in after a rotation is
picked up without a restart.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cmu_client.errors import CmuError
from cmu_client.spec import ContentRef

#: Files larger than this are not hashed while scanning (validation sets are tables).
MAX_FILE_BYTES = 1 << 30


class PrivateSetMissing(CmuError):
    """A model's validation set is private and this trainer does not hold it."""


class PrivateSets:
    """The private validation sets in one directory (none when ``directory`` is None)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._by_hash: dict[bytes, Path] = {}
        self._seen: dict[Path, tuple[int, int]] = {}

    def get(self, ref: ContentRef, model: int | None = None) -> bytes:
        """The bytes committed to by ``ref``; :class:`PrivateSetMissing` when not held."""
        path = self._by_hash.get(ref.sha256)
        if path is None:
            self._scan()
            path = self._by_hash.get(ref.sha256)
        if path is not None:
            raw = path.read_bytes()
            if hashlib.sha256(raw).digest() == ref.sha256:
                return raw
            del self._by_hash[ref.sha256]  # the file changed since the scan
        whose = f"model {model}'s" if model is not None else "the"
        where = (
            f"none of the files in {self.directory} hashes to it"
            if self.directory is not None
            else "this worker has no --validation-dir"
        )
        raise PrivateSetMissing(
            f"{whose} validation set is private (committed sha2-256 {ref.sha256.hex()[:16]}...,"
            f" CID {ref.cid}) and {where}",
            "ask the model's owner for the file and pass its directory with --validation-dir",
        )

    def _scan(self) -> None:
        if self.directory is None or not self.directory.is_dir():
            return
        for path in sorted(self.directory.iterdir()):
            if not path.is_file():
                continue
            stat = path.stat()
            key = (stat.st_size, stat.st_mtime_ns)
            if self._seen.get(path) == key or stat.st_size > MAX_FILE_BYTES:
                continue
            self._seen[path] = key
            self._by_hash[hashlib.sha256(path.read_bytes()).digest()] = path
