"""From a parse tree of ``grammar.lark`` to a typed ``Criterion``.

Rules of reading (also in the README):

* a bound is ``≥``/``>``/``≤``/``<`` a number; 以上 and 以下 include their number; a range includes
  both ends; in a grade scale the better grade takes a shared end (A:90%以上 B:70%-90%: 90 % is A);
  integer ranges that meet at the next integer join (良好 80-89分, 优秀 90分以上);
* a ratio ``1:16`` is read as 16 with the comparison reversed, so 师生比不低于1:16 = 生师比 ≤ 16;
* a single bound (不低于60%) passes or is red; a breach (>17:1预警, 低于60%为红色预警) is the
  complement; a grade scale's severities come from ``data/grade_scales.csv`` (by default the best
  grade passes, the worst is red, those between are yellow);
* lines (目标值, 预警值, 底线值) follow the platforms: missing the target is yellow, reaching the
  warning value (or falling below the bottom line) is red.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from importlib import resources

from lark import Lark, Tree
from lark.exceptions import LarkError
from lark.lexer import Lexer

from .lexer import Lexed, Quantity, Tok, lex
from .model import Band, Criterion, Direction, NotCheckable, Severity, two_line_bands
from .vocabulary import nfkc, vocabulary

DEFAULT_SCALE_TEXT = "A:90%以上 B:70%-90% C:70%以下"
FLIP = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt", "eq": "eq"}
LOWER_OPS = ("le", "lt")


class _Tokens(Lexer):
    """Hands lark the tokens ``lexer.lex`` made."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: list[Tok]):  # type: ignore[override]
        yield from data


@cache
def parser() -> Lark:
    grammar = resources.files("zhengai.criteria").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer=_Tokens)


# -- bounds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    """One side or a range: ``op`` is ge/gt/le/lt/eq, or ``range`` (low ≤ v ≤ high)."""

    op: str
    value: Quantity
    high: Quantity | None = None


def _bound(tree: Tree) -> Bound:
    toks = [t for t in tree.children if isinstance(t, Tok)]
    if tree.data == "prefix":
        cmp, num = toks[0], next(t for t in toks if t.type == "NUM")
        return _orient(Bound(str(cmp.meaning), num.meaning))  # type: ignore[arg-type]
    if tree.data == "postfix":
        return _orient(Bound(str(toks[1].meaning), toks[0].meaning))  # type: ignore[arg-type]
    low, high = toks[0].meaning, toks[2].meaning
    return Bound("range", low, high)  # type: ignore[arg-type]


def _orient(b: Bound) -> Bound:
    return replace(b, op=FLIP[b.op]) if b.value.inverted else b


def _interval(b: Bound) -> tuple[Decimal | None, bool, Decimal | None, bool]:
    v = b.value.value
    if b.op == "range":
        assert b.high is not None
        low, high = sorted((v, b.high.value))
        return low, True, high, True
    return {
        "ge": (v, True, None, False),
        "gt": (v, False, None, False),
        "le": (None, True, v, True),
        "lt": (None, True, v, False),
        "eq": (v, True, v, True),
    }[b.op]


# -- units ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    unit: str
    unit_word: str
    scale: Decimal


