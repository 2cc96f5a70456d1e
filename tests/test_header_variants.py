"""Every header variant the seed shows loads to the same graph as the canonical headers."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.namespace import PROV

from zhengai.loading import load_file
from zhengai.namespaces import ZG, graph
from zhengai.store import OxigraphStore

CANONICAL = [
    "编码",
    "一级指标",
    "二级指标",
    "三级指标",
    "质控点",
    "诊断标准",
    "数据来源",
    "监测时间及频率",
    "统计数据分母",
]
ROWS = [
    [
        "ZY-1",
        "1 决策指挥",
        "1.1专业规划",
        "1.1.1专业规划",
        "本专业建设规划",
        "有/无",
        "教务：教务系统",
        "每年",
        None,
    ],
    [
        "ZY-2",
        "1 决策指挥",
        "1.1专业规划",
        "1.1.1专业规划",
        "专业年度建设目标",
        "A/B/C\nA:90%以上\nB:70%-90%\nC:70%以下",
        "诊改平台新建",
        "每年",
        "专业总数",
    ],
    [
        "ZY-3",
        "1 决策指挥",
        "1.2专业调研",
        "1.2.1专业调研",
        "调研企业数量与类型",
        "A/B/C\nA：15个以上\nB:10-15个\nC:10个以下",
        "诊改平台填写后汇总",
        "每学期",
        None,
    ],
]
STUDENT = ["编码", "一级指标", "二级指标", "三级指标", "四级指标", "质控点", "统计数据分母"]
STUDENT_ROWS = [
    [
        "XS-1",
        "2.学习与发展",
        "三年自我学习计划",
        "大一",
        "1.通过全部课程",
        "制定学习计划学生占比",
        "全校一年级学生数",
    ],
    [
        "XS-2",
        "2.学习与发展",
        "三年自我学习计划",
        "大一",
        "2.英语三级",
        "制定学习计划学生占比",
        "全校一年级学生数",
    ],
]

VARIANTS = {
    "三级指标（监测点）": ("专业", {"三级指标": "三级指标（监测点）"}),
    "三级指标(监测点)": ("专业", {"三级指标": "三级指标(监测点)"}),
    "监测点": ("专业", {"质控点": "监测点"}),
    "监测点/指标": ("专业", {"质控点": "监测点/指标"}),
    "监测点／指标": ("专业", {"质控点": "监测点／指标"}),
    "质控点/诊断指标": ("专业", {"质控点": "质控点/诊断指标"}),
    "质控点 ／ 诊断指标": ("专业", {"质控点": "质控点 ／ 诊断指标"}),
    "监测点来源部门": ("专业", {"数据来源": "监测点来源部门"}),
    "监测点来源部\\n门": ("专业", {"数据来源": "监测点来源部\n门"}),
    "监测时间\\n及频率": ("专业", {"监测时间及频率": "监测时间\n及频率"}),
    " 监测时间 及频率 ": ("专业", {"监测时间及频率": " 监测时间 及频率 "}),
    "统计数据\\n分母": ("专业", {"统计数据分母": "统计数据\n分母"}),
    "四级指标（监测点）": ("学生", {"四级指标": "四级指标（监测点）"}),
    "四级指标(监测点)": ("学生", {"四级指标": "四级指标(监测点)"}),
    "三级指标\\n（监测点）": ("学生", {"三级指标": "三级指标\n（监测点）"}),
}


def _content(store: OxigraphStore, level_key: str, *, keep_rows: bool = True) -> Graph:
    g = store.graph(graph(f"catalogue/{level_key}"))
    out = Graph()
    loads = set(g.objects(None, PROV.wasGeneratedBy))
    prov_nodes = loads | set(g.objects(None, PROV.used)) | set(g.objects(None, ZG.finding))
    for s, p, o in g:
        if s in prov_nodes or p == PROV.wasGeneratedBy or s == graph(f"catalogue/{level_key}"):
            continue
        if p == ZG.sourceRow and not keep_rows:
            continue
        out.add((s, p, o))
    return out


def _load(
    tmp_path, write_xlsx, name: str, sheet: str, headers: list[str], rows: list[list[object]], **kw
) -> Graph:
    store = OxigraphStore(tmp_path / f"store-{abs(hash(name))}")
    path = write_xlsx(
        f"{abs(hash(name))}.xlsx", {sheet: [*kw.pop("above", []), headers, *rows]}, kw.pop("merges", [])
    )
    load_file(store, path, "catalogue")
    return _content(store, "major" if sheet == "专业" else "student", keep_rows=kw.pop("keep_rows", True))


def _canonical(sheet: str) -> tuple[list[str], list[list[object]]]:
    return (CANONICAL, ROWS) if sheet == "专业" else (STUDENT, STUDENT_ROWS)


def test_variant_count() -> None:
    assert len(VARIANTS) == 15  # a silently shrunk table would hide a lost variant


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_header_variant_loads_like_canonical(variant: str, tmp_path, write_xlsx) -> None:
    sheet, renames = VARIANTS[variant]
    headers, rows = _canonical(sheet)
    expected = _load(tmp_path, write_xlsx, "canonical", sheet, headers, rows)
    varied = [renames.get(h, h) for h in headers]
    got = _load(tmp_path, write_xlsx, variant, sheet, varied, rows)
    assert len(got) > 30
    assert isomorphic(expected, got), variant


def test_title_row_above_header(tmp_path, write_xlsx) -> None:
    expected = _load(tmp_path, write_xlsx, "canonical", "专业", CANONICAL, ROWS, keep_rows=False)
    got = _load(
        tmp_path, write_xlsx, "title", "专业", CANONICAL, ROWS, above=[["专业发展监测指标"]], keep_rows=False
    )
    assert isomorphic(expected, got)


def test_merged_tier_cells_mean_same_as_above(tmp_path, write_xlsx) -> None:
    expected = _load(tmp_path, write_xlsx, "canonical", "专业", CANONICAL, ROWS)
    blanked = [ROWS[0], [ROWS[1][0], None, None, None, *ROWS[1][4:]], [ROWS[2][0], None, *ROWS[2][2:]]]
    merges = [("专业", "B2:B4"), ("专业", "C2:C3"), ("专业", "D2:D3")]
    assert isomorphic(
        expected, _load(tmp_path, write_xlsx, "merged", "专业", CANONICAL, blanked, merges=merges)
    )
    # blank cells (a CSV has no merges) mean the same
    assert isomorphic(expected, _load(tmp_path, write_xlsx, "blank", "专业", CANONICAL, blanked))


def test_csv_with_and_without_bom_loads_like_xlsx(tmp_path, write_xlsx) -> None:
    import csv

    expected = _load(tmp_path, write_xlsx, "canonical", "专业", CANONICAL, ROWS)
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"专业-{encoding}.csv"
        with path.open("w", newline="", encoding=encoding) as fh:
            csv.writer(fh).writerows([CANONICAL, *ROWS])
        store = OxigraphStore(tmp_path / f"csv-{encoding}")
        load_file(store, path, "catalogue")
        got = _content(store, "major")
        # the CSV's "sheet" is its file stem; compare everything else
        assert isomorphic(strip(expected), strip(got)), encoding


def strip(g: Graph) -> Graph:
    out = Graph()
    for triple in g:
        if triple[1] != ZG.sourceSheet:
            out.add(triple)
    return out


def test_unknown_columns_are_kept_as_annotations(tmp_path, write_xlsx) -> None:
    got = _load(tmp_path, write_xlsx, "extra", "专业", [*CANONICAL, "备注"], [[*r, "见附件"] for r in ROWS])
    assert len(list(got.objects(None, ZG.annotation))) == 3
    assert {str(o) for o in got.objects(None, ZG.annotation)} == {"备注: 见附件"}
