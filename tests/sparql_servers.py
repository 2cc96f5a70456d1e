"""Real SPARQL 1.1 servers for the tests and benchmarks, started on 127.0.0.1 and stopped after.

- Oxigraph server: ``oxigraph serve`` from the PyPI package ``oxigraph`` (installed with the dev
  extras);
- OpenLink Virtuoso: ``virtuoso-t`` from Debian's ``virtuoso-opensource`` (``make system``).

Each server gets its own directory and free ports, and ``env`` says how zhengai reaches it (the
``ZHENGAI_STORE_*`` variables of ``zhengai.store.remote``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from zhengai.store import RemoteStore

VIRTUOSO = shutil.which("virtuoso-t")
OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
VIRTUOSO_VSP = "/var/lib/virtuoso-opensource-7/vsp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process; ``url`` and ``env`` say how to reach it."""

    kind = ""
    env: dict[str, str]

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready_url(self) -> str:
        raise NotImplementedError

    def start(self, seconds: float = 90) -> Server:
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.folder)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(self.ready_url(), timeout=2).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} did not start within {seconds:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def store(self) -> RemoteStore:
        return RemoteStore(self.url, env=self.env)

    def clear(self) -> None:
        """Drop every zhengai graph (a fresh dataset for the next test)."""
        with RemoteStore(self.url, env=self.env, ensure_ontology=False) as store:
            for name in store.named_graphs():
                store.drop_graph(name)
            store.drop_staging()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class OxigraphServer(Server):
    kind = "oxigraph"

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.env = {"ZHENGAI_STORE_SERVER": "oxigraph"}

    def command(self) -> list[str]:
        return [OXIGRAPH, "serve", "--location", str(self.folder / "db"), "--bind", f"127.0.0.1:{self.port}"]

    def ready_url(self) -> str:
        return f"{self.url}/query?query=ASK%7B%7D"


class VirtuosoServer(Server):
    kind = "virtuoso"

    def __init__(self, folder: Path, buffers: int = 20_000) -> None:
        super().__init__(folder)
        self.sql_port = free_port()
        self.buffers = buffers
        self.env = {
            "ZHENGAI_STORE_SERVER": "virtuoso",
            "ZHENGAI_STORE_USER": "dba",
            "ZHENGAI_STORE_PASSWORD": "dba",
            "ZHENGAI_STORE_AUTH": "digest",
        }

    def command(self) -> list[str]:
        d = self.folder
        (d / "virtuoso.ini").write_text(
            f"""[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{self.sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {d}
NumberOfBuffers = {self.buffers}
MaxDirtyBuffers = {self.buffers * 3 // 4}
[HTTPServer]
ServerPort = 127.0.0.1:{self.port}
ServerRoot = {VIRTUOSO_VSP}
MaxClientConnections = 20
ServerThreads = 20
Charset = UTF-8
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""
        )
        return [str(VIRTUOSO), "+foreground", "+configfile", str(d / "virtuoso.ini")]

    def ready_url(self) -> str:
        return f"{self.url}/sparql?query=ASK%7B%7D"


KINDS = {"oxigraph": OxigraphServer, "virtuoso": VirtuosoServer}


def available(kind: str) -> bool:
    return Path(OXIGRAPH).exists() if kind == "oxigraph" else VIRTUOSO is not None
