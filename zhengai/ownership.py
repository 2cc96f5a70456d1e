"""Who owns a gap: the four rules of DESIGN §6, most specific first, as SPARQL in ``queries/``.

1. ``owner_rule1_work_item.rq`` — a post whose work item supports the indicator, bound to the
   subject or to a unit governing it;
2. ``owner_rule2_responsible_post.rq`` — the indicator's 责任岗位 instantiated for the subject;
3. ``owner_rule3_responsible_unit.rq`` — the 责任部门, else the unit behind 数据来源, and its head;
4. ``owner_rule4_matrix.rq`` — the default units of the 五纵五横 matrix for (level, system).

Each rule query runs once for one gap or for every gap of a run (``mine``, ``audit``); this module
only picks, per gap, the first rule that answered, and adds what every answer states: holders
(a vacant post falls back to its unit head's holder), the supervising units (监督控制 row), the
data provider (the unit behind 数据来源), and the escalation chain up ``org:reportsTo``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.term import Node

from zhengai import query_registry
from zhengai.errors import DiagnosisError
from zhengai.store import GraphStore

if TYPE_CHECKING:
    from zhengai.diagnosis import RunInfo

RULES = (
    (1, "owner_rule1_work_item", "岗位工作支撑该指标", "a work item of the post supports the indicator"),
    (2, "owner_rule2_responsible_post", "指标的责任岗位", "the indicator's responsible post"),
    (
        3,
        "owner_rule3_responsible_unit",
        "指标的责任部门或数据来源部门",
        "the responsible or data-source unit",
    ),
    (4, "owner_rule4_matrix", "五纵五横默认责任单位", "the default units of the matrix"),
)
HOW = {
    "subject-role": (
        "对象表中该对象这一行写明的该角色人员",
        "the person the subject's own row names in that role",
    ),
    "bound-subject": ("岗位的负责对象就是该对象", "the post is bound to the subject"),
    "bound-governing": ("岗位负责管辖该对象的单位", "the post is bound to a unit governing the subject"),
    "unit-governing": ("岗位所在单位管辖该对象", "the post's unit governs the subject"),
    "responsible-unit": ("指标表写明的责任部门", "the responsible unit named in the catalogue"),
    "data-source": ("指标数据来源所指的部门", "the unit named in the data source"),
    "matrix-unit": ("矩阵单元列出的单位", "a unit listed in the matrix cell"),
    "matrix-type": (
        "矩阵单元列出的单位类型中管辖该对象的单位",
        "the unit of the listed type governing the subject",
    ),
    "matrix-class": ("矩阵单元所指的全部同类单位", "every unit of the class the matrix cell names"),
}

SPECIFICITY = {how: n for n, how in enumerate(HOW)}


@dataclass(frozen=True)
class Post:
    iri: URIRef
    code: str
    name: str
    unit: URIRef | None
    unit_name: str
    holders: tuple[tuple[str, str], ...]  # (工号, 姓名)
    boss: URIRef | None
    until: str | None


@dataclass
class Organisation:
    posts: dict[URIRef, Post] = field(default_factory=dict)
    unit_names: dict[URIRef, str] = field(default_factory=dict)
    heads: dict[URIRef, URIRef] = field(default_factory=dict)  # unit → head post

    def chain(self, post: URIRef) -> list[Post]:
        """The post and every post above it up ``org:reportsTo``, stopping at a cycle."""
        out, seen = [], set()
        current: URIRef | None = post
        while current is not None and current in self.posts and current not in seen:
            seen.add(current)
            out.append(self.posts[current])
            current = self.posts[current].boss
        return out


def organisation(store: GraphStore) -> Organisation:
    org = Organisation()
    holders: dict[URIRef, set[tuple[str, str]]] = defaultdict(set)
    rows = store.select(query_registry.get("org_structure").text)
    for r in rows:
        if "unit" in r and "unitName" in r:
            org.unit_names[r["unit"]] = str(r["unitName"])  # type: ignore[index]
        if "unit" in r and "head" in r:
            org.heads[r["unit"]] = r["head"]  # type: ignore[index,assignment]
        if "holder" in r:
            who = str(r.get("staffNumber", str(r["holder"]).rsplit("/", 1)[-1]))
            holders[r["post"]].add((who, str(r.get("holderName", ""))))  # type: ignore[index]
    for r in rows:
        if "post" not in r or r["post"] in org.posts:
            continue
        post = r["post"]
        org.posts[post] = Post(  # type: ignore[index]
            iri=post,  # type: ignore[arg-type]
            code=str(r["code"]),
            name=str(r["name"]),
            unit=r.get("unit"),  # type: ignore[arg-type]
            unit_name=str(r.get("unitName", "")),
            holders=tuple(sorted(holders.get(post, ()))),  # type: ignore[arg-type]
            boss=r.get("boss"),  # type: ignore[arg-type]
            until=str(r["until"]) if "until" in r else None,
        )
    return org


@dataclass
class OwningPost:
    post: Post
    vacant: bool
    acting: tuple[tuple[str, str], ...]  # the unit head's holders when the post is vacant
    acting_post: Post | None


@dataclass
class Owner:
    """The ownership answer for one gap."""

    gap: URIRef
    id: str
    rule: int
    rule_zh: str
    rule_en: str
    units: list[tuple[URIRef, str]]
    posts: list[OwningPost]
    facts: list[tuple[str, str]]  # (zh, en), each a fact the rule used
    supervisors: list[str]
    data_providers: list[str]
    escalation: list[Post]

    def to_record(self) -> dict[str, object]:
        """Everything, IRIs included, to store with the run (``from_record`` reads it back)."""

        def post(p: Post) -> dict[str, object]:
            return {"iri": str(p.iri), "code": p.code, "name": p.name, "unit": str(p.unit) if p.unit else None,
                    "unit_name": p.unit_name, "holders": [list(h) for h in p.holders],
                    "boss": str(p.boss) if p.boss else None, "until": p.until}  # fmt: skip

        return {
            "id": self.id, "rule": self.rule, "rule_zh": self.rule_zh, "rule_en": self.rule_en,
            "units": [[str(u), name] for u, name in self.units],
            "posts": [{"post": post(o.post), "vacant": o.vacant, "acting": [list(a) for a in o.acting],
                       "acting_post": post(o.acting_post) if o.acting_post else None} for o in self.posts],
            "facts": [list(f) for f in self.facts], "supervisors": self.supervisors,
            "data_providers": self.data_providers, "escalation": [post(p) for p in self.escalation],
        }  # fmt: skip

    @classmethod
    def from_record(cls, gap: URIRef, r: dict) -> Owner:  # type: ignore[type-arg]
        def post(d: dict) -> Post:  # type: ignore[type-arg]
            return Post(URIRef(d["iri"]), d["code"], d["name"], URIRef(d["unit"]) if d["unit"] else None,
                        d["unit_name"], tuple(tuple(h) for h in d["holders"]),  # type: ignore[misc]
                        URIRef(d["boss"]) if d["boss"] else None, d["until"])  # fmt: skip

        return cls(
            gap=gap, id=r["id"], rule=r["rule"], rule_zh=r["rule_zh"], rule_en=r["rule_en"],
            units=[(URIRef(u), name) for u, name in r["units"]],
            posts=[OwningPost(post(o["post"]), o["vacant"], tuple(tuple(a) for a in o["acting"]),  # type: ignore[misc]
                              post(o["acting_post"]) if o["acting_post"] else None) for o in r["posts"]],
            facts=[tuple(f) for f in r["facts"]], supervisors=r["supervisors"],  # type: ignore[misc]
            data_providers=r["data_providers"], escalation=[post(p) for p in r["escalation"]],
        )  # fmt: skip

    def as_dict(self) -> dict[str, object]:
        def post_dict(p: Post) -> dict[str, object]:
            return {"code": p.code, "name": p.name, "unit": p.unit_name,
                    "holders": [{"staff_number": n, "name": m} for n, m in p.holders]}  # fmt: skip

        return {
            "gap": self.id,
            "rule": self.rule,
            "rule_zh": self.rule_zh,
            "rule_en": self.rule_en,
            "units": [name for _, name in self.units],
            "posts": [
                {
                    **post_dict(o.post),
                    "vacant": o.vacant,
                    "acting": [{"staff_number": n, "name": m} for n, m in o.acting],
                    "acting_post": o.acting_post.code if o.acting_post else None,
                }
                for o in self.posts
            ],
            "facts": [{"zh": zh, "en": en} for zh, en in self.facts],
            "supervisors": self.supervisors,
            "data_providers": self.data_providers,
            "escalation": [post_dict(p) for p in self.escalation],
        }


def _rule_rows(store: GraphStore, name: str, run: URIRef, gap: URIRef | None) -> dict[Node, list[dict]]:
    query = query_registry.get(name)
    bindings: dict[str, Node] = {"run": run}
    if gap is not None:
        bindings["gap"] = gap
    out: dict[Node, list[dict]] = defaultdict(list)
    for row in store.select(query.text, bindings):
        out[row["gap"]].append(row)
    return out


def _owning_post(org: Organisation, post_iri: URIRef) -> OwningPost | None:
    post = org.posts.get(post_iri)
    if post is None:
        return None
    if post.holders:
        return OwningPost(post, False, (), None)
    head = org.heads.get(post.unit) if post.unit is not None else None
    seen: set[URIRef] = {post_iri}
    # a vacant post falls back to its unit head; a vacant head, to the post it reports to
    candidate = head if head is not None and head != post_iri else post.boss
    while candidate is not None and candidate not in seen and candidate in org.posts:
        seen.add(candidate)
        acting = org.posts[candidate]
        if acting.holders:
            return OwningPost(post, True, acting.holders, acting)
        candidate = acting.boss
    return OwningPost(post, True, (), None)


MatrixRows = Callable[[list[Node]], dict[Node, list[dict]]]


# the threads the rule queries run on, side by side: kept, as one push may resolve many gaps
_QUERIES = ThreadPoolExecutor(max_workers=2 * (len(RULES) + 1), thread_name_prefix="zhengai-owner")


def resolve(
    store: GraphStore,
    run: URIRef,
    gap: URIRef | None = None,
    org: Organisation | None = None,
    matrix_rows: MatrixRows | None = None,
) -> dict[Node, Owner]:
    """The owner of ``gap`` (or of every open gap of ``run``); ``org`` may be given when known.
    ``matrix_rows`` answers rule 4 for the gaps rules 1–3 left unanswered (default: one query each)."""
    org = org or organisation(store)
    context: dict[Node, dict] = {}
    supervisors: dict[Node, set[str]] = defaultdict(set)
    query = query_registry.get("gap_context")
    bindings: dict[str, Node] = {"run": run} if gap is None else {"run": run, "gap": gap}
    # for a whole run, the context and rules 1–3 are asked side by side (the store evaluates
    # queries without holding the interpreter: about half the time on two cores)
    # (for one gap, the matrix too: a few milliseconds spent on the chance that rules 1–3 do not
    # answer, against one more round trip when they do not)
    pool = _QUERIES
    asked = pool.submit(store.select, query.text, bindings)
    rules = {
        number: pool.submit(_rule_rows, store, name, run, gap)
        for number, name, _, _ in (RULES if gap is not None and matrix_rows is None else RULES[:3])
    }
    context_rows = asked.result()
    by_rule = {number: future.result() for number, future in rules.items()}
    for row in context_rows:
        context[row["gap"]] = row
        if "supervisor" in row:
            supervisors[row["gap"]].add(org.unit_names.get(row["supervisor"], str(row["supervisor"])))  # type: ignore[arg-type]
    # the matrix (rule 4) is asked only for the gaps rules 1–3 left unanswered: one small query
    # per gap is far cheaper than the matrix for every gap of a large run
    unanswered = [g for g in context if not any(g in by_rule[n] for n in (1, 2, 3))]
    if matrix_rows is not None:
        by_rule[4] = defaultdict(list, matrix_rows(unanswered))
    elif 4 in by_rule:
        by_rule[4] = defaultdict(list, {g: rows for g, rows in by_rule[4].items() if g in unanswered})
    else:
        by_rule[4] = defaultdict(list)
        for g in unanswered:
            by_rule[4].update(_rule_rows(store, RULES[3][1], run, g))  # type: ignore[arg-type]
    providers: dict[Node, set[str]] = defaultdict(set)
    for g, rows in by_rule[3].items():
        for row in rows:
            if row["how"].toPython() == "data-source":  # type: ignore[union-attr]
                providers[g].add(org.unit_names.get(row["unit"], ""))  # type: ignore[arg-type]
    owners: dict[Node, Owner] = {}
    for g, ctx in context.items():
        for number, _, zh, en in RULES:
            rows = by_rule[number].get(g)
            if not rows:
                continue
            if number < 4:  # the most specific binding wins (HOW is ordered most specific first)
                best = min(SPECIFICITY[str(r["how"])] for r in rows)
                rows = [r for r in rows if SPECIFICITY[str(r["how"])] == best]
            owners[g] = _answer(org, g, ctx, number, zh, en, rows, supervisors[g], providers[g])
            break
    return owners


# What the rule queries read: every graph but the observations, targets and diagnosis runs, and of
# the run only its gaps' identity (type, indicator, subject, status, id).
SKIPPED_GRAPHS = ("/graph/observations/", "/graph/targets/", "/graph/diagnosis/")
STATUS = URIRef("https://w3id.org/zhengai/ont#status")
SUBJECT = URIRef("https://w3id.org/zhengai/ont#subject")
STUDENTS_GRAPH = URIRef("https://w3id.org/zhengai/graph/people/students")
GAP_PREDICATES = (
    URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
    URIRef("https://w3id.org/zhengai/ont#indicator"),
    URIRef("https://w3id.org/zhengai/ont#subject"),
    URIRef("https://w3id.org/zhengai/ont#status"),
    URIRef("http://purl.org/dc/terms/identifier"),
)


def resolve_run(store: GraphStore, run: URIRef) -> dict[Node, Owner]:
    """Every open gap's owner: the same rule queries as ``resolve``, run over a working copy that
    holds only what they read (on the large college 60 k of 3 M quads, several times faster).
    A store without working copies is asked directly."""
    copy = getattr(store, "working_copy", None)
    if copy is None:
        return resolve(store, run)
    graphs = [
        g
        for g in store.named_graphs()
        if not any(s in str(g) for s in SKIPPED_GRAPHS) and g != STUDENTS_GRAPH
    ]
    # of the students (most of a large college's triples) only those the run has gaps about
    with copy(graphs, {run: GAP_PREDICATES}, {STUDENTS_GRAPH: (run, SUBJECT)}) as small:

        def matrix_rows(unanswered: list[Node]) -> dict[Node, list[dict]]:
            # The copy is ours: leave in it only the gaps rules 1–3 did not answer, and ask the
            # matrix once for all of them (rule 4 reads open gaps only).
            keep = set(unanswered)
            small.change_graph(run, _statuses(small, run, keep), Graph())
            return _rule_rows(small, RULES[3][1], run, None)

        return resolve(small, run, matrix_rows=matrix_rows)


def _statuses(store: GraphStore, run: URIRef, keep: set[Node]) -> Graph:
    """The zg:status triples of the run's gaps not in ``keep``."""
    out = Graph()
    query = query_registry.get("gap_statuses")
    for r in store.select(query.text, query.bindings({"run": str(run)})):
        if r["gap"] not in keep:
            out.add((r["gap"], STATUS, r["status"]))
    return out