def _harmonise(quantities: Sequence[Quantity], percent_hint: bool) -> tuple[Units, dict[int, Quantity]]:
    """One unit for every number of a criterion; a bare number takes the unit of the others."""
    explicit = [q for q in quantities if q.unit_word or q.kind != "count"]
    kinds = {q.kind for q in explicit}
    if len(kinds) > 1:
        names = "、".join(sorted({q.unit_word or q.kind for q in explicit}))
        raise NotCheckable(
            f"诊断标准中的单位不一致（{names} 混用）",
            f"the criterion mixes units ({names})",
            "同一条标准的各个数值请用同一单位",
            "write every number of one criterion in the same unit",
            "units",
        )
    words = {q.unit_word for q in explicit if q.kind == "count" and q.unit_word}
    base_words = {w.lstrip("万千亿百") for w in words}
    if len(base_words) > 1:
        raise NotCheckable(
            f"诊断标准中的计量单位不一致（{'、'.join(sorted(words))}）",
            f"the criterion mixes measure words ({', '.join(sorted(words))})",
            "同一条标准的各个数值请用同一计量单位",
            "write every number of one criterion with the same measure word",
            "units",
        )
    if explicit:
        first = explicit[0]
        units = Units(first.kind, first.unit_word, first.scale)
    elif percent_hint:
        units = Units("percent", "%", Decimal(1))
    else:
        units = Units("count", "", Decimal(1))
    out: dict[int, Quantity] = {}
    for q in quantities:
        if q in explicit:
            continue
        factor = {"percent": Decimal("0.01"), "permille": Decimal("0.001")}.get(units.unit, units.scale)
        if units.unit == "percent" and not explicit and q.value <= 1:
            factor = Decimal(1)  # 0.9 in a rate's criterion already is a fraction
        out[id(q)] = replace(q, value=q.value * factor, kind=units.unit, unit_word=units.unit_word)
    return units, out


