"""Uploaded files are checked before any parser opens them.

- size: the upload is read in chunks and refused past ``max_bytes``;
- workbooks (.xlsx, .xlsm, .ods) are zip files: the entry count, the total uncompressed size and
  each large entry's compression ratio are checked first (zip bombs), and an XML part with a
  DOCTYPE is refused (entity expansion);
- RDF/XML is refused outright (its parsers expand entities); Turtle, N-Triples, N-Quads, TriG and
  JSON-LD (remote contexts are not fetched) are accepted;
- a file must look like its declared kind: a workbook kind needs a table file, ``rdf`` an RDF file.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhengai.loaders.rdf import FORMATS as RDF_FORMATS

from zhengai.errors import InputError, Location

ZIP_WORKBOOKS = {".xlsx", ".xlsm", ".ods"}
TABLES = {*ZIP_WORKBOOKS, ".xls", ".csv"}
REFUSED_RDF = {".rdf", ".owl", ".xml"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_entries: int = 10_000
    max_uncompressed: int = 500 * 1024 * 1024
    max_ratio: float = 100.0  # as Apache POI's ZipSecureFile: larger entries may not inflate more


def _refuse(zh: str, en: str, name: str) -> InputError:
    return InputError.single(zh, en, Location(name))


def safe_name(filename: str | None) -> str:
    """The file's own name, without any directory part, safe to create in a temporary directory."""
    base = re.split(r"[\\/]", filename or "")[-1].strip().lstrip(".")
    base = re.sub(r"[\x00-\x1f]", "", base)
    return base[:200] or "upload"


def save(stream: BinaryIO, name: str, folder: Path, limits: Limits) -> Path:
    """Copy the upload into ``folder``, refusing it once it passes the size limit."""
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limits.max_bytes:
                raise _refuse(
                    f"文件超过 {limits.max_bytes // (1024 * 1024)} MB 的上传上限",
                    f"the file is larger than the upload limit of {limits.max_bytes // (1024 * 1024)} MB",
                    name,
                )
            out.write(chunk)
    if size == 0:
        raise _refuse("上传的文件是空的", "the uploaded file is empty", name)
    return target


def check(path: Path, kind: str | None, limits: Limits) -> None:
    """Refuse what is not what it claims to be, or could hurt the parser."""
    suffix = path.suffix.lower()
    name = path.name
    if suffix in REFUSED_RDF:
        raise _refuse(
            "不接受 RDF/XML 上传（其解析会展开实体）：请用 Turtle、N-Triples、N-Quads、TriG 或 JSON-LD",
            "RDF/XML uploads are refused (its parsers expand entities): use Turtle, N-Triples, N-Quads, TriG or JSON-LD",
            name,
        )
    if suffix not in TABLES and suffix not in RDF_FORMATS:
        raise _refuse(
            f"不支持的文件类型「{suffix or '无扩展名'}」：请用 .xlsx、.csv 或 RDF（.ttl、.nt、.nq、.trig、.jsonld）",
            f"unsupported file type '{suffix or 'no extension'}': use .xlsx, .csv or RDF (.ttl, .nt, .nq, .trig, .jsonld)",
            name,
        )
    is_rdf = suffix in RDF_FORMATS
    if kind == "rdf" and not is_rdf:
        raise _refuse(
            "声明为 RDF，但文件不是 RDF 文件", "declared as rdf, but the file is not an RDF file", name
        )
    if kind not in (None, "rdf") and is_rdf:
        raise _refuse(
            f"声明为 {kind}，但文件是 RDF 文件", f"declared as {kind}, but the file is an RDF file", name
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix in ZIP_WORKBOOKS:
        if not head.startswith(b"PK\x03\x04"):
            raise _refuse(
                f"文件扩展名为 {suffix}，但内容不是工作簿（不是 zip 格式）",
                f"the file is named {suffix} but is not a workbook (not a zip file)",
                name,
            )
        _check_zip(path, limits)
    elif suffix == ".xls":
        if head != OLE_MAGIC:
            raise _refuse(
                "文件扩展名为 .xls，但内容不是 Excel 97-2003 工作簿",
                "the file is named .xls but is not an Excel 97-2003 workbook",
                name,
            )
    else:
        _check_text(path, name)


def _check_zip(path: Path, limits: Limits) -> None:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_entries:
                raise _refuse(
                    f"工作簿含 {len(entries)} 个压缩条目，超过上限 {limits.max_entries}",
                    f"the workbook has {len(entries)} zip entries, more than the limit of {limits.max_entries}",
                    name,
                )
            total = sum(e.file_size for e in entries)
            if total > limits.max_uncompressed:
                raise _refuse(
                    f"工作簿解压后有 {total // (1024 * 1024)} MB，超过上限 {limits.max_uncompressed // (1024 * 1024)} MB",
                    f"the workbook inflates to {total // (1024 * 1024)} MB, more than the limit of {limits.max_uncompressed // (1024 * 1024)} MB",
                    name,
                )
            for e in entries:
                if e.file_size > CHUNK and e.file_size > limits.max_ratio * max(e.compress_size, 1):
                    raise _refuse(
                        f"工作簿条目「{e.filename}」压缩比异常（{e.file_size // max(e.compress_size, 1)}:1），疑为 zip 炸弹",
                        f"workbook entry '{e.filename}' inflates {e.file_size // max(e.compress_size, 1)}:1, which looks like a zip bomb",
                        name,
                    )
            for e in entries:
                if e.filename.endswith((".xml", ".rels")):
                    with archive.open(e) as part:
                        start = part.read(4096)
                    if b"<!DOCTYPE" in start.upper() or b"<!ENTITY" in start.upper():
                        raise _refuse(
                            f"工作簿条目「{e.filename}」含 DOCTYPE/实体声明，已拒绝",
                            f"workbook entry '{e.filename}' declares a DOCTYPE or entities; refused",
                            name,
                        )
    except zipfile.BadZipFile as exc:
        raise _refuse(f"工作簿已损坏：{exc}", f"the workbook is damaged: {exc}", name) from exc


def _check_text(path: Path, name: str) -> None:
    with path.open("rb") as fh:
        start = fh.read(65536)
    if b"\x00" in start or start.startswith((b"PK\x03\x04", OLE_MAGIC)):
        raise _refuse(
            f"文件扩展名为 {path.suffix}，但内容是二进制数据",
            f"the file is named {path.suffix} but holds binary data",
            name,
        )
