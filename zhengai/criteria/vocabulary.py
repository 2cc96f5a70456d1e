"""The editable word tables of the criterion language (``data/*.csv``).

* ``criterion_vocabulary.csv`` — comparison words, bounds written after a number, 为, warnings,
  named lines, evidence words and the words that hint at a rule over years or ranks;
* ``yes_no_words.csv`` — yes/no vocabularies (有/无, 达标/不达标, 完成/未完成 …);
* ``grade_scales.csv`` — grade names, their order within a scale, and optionally their severity;
* ``lower_is_better.csv`` — words in an indicator's name that make a bare line an upper bound.

Each table can be replaced by a file of the same columns: ``ZHENGAI_CRITERION_VOCABULARY``,
``ZHENGAI_YES_NO_WORDS``, ``ZHENGAI_GRADE_SCALES``, ``ZHENGAI_LOWER_IS_BETTER``.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from zhengai.resources import read_text

SEVERITY_WORDS = {
    "通过": "pass", "pass": "pass", "达标": "pass",
    "黄色": "yellow", "yellow": "yellow", "黄": "yellow", "warning": "yellow",
    "红色": "red", "red": "red", "红": "red", "violation": "red",
}  # fmt: skip


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _rows(name: str, env: str) -> list[dict[str, str]]:
    override = os.environ.get(env)
    text = Path(override).read_text(encoding="utf-8-sig") if override else read_text("data", name)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@dataclass(frozen=True)
class YesNo:
    yes: str
    no: str
    kind: str  # evidence or boolean

    @property
    def text(self) -> str:
        return f"{self.yes}/{self.no}"


@dataclass(frozen=True)
class GradeWord:
    word: str
    scale: str
    rank: int
    severity: str | None  # pass / yellow / red, or None: by position


@dataclass
class Vocabulary:
    words: dict[str, tuple[str, str]] = field(default_factory=dict)  # word → (token, meaning)
    yes_no: list[YesNo] = field(default_factory=list)
    grades: dict[str, GradeWord] = field(default_factory=dict)
    lower_is_better: list[str] = field(default_factory=list)

    def longest(self) -> int:
        return max((len(w) for w in self.words), default=1)

    def yes_no_pair(self, yes: str, no: str) -> YesNo | None:
        return next((p for p in self.yes_no if (p.yes, p.no) == (yes, no)), None)

    def yes_no_words(self) -> dict[str, tuple[bool, YesNo]]:
        """Every yes/no word → (its value, the first vocabulary it belongs to)."""
        out: dict[str, tuple[bool, YesNo]] = {}
        for pair in self.yes_no:
            out.setdefault(pair.yes, (True, pair))
            out.setdefault(pair.no, (False, pair))
        return out


@cache
def vocabulary() -> Vocabulary:
    """The tables, read once per process (tests that edit them call ``vocabulary.cache_clear()``)."""
    vocab = Vocabulary()
    for r in _rows("criterion_vocabulary.csv", "ZHENGAI_CRITERION_VOCABULARY"):
        word = nfkc(r.get("词语") or "")
        if word:
            vocab.words[word] = (r["记号"].strip(), (r.get("含义") or "").strip())
    for r in _rows("yes_no_words.csv", "ZHENGAI_YES_NO_WORDS"):
        if r.get("是词") and r.get("否词"):
            vocab.yes_no.append(YesNo(nfkc(r["是词"]), nfkc(r["否词"]), (r.get("种类") or "boolean").strip()))
    for r in _rows("grade_scales.csv", "ZHENGAI_GRADE_SCALES"):
        if r.get("等级"):
            severity = SEVERITY_WORDS.get((r.get("严重程度") or "").strip().lower())
            word = nfkc(r["等级"])
            vocab.grades[word] = GradeWord(word, r["体系"].strip(), int(r["顺序"]), severity)
    for r in _rows("lower_is_better.csv", "ZHENGAI_LOWER_IS_BETTER"):
        if r.get("关键词"):
            vocab.lower_is_better.append(nfkc(r["关键词"]))
    return vocab
