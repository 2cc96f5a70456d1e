"""The answers the API shares: its one error body, and the error responses routes declare."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProblemPublic(BaseModel):
    """One problem found in a request or an upload: where (file, sheet, row, column) and what."""

    zh: str
    en: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class ErrorBody(BaseModel):
    """Every error the API answers: a code, the reason in Chinese and English, and the problems."""

    code: str = Field(description="What went wrong, for a program: bad_input, forbidden, rate_limited …")
    zh: str = Field(description="The reason, in Chinese.")
    en: str = Field(description="The reason, in English.")
    problems: list[ProblemPublic] = Field(default_factory=list)
    rule: str | None = Field(default=None, description="A lifecycle refusal: the rule that refused it.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "forbidden",
                    "zh": "角色「教师」无权访问此资源",
                    "en": "the role 'teacher' may not access this resource",
                    "problems": [],
                }
            ]
        }
    }


def _error(description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


# What any route may answer besides its own: no or a bad token, a role that may not, bad parameters,
# too many requests, a busy store.
ERRORS: dict[int | str, dict[str, object]] = {
    400: _error("A parameter or the input was refused / 请求有误"),
    401: _error("No valid token was sent / 需要有效的令牌"),
    403: _error("The caller's role may not do this / 角色无权访问"),
    422: _error("The request's parameters are not valid / 请求参数有误"),
    429: _error("Too many requests: see Retry-After / 请求过于频繁"),
    503: _error("The store is busy or unavailable / 数据存储暂不可用"),
}
NOT_FOUND: dict[int | str, dict[str, object]] = {404: _error("No such resource / 没有这个资源")}
BAD_INPUT: dict[int | str, dict[str, object]] = {400: _error("The input was refused / 输入有误")}
PAYLOAD: dict[int | str, dict[str, object]] = {
    411: _error("An upload needs a Content-Length / 上传须带 Content-Length"),
    413: _error("The body is larger than the limit / 请求体超过上限"),
    415: _error("Not a kind of body this route takes / 不支持的请求体类型"),
}
CONFLICT: dict[int | str, dict[str, object]] = {409: _error("Refused where the gap stands / 当前状态不允许")}


# -- pages of a list ---------------------------------------------------------------------------------


class Page(BaseModel):
    total: int = Field(description="Items in the whole list (what the caller may see).")
    next_cursor: int | None = Field(description="The cursor of the next page; null on the last.")


# -- the service -------------------------------------------------------------------------------------


class Health(BaseModel):
    """The server is up: its version and the number of quads of data (the write log left out)."""

    status: str = Field(examples=["ok"])
    version: str = Field(examples=["0.1.0"])
    quads: int = Field(examples=[20102])


class Identity(BaseModel):
    """Who the token says the caller is."""

    role: str = Field(examples=["unit_head"])
    name: str = Field(examples=["信息工程学院"])
    unit: str | None = Field(default=None, examples=["信息工程学院"])
    person: str | None = Field(default=None, examples=["T1004"])


# -- look-ups ----------------------------------------------------------------------------------------


class IndicatorPublic(BaseModel):
    indicator: str = Field(description="Its IRI, shortened.", examples=["id:indicator/ZY-1.1.1-02"])
    code: str = Field(examples=["ZY-1.1.1-02"])
    level: str = Field(examples=["zg:MajorLevel"])
    levelName: str = Field(examples=["专业"])
    label: str = Field(examples=["专业年度建设目标"])
    system: str | None = Field(default=None, examples=["zg:DecisionSystem"])
    dataSource: str | None = Field(default=None, examples=["教务处"])
    frequency: str | None = Field(default=None, examples=["1年"])


class IndicatorPage(Page):
    items: list[IndicatorPublic]


class CriterionReading(BaseModel):
    """How one catalogue row's 诊断标准 was read, or why it is not machine-checkable."""

    code: str = Field(examples=["ZY-1.1.1-02"])
    label: str
    level: str = Field(examples=["专业"])
    written: str = Field(description="The criterion as written.", examples=["A≥90%，B≥80%，C<70%"])
    checkable: bool
    reading_zh: str
    reading_en: str
    hint_zh: str
    hint_en: str
    category: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None


class CriterionPage(Page):
    items: list[CriterionReading]
    checkable: int = Field(description="Rows that are machine-checkable, of all rows.")
    of: int


class UnitPublic(BaseModel):
    unit: str = Field(examples=["id:unit/教务处"])
    name: str = Field(examples=["教务处"])
    typeText: str | None = Field(default=None, examples=["职能部门"])
    parentName: str | None = Field(default=None, examples=["校部"])
    headCode: str | None = Field(default=None, examples=["JW-01"])


