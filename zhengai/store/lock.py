"""One writer per store: an advisory lock (``flock``) on ``zhengai.lock`` in the store's folder.

RocksDB locks its folder too, but its refusal ("While lock file … Resource temporarily unavailable")
names no one. This lock is taken first and holds the holder's pid, so a second process is told who
has the store ("store in use by pid N") and opens nothing. The kernel drops the lock when the
holder ends, however it ends (a SIGKILL included): a crash never leaves a store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from zhengai.errors import StoreError

LOCK_NAME = "zhengai.lock"


class StoreInUse(StoreError):
    code = "store_in_use"

    def __init__(self, path: Path, pid: str) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(
            f"数据存储「{path}」正被进程 {pid or '（未知）'} 使用：请等它结束，或停止它后再试",
            f"store in use by {who}: '{path}' is open in that process; wait for it to end, or stop it",
        )
        self.pid = int(pid) if pid.isdigit() else None


class StoreLock:
    """Held from a store's opening to its closing."""

    def __init__(self, folder: Path) -> None:
        self.file = folder / LOCK_NAME
        self._fd: int | None = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip()
            os.close(self._fd)
            self._fd = None
            raise StoreInUse(folder, holder) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode("ascii"), 0)

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:  # a store dropped without close(): its lock goes with it
        self.release()