def _role_post(org: Organisation, ctx: dict, row: dict) -> Post:
    """A person named in a role on the subject's row who holds no post: the role stands as their
    post, in the 二级学院 governing the subject, reporting to its head."""
    unit = row.get("unit")
    subject = str(ctx["id"]).split("/", 2)[-1]
    return Post(
        iri=row["role"],
        code=f"{row['postName']}@{subject}",
        name=str(row["postName"]),
        unit=unit,
        unit_name=org.unit_names.get(unit, "") if unit is not None else "",
        holders=((str(row["staffNumber"]), str(row.get("personName", ""))),),
        boss=org.heads.get(unit) if unit is not None else None,
        until=None,
    )


def _answer(
    org: Organisation,
    gap: Node,
    ctx: dict,
    rule: int,
    rule_zh: str,
    rule_en: str,
    rows: list[dict],
    supervisors: set[str],
    providers: set[str],
) -> Owner:
    units: dict[URIRef, str] = {}
    posts: dict[URIRef, OwningPost] = {}
    facts: list[tuple[str, str]] = []
    for row in rows:
        unit = row.get("unit")
        if unit is not None:
            units[unit] = org.unit_names.get(unit, str(unit))
        post_iri = row.get("post")
        if post_iri is not None and post_iri not in posts:
            owning = _owning_post(org, post_iri)
            if owning is not None:
                posts[post_iri] = owning
        if str(row.get("how")) == "subject-role" and post_iri is None and row["role"] not in posts:
            posts[row["role"]] = OwningPost(_role_post(org, ctx, row), False, (), None)
        how_zh, how_en = HOW.get(str(row.get("how", "")), ("", ""))
        detail = str(
            row.get("text") or row.get("postName") or row.get("workName") or row.get("cellName") or ""
        )
        via = row.get("via")
        via_text = org.unit_names.get(via, str(via).rsplit("/", 1)[-1]) if via is not None else ""
        post_text = org.posts[post_iri].code if post_iri in org.posts else ""
        if "person" in row:
            post_text = f"{post_text} {row.get('personName', '')}（{row['staffNumber']}）".strip()
        fact_zh, fact_en = (
            sep.join(x for x in (how, post_text and f"{words[0]} {post_text}", via_text and f"{words[1]} {via_text}",
                                 detail and f"{words[2]} {detail}") if x)
            for sep, how, words in (("；", how_zh, ("岗位", "经由", "依据")), ("; ", how_en, ("post", "via", "from")))
        )  # fmt: skip
        if (fact_zh, fact_en) not in facts:
            facts.append((fact_zh, fact_en))
    # rows come in storage order: sort, so an answer never depends on it
    facts.sort()
    chain_start = min(posts, key=lambda p: posts[p].post.code, default=None)
    escalation = org.chain(chain_start) if chain_start is not None else []
    if chain_start is not None and chain_start not in org.posts:  # a role on the subject's row
        role = posts[chain_start].post
        escalation = [role, *(org.chain(role.boss) if role.boss is not None else [])]
    if not escalation and units:
        head = org.heads.get(next(iter(units)))
        escalation = org.chain(head) if head is not None else []
    return Owner(
        gap=gap,  # type: ignore[arg-type]
        id=str(ctx["id"]),
        rule=rule,
        rule_zh=rule_zh,
        rule_en=rule_en,
        units=sorted(units.items(), key=lambda kv: kv[1]),
        posts=sorted(posts.values(), key=lambda o: o.post.code),
        facts=facts,
        supervisors=sorted(supervisors),
        data_providers=sorted(p for p in providers if p),
        escalation=escalation,
    )


