"""Who may do what to a gap. The same rules hold over the CLI and the API.

* a measure (改进措施): the owner — a holder or acting holder of an owning post, or the head of an
  owning unit;
* a review (复核): the 审核人 (the head of the subject's 二级学院), a 监管人 (the head of a
  supervising unit) or the quality office (a person holding a post in the quality-office unit, or
  an API token with the quality_office role);
* nobody reviews their own measure.

Each refusal names its rule (``Refused.rule``), in Chinese and English.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import URIRef

from zhengai.errors import ZhengaiError
from zhengai.ownership import Organisation, Owner

from .actions import Actor

# The quality office is the unit whose name says 质量 (not a committee or working group), unless
# ZHENGAI_QUALITY_OFFICE names the unit(s), separated by commas.
_NOT_AN_OFFICE = re.compile(r"(委员会|工作组|小组)$")
CAPACITY_ZH = {
    "holder": "责任岗位在岗人",
    "acting": "责任岗位代理人",
    "unit-head": "责任单位负责人",
    "college-reviewer": "审核人（二级学院负责人）",
    "supervisor": "监管人（监督单位负责人）",
    "quality-office": "质量管理部门",
}
RULES: dict[str, tuple[str, str]] = {
    "person-known": (
        "经办人须是组织数据中的在岗人员",
        "the person must hold a post in the organisation data",
    ),
    "measure-by-owner": (
        "只有责任人（责任岗位的在岗人或代理人、责任单位负责人）可以记录改进措施",
        "only the owner (a holder or acting holder of an owning post, or an owning unit's head) records a measure",
    ),
    "measure-on-open-gap": ("已关闭的问题不能再记录改进措施", "a closed gap takes no more measures"),
    "act-on-current-period": (
        "问题已延续到更新的学年，请在该学年的问题上操作",
        "the gap carries on in a later period: act on that period's gap",
    ),
    "measure-text-and-due": (
        "改进措施须写明内容和不早于当天的完成期限",
        "a measure needs a text and a due date no earlier than the day it is recorded",
    ),
    "evidence-is-a-link": ("佐证材料须为 http(s) 链接", "evidence must be an http(s) link"),
    "review-after-measure": (
        "复核须针对已记录、尚未被取代的改进措施",
        "a review needs a recorded measure to review",
    ),
    "review-by-reviewer": (
        "只有审核人（对象所属二级学院负责人）、监管人（监督单位负责人）或质量管理部门可以复核",
        "only the 审核人 (head of the subject's 二级学院), a 监管人 (head of a supervising unit) "
        "or the quality office reviews",
    ),
    "review-not-own-measure": ("不能复核自己记录的改进措施", "nobody reviews their own measure"),
    "review-on-open-gap": ("已关闭的问题不能再复核", "a closed gap takes no more reviews"),
    "reject-with-reason": ("退回须写明理由", "a rejection needs a reason"),
}


# Refusals because of where the gap stands (409 over the API), not of who asks (403).
STATE_RULES = frozenset(
    {"measure-on-open-gap", "act-on-current-period", "review-after-measure", "review-on-open-gap"}
)


class Refused(ZhengaiError):
    """A lifecycle step the rules do not allow; ``rule`` names the rule that refused it."""

    code = "refused"

    def __init__(self, rule: str, zh_detail: str = "", en_detail: str = "") -> None:
        self.rule = rule
        self.code = "transition_refused" if rule in STATE_RULES else "refused"
        zh, en = RULES[rule]
        super().__init__(
            f"不允许（规则 {rule}）：{zh}" + (f"。{zh_detail}" if zh_detail else ""),
            f"refused (rule {rule}): {en}" + (f". {en_detail}" if en_detail else ""),
        )


def quality_office_units(org: Organisation) -> set[str]:
    configured = os.environ.get("ZHENGAI_QUALITY_OFFICE")
    if configured:
        return {name.strip() for name in configured.split(",") if name.strip()}
    return {n for n in org.unit_names.values() if "质量" in n and not _NOT_AN_OFFICE.search(n)}


@dataclass(frozen=True)
class Person:
    staff_number: str
    name: str
    posts: tuple[str, ...]  # codes of the posts held


def person(org: Organisation, staff_number: str) -> Person:
    held = sorted(
        ((p.code, name) for p in org.posts.values() for number, name in p.holders if number == staff_number),
    )
    if not held:
        raise Refused(
            "person-known", f"工号「{staff_number}」不在任何岗位上", f"no post is held by '{staff_number}'"
        )
    return Person(staff_number, held[0][1], tuple(code for code, _ in held))


def _heads(org: Organisation, units: Iterable[URIRef]) -> list[tuple[str, str]]:
    """(head post code, holder 工号) of each unit."""
    out = []
    for unit in units:
        head = org.heads.get(unit)
        if head in org.posts:
            out.extend((org.posts[head].code, number) for number, _ in org.posts[head].holders)
    return out


def _unit_by_name(org: Organisation, names: Iterable[str]) -> list[URIRef]:
    wanted = set(names)
    return [unit for unit, name in org.unit_names.items() if name in wanted]


def measure_actor(org: Organisation, owner: Owner | None, staff_number: str) -> Actor:
    who = person(org, staff_number)
    for o in owner.posts if owner else []:
        if any(number == staff_number for number, _ in o.post.holders):
            return Actor(who.staff_number, who.name, o.post.code, "holder")
        if any(number == staff_number for number, _ in o.acting):
            return Actor(who.staff_number, who.name, o.acting_post.code if o.acting_post else None, "acting")
    units = [u for u, _ in owner.units] if owner else []
    units += [o.post.unit for o in owner.posts if o.post.unit is not None] if owner else []
    for code, number in _heads(org, units):
        if number == staff_number:
            return Actor(who.staff_number, who.name, code, "unit-head")
    owners = "、".join(o.post.code for o in owner.posts) if owner and owner.posts else None
    units_text = "、".join(name for _, name in owner.units) if owner else ""
    named = owners or units_text or "—"
    raise Refused(
        "measure-by-owner",
        f"{who.name}（{staff_number}）不是本问题的责任人（{named}）",
        f"{who.name} ({staff_number}) does not own this gap ({named})",
    )


def review_actor(
    org: Organisation,
    owner: Owner | None,
    colleges: list[URIRef],
    staff_number: str,
    *,
    quality_office: bool = False,
) -> Actor:
    """The capacity in which ``staff_number`` may review; ``quality_office``: the caller's token
    has the quality_office role."""
    who = person(org, staff_number)
    for code, number in _heads(org, colleges):
        if number == staff_number:
            return Actor(who.staff_number, who.name, code, "college-reviewer")
    for code, number in _heads(org, _unit_by_name(org, owner.supervisors if owner else [])):
        if number == staff_number:
            return Actor(who.staff_number, who.name, code, "supervisor")
    offices = quality_office_units(org)
    for post in org.posts.values():
        if post.unit_name in offices and any(number == staff_number for number, _ in post.holders):
            return Actor(who.staff_number, who.name, post.code, "quality-office")
    if quality_office:
        return Actor(who.staff_number, who.name, who.posts[0], "quality-office")
    college_names = "、".join(org.unit_names.get(c, "") for c in colleges) or "—"
    raise Refused(
        "review-by-reviewer",
        f"{who.name}（{staff_number}）不是对象所属二级学院（{college_names}）的负责人、监督单位的负责人或质量管理部门人员",
        f"{who.name} ({staff_number}) heads neither the subject's 二级学院 ({college_names}) nor a "
        "supervising unit, and is not in the quality office",
    )