class UnitPage(Page):
    items: list[UnitPublic]


class Holder(BaseModel):
    staff_number: str = Field(examples=["T1005"])
    name: str = Field(examples=["曾思远"])


class PostPublic(BaseModel):
    code: str = Field(examples=["XX-12"])
    name: str = Field(examples=["专业带头人"])
    unit: str = Field(examples=["信息工程学院"])
    holders: list[Holder]
    vacant: bool
    reports_to: str | None = Field(examples=["XX-01"])
    valid_until: str | None = Field(examples=["2027-08-31"])


class PostPage(Page):
    items: list[PostPublic]


class SubjectPublic(BaseModel):
    code: str = Field(examples=["510202"])
    label: str | None = Field(examples=["计算机网络技术"])
    governed_by: str | None = Field(examples=["信息工程学院"])


class SubjectPage(Page):
    items: list[SubjectPublic]


# -- loads and graphs ----------------------------------------------------------------------------------


class Provenance(BaseModel):
    """The PROV of the load that wrote a graph."""

    kind: str | None = Field(default=None, examples=["catalogue"])
    fileName: str | None = Field(default=None, examples=["监测指标.xlsx"])
    sha256: str | None = None
    endedAt: str | None = Field(default=None, examples=["2026-03-02T08:15:00+00:00"])
    rowCount: str | None = Field(default=None, examples=["94"])
    loaderVersion: str | None = Field(default=None, examples=["0.1.0"])

    model_config = {"extra": "allow"}


class GraphWritten(BaseModel):
    graph: str = Field(examples=["https://w3id.org/zhengai/graph/observations/2025"])
    triples: int
    provenance: Provenance | None = None


class LoadReport(BaseModel):
    """What one load wrote: its graphs (replaced in one transaction), their PROV and the findings."""

    file: str = Field(examples=["状态数据.xlsx"])
    kind: str = Field(examples=["observations"])
    rows: int = Field(examples=[412])
    seconds: float
    graphs: list[GraphWritten]
    findings: list[ProblemPublic] = Field(description="What is worth a look but did not stop the load.")


class GraphPublic(BaseModel):
    graph: str = Field(examples=["https://w3id.org/zhengai/graph/catalogue/course"])
    name: str = Field(examples=["catalogue/course"])
    triples: int
    provenance: Provenance | None = None


class GraphList(BaseModel):
    items: list[GraphPublic]


# -- diagnoses ------------------------------------------------------------------------------------------

Counts = dict[str, int]


class RunPublic(BaseModel):
    id: str = Field(examples=["2025-20260302-081500"])
    period: int = Field(examples=[2025])
    started: str = Field(examples=["2026-03-02T08:15:00+00:00"])
    engine: str = Field(examples=["fast"])


class RunList(BaseModel):
    items: list[RunPublic]


class RunSummary(RunPublic):
    """A run's open gaps counted by severity, and by level × vertical system (aggregates only)."""

    totals: Counts = Field(examples=[{"red": 29, "yellow": 7, "missing": 10}])
    closed: int
    summary: dict[str, dict[str, Counts]] = Field(
        description="level → system → {red, yellow, missing}", examples=[{"专业": {"决策指挥": {"red": 18}}}]
    )


class DiagnosisReport(RunSummary):
    """A new run: its summary, the criteria it could not check, the levels without data, what is not due."""

    findings: list[ProblemPublic]
    silent_levels: list[ProblemPublic]
    not_due: list[str]


# -- gaps and owners -------------------------------------------------------------------------------------


class OwnerBrief(BaseModel):
    rule: int = Field(description="Which ownership rule answered (1–4).", examples=[1])
    units: list[str] = Field(examples=[["信息工程学院"]])
    posts: list[str] = Field(examples=[["XX-12"]])


class GapFields(BaseModel):
    id: str = Field(description="period/indicator/subject", examples=["2025/ZY-1.1.1-02/510202"])
    period: int = Field(examples=[2025])
    level: str = Field(examples=["专业"])
    system: str = Field(examples=["决策指挥"])
    indicator: str = Field(examples=["ZY-1.1.1-02"])
    label: str = Field(examples=["专业年度建设目标"])
    subject: str = Field(examples=["510202"])
    severity: str = Field(description="red, yellow, missing; closed for a closed gap", examples=["red"])
    grade: str = Field(examples=["C"])
    value: str = Field(examples=["65%"])
    threshold: str = Field(examples=["70%"])
    status: str = Field(description="new, persisting or closed", examples=["persisting"])
    trend: str = Field(examples=["unchanged"])
    suggested_target: str = Field(examples=["70%"])
    message_zh: str
    message_en: str
    personal: bool = Field(description="About one teacher or student: personal data.")