# -- building -------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, text: str, lexed: Lexed, percent_hint: bool, name: str) -> None:
        self.text = text
        self.lexed = lexed
        self.percent_hint = percent_hint
        self.name = name
        self.vocab = vocabulary()
        quantities = [t.meaning for t in lexed.tokens if t.type == "NUM"]
        self.units, self._rescaled = _harmonise(quantities, percent_hint)  # type: ignore[arg-type]

    def q(self, tok: Tok) -> Quantity:
        return self._rescaled.get(id(tok.meaning), tok.meaning)  # type: ignore[arg-type]

    def bound(self, tree: Tree) -> Bound:
        b = _bound(tree)
        return Bound(
            b.op, self._rescaled.get(id(b.value), b.value), b.high and self._rescaled.get(id(b.high), b.high)
        )

    def criterion(self, kind: str, **kw: object) -> Criterion:
        return Criterion(
            text=self.text,
            kind=kind,  # type: ignore[arg-type]
            unit=self.units.unit if kind == "graded" else None,
            unit_word=self.units.unit_word if kind == "graded" else "",
            scale=self.units.scale if kind == "graded" else Decimal(1),
            notes=tuple(self.lexed.notes),
            **kw,  # type: ignore[arg-type]
        )

    def lower_by_name(self) -> bool:
        return any(w in self.name or w in self.text for w in self.vocab.lower_is_better)

    # -- forms ----------------------------------------------------------------------------------
    def build(self, tree: Tree) -> Criterion:
        form = getattr(self, f"form_{tree.data}")
        return form(tree)

    def form_yes_no(self, tree: Tree) -> Criterion:
        tok = next(t for t in tree.children if isinstance(t, Tok) and t.type == "YES_NO")
        pair = tok.meaning
        expected = not (pair.kind == "boolean" and "negative" in self.lexed.hints)  # type: ignore[union-attr]
        return self.criterion(pair.kind, expected=expected, words=(pair.yes, pair.no))  # type: ignore[union-attr]

    def form_question(self, tree: Tree) -> Criterion:
        if "negative" in self.lexed.hints:
            return self.criterion("boolean", expected=False, words=("是", "否"))
        raise NotCheckable(
            f"「{self.text.strip()}」：看不出“是”还是“否”算达标",
            f"'{self.text.strip()}': cannot tell whether yes or no passes",
            "改写为「是/否…」（“是”达标），或在问题中写明负面事项（如 是否发生安全事故）",
            "write 是/否… (yes passes), or name the adverse event (e.g. 是否发生安全事故)",
            "yes-no question",
        )

    def form_evidence(self, tree: Tree) -> Criterion:
        return self.criterion("evidence", expected=True, words=("有", "无"))

    def form_ratio(self, tree: Tree) -> Criterion:
        tok = tree.children[0]
        _, numerator, denominator = tok.meaning  # type: ignore[union-attr]
        scale = compile_text(DEFAULT_SCALE_TEXT)
        return replace(
            scale, text=self.text, ratio=(numerator, denominator), default_scale=True, origin="default-scale"
        )

    def form_single(self, tree: Tree) -> Criterion:
        b = self.bound(next(c for c in tree.children if isinstance(c, Tree)))
        return self.one_bound(b)

    def form_equals(self, tree: Tree) -> Criterion:
        tok = next(t for t in tree.children if isinstance(t, Tok) and t.type == "NUM")
        return self.one_bound(Bound("eq", self.q(tok)))

    def form_bare(self, tree: Tree) -> Criterion:
        tok = next(t for t in tree.children if isinstance(t, Tok) and t.type == "NUM")
        q = self.q(tok)
        lower = q.value == 0 or self.lower_by_name()
        return self.one_bound(_orient(Bound("le" if lower else "ge", q)))

    def one_bound(self, b: Bound) -> Criterion:
        v = b.value.value
        if b.op == "eq":
            if v == 0:
                b = Bound("le", b.value)
            elif self.units.unit == "percent" and v == 1:
                b = Bound("ge", b.value)
        if b.op in ("eq", "range"):
            low, _, high, _ = _interval(b)
            bands = (
                Band("达标", "pass", low, True, high, True),
                Band("偏低", "red", None, True, low, False),
                Band("偏高", "red", high, False, None),
            )
            return self.criterion("graded", bands=bands, direction="within")
        direction: Direction = "lower" if b.op in LOWER_OPS else "higher"
        bands = two_line_bands(
            direction, None, v, ("达标", "未达标", "未达标"), red_closed=b.op in ("ge", "le")
        )
        return self.criterion("graded", bands=bands, direction=direction)

    def form_breaches(self, tree: Tree) -> Criterion:
        lines: dict[Severity, Bound] = {}
        for breach in tree.find_data("breach"):
            warn = next(t for t in breach.children if isinstance(t, Tok) and t.type == "WARN")
            b = self.bound(next(c for c in breach.children if isinstance(c, Tree)))
            if b.op in ("range", "eq"):
                raise NotCheckable(
                    "预警条件是区间或等值，看不出标准的方向",
                    "the warning condition is a range or an equality: cannot tell the standard's direction",
                    "写成「低于60%预警」或「>17:1预警」",
                    "write e.g. 低于60%预警 or >17:1预警",
                    "warning",
                )
            lines[str(warn.meaning)] = b  # type: ignore[index]
        directions = {"higher" if b.op in LOWER_OPS else "lower" for b in lines.values()}
        if len(directions) > 1:
            raise NotCheckable(
                "各预警条件方向相反",
                "the warning conditions point in opposite directions",
                "同一指标的预警条件应同为「低于…」或同为「高于…」",
                "all conditions should be 低于… or all 高于…",
                "warning",
            )
        direction: Direction = directions.pop()  # type: ignore[assignment]
        yellow, red = lines.get("yellow"), lines.get("red")
        bands = two_line_bands(
            direction,
            yellow.value.value if yellow else None,
            red.value.value if red else None,
            ("正常", "黄色预警", "红色预警"),
            pass_closed=bool(yellow) and yellow.op in ("lt", "gt"),  # type: ignore[union-attr]
            red_closed=bool(red) and red.op in ("lt", "gt"),  # type: ignore[union-attr]
        )
        if yellow and not red:
            bands = tuple(replace(b, grade="黄色预警") if b.severity != "pass" else b for b in bands)
        return self.criterion("graded", bands=bands, direction=direction)

    def form_word_scale(self, tree: Tree) -> Criterion:
        grades = [str(t) for t in tree.children if isinstance(t, Tok) and t.type == "GRADE"]
        if all(g.isascii() for g in grades):
            raise NotCheckable(
                f"{'/'.join(grades)} 档次缺少可识别的 A 档或 C 档线（应如 A:90%以上 B:70%-90% C:70%以下）",
                f"{'/'.join(grades)} grades without a readable A or C line (expected e.g. A:90%以上 B:70%-90% C:70%以下)",
                "在同一格或右侧一格写出各档的数值线",
                "write each grade's line in the cell or in the cell to its right",
                "grades without lines",
            )
        ranked = self.rank(grades)
        bands = tuple(Band(g, s) for g, s in ranked)
        return self.criterion("words", bands=bands, words=None)

    def form_scale(self, tree: Tree) -> Criterion:
        items: list[tuple[str, Bound]] = []
        for item in tree.children:
            if not isinstance(item, Tree) or item.data not in ("grade_first", "grade_last"):
                continue
            grade = next(t for t in item.children if isinstance(t, Tok) and t.type == "GRADE")
            items.append((str(grade), self.bound(next(c for c in item.children if isinstance(c, Tree)))))
        if len(items) == 1:
            return self.one_grade(*items[0])
        return self.scale(items)

    def one_grade(self, grade: str, b: Bound) -> Criterion:
        """One grade and its complement: ≥60%为合格 (else 不合格, red), <60分为不合格 (a breach: else
        合格), ≥90分为优秀 (else 未达优秀, yellow: the top grade of a longer scale is not the bar)."""
        if b.op in ("range", "eq"):
            raise NotCheckable(
                f"只写了「{grade}」一档的区间，其他取值算哪一档不明",
                f"only grade '{grade}' is given as a range; the grade of other values is unknown",
                "写出其余各档，或改为单一下限/上限", "write the other grades, or a single bound", "grades",
            )  # fmt: skip
        pairs = {p.no: p.yes for p in self.vocab.yes_no} | {"不及格": "及格"}
        yes_of = {p.yes: p.no for p in self.vocab.yes_no} | {"及格": "不及格"}
        info = self.vocab.grades.get(grade.rstrip("级档等类") if grade[0].isascii() else grade)
        same = sorted(
            (g for g in self.vocab.grades.values() if info and g.scale == info.scale), key=lambda g: g.rank
        )
        if grade in pairs or (same and info is not None and info.rank == same[-1].rank):
            other = pairs.get(grade) or same[0].word  # the breach: <60分为不合格
            direction: Direction = "higher" if b.op in LOWER_OPS else "lower"
            bands = two_line_bands(
                direction, None, b.value.value, (other, grade, grade), red_closed=b.op in ("lt", "gt")
            )
            return self.criterion("graded", bands=bands, direction=direction)
        middle = info is not None and len(same) > 2 and info.rank not in (same[0].rank, same[-1].rank)
        if middle and grade not in yes_of and b.op in LOWER_OPS:
            raise NotCheckable(  # C：60%以下 alone: is C itself a gap, and what is 70%, a B or an A?
                f"只写了「{grade}」一档（{same[0].word}…{same[-1].word} 中间的一档），其他取值算哪一档不明",
                f"only grade '{grade}' is given (a middle grade of {same[0].word}…{same[-1].word}); "
                "the grade of other values is unknown",
                "写出其余各档，如 A:90%以上 B:70%-90% C:70%以下", "write the other grades, e.g. A:90%以上 B:70%-90% C:70%以下",
                "grades",
            )  # fmt: skip
        direction = "lower" if b.op in LOWER_OPS else "higher"
        closed = b.op in ("ge", "le")
        if grade in yes_of or not same or len(same) <= 2 or info is None or info.rank != same[0].rank:
            other = yes_of.get(grade) or (same[-1].word if same else "不" + grade)
            bands = two_line_bands(direction, None, b.value.value, (grade, other, other), red_closed=closed)
        else:
            bands = two_line_bands(
                direction, b.value.value, None, (grade, f"未达{grade}", f"未达{grade}"), pass_closed=closed
            )
        return self.criterion("graded", bands=bands, direction=direction)

    def rank(self, grades: Sequence[str]) -> list[tuple[str, Severity]]:
        """Grades best first, with their severities (table, else by position)."""
        infos = []
        for g in grades:
            key = g.rstrip("级档等类") if g[0].isascii() else g
            info = self.vocab.grades.get(key)
            if info is None:
                raise NotCheckable(
                    f"等级「{g}」不在等级表中",
                    f"grade '{g}' is not in the grade table",
                    "在 data/grade_scales.csv 中加入该等级及其顺序",
                    "add it with its order to data/grade_scales.csv",
                    "grades",
                )
            infos.append((g, info))
        ranks = [i.rank for _, i in infos]
        if len(set(ranks)) != len(ranks):
            raise NotCheckable(
                f"等级 {'、'.join(grades)} 中有同级或重复的等级",
                f"grades {', '.join(grades)} repeat or share a rank",
                "每个等级只写一次",
                "give each grade once",
                "grades",
            )
        infos.sort(key=lambda gi: gi[1].rank)
        out: list[tuple[str, Severity]] = []
        for n, (g, info) in enumerate(infos):
            default: Severity = "pass" if n == 0 else "red" if n == len(infos) - 1 else "yellow"
            out.append((g, info.severity or default))  # type: ignore[arg-type]
        return out

    def scale(self, items: list[tuple[str, Bound]]) -> Criterion:
        ranked = self.rank([g for g, _ in items])
        by_grade = {g: _interval(b) for g, b in items}
        ordered = [(g, s, by_grade[g]) for g, s in ranked]

        def point(iv: tuple[Decimal | None, bool, Decimal | None, bool]) -> Decimal:
            low, _, high, _ = iv
            if low is not None and high is not None:
                return (low + high) / 2
            return low if low is not None else high  # type: ignore[return-value]

        best, worst = point(ordered[0][2]), point(ordered[-1][2])
        if best == worst:
            raise NotCheckable(
                "最好与最差档的数值相同，看不出方向",
                "the best and worst grades have the same value",
                "检查各档的数值线",
                "check the grade lines",
                "grades",
            )
        direction: Direction = "higher" if best > worst else "lower"
        {"percent": Decimal("0.01"), "permille": Decimal("0.001")}.get(self.units.unit, self.units.scale)
        cuts: list[tuple[Decimal, bool]] = []
        for (bg, _, biv), (wg, _, wiv) in itertools.pairwise(ordered):
            blow, blow_c, bhigh, bhigh_c = biv
            wlow, _, whigh, _ = wiv
            cut, closed, far = (blow, blow_c, whigh) if direction == "higher" else (bhigh, bhigh_c, wlow)
            if cut is None:
                side = ("下限", "lower bound") if direction == "higher" else ("上限", "upper bound")
                raise NotCheckable(
                    f"「{bg}」档没有{side[0]}，无法与「{wg}」档分开",
                    f"grade '{bg}' has no {side[1]} to tell it from '{wg}'",
                    "为每一档写出数值线",
                    "write a line for every grade",
                    "grades",
                )
            if far is not None and far != cut and abs(far - cut) != _step(far, self.units):
                raise NotCheckable(
                    f"「{wg}」档区间 {self.show(far)} 与「{bg}」档线 {self.show(cut)} 不衔接",
                    f"grade '{wg}' range end {self.show(far)} does not join the '{bg}' line {self.show(cut)}",
                    "相邻两档应在同一数值处衔接（如 B:70%-90% 与 A:90%以上）",
                    "adjacent grades should meet at one value (e.g. B:70%-90% and A:90%以上)",
                    "grades",
                )
            if cuts and (
                (direction == "higher" and cut >= cuts[-1][0])
                or (direction == "lower" and cut <= cuts[-1][0])
            ):
                raise NotCheckable(
                    "各档数值线的顺序与等级顺序不一致",
                    "the grade lines are not in the order of the grades",
                    "检查各档的数值线",
                    "check the grade lines",
                    "grades",
                )
            cuts.append((cut, closed))
        bands: list[Band] = []
        for n, (g, s, _) in enumerate(ordered):
            upper = cuts[n - 1] if n > 0 else None
            lower = cuts[n] if n < len(cuts) else None
            if direction == "higher":
                bands.append(
                    Band(
                        g, s,
                        lower[0] if lower else None, lower[1] if lower else True,
                        upper[0] if upper else None, (not upper[1]) if upper else False,
                    )
                )  # fmt: skip
            else:
                bands.append(
                    Band(
                        g, s,
                        upper[0] if upper else None, (not upper[1]) if upper else True,
                        lower[0] if lower else None, lower[1] if lower else False,
                    )
                )  # fmt: skip
        return self.criterion("graded", bands=tuple(bands), direction=direction)

    def show(self, value: Decimal) -> str:
        from .describe import threshold_text

        return threshold_text(value, self.units.unit, self.units.unit_word, self.units.scale)

    def form_lines(self, tree: Tree) -> Criterion:
        found: dict[str, Bound] = {}
        for line in tree.children:
            if not isinstance(line, Tree):
                continue
            which = next(t for t in line.children if isinstance(t, Tok) and t.type == "LINE").meaning
            sub = next((c for c in line.children if isinstance(c, Tree)), None)
            if sub is not None:
                found[str(which)] = self.bound(sub)
            else:
                num = next(t for t in line.children if isinstance(t, Tok) and t.type == "NUM")
                found[str(which)] = Bound("", self.q(num))
        return lines_criterion(
            self.text, found, self.units, None, self.lower_by_name(), tuple(self.lexed.notes)
        )


