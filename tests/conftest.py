"""Shared fixtures: the sample college, a freshly loaded store, and a workbook writer."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from zhengai.loading import batch_order, load_file
from zhengai.store import OxigraphStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
MATRIX = ROOT / "data" / "matrix.csv"
SAMPLE_FILES = [MATRIX, *sorted(SAMPLE.glob("*.xlsx"))]


def load_sample(store: OxigraphStore) -> None:
    for path, kind in batch_order(SAMPLE_FILES, None):
        load_file(store, path, kind)


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The sample college loaded into an on-disk store, shared read-only across tests."""
    store = OxigraphStore(tmp_path_factory.mktemp("sample") / "store")
    load_sample(store)
    return store


@pytest.fixture
def store(tmp_path: Path) -> OxigraphStore:
    return OxigraphStore(tmp_path / "store")


@pytest.fixture
def loaded_store(tmp_path: Path) -> OxigraphStore:
    """A store of its own with the sample loaded, for tests that change it."""
    s = OxigraphStore(tmp_path / "store")
    load_sample(s)
    return s


@pytest.fixture
def sample_2025(tmp_path: Path) -> Iterator[OxigraphStore]:
    """A store of its own with the sample loaded and 2025 diagnosed, closed after the test."""
    from zhengai import diagnosis

    with OxigraphStore(tmp_path / "store") as s:
        load_sample(s)
        diagnosis.diagnose(s, 2025)
        yield s


def send(store: OxigraphStore, items: list[dict[str, object]], context=None):  # type: ignore[no-untyped-def]
    """Push ``items`` (JSON observations) as a campus system would; the push's result.
    ``context``: a ``zhengai.live.Live`` kept between pushes, as the server keeps one."""
    from zhengai import push

    sheet, problems = push.items_sheet(items)
    return push.push(store, [sheet], file="test", system="教务系统", problems=problems, context=context)


def expected_counts() -> dict[str, int]:
    with (SAMPLE / "expected_counts.csv").open(encoding="utf-8") as fh:
        return {row["what"]: int(row["count"]) for row in csv.DictReader(fh)}


def expected_observations() -> list[dict[str, str]]:
    with (SAMPLE / "expected_observations.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


Sheets = dict[str, list[list[object]]]


def write_workbook(path: Path, sheets: Sheets, merges: list[tuple[str, str]] = ()) -> Path:  # type: ignore[assignment]
    """Write ``{sheet: rows}`` to an .xlsx at ``path``; ``merges`` lists (sheet, "A2:A4") ranges."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, rows in sheets.items():
        ws = wb.create_sheet(sheet)
        for row in rows:
            ws.append(row)
    for sheet, ref in merges:
        wb[sheet].merge_cells(ref)
    wb.save(path)
    return path


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """Write ``{sheet: rows}`` to an .xlsx in the test's folder."""

    def write(name: str, sheets: Sheets, merges: list[tuple[str, str]] = ()) -> Path:  # type: ignore[assignment]
        return write_workbook(tmp_path / name, sheets, merges)

    return write


def quads(store: OxigraphStore) -> set[tuple]:
    return set(store.quads())


def generated_store(folder: Path, **sizes: int) -> OxigraphStore:
    """A college written by bench/generate.py (``seed``, ``majors``, ``courses``, ``teachers``,
    ``students``, ``years``) and loaded through the real loaders into an in-memory store."""
    import argparse
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import generate

    from zhengai.loading import batch_order, load_file

    paths = generate.College(argparse.Namespace(**sizes)).write(folder)
    store = OxigraphStore(None)
    for path, kind in batch_order(paths, None):
        load_file(store, path, kind)
    return store


# -- every kind of store: the embedded one and real SPARQL servers (tests/sparql_servers.py) -------

STORE_KINDS = ("embedded", "oxigraph", "virtuoso")


@pytest.fixture(scope="session")
def sparql_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The servers started so far this session, by kind (each started on first use, stopped at end)."""
    started: dict[str, object] = {}
    yield started
    for server in started.values():
        server.stop()  # type: ignore[attr-defined]


def sparql_server(kind: str, servers: dict[str, object], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import sparql_servers

    if not sparql_servers.available(kind):
        pytest.skip(f"{kind} is not installed (make system installs it)")
    if kind not in servers:
        servers[kind] = sparql_servers.KINDS[kind](tmp_path_factory.mktemp(kind)).start()
    server = servers[kind]
    server.clear()
    return server


@pytest.fixture(params=STORE_KINDS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path, sparql_servers, tmp_path_factory):  # type: ignore[no-untyped-def]
    """An empty store of each kind (a remote one: a real server, its zhengai graphs dropped)."""
    if request.param == "embedded":
        with OxigraphStore(tmp_path / "store") as s:
            yield s
        return
    server = sparql_server(request.param, sparql_servers, tmp_path_factory)
    with server.store() as s:
        yield s
