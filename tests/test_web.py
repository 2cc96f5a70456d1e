"""The pages at / (api/web.py) on the sample, through the real app: sign-in with a token (HttpOnly,
SameSite cookie; CSRF on every form), the heatmap, a cell's gaps and a gap's page, scoped by the
token's role; and /docs, whose scripts come from the package."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixtures import TOKENS, build_store, tokens
from fastapi.testclient import TestClient
from zhengai.api.app import create_app
from zhengai.api.service import Settings


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = build_store(tmp_path_factory.mktemp("web"))
    with TestClient(create_app(path, Settings(tokens=tokens(tmp_path_factory.mktemp("t"))))) as c:
        yield c


def signed_in(client: TestClient, token: str) -> TestClient:
    client.cookies.clear()
    form = client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    answer = client.post("/signin", data={"token": token, "csrf": csrf, "next": "/"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    return client


def test_pages_need_a_sign_in_and_refuse_a_wrong_token(app_client: TestClient) -> None:
    app_client.cookies.clear()
    assert app_client.get("/", follow_redirects=False).headers["location"].startswith("/signin")
    form = app_client.get("/signin")
    assert form.headers["content-security-policy"].startswith("default-src 'self'")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]  # type: ignore[index]
    wrong = app_client.post("/signin", data={"token": "nope", "csrf": csrf}, follow_redirects=False)
    assert wrong.status_code == 401 and "令牌无效" in wrong.text
    forged = app_client.post("/signin", data={"token": TOKENS["quality_office"], "csrf": "x" * 64})
    assert forged.status_code == 403
    elsewhere = signed_in(app_client, TOKENS["quality_office"]).post(
        "/signin", data={"token": TOKENS["quality_office"], "csrf": csrf, "next": "//evil.example"}
    )
    assert "evil" not in str(elsewhere.url)


def test_heatmap_cell_gap_and_owner_for_the_quality_office(app_client: TestClient) -> None:
    client = signed_in(app_client, TOKENS["quality_office"])
    page = client.get("/?period=2025")
    assert page.status_code == 200 and "问题热力图" in page.text
    cells = re.findall(r'href="(/cell\?[^"]+)" data-cell="专业/([^"]+)"', page.text)
    assert cells, page.text[:2000]
    listing = client.get(cells[0][0].replace("&amp;", "&"))
    assert listing.status_code == 200
    gaps = re.findall(r'href="/gap/([^"]+)" data-gap', listing.text)
    assert gaps and all(g.startswith("2025/ZY-") for g in gaps)
    one = client.get(f"/gap/{gaps[0]}")
    assert one.status_code == 200 and gaps[0] in one.text and 'class="post"' in one.text
    english = client.get("/lang/en?back=/", follow_redirects=True)
    assert "Gap heatmap" in english.text
    client.get("/lang/zh")


def test_a_teacher_sees_only_their_own_gaps(app_client: TestClient) -> None:
    office = signed_in(app_client, TOKENS["quality_office"])
    every = sum(
        int(n)
        for n in re.findall(r'<span class="red" title="[^"]+">(\d+)</span>', office.get("/?period=2025").text)
    )
    teacher = signed_in(app_client, TOKENS["teacher"])
    page = teacher.get("/?period=2025")
    assert page.status_code == 200 and 'data-role="teacher"' in page.text
    theirs = sum(int(n) for n in re.findall(r'<span class="red" title="[^"]+">(\d+)</span>', page.text))
    assert theirs < every
    other = signed_in(app_client, TOKENS["quality_office"]).get("/cell?period=2025&level=学生")
    personal = re.findall(r'href="/gap/([^"]+)" data-gap', other.text)
    if personal:
        refused = signed_in(app_client, TOKENS["teacher"]).get(f"/gap/{personal[0]}")
        assert refused.status_code == 403


def test_docs_render_offline(app_client: TestClient) -> None:
    docs = app_client.get("/docs")
    assert docs.status_code == 200
    scripts = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert scripts and not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
    bundle = next(s for s in scripts if s.endswith(".js"))
    assert app_client.get(bundle).status_code == 200 and len(app_client.get(bundle).content) > 100_000


def test_the_owner_records_a_measure_on_the_gaps_page_and_sees_it_in_the_history(
    tmp_path: Path,
) -> None:
    """郑海波 (S0005) holds 教务处处长, which owns 2025/ZY-1.4.2-02/510202: the page shows him the
    measure form; sent without the form's CSRF token it is refused; sent with it, the measure is in
    the history. A teacher who owns nothing of it sees no form, and is refused if they post one."""
    path = build_store(tmp_path)
    owner = tokens(tmp_path)
    extra = type(owner).from_env_text("teacher:s0005-secret:S0005")
    owner._entries = [*owner._entries, *extra._entries]  # type: ignore[attr-defined]
    with TestClient(create_app(path, Settings(tokens=owner))) as client:
        signed_in(client, "s0005-secret")
        gap = "2025/ZY-1.4.2-02/510202"
        page = client.get(f"/gap/{gap}")
        assert 'class="measure"' in page.text, page.text[-3000:]
        form = {"text": "修订专业建设指导委员会章程并召开审定会", "due": "2099-06-30"}
        forged = client.post(f"/gap/{gap}/measure", data={**form, "csrf": "0" * 64})
        assert forged.status_code == 403
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]  # type: ignore[index]
        sent = client.post(f"/gap/{gap}/measure", data={**form, "csrf": csrf})
        assert sent.status_code == 200 and form["text"] in sent.text, sent.text[-2000:]
        assert "郑海波 (S0005)" in sent.text
        teacher = signed_in(client, TOKENS["teacher"])
        assert teacher.get(f"/gap/{gap}").status_code == 403
        csrf = re.search(r'name="csrf" value="([^"]+)"', teacher.get("/").text)[1]  # type: ignore[index]
        refused = teacher.post(f"/gap/{gap}/measure", data={**form, "csrf": csrf})
        assert refused.status_code in (403, 409) and 'class="error"' in refused.text


def test_my_gaps_are_the_gaps_the_api_gives_the_same_token(app_client: TestClient) -> None:
    teacher = signed_in(app_client, TOKENS["teacher"])
    page = teacher.get("/mine")
    shown = set(re.findall(r'href="/gap/([^"]+)" data-gap', page.text))
    api = app_client.get(
        "/gaps", params={"limit": 1000}, headers={"Authorization": f"Bearer {TOKENS['teacher']}"}
    )
    expected = {g["id"] for g in api.json()["items"] if g["severity"] != "closed"}
    assert shown == expected and shown
    office = signed_in(app_client, TOKENS["quality_office"])
    assert len(re.findall(r"data-gap=", office.get("/mine").text)) > len(shown)


def test_get_reports_gives_each_format_to_the_office_and_refuses_a_teacher(app_client: TestClient) -> None:
    office = {"Authorization": f"Bearer {TOKENS['quality_office']}"}
    md = app_client.get("/reports", params={"period": 2025, "level": "专业"}, headers=office)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "自我诊改报告" in md.text and "2025/ZY-" in md.text
    xlsx = app_client.get("/reports", params={"period": 2025, "format": "xlsx"}, headers=office)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    teacher = {"Authorization": f"Bearer {TOKENS['teacher']}"}
    assert app_client.get("/reports", headers=teacher).status_code == 403
    assert app_client.get("/reports", params={"format": "docx"}, headers=office).status_code == 422
    auditor = {"Authorization": f"Bearer {TOKENS['auditor']}"}
    asked = {"period": 2025, "level": "学生"}
    student = "2025/XS-2.3.10-01/202320201"  # a gap about one student: personal data
    assert student in app_client.get("/reports", params=asked, headers=office).text
    students = app_client.get("/reports", params=asked, headers=auditor)
    assert students.status_code == 200 and "2025/XS-2.3.10-01/网络2301" in students.text
    assert student not in students.text


def test_a_students_profile_is_personal_data(app_client: TestClient) -> None:
    teacher = signed_in(app_client, TOKENS["teacher"])
    assert teacher.get("/profile", params={"subject": "202320201"}).status_code == 403
    assert teacher.get("/profile", params={"subject": "no-such"}).status_code == 404
    office = signed_in(app_client, TOKENS["quality_office"])
    assert office.get("/profile", params={"subject": "202320201"}).status_code == 200
    major = office.get("/profile", params={"subject": "510202"})
    assert major.status_code == 200 and 'data-indicator="ZY-1.1.1-02"' in major.text


def test_the_audit_page_is_for_the_auditor(app_client: TestClient) -> None:
    auditor = signed_in(app_client, TOKENS["auditor"])
    page = auditor.get("/structure")
    assert page.status_code == 200 and "ExpiredPost" in page.text and "组织.xlsx" in page.text
    one = auditor.get("/structure", params={"check": "ExpiredPost"})
    assert one.text.count('class="finding') == 1
    teacher = signed_in(app_client, TOKENS["teacher"])
    assert teacher.get("/structure").status_code == 403


def test_a_page_for_a_period_not_diagnosed_is_a_page_that_says_so(app_client: TestClient) -> None:
    office = signed_in(app_client, TOKENS["quality_office"])
    for url in ("/?period=2031", "/cell?period=2031&level=专业", "/mine?period=2031"):
        page = office.get(url)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), url
        assert "2031 学年还没有诊断" in page.text
    api = app_client.get(
        "/gaps", params={"period": 2031}, headers={"Authorization": f"Bearer {TOKENS['quality_office']}"}
    )
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