def _step(value: Decimal, units: Units) -> Decimal:
    """One unit of the last written digit: 89 → 1, 89.9 → 0.1, 59% → 1%; the next grade's line
    may start one such step away (良好 80-89分, 优秀 90分以上)."""
    factor = {"percent": Decimal("0.01"), "permille": Decimal("0.001")}.get(units.unit, units.scale)
    written = (value / factor).normalize()
    exponent = written.as_tuple().exponent
    step = Decimal(1) if not isinstance(exponent, int) or exponent >= 0 else Decimal(10) ** exponent
    return step * factor


# -- lines (目标值 / 预警值 / 底线值), from a criterion text or from catalogue columns --------------


def lines_criterion(
    text: str,
    found: dict[str, Bound],
    units: Units,
    direction_text: str | None,
    lower_by_name: bool,
    notes: tuple[str, ...] = (),
) -> Criterion:
    """The platforms' semantics: reaching 预警值 is red, missing 目标值/标准值 is yellow, else passes.

    ``found`` maps ``target``/``warning``/``bottom`` to a bound whose ``op`` is empty when the value
    carried no operator. The direction comes from ``direction_text`` (比较方式/方向), else from the
    operators, else from how target and warning compare, else from the indicator's name.
    """
    for b in found.values():
        if b.op == "range":
            raise NotCheckable(
                "目标值/预警值不能是区间",
                "a target or warning value cannot be a range",
                "每一格只写一个数值，可带比较符（如 >17:1）",
                "one value per cell, with an optional operator (e.g. >17:1)",
                "lines",
            )
    target, warning, bottom = found.get("target"), found.get("warning"), found.get("bottom")
    direction = _direction_word(direction_text)
    if direction is None:
        if target is not None and target.op:
            direction = "lower" if target.op in LOWER_OPS else "higher"
        elif warning is not None and warning.op:
            direction = "higher" if warning.op in LOWER_OPS else "lower"
        elif bottom is not None and bottom.op:
            direction = "lower" if bottom.op in LOWER_OPS else "higher"
        elif target is not None and (warning or bottom):
            other = (warning or bottom).value.value  # type: ignore[union-attr]
            if other != target.value.value:
                direction = "higher" if target.value.value > other else "lower"
        if direction is None:
            direction = "lower" if lower_by_name else "higher"
    pass_line = target.value.value if target else None
    pass_closed = not (target and target.op in ("gt", "lt"))
    red_line, red_closed = None, True
    if warning is not None:
        red_line = warning.value.value
        red_closed = warning.op in ("gt", "lt")  # >17:1: 17 itself is not red; a bare 17 is reached at 17
    elif bottom is not None:
        red_line = bottom.value.value
        red_closed = bottom.op not in ("ge", "le") or True
    if pass_line is None and red_line is None:
        raise NotCheckable(
            "没有目标值、标准值或预警值", "no target, standard or warning value", "", "", "lines"
        )
    if pass_line is not None and red_line is not None:
        wrong = red_line > pass_line if direction == "higher" else red_line < pass_line
        if wrong:
            raise NotCheckable(
                "预警值（底线值）与目标值的方向不一致",
                "the warning (bottom) value is on the wrong side of the target",
                "越高越好的指标，预警值应低于目标值；越低越好的指标相反",
                "for higher-is-better the warning value is below the target; the reverse for lower-is-better",
                "lines",
            )
    bands = two_line_bands(
        direction,
        pass_line,
        red_line,
        ("已达标", "未达标", "预警"),
        pass_closed=pass_closed,
        red_closed=red_closed,
    )
    if pass_line is None:
        bands = tuple(
            replace(b, grade="预警") if b.severity != "pass" else replace(b, grade="已达标") for b in bands
        )
    return Criterion(
        text=text,
        kind="graded",
        bands=bands,
        direction=direction,
        unit=units.unit,
        unit_word=units.unit_word,
        scale=units.scale,
        origin="lines",
        notes=notes,
    )


