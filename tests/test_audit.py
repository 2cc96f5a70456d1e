"""zhengai audit finds exactly the structural faults the sample was built with, and a reporting
cycle, posts that do not reach the top and owners in another 二级学院 in a second organisation."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import SAMPLE
from typer.testing import CliRunner

from zhengai import diagnosis
from zhengai.audit import audit
from zhengai.cli import app
from zhengai.loading import load_file
from zhengai.store import OxigraphStore

runner = CliRunner()


def expected() -> set[tuple[str, str]]:
    with (SAMPLE / "expected_audit.csv").open(encoding="utf-8") as fh:
        return {(r["check"], r["node"]) for r in csv.DictReader(fh)}


def test_sample_audit_finds_exactly_the_planted_faults(sample_store: OxigraphStore) -> None:
    report = audit(sample_store)
    assert report.keys() == expected()
    checks = {check for check, _ in expected()}
    assert {"OrphanDuty", "DoubleClaim", "IndicatorSource", "PostHolder", "ExpiredPost"} <= checks
    expired = next(f for f in report.findings if f.check == "ExpiredPost")
    assert expired.severity == "violation" and "2024-12-31" in expired.message_zh
    assert (expired.location.file, expired.location.sheet, expired.location.row) == ("组织.xlsx", "岗位", 20)
    assert all(f.location.file for f in report.findings)  # every finding points at its source row
    assert all(f.message_zh and f.message_en for f in report.findings)


def test_audit_cli_formats(sample_store: OxigraphStore, tmp_path: Path) -> None:
    path = sample_store.path
    sample_store.close()
    try:
        data = json.loads(runner.invoke(app, ["--store", str(path), "audit", "-f", "json"]).stdout)
        assert data["summary"]["PostHolder"] == {"warning": 3}
        assert {(f["check"], f["node"]) for f in data["findings"]} == expected()
        md = tmp_path / "audit.md"
        assert runner.invoke(app, ["--store", str(path), "audit", "-f", "md", "-o", str(md)]).exit_code == 0
        assert md.read_text(encoding="utf-8").startswith("# 结构审计 Structural audit")
        assert runner.invoke(app, ["--store", str(path), "audit", "--fail-on", "violation"]).exit_code == 1
    finally:
        sample_store.__init__(path)  # the session store stays open for the other tests


def test_cycles_unreached_top_and_other_college(store: OxigraphStore, write_xlsx) -> None:
    catalogue = write_xlsx(
        "指标.xlsx",
        {"指标": [["编码", "层面", "一级指标", "监测点", "诊断标准", "数据来源"],
                  ["P-01", "专业", "质量生成", "实训开出率", "A/B/C A:90%以上 B:70%-90% C:70%以下", "实训中心"]]},
    )  # fmt: skip
    subjects = write_xlsx(
        "对象.xlsx", {"专业": [["专业代码", "专业名称", "所属二级学院"], ["700101", "护理", "医学部"]]}
    )
    org = write_xlsx(
        "组织.xlsx",
        {
            "部门": [["部门名称", "部门类型", "上级部门", "负责岗位"],
                     ["院长办公室", "校部", None, "B-1"], ["医学部", "二级学院", "院长办公室", "M-1"],
                     ["工学部", "二级学院", "院长办公室", "G-1"], ["实训中心", "职能部门", "院长办公室", None]],
            "岗位": [["岗位名称", "所属部门", "岗位识别编码", "汇报岗位", "负责对象", "工作标准"],
                     ["院长", "院长办公室", "B-1", None, None, "按章程"],
                     ["医学部主任", "医学部", "M-1", "G-2", None, "按标准"],
                     ["工学部主任", "工学部", "G-1", "B-1", None, "按标准"],
                     ["工学部副主任", "工学部", "G-2", "M-1", "专业:700101", "按标准"],
                     ["实训管理员", "实训中心", "T-1", "B-1", None, "按标准"]],
            "岗位工作": [["部门名称", "部门职责", "具体化的工作", "工作标准", "工作归属岗位", "支撑指标"],
                         ["工学部", "实训", "护理实训", "按标准", "G-2", "P-01"],
                         ["院长办公室", "管理", "统筹", "按标准", "B-1", None],
                         ["医学部", "管理", "统筹", "按标准", "M-1", None],
                         ["工学部", "管理", "统筹", "按标准", "G-1", None],
                         ["实训中心", "管理", "统筹", "按标准", "T-1", None]],
            "职责": [["部门名称", "在系统内的职责"], ["院长办公室", "管理"], ["医学部", "管理"], ["工学部", "管理\n实训"],
                     ["实训中心", "管理"]],
            "人员": [["工号", "姓名", "岗位识别编码"], ["E1", "甲", "B-1"], ["E2", "乙", "M-1"], ["E3", "丙", "G-1"],
                     ["E4", "丁", "G-2"], ["E5", "戊", "T-1"]],
        },
    )  # fmt: skip
    observations = write_xlsx(
        "状态.xlsx", {"状态": [["指标", "对象", "学年", "值"], ["P-01", "700101", 2025, "50%"]]}
    )
    for path, kind in (
        (catalogue, "catalogue"),
        (subjects, "subjects"),
        (org, "org"),
        (observations, "observations"),
    ):
        load_file(store, path, kind)
    diagnosis.diagnose(store, 2025)
    found = audit(store).keys()
    assert ("ReportingCycle", "G-2") in found or ("ReportingCycle", "M-1") in found  # M-1 → G-2 → M-1
    assert {("PostNotReachingTop", "M-1"), ("PostNotReachingTop", "G-2")} <= found
    assert ("PostNotReachingTop", "G-1") not in found
    assert ("UnitWithoutHead", "实训中心") in found
    assert ("DoubleClaim", "管理") in found  # claimed by units of different types
    assert ("OtherCollege", "2025/P-01/700101") in found  # a 工学部 post owns a 医学部 major's gap
