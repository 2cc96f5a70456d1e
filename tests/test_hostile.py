"""Hostile input: fuzzed workbooks and CSV files through ``zhengai load`` and ``POST /loads``, and
the named cases — a zip bomb, billion laughs and an external entity inside an xlsx, a 2 GB
Content-Length, a body trickling in a byte a second, a 1 MB query, deeply nested groups, and every
escape for SERVICE and LOAD. Never a traceback, never a 5xx, and the store unchanged on refusal."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKENS, auth, build_store, serving, tokens
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner
from zhengai.api.app import create_app
from zhengai.api.guards import RateLimits
from zhengai.api.service import Settings

from zhengai import write_log
from zhengai.cli import app
from zhengai.store import OxigraphStore

runner = CliRunner()
HEADER_WORDS = ["指标", "指标代码", "对象", "对象代码", "学年", "值", "数值", "分子", "分母", "编码", "层面",
                "监测点", "诊断标准", "部门名称", "岗位识别编码", "工号", "姓名", "专业代码", "课程代码", "来源"]  # fmt: skip
SHEET_NAMES = [
    "状态数据",
    "状态数据 ",
    "指标",
    "专业",
    "课程",
    "岗位",
    "部门",
    "人员",
    "Sheet1",
    "矩阵",
    "📊",
    "שלום",
]
CODES = ["ZY-1.1.1-02", "ZY-1.4.1-02", "KC-1.1.1-03", "510202", "460301", "网络2301", "T1005", "2025", "2024"]


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("hostile"))


def data_quads(path: Path) -> bytes:
    """The store's N-Quads without its write log (a native dump: fast enough for every example)."""
    import pyoxigraph as ox

    log = f"<{write_log.LOG_GRAPH}> .".encode()
    with OxigraphStore(path) as store:
        dump = store._store.dump(format=ox.RdfFormat.N_QUADS)
    return b"\n".join(line for line in dump.split(b"\n") if not line.endswith(log))


# -- fuzzed workbooks and CSV --------------------------------------------------------------------------

texts = st.one_of(
    st.sampled_from([*HEADER_WORDS, *CODES, "", " ", "65%", "有", "无", "否/无", "1e308", "-0", "NaN", "∞"]),
    st.text(min_size=0, max_size=40),
    st.text(alphabet="\u202e\u200f\u05d0\u0627😀🏫\ufeff\u00a0", max_size=10),  # right-to-left, emoji, BOM
    st.sampled_from(["长" * 32_000, "x" * 5_000]),  # huge strings (Excel's cell limit is 32 767)
    st.sampled_from(["=1/0", "=A1", "=SUM(A1:A9)", '=HYPERLINK("http://x")', "@cmd", "+1", "-1"]),
)
cells = st.one_of(
    texts,
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
)