DIRECTION_WORDS = {
    "higher": (
        "越大越好",
        "越高越好",
        "越多越好",
        "正向",
        "不低于",
        "下限",
        "≥",
        ">=",
        "高于",
        "大于",
        "higher",
    ),
    "lower": (
        "越小越好",
        "越低越好",
        "越少越好",
        "逆向",
        "反向",
        "不高于",
        "上限",
        "≤",
        "<=",
        "低于",
        "小于",
        "lower",
    ),
}


def _direction_word(text: str | None) -> Direction | None:
    if not text:
        return None
    for direction, words in DIRECTION_WORDS.items():
        if any(w in text for w in words):
            return direction  # type: ignore[return-value]
    return None


# -- entry points ---------------------------------------------------------------------------------


def _not_readable(text: str, lexed: Lexed) -> NotCheckable:
    shown = text.strip().replace("\n", " ")
    if "periods" in lexed.hints:
        return NotCheckable(
            f"「{shown}」是跨学年的条件",
            f"'{shown}' is a condition over several years",
            "写进预警规则表（data/warning_rules.csv）：指标、连续学年数、严重程度",
            "write it as a warning rule (data/warning_rules.csv): indicator, consecutive periods, severity",
            "over years",
        )
    if "indicators" in lexed.hints:
        return NotCheckable(
            f"「{shown}」是多个指标合起来的条件",
            f"'{shown}' is a condition over several indicators",
            "写进预警规则表（data/warning_rules.csv）：指标、k（其中几项）、严重程度",
            "write it as a warning rule (data/warning_rules.csv): indicators, k of them, severity",
            "over indicators",
        )
    if "rank" in lexed.hints:
        return NotCheckable(
            f"「{shown}」是排名条件",
            f"'{shown}' is a ranking condition",
            "写进预警规则表（data/warning_rules.csv）：指标、末位比例、严重程度",
            "write it as a warning rule (data/warning_rules.csv): indicator, bottom share, severity",
            "rank",
        )
    if not any(t.type == "NUM" for t in lexed.tokens):
        return NotCheckable(
            f"无法识别的诊断标准「{shown}」：没有可比较的数值或是/否取值",
            f"unrecognised criterion '{shown}': no number to compare and no yes/no vocabulary",
            "写出数值线（如 不低于90%、A:90%以上 B:70%-90% C:70%以下），或 有/无、是/否、达标/不达标",
            "write a line (e.g. 不低于90%, A:90%以上 B:70%-90% C:70%以下) or a yes/no form (有/无, 是/否, 达标/不达标)",
            "descriptive",
        )
    return NotCheckable(
        f"无法识别的诊断标准「{shown}」",
        f"unrecognised criterion '{shown}'",
        "每条标准只写一个条件，如 不低于90%；多个条件请拆成多个监测点",
        "write one condition per criterion, e.g. 不低于90%; split several conditions into several checkpoints",
        "compound",
    )


