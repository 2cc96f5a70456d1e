"""The pages at / (api/web.py) on the sample, through the real app: sign-in with a token (HttpOnly,
SameSite cookie; CSRF on every form), the heatmap, a cell's gaps and a gap's page, scoped by the
token's role; and /docs, whose scripts come from the package."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