def _cell(value: object) -> object:
    """openpyxl refuses control characters in cells (so does Excel): NUL bytes go in the CSV files."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@st.composite
def workbooks(draw: st.DrawFn) -> bytes:
    book = Workbook()
    book.remove(book.active)
    names = draw(st.lists(st.sampled_from(SHEET_NAMES), min_size=0, max_size=4, unique=True))
    for name in names or ["Sheet1"]:
        sheet = book.create_sheet(name)
        width = draw(st.integers(1, 8))
        header = draw(
            st.lists(
                st.one_of(st.sampled_from(HEADER_WORDS), texts, st.none()), min_size=width, max_size=width
            )
        )
        sheet.append([_cell(v) for v in header])
        for _ in range(draw(st.integers(0, 6))):
            sheet.append([_cell(v) for v in draw(st.lists(cells, min_size=0, max_size=width + 2))])
        if draw(st.booleans()) and sheet.max_row >= 2:  # a merged range
            sheet.merge_cells(start_row=1, start_column=1, end_row=draw(st.integers(1, sheet.max_row)),
                              end_column=draw(st.integers(1, max(1, sheet.max_column))))  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


csv_texts = st.lists(
    st.lists(
        st.one_of(texts, st.sampled_from(["\x00", "\r", '"', '""', ",", "\t", "\\"])), min_size=1, max_size=6
    ),
    min_size=0,
    max_size=6,
).map(lambda rows: "\n".join(",".join(map(str, r)) for r in rows))
csv_files = st.one_of(
    csv_texts.map(lambda t: t.encode("utf-8")),
    csv_texts.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),  # with a BOM
    csv_texts.map(lambda t: t.encode("gb18030")),  # a Chinese Excel's default
    st.binary(max_size=300),
)

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _load_by_cli(store: Path, name: str, content: bytes, folder: Path) -> None:
    file = folder / name
    file.write_bytes(content)
    before = data_quads(store)
    result = runner.invoke(app, ["--store", str(store), "load", str(file)])
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        assert "错误" in result.output or "✗" in result.output, result.output
        assert data_quads(store) == before, "a refused load changed the store"


@pytest.fixture(scope="module")
def cli_store(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("hostile-cli") / "store"
    shutil.copytree(store_path, copy)
    return copy


@given(content=workbooks())
@FUZZ
def test_fuzzed_workbooks_through_zhengai_load(cli_store: Path, tmp_path_factory, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _load_by_cli(cli_store, "状态数据.xlsx", content, tmp_path_factory.mktemp("wb"))


@given(content=csv_files)
@FUZZ
def test_fuzzed_csv_through_zhengai_load(cli_store: Path, tmp_path_factory, content: bytes) -> None:  # type: ignore[no-untyped-def]
    _load_by_cli(cli_store, "状态数据.csv", content, tmp_path_factory.mktemp("csv"))


@pytest.fixture(scope="module")
def client(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("hostile-api")
    copy = folder / "store"
    shutil.copytree(store_path, copy)
    limits = RateLimits(sparql=0, loads=0, writes=0)
    with TestClient(create_app(copy, Settings(tokens=tokens(folder), rate_limits=limits))) as c:
        yield c


def _quads(client: TestClient) -> int:
    return client.get("/healthz").json()["quads"]


@given(
    content=st.one_of(
        workbooks().map(lambda b: ("状态数据.xlsx", b)), csv_files.map(lambda b: ("状态数据.csv", b))
    )
)
@FUZZ
def test_fuzzed_uploads_through_post_loads(client: TestClient, content: tuple[str, bytes]) -> None:
    name, body = content
    before = _quads(client)
    r = client.post("/loads", files={"file": (name, body)}, headers=auth("quality_office"))
    assert r.status_code < 500, r.text
    assert r.status_code in (201, 400, 413, 415, 422), r.text
    body_json = r.json()
    if r.status_code != 201:
        assert body_json["zh"] and body_json["en"]
        assert _quads(client) == before


# -- named cases: hostile workbooks ----------------------------------------------------------------------


def _xlsx_with(part: str, xml: bytes) -> bytes:
    """A real workbook with one of its XML parts replaced."""
    book = Workbook()
    book.active.append(["指标", "对象", "学年", "值"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, xml if item.filename == part else src.read(item.filename))
    return out.getvalue()


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""
SECRET_FILE_TEXT = "zhengai-xxe-canary"
HOSTILE_WORKBOOKS = {
    "billion laughs": lambda folder: _xlsx_with("xl/worksheets/sheet1.xml", LAUGHS),
    "external entity": lambda folder: _xlsx_with(
        "xl/worksheets/sheet1.xml",
        f"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{folder}/secret.txt">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>""".encode(),
    ),
    "external entity in shared strings": lambda folder: _xlsx_with(
        "[Content_Types].xml",
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{folder}/secret.txt">]><Types>&x;</Types>'.encode(),
    ),
    "zip bomb": lambda folder: _zip({"xl/worksheets/sheet1.xml": b"<a>" + b"0" * 50_000_000 + b"</a>"}),
    "many entries": lambda folder: _zip({f"xl/x{i}.xml": b"<a/>" for i in range(12_000)}),
}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(HOSTILE_WORKBOOKS))
def test_hostile_workbooks_are_refused_by_cli_and_api(
    case: str, cli_store: Path, client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text(SECRET_FILE_TEXT, encoding="utf-8")
    content = HOSTILE_WORKBOOKS[case](tmp_path)
    file = tmp_path / "状态数据.xlsx"
    file.write_bytes(content)
    before = data_quads(cli_store)
    started = time.monotonic()
    result = runner.invoke(app, ["--store", str(cli_store), "load", str(file)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert time.monotonic() - started < 30
    assert SECRET_FILE_TEXT not in result.output
    assert data_quads(cli_store) == before
    quads = _quads(client)
    r = client.post("/loads", files={"file": ("状态数据.xlsx", content)}, headers=auth("quality_office"))
    assert r.status_code in (400, 413), r.text
    assert SECRET_FILE_TEXT not in r.text and _quads(client) == quads


# -- named cases on a real server: lengths, trickles, queries ------------------------------------------------


class _Trap(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def trap() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def server(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    copy = tmp_path_factory.mktemp("hostile-server") / "store"
    shutil.copytree(store_path, copy)
    env = {"ZHENGAI_TOKENS": f"quality_office:{TOKENS['quality_office']};auditor:{TOKENS['auditor']}"}
    with serving(copy, env, "--body-timeout", "3", "--rate-limit", "sparql=0,loads=0,writes=0") as base:
        yield base


def _raw(base: str, request: bytes, wait: float = 10.0) -> tuple[bytes, float]:
    host, port = base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=wait) as conn:
        conn.sendall(request)
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and answer.count(b"}") >= 1:
                    break
        except TimeoutError:
            pass
    return answer, time.monotonic() - started


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/loads", "/sparql", "/observations"])
def test_a_declared_2_gb_body_is_refused_before_it_is_read(server: str, path: str) -> None:
    answer, took = _raw(
        server,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKENS['quality_office']}\r\n"
        f"Content-Type: application/sparql-query\r\nContent-Length: {2 * 1024**3}\r\n\r\nASK {{}}".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert took < 5
    assert httpx.get(server + "/healthz").status_code == 200


@pytest.mark.slow
def test_a_body_trickling_in_a_byte_a_second_is_cut_off_and_others_are_served(server: str) -> None:
    host, port = server.removeprefix("http://").split(":")
    result: dict[str, object] = {}

    def trickle() -> None:
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(f"POST /sparql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKENS['quality_office']}\r\n"
                         "Content-Type: application/sparql-query\r\nContent-Length: 200\r\n\r\n".encode())  # fmt: skip
            started = time.monotonic()
            answer = b""
            for _ in range(30):
                try:
                    conn.sendall(b" ")
                except OSError:
                    break
                conn.settimeout(1.0)
                try:
                    chunk = conn.recv(65536)
                    if chunk:
                        answer += chunk
                        break
                    break
                except TimeoutError:
                    continue
            result["answer"], result["seconds"] = answer, time.monotonic() - started

    thread = threading.Thread(target=trickle)
    thread.start()
    served = []
    while thread.is_alive():
        t = time.monotonic()
        assert httpx.get(server + "/healthz", timeout=5).status_code == 200
        served.append(time.monotonic() - t)
        time.sleep(0.2)
    thread.join()
    assert result["answer"].startswith(b"HTTP/1.1 408"), result  # type: ignore[union-attr]
    assert 2.5 < result["seconds"] < 15  # type: ignore[operator]
    assert max(served) < 1.0


def _sparql(server: str, text: str) -> httpx.Response:
    return httpx.post(server + "/sparql", content=text.encode("utf-8"), timeout=30,
                      headers={"Authorization": f"Bearer {TOKENS['quality_office']}",
                               "Content-Type": "application/sparql-query"})  # fmt: skip


@pytest.mark.slow
def test_a_1_mb_query_and_deep_nesting_are_refused_clearly(server: str) -> None:
    huge = "SELECT * WHERE { " + " ".join(f'?s <urn:p{i}> "{"x" * 40}" .' for i in range(20_000)) + " }"
    assert len(huge) > 1_000_000
    r = _sparql(server, huge)
    assert r.status_code == 413 and "too long" in r.json()["en"]
    deep = "SELECT * WHERE " + "{ " * 5000 + "?s ?p ?o " + "} " * 5000
    r = _sparql(server, deep)
    assert r.status_code == 400 and "nests too deep" in r.json()["en"]
    brackets = "SELECT * WHERE { FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }"
    assert _sparql(server, brackets).status_code == 400
    fine = "SELECT * WHERE " + "{ " * 20 + "?s ?p ?o " + "} " * 20 + " LIMIT 1"
    assert _sparql(server, fine).status_code == 200
    assert httpx.get(server + "/healthz").status_code == 200


ESCAPES = [
    "SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ service <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SeRvIcE SILENT <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\U00000053\\U00000045RVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ S\\u0045RVIC\\u0045 <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{\tSERVICE\n<{t}>{{?s ?p ?o}}}}",
    "SELECT * WHERE {{ SERVICE#comment\n<{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ BIND(<{t}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }} }}",
    "PREFIX x: <{t}> SELECT * WHERE {{ SERVICE x: {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ OPTIONAL {{ SERVICE <{t}> {{ ?s ?p ?o }} }} }}",
    "LOAD <{t}data.ttl>",
    "load silent <{t}data.ttl> into graph <urn:g>",
    "\\u004cOAD <{t}data.ttl>",
    "ASK {{}} ; LOAD <{t}data.ttl>",
    "SELECT * {{}} \n LOAD <{t}>",
    "# a comment\nLOAD <{t}>",
    "BASE <{t}> LOAD <data.ttl>",
]


@pytest.mark.slow
@pytest.mark.parametrize("n", range(len(ESCAPES)))
def test_every_escape_for_service_and_load_is_refused(server: str, trap: str, n: int) -> None:
    before = _Trap.hits
    text = ESCAPES[n].format(t=trap)
    for r in (
        _sparql(server, text),
        httpx.get(server + "/sparql", params={"query": text}, headers=auth("auditor"), timeout=30),
        httpx.post(server + "/sparql", data={"query": text}, headers=auth("auditor"), timeout=30),
    ):
        assert r.status_code in (400, 403), (text, r.status_code, r.text)
        assert r.json()["zh"] and r.json()["en"]
    time.sleep(0.1)
    assert _Trap.hits == before, f"the server fetched {trap} for {text!r}"
