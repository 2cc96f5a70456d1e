"""The API's test college: the sample, plus one student's own observation (so that one gap is about
a person), diagnosed for 2024 and 2025; and a token for every role."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import MATRIX, SAMPLE
from openpyxl import load_workbook
from zhengai.api.roles import Tokens

from zhengai import diagnosis
from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

STUDENT = "202320201"  # a student of 网络2301 (信息工程学院)
TOKENS = {
    "quality_office": "qo-secret",
    "auditor": "auditor-secret",
    "reader": "reader-secret",
    "unit_head": "xx-head-secret",  # 信息工程学院
    "unit_head_other": "zn-head-secret",  # 智能制造学院
    "teacher": "t1005-secret",  # 曾思远, holds XX-12 in 信息工程学院
    "teacher_other": "t1002-secret",  # 曹雨欣, 智能制造学院
    "ingest": "xg-ingest-secret",  # 学工系统: pushes student-level observations only
    "region": "region-secret",  # a region's office: the region views only
    "other_college": "qo-20888-secret",  # the quality office of college 20888
}
TOKEN_FILE = f"""
[[token]]
name = "质量管理处"
role = "quality_office"
token = "{TOKENS["quality_office"]}"

[[token]]
role = "auditor"
sha256 = "{__import__("hashlib").sha256(TOKENS["auditor"].encode()).hexdigest()}"

[[token]]
role = "reader"
token = "{TOKENS["reader"]}"

[[token]]
role = "unit_head"
unit = "信息工程学院"
token = "{TOKENS["unit_head"]}"

[[token]]
role = "unit_head"
unit = "智能制造学院"
token = "{TOKENS["unit_head_other"]}"

[[token]]
role = "teacher"
person = "T1005"
token = "{TOKENS["teacher"]}"

[[token]]
role = "teacher"
person = "T1002"
token = "{TOKENS["teacher_other"]}"

[[token]]
name = "学工系统"
role = "ingest"
levels = ["学生"]
token = "{TOKENS["ingest"]}"

[[token]]
name = "市教委"
role = "region"
token = "{TOKENS["region"]}"

[[token]]
role = "quality_office"
college = "20888"
token = "{TOKENS["other_college"]}"
"""


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"} if who != "public" else {}


def observations_with_a_student(folder: Path) -> Path:
    """The sample's 状态数据 with one more row: a student's own value. The student then reported at
    the 学生 level, so the student indicators due per subject are due for them: XS-2.3.10-01 (the
    others are 全校 totals, due for the school alone) becomes their gap."""
    wb = load_workbook(SAMPLE / "状态数据.xlsx")
    wb.active.append(["XS-2.1.1.3-01", STUDENT, 2025, 0.2, None, None, "学工系统", "2026-06-30"])
    path = folder / "状态数据.xlsx"
    wb.save(path)
    return path


def build_store(folder: Path) -> Path:
    path = folder / "store"
    files = [MATRIX, *sorted(p for p in SAMPLE.glob("*.xlsx") if p.name != "状态数据.xlsx")]
    files.append(observations_with_a_student(folder))
    with OxigraphStore(path) as store:
        for file, kind in batch_order(files, None):
            load_file(store, file, kind)
        diagnosis.diagnose(store, 2024)
        diagnosis.diagnose(store, 2025)
    return path


def tokens(folder: Path) -> Tokens:
    file = folder / "tokens.toml"
    file.write_text(TOKEN_FILE, encoding="utf-8")
    return Tokens.from_file(file)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The base URL of a running server, with its process (for a test that kills it)."""

    def __new__(cls, base: str, process: subprocess.Popen) -> Served:  # type: ignore[type-arg]
        made = super().__new__(cls, base)
        made.process = process  # type: ignore[attr-defined]
        return made


@contextmanager
def serving(store: Path, env: dict[str, str], *args: str) -> Iterator[str]:
    """``zhengai serve`` over ``store`` on a free 127.0.0.1 port, with ``env`` added to the
    environment; yields the base URL once /healthz answers, and stops the server after."""
    import httpx

    port = free_port()
    environment = {**os.environ, **env}
    environment.pop("ZHENGAI_TOKENS_FILE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "zhengai.cli", "--store", str(store), "serve", "--host", "127.0.0.1",
         "--port", str(port), *args],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"zhengai serve did not start:\n{output}")
            time.sleep(0.2)
        yield Served(base, process)
    finally:
        with contextlib.suppress(ProcessLookupError):  # unless the test killed it
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