class GapPublic(GapFields):
    """A gap in a list, with its owner in brief and, where known, its lifecycle state."""

    owner: OwnerBrief | None = None
    href: str = Field(examples=["/gaps/2025/ZY-1.1.1-02/510202"])
    state: str | None = Field(default=None, examples=["assigned"])
    overdue: bool | None = None
    history: str | None = Field(default=None, examples=["/gaps/2025/ZY-1.1.1-02/510202/history"])


class GapPage(Page):
    items: list[GapPublic]
    run: str = Field(description="The run the gaps are of.", examples=["2025-20260302-081500"])


class PostOwning(BaseModel):
    code: str
    name: str
    unit: str
    holders: list[Holder]
    vacant: bool = False
    acting: list[Holder] = Field(default_factory=list, description="Who acts for a vacant post.")
    acting_post: str | None = None


class PostInChain(BaseModel):
    code: str
    name: str
    unit: str
    holders: list[Holder]


class Fact(BaseModel):
    zh: str
    en: str


class OwnerAnswer(BaseModel):
    """Who owns a gap: the rule that fired and the facts it used, the owning units and posts, their
    holders (acting ones for a vacant post), the supervising units, the data providers, and the
    escalation chain."""

    gap: str = Field(examples=["2025/ZY-1.1.1-02/510202"])
    rule: int = Field(examples=[1])
    rule_zh: str = Field(examples=["岗位工作支撑该指标"])
    rule_en: str = Field(examples=["a work item of the post supports the indicator"])
    units: list[str]
    posts: list[PostOwning]
    facts: list[Fact]
    supervisors: list[str]
    data_providers: list[str]
    escalation: list[PostInChain]


class GapDetail(GapFields):
    """One gap with its full owner, and (a warning rule's gap) the gaps it is made of."""

    owner: OwnerAnswer | None
    parts: list[str]


# -- the structural audit -----------------------------------------------------------------------------


class Location(BaseModel):
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class AuditFinding(BaseModel):
    check: str = Field(examples=["ExpiredPost"])
    severity: str = Field(examples=["violation"])
    node: str = Field(examples=["KY-02"])
    message_zh: str
    message_en: str
    location: Location
    check_zh: str
    check_en: str


class AuditReport(BaseModel):
    """The structural audit: findings counted by check and severity, and each finding."""

    summary: dict[str, Counts]
    findings: list[AuditFinding]


# -- the improvement lifecycle --------------------------------------------------------------------------


class Actor(BaseModel):
    staff_number: str
    name: str | None = None
    post: str | None = None
    capacity: str | None = None


class ActionPublic(BaseModel):
    id: str
    kind: str = Field(examples=["measure"])
    kind_zh: str = Field(examples=["改进措施"])
    gap: str
    at: str
    by: Actor
    text: str
    due: str | None = None
    evidence: list[str]
    verdict: str | None = None
    measure: str | None = None
    supersedes: str | None = None
    superseded: bool | None = None


class GapHistory(BaseModel):
    """A gap's lifecycle state and every measure and review on it."""

    gap: str = Field(examples=["2025/ZY-1.1.1-02/510202"])
    state: str = Field(examples=["measured"])
    state_zh: str
    state_en: str
    overdue: bool
    due: str | None
    carried_on_in: str | None = Field(description="The later period's gap that carries these actions on.")
    actions: list[ActionPublic]


class ActionRecorded(BaseModel):
    """The action just recorded, and the gap's history after it."""

    action: ActionPublic
    history: GapHistory


# -- pushes --------------------------------------------------------------------------------------------


class GapChange(BaseModel):
    id: str = Field(examples=["2025/ZY-1.4.1-02/460301"])
    before: str | None = Field(examples=[None])
    after: str | None = Field(examples=["red"])
    value: str
    message_zh: str
    message_en: str
    kind: str = Field(description="new, resolved, worsened, improved or changed", examples=["new"])


class PushReport(BaseModel):
    """What a push wrote, what was already stored, and the gaps its re-check changed."""

    push: str | None = Field(description="The push's IRI (its PROV activity); null when nothing was written.")
    written: list[str] = Field(description="period/indicator/subject of each value written.")
    duplicates: list[str] = Field(description="Already stored: not written again.")
    replayed: bool = Field(
        description="The Idempotency-Key was seen: the first push's answer, nothing written."
    )
    changes: list[GapChange]
    undiagnosed: list[int] = Field(description="Periods written that have no diagnosis yet.")
