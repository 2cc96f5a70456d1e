"""The pages in a real browser: Debian's Chromium, driven by Playwright, against ``zhengai serve``
on 127.0.0.1, with every request to another host refused (a campus intranet is often offline).
Screenshots of each page go to the test's folder (its path is printed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from api_fixtures import TOKENS, build_store, serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)"
    ),
]
ENV = {
    "ZHENGAI_TOKENS": f"quality_office:{TOKENS['quality_office']}:S0013;teacher:{TOKENS['teacher']}:T1005;"
    f"teacher:s0005-secret:S0005;auditor:{TOKENS['auditor']}"  # S0005: 郑海波, 教务处处长
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = build_store(tmp_path_factory.mktemp("browser"))
    with serving(path, ENV) as base:
        yield base


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("screenshots")
    print(f"screenshots: {folder}")
    return folder


def page_for(browser, base: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_here(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page, outside


def sign_in(page, base: str, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/")
    page.fill("input[name=token]", token)
    page.click("form.signin button")
    page.wait_for_selector("table.heatmap")


def test_sign_in_heatmap_cell_gap_and_owner(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    page.goto(server + "/")
    assert "/signin" in page.url
    page.fill("input[name=token]", "not-a-token")
    page.click("form.signin button")
    assert page.locator("p.error").inner_text() == "令牌无效"
    page.screenshot(path=str(shots / "signin-refused.png"), full_page=True)
    sign_in(page, server, TOKENS["quality_office"])
    page.goto(server + "/?period=2025")
    page.screenshot(path=str(shots / "heatmap.png"), full_page=True)
    page.click("a[data-cell='专业/决策指挥']")
    page.wait_for_selector("table.gaps")
    page.screenshot(path=str(shots / "cell.png"), full_page=True)
    first = page.locator("a[data-gap]").first
    gap_id = first.get_attribute("data-gap")
    first.click()
    page.wait_for_selector("section.owner")
    assert gap_id in page.locator("h1").inner_text()
    assert page.locator("section.owner .post").count() >= 1
    page.screenshot(path=str(shots / "gap.png"), full_page=True)
    page.click("text=English")
    page.wait_for_selector("text=Owner")
    page.click("text=中文")
    assert outside == []


def test_a_teachers_token_shows_only_their_gaps(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    counts = {}
    for who in ("quality_office", "teacher"):
        page, _ = page_for(browser, server)
        sign_in(page, server, TOKENS[who])
        page.goto(server + "/?period=2025")
        counts[who] = sum(int(n) for n in page.locator("td.cell span.red").all_inner_texts())
        page.screenshot(path=str(shots / f"heatmap-{who}.png"), full_page=True)
        page.context.close()
    assert counts["teacher"] < counts["quality_office"]


def test_docs_render_their_operations_offline(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    page.goto(server + "/docs")
    page.wait_for_selector(".opblock")
    operations = page.locator(".opblock").count()
    page.screenshot(path=str(shots / "docs.png"))
    assert operations > 20 and outside == [], (operations, outside)
    assert re.search("zhengai", page.title())


def test_the_owner_records_a_measure_and_sees_it_in_the_history(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    sign_in(page, server, "s0005-secret")
    page.click("text=我的问题")
    page.wait_for_selector("table.gaps")
    page.screenshot(path=str(shots / "mine.png"), full_page=True)
    page.goto(server + "/gap/2025/ZY-1.4.2-02/510202")
    page.fill("form.measure textarea[name=text]", "修订专业建设指导委员会章程并召开审定会")
    page.fill("form.measure input[name=due]", "2099-06-30")
    page.click("form.measure button")
    page.wait_for_selector("section.history li")
    assert "修订专业建设指导委员会章程" in page.locator("section.history").inner_text()
    page.screenshot(path=str(shots / "gap-measured.png"), full_page=True)
    assert outside == []


def test_a_pushed_red_value_appears_on_the_live_page_without_a_reload(
    server: str, browser, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    import httpx

    page, outside = page_for(browser, server)
    sign_in(page, server, TOKENS["quality_office"])
    page.click("text=实时预警")
    page.wait_for_selector("ul#events", state="attached")
    page.wait_for_timeout(500)  # the stream is open
    item = {"indicator": "ZY-1.4.1-02", "subject": "510202", "period": 2025, "value": "10%"}
    sent = httpx.post(server + "/observations", json=item, timeout=30,
                      headers={"Authorization": f"Bearer {TOKENS['quality_office']}"})  # fmt: skip
    assert sent.status_code == 201, sent.text
    shown = page.wait_for_selector("li.event[data-gap='2025/ZY-1.4.1-02/510202']")
    assert "red" in shown.inner_text()
    page.screenshot(path=str(shots / "live.png"), full_page=True)
    assert outside == []


def test_the_spiral_page_plots_the_years_and_gives_the_closure_rate(
    server: str, browser, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    sign_in(page, server, TOKENS["quality_office"])
    page.click("text=诊改螺旋")
    page.wait_for_selector("figure.chart img")
    chart = page.request.get(server + "/spiral/chart.svg")  # with the page's cookie
    assert chart.ok and chart.headers["content-type"].startswith("image/svg+xml") and b"<path" in chart.body()
    page.wait_for_load_state("networkidle")
    assert "2024 → 2025" in page.locator("section.turn h2").first.inner_text()
    assert page.locator("strong.rate").first.inner_text().endswith("%")
    page.screenshot(path=str(shots / "spiral.png"), full_page=True)
    assert outside == []


def test_a_majors_profile_plots_its_indicators_over_the_years(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    sign_in(page, server, TOKENS["quality_office"])
    page.goto(server + "/gap/2025/ZY-1.1.1-02/510202")
    page.click("dd a[href^='/profile']")
    page.wait_for_selector("section.indicator[data-indicator='ZY-1.1.1-02'] img")
    chart = page.request.get(server + "/profile/chart.svg?subject=510202&indicator=ZY-1.1.1-02")
    assert chart.ok and b"<path" in chart.body()
    assert "2025/ZY-1.1.1-02/510202" in page.locator("ul.profile-gaps").inner_text()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / "profile.png"), full_page=True)
    assert outside == []


def test_the_auditor_reads_the_structural_audit(server: str, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, outside = page_for(browser, server)
    sign_in(page, server, TOKENS["auditor"])
    page.click("text=结构审计")
    page.wait_for_selector("table.audit-summary")
    page.click("a[href='/structure?check=ExpiredPost']")
    page.wait_for_selector("tr.finding")
    assert page.locator("tr.finding").count() == 1 and "组织.xlsx" in page.locator("tr.finding").inner_text()
    page.screenshot(path=str(shots / "audit.png"), full_page=True)
    assert outside == []