def owns(
    owner: Owner | None, *, post: str | None = None, person: str | None = None, unit: str | None = None
) -> bool:
    """Whether the answer names this post (or acting post), person (holder or acting) or unit."""
    if owner is None:
        return False
    if post is not None:
        return any(post in (o.post.code, o.acting_post.code if o.acting_post else None) for o in owner.posts)
    if person is not None:
        return any(person in {n for n, _ in (*o.post.holders, *o.acting)} for o in owner.posts)
    return unit in {name for _, name in owner.units} or any(unit == o.post.unit_name for o in owner.posts)


def find_gap(store: GraphStore, gap_id: str, runs: list[RunInfo] | None = None) -> tuple[URIRef, URIRef]:
    """(run graph, gap) of a gap id such as ``2025/ZY-1.1.1-02/510202``, in the latest run of its period.
    ``runs`` (the stored runs, oldest first) may be given when known."""
    from zhengai.diagnosis import runs as stored_runs

    period_text = gap_id.split("/", 1)[0]
    if not period_text.isdigit():
        raise DiagnosisError(
            f"问题编号应写作 学年/指标编码/对象编码，如 2025/ZY-1.1.1-02/510202：「{gap_id}」",
            f"a gap id reads period/indicator/subject, e.g. 2025/ZY-1.1.1-02/510202: '{gap_id}'",
        )
    matching = [r for r in (runs if runs is not None else stored_runs(store)) if r.period == int(period_text)]
    info = matching[-1] if matching else None
    if info is None:
        raise DiagnosisError(
            f"{period_text} 学年还没有诊断：请先运行 zhengai diagnose --period {period_text}",
            f"{period_text} has not been diagnosed: run zhengai diagnose --period {period_text} first",
        )
    query = query_registry.get("gap_by_id")
    rows = store.select(query.text, query.bindings({"run": str(info.graph), "id": gap_id}))
    if not rows:
        raise DiagnosisError(
            f"{period_text} 学年最近一次诊断中没有问题「{gap_id}」",
            f"no gap '{gap_id}' in the latest run of {period_text}",
        )
    return info.graph, rows[0]["gap"]  # type: ignore[return-value]
