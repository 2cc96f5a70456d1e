"""One error hierarchy. Every error speaks Chinese and English and, for input, says where."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where in an input file something was found. Rows are numbered as Excel shows them."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def zh(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件「{self.file}」")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        return "，".join(parts)

    def en(self) -> str:
        parts = []
        if self.file:
            parts.append(f"file '{self.file}'")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "sheet": self.sheet, "row": self.row, "column": self.column}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth reporting) in the input, in both languages, with its location."""

    zh: str
    en: str
    location: Location = field(default_factory=Location)

    def __str__(self) -> str:
        where_zh, where_en = self.location.zh(), self.location.en()
        head_zh = f"{where_zh}：{self.zh}" if where_zh else self.zh
        head_en = f"{where_en}: {self.en}" if where_en else self.en
        return f"{head_zh}\n  {head_en}"

    def as_dict(self) -> dict[str, object]:
        return {"zh": self.zh, "en": self.en, **self.location.as_dict()}


class ZhengaiError(Exception):
    """Base of every error zhengai raises on purpose. Carries zh/en text and any problems."""

    code = "error"

    def __init__(self, zh: str, en: str, problems: list[Problem] | None = None) -> None:
        self.zh = zh
        self.en = en
        self.problems = list(problems or [])
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{self.zh}\n{self.en}"]
        shown = self.problems[:50]
        lines.extend(f"- {p}" for p in shown)
        if len(self.problems) > len(shown):
            more = len(self.problems) - len(shown)
            lines.append(f"… 另有 {more} 处问题 / {more} more problems")
        return "\n".join(lines)


class InputError(ZhengaiError):
    """An input file is unreadable or its content is wrong; nothing was written to the store."""

    code = "bad_input"

    @classmethod
    def single(cls, zh: str, en: str, location: Location) -> InputError:
        problem = Problem(zh, en, location)
        return cls(f"输入有误：{location.zh()}", f"Bad input: {location.en()}", [problem])

    @classmethod
    def many(cls, file: str, problems: list[Problem]) -> InputError:
        n = len(problems)
        return cls(
            f"文件「{file}」有 {n} 处错误，未写入任何数据。",
            f"File '{file}' has {n} error(s); nothing was written.",
            problems,
        )


class StoreError(ZhengaiError):
    """The store could not be opened, read or written."""

    code = "store_error"


class QueryError(ZhengaiError):
    """A named query is unknown, malformed, or was given bad parameters."""

    code = "bad_query"


class StoreTimeout(QueryError):
    """A remote store gave no answer in time."""

    code = "query_timeout"


class DiagnosisError(ZhengaiError):
    """A diagnosis cannot run: nothing to diagnose, or an unknown period, run or gap."""

    code = "diagnosis_error"
