"""The region: its views count what each college's own answers count, show no subject or person,
and only the region role reads them; a college's server refuses another college's token."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_fixtures import TOKEN_FILE, auth, serving
from test_colleges import A, B, two_colleges

from zhengai import diagnosis, region, reports
from zhengai.store import CollegeStore, OxigraphStore

INDICATOR = "ZY-1.4.1-02"


@pytest.fixture(scope="module")
def region_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("region") / "store"
    with OxigraphStore(path) as base:
        a, _ = two_colleges(base)
        diagnosis.diagnose(a, 2024)
        diagnosis.diagnose(a, 2025)
    return path


def test_the_views_count_what_each_college_counts(region_store: Path) -> None:
    with OxigraphStore(region_store) as base:
        a = CollegeStore(base, A)
        run = diagnosis.latest_run(a, 2025)
        rows = reports.gap_rows(a, run.graph)
        mine = [r for r in rows if r.indicator == INDICATOR and r.severity != "closed"]
        compared = {c.college.code: c for c in region.compare(base, INDICATOR)}
        assert set(compared) == {A, B}
        assert sum(compared[A].gaps.values()) == len(mine) > 0
        assert compared[A].reported > 0 and compared[A].lowest <= compared[A].mean <= compared[A].highest
        assert compared[B].college.period is None and not compared[B].gaps  # B has no run
        heat = dict((c.code, cells) for c, cells in region.heatmaps(base))
        assert heat[A] == reports.summary(rows) and heat[B] == {}
        earlier = {c.college.code: c for c in region.compare(base, INDICATOR, period=2024)}
        assert earlier[A].college.period == 2024
        by_type = region.by_unit_type(base)
        assert by_type["SecondaryCollege"]["colleges"] == 1
        open_owned = sum(v for t in by_type.values() for k, v in t.items() if k != "colleges")
        assert open_owned > 0


def test_the_region_commands_print_aggregates(region_store: Path) -> None:
    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "zhengai.cli", "--store", str(region_store), "region", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    found = json.loads(run("compare", INDICATOR, "-f", "json"))
    assert [c["college"]["code"] for c in found] == [A, B]
    assert "510202" not in json.dumps(found)  # no subject is named
    assert "10999" in run("colleges") and "二级学院" in run("owners") and "决策指挥" in run("heatmap")


@pytest.mark.slow
def test_only_the_region_role_reads_the_region_and_tokens_keep_to_their_college(
    region_store: Path, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(TOKEN_FILE, encoding="utf-8")
    env = {"ZHENGAI_COLLEGE": A}
    with serving(region_store, env, "--tokens", str(tokens)) as base:
        answer = httpx.get(
            f"{base}/region/compare", params={"indicator": INDICATOR}, headers=auth("region"), timeout=60
        )
        assert answer.status_code == 200, answer.text
        assert [c["college"]["code"] for c in answer.json()] == [A, B]
        assert "/id/" not in answer.text and "510202" not in answer.text
        for path in ("/region/colleges", "/region/heatmap", "/region/owners"):
            assert httpx.get(f"{base}{path}", headers=auth("region"), timeout=60).status_code == 200
        # the region role reads nothing of a college; a college's roles read no region view
        assert httpx.get(f"{base}/gaps", headers=auth("region"), timeout=60).status_code == 403
        sparql = httpx.post(
            f"{base}/sparql", content=b"ASK {}", timeout=60,
            headers={**auth("region"), "Content-Type": "application/sparql-query"},
        )  # fmt: skip
        assert sparql.status_code == 403
        for who in ("quality_office", "auditor", "teacher"):
            assert httpx.get(f"{base}/region/colleges", headers=auth(who), timeout=60).status_code == 403
        # college B's quality office, on college A's server
        refused = httpx.get(f"{base}/gaps", headers=auth("other_college"), timeout=60)
        assert refused.status_code == 403 and B in refused.json()["en"]
        assert httpx.get(f"{base}/gaps", headers=auth("quality_office"), timeout=60).status_code == 200
