"""How often an indicator is due (监测时间及频率), and whether it is due in a period.

每年, 每学年, 每学期, 年度, 学期 … mean every period. "3年", "每三年", "五年一次" mean every N
periods: such an indicator is due in a period when it was observed then, or when it has no
observation in the N − 1 periods before (so a 5年 indicator observed in 2024 is next due in 2029).
Text that names no number of years (or no frequency at all) means every period.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from zhengai.criteria.lexer import CN_DIGITS

CHINESE_DIGITS = {**CN_DIGITS, "十": 10}
_YEARS = re.compile(r"(\d+|[一两二三四五六七八九十])\s*(?:个)?(?:学)?年")


def every_years(text: str | None) -> int:
    """The number of periods between two due periods: 1 unless the text names more."""
    if not text:
        return 1
    match = _YEARS.search(text)
    if match is None:
        return 1
    raw = match[1]
    years = int(raw) if raw.isdigit() else CHINESE_DIGITS[raw]
    return years if 1 <= years <= 10 else 1  # 2025年起每年 names a year, not a span


def is_due(period: int, every: int, observed: Collection[int]) -> bool:
    if every <= 1 or period in observed:
        return True
    return not any(period - every < year < period for year in observed)
