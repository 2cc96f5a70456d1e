"""Roles and API tokens: who may do what, and which graphs each role may read.

Tokens come from a TOML file (``zhengai serve --tokens FILE`` or ``ZHENGAI_TOKENS_FILE``)::

    [[token]]
    name = "质量管理处"           # shown in logs and /whoami
    role = "quality_office"
    sha256 = "9f86d08…"           # sha256 of the token (or ``token = "…"`` in plain text)

    [[token]]
    name = "信息工程学院"
    role = "unit_head"
    unit = "信息工程学院"          # the unit (name) whose gaps this token sees
    person = "T1004"              # the unit head's 工号, for measures and reviews
    token = "…"

    [[token]]
    role = "teacher"
    person = "T0012"              # the teacher's 工号
    token = "…"

    [[token]]
    name = "学工系统"             # the campus system it stands for (PROV of what it pushes)
    role = "ingest"               # may push observations (POST /observations), nothing else
    levels = ["学生"]             # optional: only these levels' indicators
    indicators = ["XS-2.3.6-01"]  # optional: only these indicators
    token = "…"

or from the environment, ``ZHENGAI_TOKENS="role:token[:scope];…"`` (scope: the unit for
``unit_head``, the 工号 for ``teacher`` and ``quality_office``, the system for ``ingest``; a unit head's 工号 follows the unit:
``unit_head:token:信息工程学院:T1004``). Recording measures and reviews needs the token's 工号
(``person``): the lifecycle rules decide what that person may do. A request sends ``Authorization: Bearer <token>``; no
header means the ``public`` role.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zhengai.loaders.subjects import PERSONAL_GRAPHS

from zhengai.errors import ZhengaiError
from zhengai.namespaces import GRAPH_BASE

ROLES = ("public", "reader", "teacher", "unit_head", "auditor", "quality_office", "ingest", "region")

# What each role may do. "gaps" is scoped for unit_head and teacher (see Principal.sees_owner).
CAN: dict[str, frozenset[str]] = {
    "public": frozenset({"catalogue"}),
    "reader": frozenset({"catalogue", "aggregates", "units"}),
    "teacher": frozenset({"catalogue", "aggregates", "units", "gaps", "act"}),
    "unit_head": frozenset({"catalogue", "aggregates", "units", "gaps", "posts", "subjects", "act"}),
    "auditor": frozenset(
        {"catalogue", "aggregates", "units", "gaps", "posts", "subjects", "audit", "graphs", "sparql"}
    ),
    "quality_office": frozenset(
        {"catalogue", "aggregates", "units", "gaps", "posts", "subjects", "audit", "graphs", "sparql"}
        | {"personal", "write", "act", "push"}
    ),
    "ingest": frozenset({"catalogue", "push"}),
    # a region's office: the region views (aggregates across colleges), nothing of any one college
    "region": frozenset({"region"}),
}
ROLE_NAMES_ZH = {
    "public": "公开",
    "reader": "只读（汇总）",
    "teacher": "教师",
    "unit_head": "部门负责人",
    "auditor": "审计",
    "quality_office": "质量管理处",
    "ingest": "数据推送（校园系统）",
    "region": "区域（多校汇总）",
}


class AccessError(ZhengaiError):
    """The request's role may not do this (or no valid token was sent)."""

    code = "forbidden"


class TokenError(ZhengaiError):
    """A token was sent but is not known."""

    code = "unauthorized"


@dataclass(frozen=True)
class Principal:
    role: str
    name: str = ""
    unit: str | None = None  # unit_head: the unit's name
    person: str | None = None  # teacher (and any token that records measures or reviews): the 工号
    levels: frozenset[str] = frozenset()  # ingest: the levels it may push (empty: any)
    indicators: frozenset[str] = frozenset()  # ingest: the indicators it may push (empty: any)
    college: str | None = None  # the college (学校代码) the token is for; None: the server's own

    def can(self, what: str) -> bool:
        return what in CAN[self.role]

    def require(self, what: str) -> None:
        if not self.can(what):
            if self.role == "public":
                raise TokenError(
                    "此资源需要令牌（Authorization: Bearer <令牌>）",
                    "this resource needs a token (Authorization: Bearer <token>)",
                )
            raise AccessError(
                f"角色「{ROLE_NAMES_ZH[self.role]}」无权访问此资源",
                f"the role '{self.role}' may not access this resource",
            )

    @property
    def sees_all_gaps(self) -> bool:
        return self.role in ("auditor", "quality_office")

    @property
    def sees_people(self) -> bool:
        """Gaps about one teacher or student: the quality office, and the scoped roles for what they own."""
        return self.role in ("quality_office", "unit_head", "teacher")

    def readable_graph(self, graph: str) -> bool:
        """Whether /sparql may show this named graph to the role."""
        if self.can("personal"):
            return True
        if not self.can("sparql"):
            return False
        return not is_personal_graph(graph)


def is_personal_graph(name: str) -> bool:
    """Records of people, and graphs that hold values or gaps of individual teachers and students."""
    personal_prefixes = [str(g) for g in PERSONAL_GRAPHS]
    personal_prefixes += [GRAPH_BASE + "people/", GRAPH_BASE + "observations/", GRAPH_BASE + "diagnosis/"]
    return any(name == p or name.startswith(p) for p in personal_prefixes)


