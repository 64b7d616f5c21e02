"""Folders that hold someone's work (a training run, an evaluation): locked while in use, never silently reused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK = ".lock"
_HELD: set[int] = set()
"""Descriptors of the locks this process holds."""


def _close_locks_in_child() -> None:
    """A forked child (a decoder worker, a data-loader worker) shares the parent's lock descriptors; were it to
    outlive a killed parent, it would keep the folder locked. It never writes the folder, so it closes them."""
    for fd in _HELD:
        os.close(fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_close_locks_in_child)


class FolderLock:
    """An exclusive lock on ``folder`` (created if missing) for as long as the ``with`` block runs.

    ``ValueError`` naming the folder if another process holds it. The lock is the kernel's ``flock`` on
    ``folder/.lock``, so a killed process never leaves a stale lock behind; forked children do not inherit it.
    """

    def __init__(self, folder: str | Path, what: str = "folder"):
        self.folder, self.what, self._fd = Path(folder), what, None

    def __enter__(self) -> "FolderLock":
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"{self.what} {self.folder} is a file, not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ValueError(f"{self.what} {self.folder} is in use by another process") from None
        self._fd = fd
        _HELD.add(fd)
        return self

    def __exit__(self, *exc) -> None:
        _HELD.discard(self._fd)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None


def contents(folder: str | Path) -> list[str]:
    """Names in ``folder`` other than its lock file (empty if it does not exist)."""
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir() if p.name != LOCK) if folder.is_dir() else []


def remove_orphans(folder: str | Path) -> list[str]:
    """Delete the temporary files that a killed ``atomic_write`` left in ``folder`` (``.NAME.*.tmp``); call it
    only while holding the folder's lock. Returns their names."""
    orphans = [p for p in Path(folder).glob(".*.tmp") if p.is_file()]
    for p in orphans:
        p.unlink()
    return [p.name for p in orphans]
