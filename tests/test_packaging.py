"""An installed wheel carries the ontology, queries and data files, read through importlib.resources."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from zhengai import doctest_modules
from zhengai.resources import list_names, read_text

ROOT = Path(__file__).resolve().parent.parent


def test_resources_resolve_through_the_package() -> None:
    assert "zg:Indicator" in read_text("ontology", "zhengai.ttl")
    assert "graph_sizes.rq" in list_names("queries", ".rq")
    assert "纵向系统" in read_text("data", "matrix.csv")


def test_wheel_contains_package_data(tmp_path: Path) -> None:
    # Build from a clean copy: an in-tree build/ directory could carry files deleted since.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", ".zhengai", "*.egg-info")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    wheel = next(tmp_path.glob("zhengai-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "zhengai/ontology/zhengai.ttl",
        "zhengai/queries/graph_sizes.rq",
        "zhengai/loaders/catalogue.py",
        "zhengai/api/__init__.py",
        "zhengai/data/matrix.csv",
        "zhengai/data/system_keywords.csv",
        "zhengai/data/sample/监测指标.xlsx",
        "zhengai/criteria/grammar.lark",
        "zhengai/criteria/lexer.py",
        "zhengai/data/criterion_vocabulary.csv",
        "zhengai/data/header_synonyms.csv",
        "zhengai/data/grade_scales.csv",
        "zhengai/data/sample/预警规则.csv",
        "zhengai/api/templates/gap.html",
        "zhengai/api/templates/labels.csv",
        "zhengai/api/static/ui.css",
        "zhengai/api/static/live.js",
        "zhengai/queries/live_due_items.rq",
    ):
        assert expected in names, expected


def test_doctests() -> None:
    """Every module with ``>>>`` examples runs them, and each runs at least one (none goes uncollected)."""
    import doctest
    import importlib

    names = doctest_modules()
    assert {"zhengai.criteria", "zhengai.criteria.lexer", "zhengai.loaders.table", "zhengai.cli"} <= set(
        names
    )
    attempted: dict[str, int] = {}
    failures = 0
    for name in names:
        module = importlib.import_module(name)
        tests = doctest.DocTestFinder().find(module)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        for test in tests:
            runner.run(test)
        attempted[name], failures = runner.tries, failures + runner.failures
    assert failures == 0
    assert [n for n, tries in attempted.items() if tries == 0] == []
    assert sum(attempted.values()) >= 26, attempted