def no_criterion() -> NotCheckable:
    return NotCheckable(
        "没有诊断标准", "no diagnostic criterion",
        "在「诊断标准」列写出标准，或写目标值/预警值列",
        "write the criterion in the 诊断标准 column, or give 目标值/预警值 columns",
        "empty",
    )  # fmt: skip


def _lone_yes_word(text: str) -> Criterion | None:
    """A cell holding only the answer that passes (是, 有, 达标): that yes/no vocabulary."""
    word = nfkc(text)
    for pair in vocabulary().yes_no:
        if word == pair.yes:
            return Criterion(text=text, kind=pair.kind, expected=True, words=(pair.yes, pair.no))  # type: ignore[arg-type]
    return None


def compile_text(text: str, *, percent_hint: bool = False, name: str = "") -> Criterion:
    lexed = lex(text)
    if not lexed.tokens:
        raise NotCheckable("没有诊断标准", "no diagnostic criterion", "", "", "empty")
    lone = _lone_yes_word(text)
    if lone is not None:
        return lone
    if lexed.hints & {"periods", "rank", "indicators"}:
        raise _not_readable(text, lexed)
    try:
        tree = parser().parse(lexed.tokens)  # type: ignore[arg-type]
    except LarkError:
        raise _not_readable(text, lexed) from None
    return _Builder(text, lexed, percent_hint, name).build(tree)


