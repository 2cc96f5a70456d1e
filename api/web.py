"""The quality office's pages, served by ``zhengai serve`` at ``/``: server-rendered (Jinja2), every
asset from the package, Chinese first with an English toggle.

Sign-in is with an API token: the form sets an HttpOnly, SameSite=Strict cookie, and every form
carries a CSRF token (an HMAC of the session with the server's key). The pages ask the same
functions as the API, with the same role: a teacher's page shows only what their token may see.
Pages: the level × system heatmap of a period (with the change against the previous one), a
cell's gaps (filterable, paginated), and a gap's page (value against its standard, owner,
escalation chain, the rule's facts, and the lifecycle history).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import itertools
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from zhengai import charts, diagnosis, events, lifecycle, reports, spiral
from zhengai.errors import ZhengaiError
from zhengai.namespaces import LEVELS, SYSTEMS

from . import visibility
from .roles import ROLE_NAMES_ZH, AccessError, Principal, TokenError
from .routes import audit as audit_routes
from .routes import gaps as gap_routes
from .service import Service, ServiceDep

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["dict_merge"] = lambda a, b: {**a, **b}
static = StaticFiles(directory=str(HERE / "static"))
router = APIRouter(include_in_schema=False)
SESSION, NONCE, LANG = "zhengai_session", "zhengai_signin", "zhengai_lang"
PAGE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _labels() -> dict[str, dict[str, str]]:
    """Every label of the pages in Chinese and English (``templates/labels.csv``: key, zh, en)."""
    with (HERE / "templates" / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {lang: {r["key"]: r[lang] for r in rows} for lang in ("zh", "en")}


TEXT = _labels()


PAGES = ("/cell", "/mine", "/spiral", "/profile", "/structure", "/live", "/gap/")


def is_page(path: str) -> bool:
    """Whether a path is one of the pages (their errors are pages too, not the API's JSON)."""
    return path == "/" or path.startswith(PAGES)


def error_page(request: Request, zh: str, en: str, status: int) -> Response:
    return _page(request, "error.html", {"zh": zh, "en": en}, status)


def _svg(svg: str) -> Response:
    """A chart: an image of its own (the page's CSP would block the styles of an inline SVG)."""
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


def _key(svc: Service) -> bytes:
    return hmac.new(svc.webhook_key, b"zhengai-ui-csrf", hashlib.sha256).digest()


def csrf_for(svc: Service, value: str) -> str:
    return hmac.new(_key(svc), value.encode(), hashlib.sha256).hexdigest()


def _lang(request: Request) -> str:
    return "en" if request.cookies.get(LANG) == "en" else "zh"


def _who(svc: Service, request: Request) -> Principal | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        who = svc.settings.tokens.principal(f"Bearer {token}", svc.college)
    except (TokenError, AccessError):
        return None
    return None if who.role == "public" else who


def _page(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    svc: Service = request.app.state.service
    lang = _lang(request)
    who = _who(svc, request)
    base = {
        "t": TEXT[lang], "lang": lang, "who": who, "role_zh": ROLE_NAMES_ZH.get(who.role, "") if who else "",
        "csrf": csrf_for(svc, request.cookies.get(SESSION, "")), "path": request.url.path,
    }  # fmt: skip
    response = templates.TemplateResponse(request, name, base | context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _signin_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/signin?" + urlencode({"next": target}), status_code=303)


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    nonce = secrets.token_urlsafe(16)
    svc: Service = request.app.state.service
    response = _page(
        request, "signin.html", {"next": _safe(next), "signin_csrf": csrf_for(svc, "signin:" + nonce)}
    )
    response.set_cookie(NONCE, nonce, httponly=True, samesite="strict", max_age=3600)
    return response


def _safe(target: str) -> str:
    """Only a path of this site: a sign-in never sends anyone elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.post("/signin")
def signin(
    request: Request,
    svc: ServiceDep,
    token: Annotated[str, Form(max_length=500)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    nonce = request.cookies.get(NONCE, "")
    t = TEXT[_lang(request)]
    if not nonce or not hmac.compare_digest(csrf, csrf_for(svc, "signin:" + nonce)):
        return _page(
            request, "signin.html", {"error": t["expired"], "next": _safe(next), "signin_csrf": ""}, 403
        )
    try:
        who = svc.settings.tokens.principal(f"Bearer {token.strip()}", svc.college)
    except (TokenError, ZhengaiError):
        who = None
    if who is None or who.role == "public":
        fresh = secrets.token_urlsafe(16)
        response = _page(
            request, "signin.html",
            {"error": t["wrong_token"], "next": _safe(next), "signin_csrf": csrf_for(svc, "signin:" + fresh)}, 401,
        )  # fmt: skip
        response.set_cookie(NONCE, fresh, httponly=True, samesite="strict", max_age=3600)
        return response
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(SESSION, token.strip(), httponly=True, samesite="strict", max_age=12 * 3600)
    response.delete_cookie(NONCE)
    return response


@router.post("/signout")
def signout(request: Request, svc: ServiceDep, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    if not hmac.compare_digest(csrf, csrf_for(svc, request.cookies.get(SESSION, ""))):
        return _page(request, "signin.html", {"error": TEXT[_lang(request)]["expired"], "next": "/"}, 403)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION)
    return response


@router.get("/lang/{to}")
def language(to: str, back: str = "/") -> Response:
    response = RedirectResponse(_safe(back), status_code=303)
    response.set_cookie(LANG, "en" if to == "en" else "zh", samesite="strict", max_age=365 * 86400)
    return response


@router.get("/")
def heatmap(request: Request, svc: ServiceDep, period: int | None = None) -> Response:
    """Levels down, systems across: each cell's red, yellow and missing counts among the gaps the
    caller may see, and the change against the previous period's latest run."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    runs = svc.runs()
    if not runs:
        return _page(request, "heatmap.html", {"cells": None, "periods": []})
    run = svc.run_for(period)
    periods = sorted({r.period for r in runs})
    earlier = [p for p in periods if p < run.period]
    now = _summary(svc, who, run)
    before = _summary(svc, who, svc.run_for(earlier[-1])) if earlier else None
    cells = {
        level: {
            system: {
                key: (now.get(level, {}).get(system, {}).get(key, 0),
                      None if before is None else now.get(level, {}).get(system, {}).get(key, 0)
                      - before.get(level, {}).get(system, {}).get(key, 0))
                for key in ("red", "yellow", "missing")
            }
            for system in SYSTEMS
        }
        for level in LEVELS
    }  # fmt: skip
    return _page(
        request, "heatmap.html",
        {"cells": cells, "period": run.period, "periods": periods, "previous": earlier[-1] if earlier else None,
         "levels": list(LEVELS), "systems": list(SYSTEMS)},
    )  # fmt: skip


def _summary(svc: Service, who: Principal, run: diagnosis.RunInfo) -> dict[str, dict[str, dict[str, int]]]:
    """The heatmap's counts: the open gaps the caller may see, by the API's own rules."""
    owners = visibility.owners_for(svc, who, run.graph, None, False)
    rows = [r for r in svc.gap_rows(run.graph) if visibility.visible(who, r, owners.get(r.id))]
    return reports.summary(rows)


@router.get("/cell")
def cell(
    request: Request,
    svc: ServiceDep,
    period: int,
    level: Annotated[str, Query(max_length=10)],
    system: Annotated[str | None, Query(max_length=10)] = None,
    severity: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """A cell's gaps (one level and system of a period), a page at a time."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    answer = gap_routes.gaps(
        svc, who, period=period, level=level if level in LEVELS else None,  # type: ignore[arg-type]
        system=system if system in SYSTEMS else None, severity=severity if severity in ("red", "yellow", "missing") else None,  # type: ignore[arg-type]
        limit=PAGE, cursor=cursor,
    )  # fmt: skip
    query = {"period": period, "level": level, "system": system or "", "severity": severity or ""}
    return _page(
        request, "cell.html",
        {"items": answer["items"], "total": answer.get("total"), "next": answer.get("next_cursor"),
         "prev": max(0, cursor - PAGE) if cursor else None, "query": query, "urlencode": urlencode,
         "quote": quote, "period": period, "level": level, "system": system, "severity": severity},
    )  # fmt: skip


@router.get("/gap/{gap_id:path}")
def gap_page(request: Request, svc: ServiceDep, gap_id: str) -> Response:
    """One gap: value against standard, owner and escalation chain, the rule's facts, history."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    try:
        found = gap_routes.gap(svc, who, gap_id)
    except ZhengaiError as exc:
        return error_page(request, exc.zh, exc.en, 403 if exc.code == "forbidden" else 404)
    history = lifecycle.history(svc.store, gap_id).as_dict()
    open_gap = found["severity"] != "closed" and history["state"] not in (
        "closed-by-review",
        "closed-by-data",
    )
    return _page(
        request, "gap.html",
        {"gap": found, "history": history, "quote": quote,
         "may_measure": open_gap and who.can("act") and _may_measure(who, found["owner"]),  # type: ignore[arg-type]
         "may_review": open_gap and who.can("act") and who.role in ("quality_office", "unit_head")
         and history["state"] == "measured"},
    )  # fmt: skip


def _may_measure(who: Principal, owner: dict | None) -> bool:  # type: ignore[type-arg]
    """Whether to show the measure form: the quality office, or a holder of an owning post (the
    lifecycle rules decide when it is sent)."""
    if who.role == "quality_office":
        return True
    holders = {
        h["staff_number"] for p in (owner or {}).get("posts", []) for h in [*p["holders"], *p["acting"]]
    }
    return who.person is not None and who.person in holders


@router.post("/gap/{gap_id:path}/measure")
def measure_form(
    request: Request,
    svc: ServiceDep,
    gap_id: str,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
    due: Annotated[str, Form(max_length=10)],
    csrf: Annotated[str, Form(max_length=200)],
) -> Response:
    """Record an improvement measure from the gap's page, as the API's POST …/measures does."""
    import datetime as dt

    from .routes.lifecycle import MeasureRequest, record_measure

    return _act(request, svc, gap_id, csrf, lambda who, p, i, s: record_measure(
        svc, who, p, i, s, MeasureRequest(text=text, due=dt.date.fromisoformat(due))))  # fmt: skip


@router.post("/gap/{gap_id:path}/review")
def review_form(
    request: Request,
    svc: ServiceDep,
    gap_id: str,
    verdict: Annotated[str, Form(pattern="^(accept|reject)$")],
    csrf: Annotated[str, Form(max_length=200)],
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Review (复核) the gap's current measure from its page, as the API's POST …/reviews does."""
    from .routes.lifecycle import ReviewRequest, record_review

    return _act(request, svc, gap_id, csrf, lambda who, p, i, s: record_review(
        svc, who, p, i, s, ReviewRequest(accept=verdict == "accept", reason=reason)))  # fmt: skip


def _act(request: Request, svc: Service, gap_id: str, csrf: str, act) -> Response:  # type: ignore[no-untyped-def]
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    if not hmac.compare_digest(csrf, csrf_for(svc, request.cookies.get(SESSION, ""))):
        return error_page(request, TEXT["zh"]["expired"], TEXT["en"]["expired"], 403)
    parts = gap_id.split("/", 2)
    if len(parts) != 3 or not parts[0].isdigit():
        return error_page(request, f"没有问题「{gap_id}」", f"no gap '{gap_id}'", 404)
    try:
        act(who, int(parts[0]), parts[1], parts[2])
    except ValueError as exc:
        return error_page(request, f"日期有误：{exc}", f"bad date: {exc}", 422)
    except ZhengaiError as exc:
        return error_page(request, exc.zh, exc.en, 403 if exc.code == "forbidden" else 409)
    return RedirectResponse(f"/gap/{quote(gap_id)}", status_code=303)


@router.get("/mine")
def my_gaps(request: Request, svc: ServiceDep, period: int | None = None) -> Response:
    """The open gaps the caller owns (for the quality office: every open gap), overdue measures
    first, then by severity."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    if not svc.runs():
        return _page(request, "mine.html", {"items": [], "period": None})
    run = svc.run_for(period)
    items = [g for g in _all_gaps(svc, who, run.period) if g["severity"] != "closed"]
    order = {"red": 0, "yellow": 1, "missing": 2}
    items.sort(key=lambda g: (not g.get("overdue"), order.get(str(g["severity"]), 9), str(g["id"])))
    return _page(request, "mine.html", {"items": items[:500], "total": len(items), "period": run.period})


def _all_gaps(svc: Service, who: Principal, period: int) -> list[dict[str, object]]:
    """Every gap of the period the caller may see, with owners and states, as the API lists them."""
    found: list[dict[str, object]] = []
    cursor: int | None = 0
    while cursor is not None:
        answer = gap_routes.gaps(svc, who, period=period, limit=1000, cursor=cursor)  # type: ignore[arg-type]
        found += answer["items"]  # type: ignore[arg-type]
        cursor = answer.get("next_cursor")  # type: ignore[assignment]
    return found


@router.get("/live")
def live_page(request: Request, svc: ServiceDep) -> Response:
    """New events (pushed data changing a gap) appear as they happen, without a reload."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    return _page(request, "live.html", {})


@router.get("/live/stream")
async def live_stream(
    request: Request, svc: ServiceDep, after: Annotated[int | None, Query(ge=0)] = None
) -> Response:
    """GET /events for the signed-in page (an EventSource sends the cookie, not a header)."""
    from .routes.events import event_stream

    who = _who(svc, request)
    if who is None:
        return Response(status_code=401)
    start = after if after is not None else events.next_seq(svc.store) - 1  # from now on
    return await event_stream(request, svc, who, request.headers.get("last-event-id"), start, True)


@router.get("/spiral")
def spiral_page(request: Request, svc: ServiceDep) -> Response:
    """The 8字螺旋 over the years: the open gaps the caller may see per level, each year (a plot),
    and for the quality office and auditors each turn's closure rate and the persisting red gaps."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    periods = sorted({r.period for r in svc.runs()})
    turns = []
    if who.sees_all_gaps:
        for before, after in itertools.pairwise(periods):
            turns.append(spiral.turn(svc.store, before, after))  # both diagnosed: reads only
    return _page(request, "spiral.html", {"turns": turns, "periods": periods})


@router.get("/spiral/chart.svg")
def spiral_chart(request: Request, svc: ServiceDep) -> Response:
    """The spiral page's plot: open gaps per level and year, among those the caller may see."""
    who = _who(svc, request)
    if who is None:
        return Response(status_code=401)
    periods = sorted({r.period for r in svc.runs()})
    counts: dict[str, list[tuple[int, float | None]]] = {level: [] for level in LEVELS}
    for period in periods:
        summary = _summary(svc, who, svc.run_for(period))
        for level in LEVELS:
            counts[level].append(
                (period, float(sum(sum(c.values()) for c in summary.get(level, {}).values())))
            )
    t = TEXT[_lang(request)]
    svg = charts.lines(counts, title=t["open_gaps"], y_label=t["count"])
    return _svg(svg)


def _profile_subject(svc: Service, who: Principal, code: str) -> tuple[object, str | None]:
    """The subject with this code, and why the caller may not see its profile (None: they may)."""
    from zhengai.loading import build_lookup

    found = build_lookup(svc.store, {code}).subjects.get(code, [])
    if not found:
        return None, "unknown"
    subject = found[0][0]
    if reports.is_personal(svc.store, subject) and not (who.role == "quality_office" or who.person == code):
        return subject, "forbidden"
    return subject, None


def _profile_rows(svc: Service, subject: object) -> dict[str, dict[str, object]]:
    """Indicator code → label, and (year, value, target, bottom line) per year, numbers only."""
    from zhengai import query_registry

    out: dict[str, dict[str, object]] = {}
    for r in svc.store.select(query_registry.get("subject_profile").text, {"subject": subject}):  # type: ignore[dict-item]
        entry = out.setdefault(str(r["code"]), {"label": str(r["label"]), "years": {}})
        value = r["value"].toPython()  # type: ignore[union-attr]
        number = (
            None
            if isinstance(value, bool)
            else float(value)
            if isinstance(value, int | float | Decimal)
            else None
        )
        entry["years"][int(str(r["year"]))] = (  # type: ignore[index]
            number, str(r["value"]),
            float(str(r["targetValue"])) if "targetValue" in r else None,
            float(str(r["bottomLine"])) if "bottomLine" in r else None,
        )  # fmt: skip
    for entry in out.values():  # a plot needs two years of numbers
        entry["plot"] = sum(1 for v in entry["years"].values() if v[0] is not None) > 1  # type: ignore[attr-defined]
    return out


@router.get("/profile")
def profile_page(
    request: Request, svc: ServiceDep, subject: Annotated[str, Query(max_length=100)]
) -> Response:
    """A subject's 画像: each indicator over the years (a small plot with its target and bottom
    line when it has them), and the subject's gaps in the latest run that the caller may see."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    node, refused = _profile_subject(svc, who, subject)
    if refused == "unknown":
        return error_page(request, f"未知对象「{subject}」", f"unknown subject '{subject}'", 404)
    if refused:
        return error_page(request, "无权查看此对象的画像", "you may not see this profile", 403)
    rows = _profile_rows(svc, node)
    gaps = []
    if svc.runs():
        run = svc.runs()[-1]
        owners = visibility.owners_for(svc, who, run.graph, None, False)
        gaps = [r for r in svc.gap_rows(run.graph) if r.subject == subject and r.severity != "closed"
                and visibility.visible(who, r, owners.get(r.id))]  # fmt: skip
    return _page(request, "profile.html", {"subject": subject, "rows": rows, "gaps": gaps, "quote": quote})


@router.get("/profile/chart.svg")
def profile_chart(
    request: Request,
    svc: ServiceDep,
    subject: Annotated[str, Query(max_length=100)],
    indicator: Annotated[str, Query(max_length=100)],
) -> Response:
    """One indicator of a subject over the years, with its target and bottom line."""
    who = _who(svc, request)
    if who is None:
        return Response(status_code=401)
    node, refused = _profile_subject(svc, who, subject)
    if refused:
        return Response(status_code=404 if refused == "unknown" else 403)
    entry = _profile_rows(svc, node).get(indicator)
    if entry is None:
        return Response(status_code=404)
    years = sorted(entry["years"].items())  # type: ignore[attr-defined]
    t = TEXT[_lang(request)]
    guides = {}
    last = years[-1][1]
    if last[2] is not None:
        guides[t["target"]] = last[2]
    if last[3] is not None:
        guides[t["bottom"]] = last[3]
    svg = charts.lines({indicator: [(y, v[0]) for y, v in years]}, title=str(entry["label"])[:40],
                       guides=guides, size=(3.6, 2.0))  # fmt: skip
    return _svg(svg)


@router.get("/structure")  # /audit is the API's
def audit_page(
    request: Request, svc: ServiceDep, check: Annotated[str | None, Query(max_length=60)] = None
) -> Response:
    """The structural audit for the auditor and the quality office: each check's count, and every
    finding with the file, sheet and row it comes from."""
    who = _who(svc, request)
    if who is None:
        return _signin_redirect(request)
    try:
        found = audit_routes.audit(svc, who)
    except ZhengaiError as exc:
        return error_page(request, exc.zh, exc.en, 403)
    findings = [f for f in found["findings"] if check is None or f["check"] == check]  # type: ignore[union-attr]
    return _page(
        request, "audit.html", {"summary": found["summary"], "findings": findings[:1000], "check": check}
    )
