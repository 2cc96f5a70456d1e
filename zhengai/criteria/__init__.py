"""The 诊断标准 (diagnostic criterion) language: a grammar with editable vocabulary tables.

``grammar.lark`` is the grammar, over the tokens of ``lexer.py``; the words come from the tables
in ``data/`` (``vocabulary.py``); ``reading.py`` turns a parse into a typed ``Criterion`` (bands of
values with grades and severities, or a yes/no vocabulary); ``describe.py`` says in words how it
was read; ``values.py`` reads an observed value in the criterion's own unit and words.

>>> c = compile_criterion("A/B/C\\nA:90%以上\\nB:70%-90%\\nC:70%以下")
>>> c.lines, c.direction
((Decimal('0.9'), Decimal('0.7')), 'higher')
>>> compile_criterion("生师比不高于18:1").direction
'lower'
>>> compile_criterion("有／否").kind
'evidence'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .compiler import (
    DEFAULT_SCALE_TEXT,
    LINE_KEYS,
    Bound,
    Units,
    compile_indicator,
    compile_line,
    compile_text,
    lines_criterion,
    no_criterion,
)
from .describe import reading, threshold_text
from .model import Band, Criterion, Direction, Kind, NotCheckable, Severity, Unit, two_line_bands
from .vocabulary import vocabulary

__all__ = [
    "DEFAULT_SCALE_TEXT",
    "LINE_KEYS",
    "Band",
    "Bound",
    "Criterion",
    "Direction",
    "Kind",
    "NotCheckable",
    "Severity",
    "Unit",
    "Units",
    "compile_criterion",
    "compile_indicator",
    "compile_line",
    "default_scale",
    "lines_criterion",
    "normalise",
    "reading",
    "threshold_text",
    "two_line_bands",
    "vocabulary",
]


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), no spaces, one line."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=4096)
def compile_criterion(text: str | None, *, percent_hint: bool = False, name: str = "") -> Criterion:
    """The typed criterion of a 诊断标准 cell; ``NotCheckable`` (with a reason and a hint) otherwise.

    ``percent_hint``: the indicator is a rate, so bare numbers in its criterion are percentages;
    ``name``: the indicator's name, which can say that lower is better (生师比, 流失率).
    """
    if text is None or not text.strip():
        raise no_criterion()
    return compile_text(text, percent_hint=percent_hint, name=name)


def default_scale() -> Criterion:
    """The scale a ratio without its own grade lines is graded on."""
    return compile_text(DEFAULT_SCALE_TEXT)