def compile_line(text: str, *, percent_hint: bool = False) -> Bound | None:
    """One 目标值/预警值/底线值 cell: a number with an optional operator (``>17:1``, ``≥90%``, ``0.6``)."""
    lexed = lex(text)
    toks = [t for t in lexed.tokens if t.type != "TEXT"]
    nums = [t for t in toks if t.type == "NUM"]
    if len(nums) != 1:
        return None
    quantity, op = nums[0].meaning, ""
    for t in toks:
        if t.type in ("CMP", "POST"):
            op = str(t.meaning)
    _, rescaled = _harmonise([quantity], percent_hint)  # type: ignore[list-item]
    q = rescaled.get(id(quantity), quantity)
    b = Bound(op, q)  # type: ignore[arg-type]
    return _orient(b) if op else b


LINE_KEYS = ("target", "warning", "bottom")
LINE_NAMES = {"target": "目标值", "warning": "预警值", "bottom": "底线值"}


def compile_indicator(
    criterion: str | None,
    lines: dict[str, str] | None = None,
    direction_text: str | None = None,
    *,
    percent_hint: bool = False,
    name: str = "",
) -> Criterion:
    """An indicator's standard: its 诊断标准, or the lines in its own catalogue columns.

    ``lines`` maps ``target`` (目标值/标准值), ``warning`` (预警值) and ``bottom`` (底线值) to the cell
    texts; when any is given they are the standard (with the criterion's direction if it has
    one), as the yearly targets are.
    """
    base: Criterion | None = None
    failure: NotCheckable | None = None
    if criterion is not None and criterion.strip():
        try:
            base = compile_text(criterion, percent_hint=percent_hint, name=name)
        except NotCheckable as exc:
            failure = exc
    given = {k: v for k, v in (lines or {}).items() if k in LINE_KEYS and v and v.strip()}
    if not given:
        if base is not None:
            return base
        raise failure or no_criterion()
    found: dict[str, Bound] = {}
    quantities = []
    for key, cell in given.items():
        bound = compile_line(cell, percent_hint=percent_hint)
        if bound is None:
            raise NotCheckable(
                f"「{cell}」不是一个数值（可带比较符，如 >17:1、≥90%）",
                f"'{cell}' is not one value (with an optional operator, e.g. >17:1, ≥90%)",
                "每一格只写一个数值", "write one value per cell", "lines",
            )  # fmt: skip
        found[key] = bound
        quantities.append(bound.value)
    units, _ = _harmonise(quantities, percent_hint)
    direction = direction_text
    if direction is None and base is not None and base.direction in ("higher", "lower"):
        direction = base.direction
    text = "；".join(f"{LINE_NAMES[k]}:{v}" for k, v in given.items())
    lower = any(w in name for w in vocabulary().lower_is_better)
    return lines_criterion(text, found, units, direction, lower)