@dataclass(frozen=True)
class _Token:
    digest: str
    principal: Principal


class Tokens:
    """The configured tokens; compares digests in constant time."""

    def __init__(self, entries: list[_Token]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    def principal(self, authorization: str | None, college: str | None = None) -> Principal:
        """Who sends ``authorization``; on a server of college ``college``, a token for another
        college is refused (a region token, which reads only the region views, is not)."""
        found = self._principal(authorization)
        if college is not None and found.college is not None and found.college != college:
            raise AccessError(
                f"此令牌属于学校 {found.college}，本服务器服务学校 {college}",
                f"this token is for college {found.college}; this server serves college {college}",
            )
        return found

    def _principal(self, authorization: str | None) -> Principal:
        if not authorization:
            return Principal("public")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError(
                "Authorization 头应为「Bearer <令牌>」", "the Authorization header must be 'Bearer <token>'"
            )
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        found = None
        for entry in self._entries:  # look at every entry: the time taken says nothing
            if hmac.compare_digest(entry.digest, digest):
                found = entry.principal
        if found is None:
            raise TokenError("令牌无效", "unknown token")
        return found

    @classmethod
    def from_file(cls, path: Path) -> Tokens:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ZhengaiError(
                f"无法读取令牌文件「{path}」：{exc}", f"cannot read the token file '{path}': {exc}"
            ) from exc
        entries = []
        for n, item in enumerate(data.get("token", []), start=1):
            where = f"{path.name} [[token]] #{n}"
            secret, digest = item.get("token"), item.get("sha256")
            if not (secret or digest):
                raise ZhengaiError(f"{where}：缺少 token 或 sha256", f"{where}: needs token or sha256")
            who = _principal(
                item.get("role", ""), item.get("unit"), item.get("person"), str(item.get("name", "")), where
            )
            if item.get("college"):
                who = dataclasses.replace(who, college=str(item["college"]))
            if who.role == "ingest":
                who = dataclasses.replace(
                    who,
                    levels=_names(item.get("levels"), where),
                    indicators=_names(item.get("indicators"), where),
                )
            known = str(digest).lower() if digest else hashlib.sha256(str(secret).encode()).hexdigest()
            entries.append(_Token(known, who))
        return cls(entries)

    @classmethod
    def from_env_text(cls, text: str) -> Tokens:
        entries = []
        for n, part in enumerate(p for p in text.split(";") if p.strip()):
            role, _, rest = part.strip().partition(":")
            secret, _, scope = rest.partition(":")
            scope, _, extra = scope.partition(":")
            where = f"ZHENGAI_TOKENS #{n + 1}"
            if not secret:
                raise ZhengaiError(f"{where}：应写作 角色:令牌[:范围]", f"{where}: write role:token[:scope]")
            unit = scope or None if role == "unit_head" else None
            person = (scope if role in ("teacher", "quality_office") else extra) or None
            name = scope if role == "ingest" else role  # ingest:token:学工系统 — the system it stands for
            entries.append(
                _Token(
                    hashlib.sha256(secret.encode()).hexdigest(), _principal(role, unit, person, name, where)
                )
            )
        return cls(entries)

    @classmethod
    def configured(cls, path: Path | None = None) -> Tokens:
        """Tokens from ``path``, else ``ZHENGAI_TOKENS_FILE``, plus any in ``ZHENGAI_TOKENS``."""
        file = path or (
            Path(os.environ["ZHENGAI_TOKENS_FILE"]) if os.environ.get("ZHENGAI_TOKENS_FILE") else None
        )
        entries = list(cls.from_file(file)._entries) if file else []
        if os.environ.get("ZHENGAI_TOKENS"):
            entries += cls.from_env_text(os.environ["ZHENGAI_TOKENS"])._entries
        return cls(entries)


def _names(value: object, where: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ZhengaiError(
            f"{where}：levels、indicators 应为文字列表",
            f"{where}: levels and indicators are lists of strings",
        )
    return frozenset(value)


def _principal(role: str, unit: object, person: object, name: str, where: str) -> Principal:
    if role not in ROLES or role == "public":
        raise ZhengaiError(
            f"{where}：未知角色「{role}」（可用：{'、'.join(ROLES[1:])}）",
            f"{where}: unknown role '{role}' (use one of {', '.join(ROLES[1:])})",
        )
    if role == "unit_head" and not unit:
        raise ZhengaiError(f"{where}：unit_head 需要 unit（部门名称）", f"{where}: unit_head needs a unit")
    if role == "ingest" and not name:
        raise ZhengaiError(
            f"{where}：ingest 需要 name（它所代表的校园系统，如 学工系统）",
            f"{where}: ingest needs a name (the campus system it stands for, e.g. 学工系统)",
        )
    if role == "teacher" and not person:
        raise ZhengaiError(f"{where}：teacher 需要 person（工号）", f"{where}: teacher needs a person (工号)")
    return Principal(role, name, str(unit) if unit else None, str(person) if person else None)
