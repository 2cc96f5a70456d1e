"""How every catalogue row's criterion was read: the quality office fixes its wording from this.

``readings(store)`` lists, per indicator, the criterion as written (or the line columns), how it
was read in words (zh/en), or why it is not machine-checkable with a hint. ``zhengai criteria``
prints it; ``zhengai load`` of a catalogue prints the one-line count.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from zhengai.criteria import NotCheckable, reading
from zhengai.criteria.compiler import LINE_NAMES
from zhengai.errors import Location
from zhengai.standards import indicator_locations, indicators
from zhengai.store import GraphStore


@dataclass(frozen=True)
class CriterionReading:
    code: str
    label: str
    level: str
    written: str
    checkable: bool
    reading_zh: str
    reading_en: str
    hint_zh: str = ""
    hint_en: str = ""
    category: str = ""
    file: str | None = None
    sheet: str | None = None
    row: int | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def readings(store: GraphStore, level: str | None = None) -> list[CriterionReading]:
    locations = indicator_locations(store)
    out = []
    for ind in indicators(store):
        if level is not None and ind.level_name != level:
            continue
        written = ind.criterion or "；".join(f"{LINE_NAMES[k]}：{v}" for k, v in ind.lines)
        if ind.criterion and ind.lines:
            written += "；" + "；".join(f"{LINE_NAMES[k]}：{v}" for k, v in ind.lines)
        where = locations.get(ind.code, Location())
        common = {
            "code": ind.code,
            "label": ind.label,
            "level": ind.level_name,
            "written": written,
            "file": where.file,
            "sheet": where.sheet,
            "row": where.row,
        }
        try:
            criterion = ind.compiled()
        except NotCheckable as exc:
            out.append(
                CriterionReading(
                    **common,  # type: ignore[arg-type]
                    checkable=False,
                    reading_zh=exc.zh,
                    reading_en=exc.en,
                    hint_zh=exc.hint_zh,
                    hint_en=exc.hint_en,
                    category=exc.category,
                )
            )
            continue
        zh, en = reading(criterion)
        out.append(
            CriterionReading(**common, checkable=True, reading_zh=zh, reading_en=en, category=criterion.kind)
        )  # type: ignore[arg-type]
    return out


def count_line(rows: list[CriterionReading]) -> tuple[str, str]:
    """``86 / 94 条诊断标准可机器检查`` and its English, with what to run for the rest."""
    ok = sum(r.checkable for r in rows)
    total = len(rows)
    rest = "；其余见 `zhengai criteria`" if ok < total else ""
    rest_en = "; `zhengai criteria` shows the rest" if ok < total else ""
    return (
        f"{ok} / {total} 条诊断标准可机器检查{rest}",
        f"{ok} / {total} criteria machine-checkable{rest_en}",
    )


CATEGORY_NAMES = {  # why a criterion is not machine-checkable → (zh, en)
    "empty": ("没有诊断标准", "no criterion"),
    "descriptive": ("文字描述，没有数值或是/否", "descriptive: no number and no yes/no"),
    "compound": ("一条写了多个条件", "several conditions in one"),
    "over years": ("跨学年的条件", "over several years"),
    "over indicators": ("多个指标合起来的条件", "over several indicators"),
    "rank": ("排名条件", "a ranking"),
    "grades": ("档次不全或不衔接", "grades incomplete or not joined"),
    "grades without lines": ("档次没有数值线", "grades without lines"),
    "units": ("单位不一致", "mixed units"),
    "yes-no question": ("看不出是或否达标", "a question without a passing answer"),
    "lines": ("目标值/预警值列有误", "target or warning columns unreadable"),
    "warning": ("预警条件看不出方向", "a warning without a direction"),
}


def category_name(category: str) -> tuple[str, str]:
    return CATEGORY_NAMES.get(category, (category, category))


def categories(rows: list[CriterionReading]) -> Counter[str]:
    """Not machine-checkable rows by category (descriptive, compound, over years …)."""
    return Counter(r.category for r in rows if not r.checkable)
