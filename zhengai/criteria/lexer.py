"""Cut a criterion into the tokens of ``grammar.lark``.

The lexer reads left to right after NFKC (full-width forms become half-width): a number with its
multiplier and unit (``3.5万元``, ``90%``, ``16:1``, ``四分之一``), else the longest word of the
vocabulary tables, else one character of text. Then a few context rules make words that only look
like keywords part of the text around them: 合格 in 合格率, 到 in 报到率, 达 in 表达, a number in a
name (``每5年累计``), 目标 in 目标任务书, 预警 in 预警机制.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from lark import Token

from .vocabulary import Vocabulary, nfkc, vocabulary


class Tok(Token):
    """A lark token that also carries what it means (a ``Quantity``, a comparison, a grade…)."""

    __slots__ = ("meaning",)


@dataclass(frozen=True)
class Quantity:
    """A number as written and as stored: 3.5万元 → 35000 (unit 元, scale 10000, kind count)."""

    value: Decimal
    kind: str  # percent (stored as a fraction), permille, count, ratio
    written: str
    unit_word: str = ""
    scale: Decimal = Decimal(1)
    inverted: bool = False  # 1:16 (the 1 first): a larger N is a smaller ratio


@dataclass
class Lexed:
    tokens: list[Tok] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hints: set[str] = field(default_factory=set)


CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN = "零一二两三四五六七八九十百千"
_WORD_FRACTION = re.compile(rf"([{CN}]+)分之([{CN}]+)")
_RATIO = re.compile(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)")
_DIGIT_FRACTION = re.compile(r"(\d+)/(\d+)(?![\d.])")
_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_CN_NUMBER = re.compile(rf"[{CN}]+")
_LATIN_GRADE = re.compile(r"([A-E])(级|档|等|类)?")
_SEPARATORS = set(";,、。\n\r\t ") | {"；", "，"}
_OPEN, _CLOSE = "([【", ")]】"
RANGE_WORDS = ("-", "–", "—", "~", "〜", "至", "到")


def chinese_number(text: str) -> int | None:
    """两 → 2, 十五 → 15, 三十 → 30, 一百 → 100.

    >>> chinese_number("十五"), chinese_number("三十"), chinese_number("两"), chinese_number("一百二十")
    (15, 30, 2, 120)
    """
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in "十百千":
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


class _Reader:
    def __init__(self, text: str, vocab: Vocabulary) -> None:
        self.text = text
        self.vocab = vocab
        self.pos = 0
        self.out = Lexed()
        self.units = sorted((w for w, (t, _) in vocab.words.items() if t == "UNIT"), key=len, reverse=True)
        self.mults = sorted((w for w, (t, _) in vocab.words.items() if t == "MULT"), key=len, reverse=True)

    # -- tokens --------------------------------------------------------------------------------
    def emit(self, kind: str, text: str, meaning: object = None) -> None:
        tok = Tok(kind, text)
        tok.meaning = meaning
        self.out.tokens.append(tok)

    def previous(self) -> Tok | None:
        return self.out.tokens[-1] if self.out.tokens else None

    # -- numbers -------------------------------------------------------------------------------
    def _skip_spaces(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] == " ":
            pos += 1
        return pos

    def _unit_at(self, pos: int) -> tuple[str, str, Decimal, int]:
        """(unit word as written, kind, scale, end) of the multiplier and unit after a number."""
        pos = self._skip_spaces(pos)
        scale, written = Decimal(1), ""
        for m in self.mults:
            if self.text.startswith(m, pos):
                scale = Decimal(self.vocab.words[m][1])
                written, pos = m, pos + len(m)
                break
        for u in self.units:
            if self.text.startswith(u, pos):
                kind = self.vocab.words[u][1]
                end = pos + len(u)
                per = re.match(r"/(生|人|年|班|校|学年|学期)", self.text[end:])
                if per and kind == "count":
                    end += per.end()
                return written + self.text[pos:end], kind, scale, end
        return written, "count", scale, pos

    def number(self) -> bool:
        text, pos = self.text, self.pos
        prev = self.previous()
        m = _WORD_FRACTION.match(text, pos)
        if m:
            den, num = chinese_number(m[1]), chinese_number(m[2])
            if den and num is not None:
                self._quantity(m.end(), _fraction(num, den), "percent", m[0], fraction=True)
                return True
        if not text[pos].isdecimal():  # what _DECIMAL reads; ² and ፩ are not
            after_cmp = prev is not None and prev.type in ("CMP", "RANGE")
            m = _CN_NUMBER.match(text, pos)
            if m:
                value = chinese_number(m[0])
                unit, kind, _, end = self._unit_at(m.end())
                before_post = any(
                    text.startswith(w, end) for w, (k, _) in self.vocab.words.items() if k == "POST"
                )
                if value is not None and unit and (after_cmp or before_post):
                    self.emit("NUM", text[pos:end], Quantity(Decimal(value), kind, text[pos:end], unit))
                    self.pos = end
                    return True
            return False
        m = _RATIO.match(text, pos)
        if m:
            left, right = Decimal(m[1]), Decimal(m[2])
            if right == 1:
                q = Quantity(left, "ratio", m[0], ":1")
            elif left == 1 and right != 0:
                q = Quantity(right, "ratio", m[0], ":1", inverted=True)
            elif right != 0:
                q = Quantity(left / right, "ratio", m[0], ":1")
            else:
                return False
            self.emit("NUM", m[0], q)
            self.pos = m.end()
            return True
        m = _DIGIT_FRACTION.match(text, pos)
        if m and int(m[2]) != 0:
            self._quantity(m.end(), _fraction(int(m[1]), int(m[2])), "percent", m[0], fraction=True)
            return True
        m = _DECIMAL.match(text, pos)
        assert m is not None
        self._quantity(m.end(), Decimal(m[0].replace(",", "")), None, m[0])
        return True

    def _quantity(
        self, end: int, value: Decimal, kind: str | None, written: str, fraction: bool = False
    ) -> None:
        unit, unit_kind, scale, after = self._unit_at(end)
        if fraction:
            q = Quantity(value, "percent", written, "")
            after = end
        elif unit_kind == "percent":
            q = Quantity(value / 100, "percent", self.text[self.pos : after], "%")
        elif unit_kind == "permille":
            q = Quantity(value / 1000, "permille", self.text[self.pos : after], "‰")
        else:
            q = Quantity(value * scale, kind or "count", self.text[self.pos : after], unit, scale)
        self.emit("NUM", self.text[self.pos : after], q)
        self.pos = after

    # -- words ---------------------------------------------------------------------------------
    def yes_no(self) -> bool:
        prev = self.previous()
        if prev is not None and prev.type == "SLASH":
            return False  # 合格/不合格 at the end of 优秀/良好/合格/不合格 is part of a grade list
        for pair in self.vocab.yes_no:
            for form in (f"{pair.yes}/{pair.no}", f"{pair.yes}或{pair.no}"):
                if self.text.startswith(form, self.pos):
                    self.emit("YES_NO", form, pair)
                    self.pos += len(form)
                    return True
        for word, pair in (
            ("是否", self.vocab.yes_no_pair("是", "否")),
            ("有无", self.vocab.yes_no_pair("有", "无")),
        ):
            if pair is not None and self.text.startswith(word, self.pos):
                self.emit("YES_NO", word, pair)
                self.pos += len(word)
                return True
        return False

    def latin_grade(self) -> bool:
        m = _LATIN_GRADE.match(self.text, self.pos)
        if not m:
            return False
        before = self.text[self.pos - 1] if self.pos else ""
        after = self.text[m.end()] if m.end() < len(self.text) else ""
        if (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha()):
            return False
        self.emit("GRADE", m[0], m[1])
        self.pos = m.end()
        return True

    def word(self) -> bool:
        for length in range(min(self.vocab.longest(), len(self.text) - self.pos), 0, -1):
            candidate = self.text[self.pos : self.pos + length]
            grade = self.vocab.grades.get(candidate)
            entry = self.vocab.words.get(candidate)
            if entry is None and grade is None:
                continue
            if entry is not None and entry[0] in ("UNIT", "MULT"):
                continue  # units only count after a number
            if entry is not None and entry[0].startswith("HINT_"):
                self.out.hints.add(entry[0][5:].lower())
                self.text_char(candidate)
                return True
            if grade is not None and (entry is None or length > 1):
                self.emit("GRADE", candidate, candidate)
            else:
                assert entry is not None
                self.emit(entry[0], candidate, entry[1])
            self.pos += length
            return True
        return False

    def text_char(self, chars: str | None = None) -> None:
        chars = chars or self.text[self.pos]
        prev = self.previous()
        if prev is not None and prev.type == "TEXT":
            self.out.tokens[-1] = _text(prev + chars)
        else:
            self.out.tokens.append(_text(chars))
        self.pos += len(chars)

    def bracket(self) -> bool:
        if self.text[self.pos] not in _OPEN:
            return False
        close = self.text.find(_CLOSE[_OPEN.index(self.text[self.pos])], self.pos + 1)
        if close < 0:
            return False
        inner = self.text[self.pos + 1 : close]
        prev = self.previous()
        if re.search(r"\d", inner) or _WORD_FRACTION.search(inner):
            self.pos += 1  # a bound in brackets: 优秀（≥90分）; read what is inside
            self.text = self.text[:close] + " " + self.text[close + 1 :]
            return True
        flat = re.sub(r"\s+", "", inner)
        start = len(self.out.tokens)
        while start > 0 and self.out.tokens[start - 1].type not in ("SEP", "NUM"):
            start -= 1
        name = "".join(self.out.tokens[start:])
        if prev is not None and name.endswith("率") and flat.count("/") == 1:
            numerator, denominator = flat.split("/")
            ratio = Tok("RATIO", name + f"({flat})")
            ratio.meaning = (name, numerator, denominator)
            self.out.tokens[start:] = [ratio]
        else:
            self.out.notes.append(inner.strip())
        self.pos = close + 1
        return True

    def run(self) -> Lexed:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            prev = self.previous()
            if ch in _SEPARATORS:
                if prev is not None and prev.type != "SEP":
                    self.emit("SEP", ch)
                self.pos += 1
            elif ch in RANGE_WORDS and prev is not None and prev.type == "NUM" and self._digit_follows():
                self.emit("RANGE", ch)
                self.pos += 1
            elif ch == "/" and prev is not None and prev.type == "GRADE":
                self.emit("SLASH", ch)
                self.pos += 1
            elif ch == ":":
                self.emit("COLON", ch)
                self.pos += 1
            elif not (self.bracket() or self.number() or self.yes_no() or self.latin_grade() or self.word()):
                self.text_char()
        self.out.tokens = _in_context(self.out.tokens)
        return self.out

    def _digit_follows(self) -> bool:
        rest = self.text[self.pos + 1 :].lstrip(" ")
        return bool(rest) and (rest[0].isdecimal() or bool(_WORD_FRACTION.match(rest)))


def _fraction(numerator: int, denominator: int) -> Decimal:
    """2/3 → 0.666666: six places, rounded down, so a value written as 66.67% meets 三分之二."""
    return (
        (Decimal(numerator) / Decimal(denominator))
        .quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
        .normalize()
    )


def _text(value: str) -> Tok:
    tok = Tok("TEXT", value)
    tok.meaning = None
    return tok


def _kind(tokens: list[Tok], i: int) -> str | None:
    return tokens[i].type if 0 <= i < len(tokens) else None


def _in_context(tokens: list[Tok]) -> list[Tok]:
    """Apply the context rules until nothing changes, then join adjacent text."""
    changed = True
    while changed:
        changed = False
        out: list[Tok] = []
        for i, tok in enumerate(tokens):
            before, after = _kind(tokens, i - 1), _kind(tokens, i + 1)
            kind = tok.type
            demote = (
                (kind == "GRADE" and not tok[0].isascii() and "TEXT" in (before, after))
                or (
                    kind == "CMP"
                    and after != "NUM"
                    and not (after == "TEXT" and _kind(tokens, i + 2) == "NUM")
                )
                or (kind == "POST" and before != "NUM")
                or (kind == "WEI" and after not in ("GRADE", "NUM", "WARN"))
                or (kind == "LINE" and after not in ("COLON", "NUM", "CMP"))
                or (kind == "WARN" and not any(t.type == "NUM" for t in tokens[:i]))
                or (kind == "EVIDENCE" and "NUM" in (before, after))
                or (
                    kind == "NUM"
                    and before not in ("CMP", "RANGE", "COLON", "WEI", "LINE")
                    and (after == "TEXT" or (before == "TEXT" and after == "CMP"))
                    and not (before == "TEXT" and _kind(tokens, i - 2) == "CMP")
                )
            )
            drop = kind == "SEP" and (
                before is None
                or after is None
                or before in ("CMP", "RANGE", "COLON", "SLASH", "WEI", "LINE")
                or after in ("POST", "RANGE", "COLON", "SLASH", "WEI", "WARN", "SEP")
                or (before == "TEXT" and after in ("NUM", "CMP", "TEXT", "YES_NO"))
                or (
                    before == "GRADE"
                    and after in ("NUM", "CMP")
                    and _kind(tokens, i - 2) not in ("SLASH", "WEI")
                )
            )
            if drop:
                changed = True
                continue
            if demote:
                changed = True
                out.append(_text(str(tok)))
            elif kind == "TEXT" and out and out[-1].type == "TEXT":
                out[-1] = _text(out[-1] + tok)
                changed = True
            else:
                out.append(tok)
        tokens = out
    return tokens


def lex(text: str, vocab: Vocabulary | None = None) -> Lexed:
    """The tokens of a criterion (after NFKC, line breaks as separators).

    >>> [t.type for t in lex("生师比≤18:1").tokens]
    ['TEXT', 'CMP', 'NUM']
    >>> [t.type for t in lex("A:90%以上 B:70%-90% C:70%以下").tokens]
    ['GRADE', 'COLON', 'NUM', 'POST', 'SEP', 'GRADE', 'COLON', 'NUM', 'RANGE', 'NUM', 'SEP', 'GRADE', 'COLON', 'NUM', 'POST']
    >>> [t.type for t in lex("课程考核合格率≥90%").tokens]
    ['TEXT', 'CMP', 'NUM']
    """
    flat = nfkc(text).replace("\r\n", "\n")
    flat = re.sub(r"[ \u3000]+", " ", flat)
    return _Reader(flat, vocab or vocabulary()).run()
