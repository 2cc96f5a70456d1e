"""Silence is not success: a level that reported nothing in a period, although its subjects exist.

Diagnosis finds missing values for the subjects that reported at a level; a level that reported
nothing at all (no teacher data this year) would pass unnoticed. For such a level, one summary line
per indicator due: how many subjects lack data, and who provides it (the unit its 数据来源 names,
and that unit's head) — never one line per subject.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhengai import query_registry
from zhengai.errors import Location, Problem
from zhengai.namespaces import graph
from zhengai.ownership import Organisation, organisation
from zhengai.standards import Compiled, Standard
from zhengai.store import GraphStore


@dataclass(frozen=True)
class Silent:
    level: str
    subjects: int


def silent_levels(store: GraphStore, period: int) -> list[Silent]:
    query = query_registry.get("silent_levels")
    rows = store.select(query.text, query.bindings({"observations": str(graph(f"observations/{period}"))}))
    return [Silent(str(r["levelName"]), int(str(r["subjects"]))) for r in rows]


def _provider(org: Organisation, text: str | None) -> str:
    """The unit 数据来源 names (its name, or a 处's stem such as 教务 for 教务处) and its head."""
    if not text:
        return "—"
    found = []
    for unit, name in sorted(org.unit_names.items(), key=lambda kv: kv[1]):
        stem = name[:-1] if name.endswith("处") and len(name) > 2 else None
        if name in text or (stem and stem in text):
            head = org.posts.get(org.heads.get(unit))  # type: ignore[arg-type]
            holders = "、".join(f"{n}（{no}）" for no, n in head.holders) if head else ""
            post = (
                f"{head.code} {holders}"
                if head and holders
                else f"{head.code}（空缺 / vacant）"
                if head
                else ""
            )
            found.append(f"{name} {post}".strip())
    return "；".join(found) or text


def summary(store: GraphStore, compiled: Compiled, level: str | None = None) -> list[Problem]:
    """One finding per indicator due at each silent level of the period."""
    silent = [s for s in silent_levels(store, compiled.period) if level is None or s.level == level]
    if not silent:
        return []
    org = organisation(store)
    # a school-wide indicator (全校…) is due for the school only: its missing value is a gap of its own
    general: list[Standard] = [
        s for s in compiled.standards if s.subject is None and not s.indicator.school_wide
    ]
    out = []
    for s in silent:
        for standard in general:
            ind = standard.indicator
            if ind.level_name != s.level:
                continue
            provider = _provider(org, ind.data_source)
            out.append(
                Problem(
                    f"{s.level}层面 {compiled.period} 学年没有任何数据：{s.subjects} 个对象都缺少指标 {ind.code}"
                    f"「{ind.label}」的数据；数据提供：{provider}",
                    f"the {s.level} level reported nothing for {compiled.period}: all {s.subjects} subjects lack "
                    f"{ind.code} '{ind.label}'; data provider: {provider}",
                    Location(),
                )
            )
    return out
