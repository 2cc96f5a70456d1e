"""Write the sample college under data/sample/ (run: make sample). Deterministic: same output every run.

The indicator catalogue transcribes every indicator row the seed deck shows for 学校, 专业, 课程,
教师 and 学生, in the seed's own layouts (a title row, merged tier cells, the seed's header
variants), with criteria, data sources, frequencies and denominators as written there. Around it:
the units of the 纵向五系统 slides, posts with 表5 fields and holders (some vacant, one expired),
duties and work items naming the indicators they support, four majors with courses, teachers and
students (invented names), and observations for 2024 and 2025 whose intended grade per row is
written to expected_observations.csv, so tests check against intent, not against output.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

OUT = Path(__file__).resolve().parent.parent / "data" / "sample"
SCHOOL_CODE, SCHOOL_NAME = "10999", "示例职业技术学院"
ABC_90 = "A/B/C\nA:90%以上\nB:70%-90%\nC:70%以下"
ABC_30 = "A/B/C\nA:30%及以上\nB:20%-30%\nC:20%以下"
ABC_COUNT = "A/B/C\nA：15个以上\nB:10-15个\nC:10个以下"

# -- catalogue rows: (tier1, tier2, tier3, checkpoint, criterion, source) --------------------------

SCHOOL_ROWS = [
    (
        "1.目标与标准\n(决策指挥)",
        "1.1章程与标准",
        "1.1.1学校章程",
        "教委审核批准的学校章程",
        "有/无",
        "文本上传",
    ),
    *[
        ("1.目标与标准\n(决策指挥)", "1.1章程与标准", "1.1.2机构设置", cp, "有/无", "数据采集平台")
        for cp in (
            "校级领导干部情况及分工一览表",
            "学校机构设置一览表",
            "中层干部一览表",
            "专职教学管理人员一览表",
            "专职学生管理人员一览表",
            "专职质量管理人员一览表",
            "专职党建工作人员一览表",
            "专职教学研究管理人员一览表",
        )
    ],
    ("1.目标与标准\n(决策指挥)", "1.1章程与标准", "1.1.3制度标准", "党群管理制度汇编", "有/无", "文本上传"),
    (
        "1.目标与标准\n(决策指挥)",
        "1.1章程与标准",
        "1.1.3制度标准",
        "行政管理制度汇编\n（教学、学生、质量、内控）",
        "有/无",
        "文本上传",
    ),
    (
        "1.目标与标准\n(决策指挥)",
        "1.2规划与计划",
        "1.2.1学校中长期规划",
        "学校十三五规划",
        "有/无",
        "文本上传",
    ),
    (
        "1.目标与标准\n(决策指挥)",
        "1.2规划与计划",
        "1.2.1学校中长期规划",
        "专家组审核意见",
        "有/无",
        "文本上传",
    ),
    ("1.目标与标准\n(决策指挥)", "1.2规划与计划", "1.2.2学校年度计划", "学校年度计划", "有/无", "文本上传"),
    ("1.目标与标准\n(决策指挥)", "1.2规划与计划", "1.2.2学校年度计划", "党委年度计划", "有/无", "文本上传"),
    ("1.目标与标准\n(决策指挥)", "1.2规划与计划", "1.2.3部门年度计划", "部门年度计划", "有/无", "文本上传"),
]

MAJOR_ROWS = [
    ("1 决策指挥", "1.1专业 规划", "1.1.1专业规划", "本专业建设规划", "有/无", "教务：教务系统"),
    ("1 决策指挥", "1.1专业 规划", "1.1.1专业规划", "专业年度建设目标", ABC_90, "诊改平台新建"),
    ("1 决策指挥", "1.1专业 规划", "专业群布局", "学校专业建设标准（优势A、骨干B、合格C）", "有/无", None),
    ("1 决策指挥", "1.1专业 规划", "专业群布局", "专业等级布局图（优势A、骨干B、合格C）", "有/无", None),
    (
        "1 决策指挥",
        "1.2专业 调研",
        "1.2.1专业调研",
        "企业需求岗位与专业培养岗位的吻合度",
        ABC_90,
        "诊改平台填写后汇总",
    ),
    (
        "1 决策指挥",
        "1.2专业 调研",
        "1.2.1专业调研",
        "企业对专业人才培养规格的认可度",
        ABC_90,
        "诊改平台填写后汇总",
    ),
    ("1 决策指挥", "1.2专业 调研", "1.2.1专业调研", "调研企业数量与类型", ABC_COUNT, "诊改平台填写后汇总"),
    ("1 决策指挥", "1.2专业 调研", "1.2.1专业调研", "调研企业类型", "是不是单一类型", "诊改平台填写后汇总"),
    ("1 决策指挥", "1.2专业 调研", "1.2.1专业调研", "专业调研报告", "有/无", "教务：教务系统"),
    (
        "1 决策指挥",
        "1.3专业 开设",
        "1.3.1专业开设",
        "专业论证或复审结论（新、老专业）",
        "有/无",
        "诊改平台新建",
    ),
    (
        "1 决策指挥",
        "1.3专业 开设",
        "1.3.1专业开设",
        "产教融合项目（注：混合所有制、现代学徒制、\n订单培养等）",
        "有/无",
        "诊改平台新建",
    ),
    ("1 决策指挥", "1.3专业 开设", "1.3.1专业开设", "国际合作", "有/无", "诊改平台新建"),
    ("1 决策指挥", "1.4专业人才培\n养方案", "1.4.1课程体系", "课程体系学分构成", "有/无", "教务：教务系统"),
    (
        "1 决策指挥",
        "1.4专业人才培\n养方案",
        "1.4.1课程体系",
        "国内职业资格证书/职业能力标准与课程的对\n接度",
        ABC_30,
        "诊改平台新建",
    ),
    (
        "1 决策指挥",
        "1.4专业人才培\n养方案",
        "1.4.1课程体系",
        "国际职业资格证书/职业能力标准与课程的对\n接度",
        ABC_30,
        "诊改平台新建",
    ),
    (
        "1 决策指挥",
        "1.4专业人才培\n养方案",
        "1.4.2专业人才培养方案",
        "专业人才培养方案",
        "有/无",
        "教务：教务系统",
    ),
    (
        "1 决策指挥",
        "1.4专业人才培\n养方案",
        "1.4.2专业人才培养方案",
        "专业建设指导委员会审定意见",
        "有/无",
        "教务：教务系统",
    ),
    (
        "1 决策指挥",
        "1.4专业人才培\n养方案",
        "1.4.2专业人才培养方案",
        "学术委员会审批意见",
        "有/无",
        "教务：教务系统",
    ),
    ("1 决策指挥", "1.5专业师资规\n划", "1.5.1专业师资规划", "专业师资规划", "有/无", "教务：教务系统"),
    ("1 决策指挥", "1.5专业师资规\n划", "1.5.1专业师资规划", "师资年度建设目标", ABC_90, "诊改平台新建"),
]

COURSE_ROWS = [
    ("1.决策指挥", "课程建设规划", "学校课程建设总体规划", None, "有／否", "各二级学院"),
    ("1.决策指挥", "课程建设规划", "学校课程建设总体规划", None, "是／否按时提交", "各二级学院"),
    ("1.决策指挥", "课程建设规划", "学校课程建设总体规划", None, "是／否符合学校建设规划", "各二级学院"),
    ("1.决策指挥", "课程建设规划", "学校课程建设总体规划", None, "是／否具有可行性与可操作性", "各二级学院"),
    (
        "1.决策指挥",
        "课程建设规划",
        "学年度课程建设计划",
        None,
        "完成率（完成课程数／学校课程综述）",
        "各二级学院",
    ),
    (
        "1.决策指挥",
        "课程建设规划",
        "学年度课程建设计划",
        None,
        "及时提交率（及时提交课程数／学校课程总数）",
        "各二级学院",
    ),
    (
        "1.决策指挥",
        "课程建设规划",
        "学年度课程建设计划",
        None,
        "符合学校课程建设总体规划率（符合课程数／学校\n课程总数）",
        "各二级学院",
    ),
    (
        "1.决策指挥",
        "课程建设规划",
        "学年度课程建设计划",
        None,
        "可行可操作率（可行课程数／学校课程总数）",
        "各二级学院",
    ),
    ("1.决策指挥", "课程标准", "学年度课程标准", None, "完成率（完成课程数／学校课程综述）", "各二级学院"),
    (
        "1.决策指挥",
        "课程标准",
        "学年度课程标准",
        None,
        "符合人才培养目标率（符合课程数／学校课程总数）",
        "各二级学院",
    ),
    (
        "1.决策指挥",
        "课程标准",
        "学年度课程标准",
        None,
        "可行可操作率（可行课程数／学校课程总数）",
        "各二级学院",
    ),
    (
        "1.决策指挥",
        "课程标准",
        "学年度课程标准",
        None,
        "兼职教师参与率（参与课程数／学校课程总数）",
        "各二级学院",
    ),
]

# (tier1, tier2, tier3 (监测点), frequency, source department)
TEACHER_ROWS = [
    ("决策指挥", "教师发展规划", "学校师资队伍建设规划", "5年", "校人事处"),
    ("决策指挥", "教师发展规划", "学校师资队伍年度建设计划", "每年", "校人事处"),
    ("决策指挥", "教师发展规划", "二级学院师资队伍建设规划", "每年", "二级学院"),
    ("决策指挥", "教师发展规划", "二级学院师资队伍年度建设计划", "每年", "二级学院"),
    ("决策指挥", "教师发展规划", "二级学院师资建设细则（专职、兼职）", "3年", "二级学院"),
    ("决策指挥", "教师发展标准", "专任教师职称资格标准\n（教授、副教授、讲师、助教）", "3年", "校人事处"),
    (
        "决策指挥",
        "教师发展标准",
        "专任教师岗位标准（专业带头人、骨干教师、胜任教\n师、新进教师）",
        "3年",
        "校人事处",
    ),
    ("决策指挥", "教师发展标准", "兼职教师聘任标准（专业带头人、企业能工巧匠）", "3年", "校人事处"),
    ("决策指挥", "教师发展标准", "各级各类教学名师资格标准", "3年", "校人事处"),
    ("决策指挥", "教师发展标准", "教师双师素质标准", "3年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校教学部门教职工数(人)", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校各专业带头人一览表", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校各专业骨干教师一览表", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校各专业专任教师一览表", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校教学部门辅导员一览表", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校校内兼课教师一览表", "每年", "校人事处"),
    ("决策指挥", "教师岗位聘任", "学校校外兼职兼课教师一览表", "每年", "校人事处"),
]

# (tier1, tier2, tier3, tier4, checkpoint, denominator)
_PLAN = "制定学习计划学生占比"
_TIME = "学生制定时间管理计划率"
_TIME4 = "一天时间管理、一周时间管理、一\n学期时间管理、一年时间管理"
STUDENT_ROWS = [
    *[
        ("2.学习与发展", "三年自我学习\n计划", "大一", t4, _PLAN, "全校一年级学生数")
        for t4 in ("1.通过全部课程", "2.英语三级", "3.奖学金", "4.其他（学生自行添加，可多条）")
    ],
    *[
        ("2.学习与发展", "三年自我学习\n计划", "大二", t4, _PLAN, "全校二年级学生数")
        for t4 in (
            "1.通过全部课程",
            "2.英语四级",
            "3.奖学金",
            "4.通过计算机一级",
            "5.其他（学生自行添加，可多条）",
        )
    ],
    *[
        ("2.学习与发展", "三年自我学习\n计划", "大三", t4, _PLAN, "全校三年级学生数")
        for t4 in (
            "1.通过全部课程",
            "2.获得职业资格证书",
            "3.参加**培训（可以多条）",
            "4.其他（学生自行添加，可多条）",
        )
    ],
    *[
        ("2.学习与发展", "时间管理", t3, _TIME4, _TIME, "全校学生数")
        for t3 in (
            "1.作息时间",
            "2.学习时间（单位小时）\n（图书馆、答疑室）",
            "3.运动时间（单位小时）",
            "4.娱乐时间（包括玩游戏、\n看视频、上网聊天等）\n（单位小时）",
            "5.交友时间（次/月）",
            "6.其他（党团组织活动、\n社团等）",
        )
    ],
    ("2.学习与发展", "学习目标", "1.拿到毕业证/时间", None, "计划3年毕业学生比例", "全校学生数"),
    (
        "2.学习与发展",
        "学习目标",
        "2.外语水平（获得证书等级与时间）",
        None,
        "计划毕业前获得英语证书比例（三\n级、四级、六级三个比例）",
        "全校学生数",
    ),
    (
        "2.学习与发展",
        "学习目标",
        "3.计算机水平（获得证书等级与时间）",
        None,
        "计划毕业前获得计算机等级证书比\n例（上海市计算机一级）",
        "全校学生数",
    ),
    (
        "2.学习与发展",
        "学习目标",
        "4.普通话水平（通过时间）",
        None,
        "计划毕业前通过普通话水平测试比\n例",
        "全校学生数",
    ),
    (
        "2.学习与发展",
        "学习目标",
        "5.职业资格证书获得等级与时间",
        None,
        "计划毕业前获得职业资格证书相应\n等级比例（三级、四级）",
        "全校学生数",
    ),
    ("2.学习与发展", "学习目标", "6.是否专升本（国内国外）", None, "有专升本意愿学生占比", "全校学生数"),
    (
        "2.学习与发展",
        "学习目标",
        "7.是否就业（市内外、国内外）",
        None,
        "计划毕业后就业学生占比（在上海\n市就业占比、在外地就业占比、在\n国内就业占比、在国外就业占比）",
        "全校学生数",
    ),
    ("2.学习与发展", "学习目标", "8.是否参军", None, "有参军意愿学生占比", "全校学生数"),
    ("2.学习与发展", "学习目标", "9.是否创业", None, "有创业意愿学生占比", "全校学生数"),
    ("2.学习与发展", "学习目标", "10.其他（学生自行添加，可多条）", None, None, None),
]

# Responsible unit / post named in the catalogue for a few rows (DESIGN §6 rules 2 and 3).
RESPONSIBLE = {
    ("专业", "企业需求岗位与专业培养岗位的吻合度"): (None, "专业带头人"),
    ("专业", "专业年度建设目标"): ("教务处", None),
    ("学校", "学校十三五规划"): ("校部", None),
    ("课程", "学年度课程标准"): ("教务处", None),
}


# -- code derivation, independent of the loader: prefix-tierpath-ordinal ---------------------------


def _number(text: str, siblings: dict[str, int]) -> int:
    import re
    import unicodedata

    if text not in siblings:
        m = re.match(r"^\s*(\d+(?:\.\d+)*)", unicodedata.normalize("NFKC", text))
        siblings[text] = int(m.group(1).split(".")[-1]) if m else len(siblings) + 1
    return siblings[text]


def assign_codes(prefix: str, tier_rows: list[tuple[str | None, ...]]) -> list[str]:
    children: dict[tuple, dict[str, int]] = {}
    leaves: dict[tuple, int] = {}
    codes = []
    for tiers in tier_rows:
        key: tuple = ()
        numbers = []
        for t in tiers:
            if t is None:
                break
            numbers.append(_number(t, children.setdefault(key, {})))
            key = (*key, t)
        leaves[key] = leaves.get(key, 0) + 1
        codes.append(f"{prefix}-{'.'.join(map(str, numbers))}-{leaves[key]:02d}")
    return codes


# -- workbook helpers ------------------------------------------------------------------------------

WRAP = Alignment(wrap_text=True, vertical="center")


def write_sheet(
    ws: Worksheet,
    headers: list[str],
    rows: list[list[object]],
    *,
    title: str | None = None,
    merge: tuple[int, ...] = (),
) -> None:
    """Write a table (optionally under a title row) and merge runs of equal cells in ``merge`` columns."""
    start = 1
    if title:
        ws.cell(1, 1, title).font = Font(bold=True, size=14)
        start = 2
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(start, c, h)
        cell.font = Font(bold=True)
        cell.alignment = WRAP
    for r, row in enumerate(rows, start=start + 1):
        for c, v in enumerate(row, start=1):
            if v is not None:
                ws.cell(r, c, v).alignment = WRAP
    for c in merge:
        r = start + 1
        while r <= start + len(rows):
            end = r
            value = rows[r - start - 1][c - 1]
            parent = [rows[r - start - 1][k - 1] for k in merge if k < c]
            while (
                end + 1 <= start + len(rows)
                and value is not None
                and rows[end - start][c - 1] == value
                and [rows[end - start][k - 1] for k in merge if k < c] == parent
            ):
                end += 1
            if end > r:
                for rr in range(r + 1, end + 1):
                    ws.cell(rr, c).value = None
                ws.merge_cells(start_row=r, start_column=c, end_row=end, end_column=c)
            r = end + 1
    for c in range(1, len(headers) + 1):
        ws.column_dimensions[ws.cell(start, c).column_letter].width = 22


def catalogue(path: Path) -> dict[str, list[dict[str, object]]]:
    """Write the catalogue; return the indicators per level with code, label and criterion."""
    wb = Workbook()
    wb.remove(wb.active)
    indicators: dict[str, list[dict[str, object]]] = {}

    def add(
        level: str,
        prefix: str,
        title: str,
        headers: list[str],
        rows: list[list[object]],
        tiers: list[tuple],
        merge: tuple[int, ...],
        info: list[dict[str, object]],
    ) -> None:
        codes = assign_codes(prefix, tiers)
        ws = wb.create_sheet(level)
        write_sheet(
            ws,
            ["编码", *headers, "责任部门", "责任岗位"],
            [
                [code, *row, *RESPONSIBLE.get((level, str(i["checkpoint"])), (None, None))]
                for code, row, i in zip(codes, rows, info, strict=True)
            ],
            title=title,
            merge=tuple(m + 1 for m in merge),
        )
        for code, i in zip(codes, info, strict=True):
            i["code"] = code
        indicators[level] = info

    add(
        "学校",
        "XX",
        "学校发展监测指标",
        ["一级指标", "二级指标", "三级指标", "监测点/指标", "诊断标准", "数据来源"],
        [list(r) for r in SCHOOL_ROWS],
        [r[:3] for r in SCHOOL_ROWS],
        (1, 2, 3),
        [{"checkpoint": r[3], "criterion": r[4], "source": r[5]} for r in SCHOOL_ROWS],
    )
    add(
        "专业",
        "ZY",
        "专业发展监测指标",
        ["一级指标", "二级指标", "三级指标", "质控点/诊断指标", "诊断标准", "数据来源"],
        [list(r) for r in MAJOR_ROWS],
        [r[:3] for r in MAJOR_ROWS],
        (1, 2, 3),
        [{"checkpoint": r[3], "criterion": r[4], "source": r[5]} for r in MAJOR_ROWS],
    )
    add(
        "课程",
        "KC",
        "课程发展监测指标",
        ["一级指标", "二级指标", "三级指标", "质控点/诊断指标", "诊断标准", "数据来源"],
        [list(r) for r in COURSE_ROWS],
        [r[:3] for r in COURSE_ROWS],
        (1, 2, 3, 6),
        [{"checkpoint": r[2], "criterion": r[4], "source": r[5]} for r in COURSE_ROWS],
    )
    add(
        "教师",
        "JS",
        "教师发展监测指标",
        ["一级指标", "二级指标", "三级指标（监测点）", "监测时间\n及频率", "监测点来源部\n门"],
        [list(r) for r in TEACHER_ROWS],
        [r[:3] for r in TEACHER_ROWS],
        (1, 2),
        [{"checkpoint": r[2], "criterion": None, "source": r[4], "frequency": r[3]} for r in TEACHER_ROWS],
    )
    add(
        "学生",
        "XS",
        "学生发展监测指标",
        ["一级指标", "二级指标", "三级指标\n（监测点）", "四级指标（监测点）", "质控点", "统计数据分母"],
        [list(r) for r in STUDENT_ROWS],
        [r[:4] for r in STUDENT_ROWS],
        (1, 2, 3, 4, 5, 6),
        [{"checkpoint": r[4], "criterion": None, "source": None, "denominator": r[5]} for r in STUDENT_ROWS],
    )
    wb.save(path)
    return indicators


# -- organisation ----------------------------------------------------------------------------------

UNITS = [
    # name, type, parent, head post code
    ("党委", "党委", None, "DW-01"),
    ("校部", "校部", "党委", "XB-01"),
    ("党委办公室", "党群部门", "党委", "DB-01"),
    ("团委", "党群部门", "党委", "TW-01"),
    ("教务处", "职能部门", "校部", "JW-01"),
    ("学生处", "职能部门", "校部", "XS-01"),
    ("人事处", "职能部门", "校部", "RS-01"),
    ("财务处", "职能部门", "校部", "CW-01"),
    ("资产管理处", "职能部门", "校部", "ZC-01"),
    ("质量管理处", "职能部门", "校部", "ZL-01"),
    ("审计处", "职能部门", "校部", "SJ-01"),
    ("后勤保障处", "职能部门", "校部", "HQ-01"),
    ("招生就业处", "职能部门", "校部", "ZJ-01"),
    ("科研处", "职能部门", "校部", "KY-01"),
    ("校企合作办", "职能部门", "校部", "XQ-01"),
    ("图书馆", "职能部门", "校部", "TS-01"),
    ("继续教育与技能鉴定中心", "职能部门", "校部", "JX-01"),
    ("学校质量保证委员会", "委员会", "校部", "ZB-01"),
    ("教学工作委员会", "委员会", "校部", "JXW-01"),
    ("学术委员会", "委员会", "校部", "XSW-01"),
    ("智能制造学院", "二级学院", "校部", "ZZ-01"),
    ("信息工程学院", "二级学院", "校部", "XX-01"),
    ("商贸学院", "二级学院", "校部", "SM-01"),
    ("机械教研室", "教研室", "智能制造学院", "JY-01"),
    ("软件教研室", "教研室", "信息工程学院", "JY-02"),
    ("网络教研室", "教研室", "信息工程学院", "JY-03"),
    ("电商教研室", "教研室", "商贸学院", "JY-04"),
    ("软件技术专业质量保证工作组", "工作组", "信息工程学院", "GZ-01"),
]

# code, name, unit, grade, reports_to, bound_to, valid_until
POSTS = [
    ("DW-01", "党委书记", "党委", "其他", None, None, None),
    ("XB-01", "校长", "校部", "其他", "DW-01", "学校:" + SCHOOL_CODE, None),
    ("DB-01", "党委办公室主任", "党委办公室", "中层正职", "DW-01", None, None),
    ("TW-01", "团委书记", "团委", "中层正职", "DW-01", None, None),
    ("JW-01", "教务处处长", "教务处", "中层正职", "XB-01", None, None),
    ("JW-02", "教务处副处长", "教务处", "中层副职", "JW-01", None, None),
    ("JW-03", "教学运行管理岗", "教务处", "普通", "JW-02", None, None),
    ("XS-01", "学生处处长", "学生处", "中层正职", "XB-01", None, None),
    ("RS-01", "人事处处长", "人事处", "中层正职", "XB-01", None, None),
    ("RS-02", "师资管理岗", "人事处", "普通", "RS-01", None, None),
    ("CW-01", "财务处处长", "财务处", "中层正职", "XB-01", None, None),
    ("ZC-01", "资产管理处处长", "资产管理处", "中层正职", "XB-01", None, None),
    ("ZL-01", "质量管理处处长", "质量管理处", "中层正职", "XB-01", None, None),
    ("ZL-02", "质量监测岗", "质量管理处", "普通", "ZL-01", None, None),
    ("SJ-01", "审计处处长", "审计处", "中层正职", "XB-01", None, None),
    ("HQ-01", "后勤保障处处长", "后勤保障处", "中层正职", "XB-01", None, None),
    ("ZJ-01", "招生就业处处长", "招生就业处", "中层正职", "XB-01", None, None),
    ("KY-01", "科研处处长", "科研处", "中层正职", "XB-01", None, None),
    ("KY-02", "科研秘书", "科研处", "普通", "KY-01", None, "2024-12-31"),
    ("XQ-01", "校企合作办主任", "校企合作办", "中层正职", "XB-01", None, None),
    ("TS-01", "图书馆馆长", "图书馆", "中层正职", "XB-01", None, None),
    ("JX-01", "继续教育与技能鉴定中心主任", "继续教育与技能鉴定中心", "中层正职", "XB-01", None, None),
    ("ZB-01", "质量保证委员会主任", "学校质量保证委员会", "其他", "DW-01", None, None),
    ("JXW-01", "教学工作委员会主任", "教学工作委员会", "其他", "XB-01", None, None),
    ("XSW-01", "学术委员会主任", "学术委员会", "其他", "XB-01", None, None),
    ("ZZ-01", "智能制造学院院长", "智能制造学院", "中层正职", "XB-01", None, None),
    ("XX-01", "信息工程学院院长", "信息工程学院", "中层正职", "XB-01", None, None),
    ("SM-01", "商贸学院院长", "商贸学院", "中层正职", "XB-01", None, None),
    ("ZZ-11", "专业带头人", "智能制造学院", "普通", "ZZ-01", "专业:460301", None),
    ("XX-11", "专业带头人", "信息工程学院", "普通", "XX-01", "专业:510203", None),
    ("XX-12", "专业带头人", "信息工程学院", "普通", "XX-01", "专业:510202", None),
    ("SM-11", "专业带头人", "商贸学院", "普通", "SM-01", "专业:530701", None),
    ("XX-21", "辅导员", "信息工程学院", "普通", "XX-01", "班级:软件2301", None),
    ("JY-01", "机械教研室主任", "机械教研室", "普通", "ZZ-01", None, None),
    ("JY-02", "软件教研室主任", "软件教研室", "普通", "XX-01", None, None),
    ("JY-03", "网络教研室主任", "网络教研室", "普通", "XX-01", None, None),
    ("JY-04", "电商教研室主任", "电商教研室", "普通", "SM-01", None, None),
    ("GZ-01", "工作组组长", "软件技术专业质量保证工作组", "普通", "XX-01", "专业:510203", None),
]
VACANT = {"XX-11", "JW-02", "SJ-01"}  # posts deliberately without a holder

STAFF = [  # 工号, 姓名, posts
    ("S0001", "林国华", "DW-01"),
    ("S0002", "周明远", "XB-01、ZB-01"),
    ("S0003", "陈晓岚", "DB-01"),
    ("S0004", "吴佳琪", "TW-01"),
    ("S0005", "郑海波", "JW-01"),
    ("S0006", "王丽娟", "JW-03"),
    ("S0007", "赵志强", "XS-01"),
    ("S0008", "钱慧敏", "RS-01"),
    ("S0009", "孙立新", "RS-02"),
    ("S0010", "李春梅", "CW-01"),
    ("S0011", "冯建军", "ZC-01"),
    ("S0012", "何静怡", "ZL-01"),
    ("S0013", "许文杰", "ZL-02"),
    ("S0014", "马晓东", "HQ-01"),
    ("S0015", "朱燕", "ZJ-01"),
    ("S0016", "胡振宇", "KY-01"),
    ("S0017", "郭小芳", "KY-02"),
    ("S0018", "高峰", "XQ-01"),
    ("S0019", "罗雪", "TS-01"),
    ("S0020", "梁永康", "JX-01"),
    ("S0021", "宋晓光", "JXW-01"),
    ("S0022", "唐德明", "XSW-01"),
    ("T1001", "韩磊", "ZZ-01"),
    ("T1002", "曹雨欣", "ZZ-11"),
    ("T1003", "邓子涵", "JY-01"),
    ("T1004", "彭浩", "XX-01"),
    ("T1005", "曾思远", "XX-12"),
    ("T1006", "萧婷", "JY-02"),
    ("T1007", "田野", "JY-03"),
    ("T1008", "董雅琴", "SM-01"),
    ("T1009", "袁博", "SM-11"),
    ("T1010", "蒋丽", "JY-04"),
    ("T1011", "蔡明", "XX-21"),
    ("T1012", "贾文静", "GZ-01"),
]

DUTIES = [  # unit, inside, outside
    (
        "教务处",
        "组织专业人才培养方案制订与修订\n组织课程标准制订与审核\n编制学年度课程建设计划",
        "协调校企合作订单培养",
    ),
    ("质量管理处", "制订诊断与改进相关制度\n执行质量监控与预警\n撰写《内部质量保证体系自我诊改报告》", None),
    ("人事处", "编制学校师资队伍建设规划\n组织教师岗位聘任", None),
    ("校部", "编制学校中长期规划\n编制学校年度计划", None),
    ("信息工程学院", "组织专业调研与专业建设规划\n组织专业人才培养方案制订与修订", "承担社会培训"),
    ("智能制造学院", "组织专业调研与专业建设规划", None),
    ("商贸学院", "组织专业调研与专业建设规划", None),
    ("党委", "编制党委年度计划\n汇编党群管理制度", None),
]

WORK_ITEMS = [  # unit, duty, work, standard, post, indicator checkpoints (level, checkpoint)
    (
        "信息工程学院",
        "组织专业调研与专业建设规划",
        "每学年6月前完成软件技术专业的企业岗位调研，调研企业不少于15家",
        "调研报告经学院审定，吻合度≥90%",
        "GZ-01",
        [("专业", "调研企业数量与类型")],
    ),
    (
        "信息工程学院",
        "组织专业调研与专业建设规划",
        "每学年9月前编制计算机网络技术专业年度建设目标",
        "年度建设目标完成率≥90%",
        "XX-12",
        [("专业", "专业年度建设目标")],
    ),
    (
        "智能制造学院",
        "组织专业调研与专业建设规划",
        "每学年6月前完成机电一体化技术专业调研报告",
        "报告经学院审定",
        "ZZ-11",
        [("专业", "专业调研报告"), ("专业", "企业需求岗位与专业培养岗位的吻合度")],
    ),
    (
        "教务处",
        "组织专业人才培养方案制订与修订",
        "每年7月前组织各专业完成人才培养方案修订并报学术委员会审批",
        "方案齐全、审批意见齐全",
        "JW-03",
        [("专业", "专业人才培养方案"), ("专业", "学术委员会审批意见")],
    ),
    (
        "教务处",
        "组织课程标准制订与审核",
        "每学年开学前两周完成全部课程标准的审核",
        "完成率100%",
        "JW-02",
        [("课程", "学年度课程标准")],
    ),
    (
        "教务处",
        "编制学年度课程建设计划",
        "每学年10月前汇总各二级学院课程建设计划",
        "按时提交率≥90%",
        "JW-01",
        [("课程", "学年度课程建设计划")],
    ),
    ("质量管理处", "执行质量监控与预警", "每月发布状态数据监测预警简报", "每月5日前发布", "ZL-02", []),
    (
        "质量管理处",
        "撰写《内部质量保证体系自我诊改报告》",
        "每年12月前完成学校自我诊改报告",
        "报告经质量保证委员会审定",
        "ZL-01",
        [],
    ),
    (
        "人事处",
        "编制学校师资队伍建设规划",
        "每五年编制师资队伍建设规划，每年编制年度建设计划",
        None,
        "RS-02",
        [("教师", "学校师资队伍建设规划"), ("教师", "学校师资队伍年度建设计划")],
    ),
    (
        "校部",
        "编制学校中长期规划",
        "组织编制学校十三五规划并经专家组审核",
        "规划与审核意见齐全",
        "XB-01",
        [("学校", "学校十三五规划"), ("学校", "专家组审核意见")],
    ),
    (
        "信息工程学院",
        "负责学院网络与机房运维",
        "每周巡检学院机房",
        "故障24小时内修复",
        "XX-01",
        [],
    ),  # orphan duty
]

PROCEDURES = [
    (
        "信息工程学院",
        "GZ-01",
        "专业调研",
        "1. 制订调研方案；2. 走访企业不少于15家；3. 汇总吻合度；4. 形成调研报告报学院审定",
    ),
    ("教务处", "JW-02", "课程标准审核", "1. 下发模板；2. 二级学院提交；3. 教务处审核；4. 公布结果"),
]

MAJORS = [
    ("460301", "机电一体化技术", "智能制造学院", "智能制造专业群"),
    ("510203", "软件技术", "信息工程学院", "信息技术专业群"),
    ("510202", "计算机网络技术", "信息工程学院", "信息技术专业群"),
    ("530701", "电子商务", "商贸学院", "现代商贸专业群"),
]
COURSES = [
    ("KC001", "机械制图", "460301", "机械教研室", "T1003"),
    ("KC002", "PLC应用技术", "460301", "机械教研室", "T1002"),
    ("KC003", "Java程序设计", "510203", "软件教研室", "T1006"),
    ("KC004", "Web前端开发", "510203", "软件教研室", "T1012"),
    ("KC005", "网络设备配置", "510202", "网络教研室", "T1007"),
    ("KC006", "网店运营", "530701", "电商教研室", "T1010"),
]
TEACHERS = [
    ("T1001", "韩磊", "智能制造学院", None),
    ("T1002", "曹雨欣", "智能制造学院", "机械教研室"),
    ("T1003", "邓子涵", "智能制造学院", "机械教研室"),
    ("T1004", "彭浩", "信息工程学院", None),
    ("T1005", "曾思远", "信息工程学院", "网络教研室"),
    ("T1006", "萧婷", "信息工程学院", "软件教研室"),
    ("T1007", "田野", "信息工程学院", "网络教研室"),
    ("T1008", "董雅琴", "商贸学院", None),
    ("T1009", "袁博", "商贸学院", "电商教研室"),
    ("T1010", "蒋丽", "商贸学院", "电商教研室"),
    ("T1011", "蔡明", "信息工程学院", None),
    ("T1012", "贾文静", "信息工程学院", "软件教研室"),
]
CLASSES = {"460301": "机电2301", "510203": "软件2301", "510202": "网络2301", "530701": "电商2301"}


def org(path: Path, indicators: dict[str, list[dict[str, object]]]) -> None:
    code_of = {
        (level, str(i["checkpoint"])): str(i["code"]) for level, rows in indicators.items() for i in rows
    }
    wb = Workbook()
    wb.remove(wb.active)
    write_sheet(
        wb.create_sheet("部门"), ["部门名称", "部门类型", "上级部门", "负责岗位"], [list(u) for u in UNITS]
    )
    post_rows = []
    for code, name, unit, grade, boss, bound, until in POSTS:
        post_rows.append(
            [
                name,
                unit,
                1,
                grade,
                1.0 if grade == "普通" else 1.5,
                "2023-09-01",
                until or "2027-08-31",
                "V1.0",
                code,
                f"保证{unit}{name}工作质量",
                f"履行{name}岗位职责",
                f"{name}工作标准",
                "《学校章程》及相关制度",
                "校内各相关部门",
                "行业企业与上级主管部门",
                boss,
                bound,
            ]
        )
    write_sheet(
        wb.create_sheet("岗位"),
        [
            "岗位名称",
            "所属部门",
            "本岗位编制数",
            "岗位级别",
            "岗位对应系数",
            "生效日期",
            "失效日期",
            "版次",
            "岗位识别编码",
            "工作目标",
            "主要职责",
            "工作标准",
            "工作依据",
            "工作关系（学院内部）",
            "工作关系（学院外部）",
            "汇报岗位",
            "负责对象",
        ],
        post_rows,
    )
    # The same duty claimed by two units (信息工程学院 and 教务处): a planted double claim.
    write_sheet(
        wb.create_sheet("职责"), ["部门名称", "在系统内的职责", "在系统外的职责"], [list(d) for d in DUTIES]
    )
    work_rows = []
    unit_of_post = {p[0]: p[2] for p in POSTS}
    for unit, duty, work, standard, post, supported in WORK_ITEMS:
        codes = "、".join(code_of[s] for s in supported)
        work_rows.append([unit, duty, work, standard, post, unit_of_post[post], codes or None])
    write_sheet(
        wb.create_sheet("岗位工作"),
        ["部门名称", "部门职责", "具体化的工作", "工作标准", "工作归属岗位", "岗位所在处室部", "支撑指标"],
        work_rows,
    )
    write_sheet(
        wb.create_sheet("工作程序"),
        ["部门名称", "岗位识别编码", "工作内容", "工作程序描述"],
        [list(p) for p in PROCEDURES],
    )
    staff = [[no, name, posts] for no, name, posts in STAFF if not (set(posts.split("、")) & VACANT)]
    write_sheet(wb.create_sheet("人员"), ["工号", "姓名", "岗位识别编码"], staff)
    wb.save(path)


def subjects(path: Path, rng: random.Random) -> list[tuple[str, str, str]]:
    wb = Workbook()
    wb.remove(wb.active)
    write_sheet(wb.create_sheet("学校"), ["学校代码", "学校名称"], [[SCHOOL_CODE, SCHOOL_NAME]])
    write_sheet(
        wb.create_sheet("专业"), ["专业代码", "专业名称", "所属二级学院", "专业群"], [list(m) for m in MAJORS]
    )
    write_sheet(
        wb.create_sheet("课程"),
        ["课程代码", "课程名称", "所属专业", "教研室", "课程负责人"],
        [list(c) for c in COURSES],
    )
    write_sheet(wb.create_sheet("教师"), ["工号", "姓名", "所属部门", "教研室"], [list(t) for t in TEACHERS])
    students = []
    for major, klass in CLASSES.items():
        for n in range(1, 7):
            students.append((f"2023{major[-3:]}{n:02d}", major, klass))
    write_sheet(
        wb.create_sheet("学生"),
        ["学号", "专业代码", "班级", "年级"],
        [[s, m, k, "2023"] for s, m, k in students],
    )
    wb.save(path)
    return students


# -- observations: an intended grade per (indicator, subject, year), then a value that has it -------


def _kind(criterion: str | None) -> str | None:
    if criterion is None:
        return None
    if criterion.startswith("A/B/C"):
        return "grade"
    if "率（" in criterion:
        return "ratio"
    if criterion.startswith("是不是"):
        return "single"
    if criterion.startswith("是"):
        return "yesno"
    return "exists"


def _value(
    kind: str | None, criterion: str | None, grade: str, rng: random.Random, style: int
) -> tuple[object, ...]:
    """(值, 分子, 分母) realising ``grade`` (A/B/C for graded, met/unmet otherwise)."""
    if kind in ("exists", "yesno", "single"):
        met = grade == "met"
        if kind == "single":  # "是不是单一类型": a single type is the gap
            return ("否" if met else "是", None, None)
        return (("有" if met else "无") if kind == "exists" else ("是" if met else "否"), None, None)
    if kind == "ratio":
        den = rng.choice([24, 30, 36, 40])
        share = {"A": 0.95, "B": 0.8, "C": 0.6}[grade]
        return (None, round(den * share), den)
    assert criterion is not None
    if "个" in criterion:
        return ({"A": 18, "B": 12, "C": 7}[grade], None, None)
    if "30%" in criterion:
        number = {"A": 0.35, "B": 0.25, "C": 0.15}[grade]
    else:
        number = {"A": 0.93, "B": 0.82, "C": 0.65}[grade]
    return ([f"{number:.0%}", number, round(number * 100)][style % 3], None, None)


def _next_grade(previous: str, graded: bool, rng: random.Random) -> str:
    roll = rng.random()
    if graded:
        if previous == "C":
            return "C" if roll < 0.5 else ("B" if roll < 0.75 else "A")
        if previous == "B":
            return "B" if roll < 0.4 else ("A" if roll < 0.8 else "C")
        return "A" if roll < 0.8 else ("B" if roll < 0.9 else "C")
    if previous == "unmet":
        return "unmet" if roll < 0.5 else "met"
    return "met" if roll < 0.85 else "unmet"


def observations(
    obs_path: Path,
    expected_path: Path,
    indicators: dict[str, list[dict[str, object]]],
    students: list[tuple[str, str, str]],
    rng: random.Random,
    gaps_path: Path,
) -> None:
    lines = target_lines(indicators)
    subjects_of = {
        "学校": [SCHOOL_CODE],
        "专业": [m[0] for m in MAJORS],
        "课程": ["智能制造学院", "信息工程学院", "商贸学院"],
        "教师": [SCHOOL_CODE],
        "学生": list(CLASSES.values()),
    }
    rows: list[list[object]] = []
    expected: list[list[object]] = []
    gaps: list[list[object]] = []
    for level, infos in indicators.items():
        for info in infos:
            criterion = info["criterion"]  # type: ignore[assignment]
            kind = _kind(criterion)  # type: ignore[arg-type]
            graded = kind in ("grade", "ratio")
            for subject in subjects_of[level]:
                grade = "A" if graded else "met"
                roll = rng.random()
                if graded:
                    grade = "A" if roll < 0.55 else ("B" if roll < 0.8 else "C")
                else:
                    grade = "met" if roll < 0.8 else "unmet"
                for year in (2024, 2025):
                    if year == 2025:
                        grade = _next_grade(grade, graded, rng)
                    missing = rng.random() < 0.06
                    if (info["code"], subject, year) == CLASS_MISSING:
                        missing = True
                        rng.uniform(0.2, 0.9)  # the value it would have had: later values stay as they were
                    if missing:
                        expected.append([info["code"], subject, year, "missing"])
                        if not school_wide(info):  # a 全校 total is due for the school only
                            gaps.append([info["code"], subject, year, "Info", "missing"])
                        continue
                    if kind is None:  # no criterion in the seed: observed, not diagnosable
                        value: tuple[object, ...] = (round(rng.uniform(0.2, 0.9), 2), None, None)
                        if level == "教师":
                            value = ("有" if rng.random() < 0.85 else "无", None, None)
                        expected.append([info["code"], subject, year, "not-checkable"])
                    else:
                        value = _value(kind, criterion, grade, rng, len(rows))  # type: ignore[arg-type]
                        expected.append([info["code"], subject, year, grade])
                        own = lines.get((str(info["code"]), subject, year))
                        applies = own or lines.get((str(info["code"]), None, year))
                        gap = expected_gap(grade, value, applies)
                        if gap is not None:
                            gaps.append([info["code"], subject, year, *gap])
                    year_text: object = year if len(rows) % 4 else f"{year}-{year + 1}"
                    source = "诊改平台" if len(rows) % 3 else "教务系统"
                    rows.append(
                        [
                            info["code"],
                            subject if level != "学校" or len(rows) % 2 else None,
                            year_text,
                            *value,
                            source,
                            f"{year + 1}-06-30",
                        ]
                    )
    school_totals(indicators, rows, expected, gaps)
    wb = Workbook()
    write_sheet(wb.active, ["指标", "对象", "学年", "值", "分子", "分母", "数据来源", "采集时间"], rows)
    wb.active.title = "状态数据"
    wb.save(obs_path)
    with expected_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["指标", "对象", "学年", "预期档次"])
        writer.writerows(expected)
    with gaps_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["指标", "对象", "学年", "严重程度", "档次"])
        writer.writerows(gaps)


def school_wide(info: dict[str, object]) -> bool:
    """An indicator computed from a school-wide total (全校… in its denominator or data source)."""
    return any("全校" in str(info.get(key) or "") for key in ("denominator", "source"))


SCHOOL_TOTAL_MISSING = ("XS-2.3.6-01", 2025)  # 有专升本意愿学生占比: the school's 2025 total not reported
CLASS_MISSING = ("XS-2.3.10-01", "网络2301", 2025)  # 其他 (not a 全校 total): the class's own value


def school_totals(
    indicators: dict[str, list[dict[str, object]]],
    rows: list[list[object]],
    expected: list[list[object]],
    gaps: list[list[object]],
) -> None:
    """The school's own value of every school-wide indicator (its 全校 total), each year; one is
    left out: a school-wide indicator is due once, for the school, and that one is its gap."""
    rng = random.Random("school-totals")
    for infos in indicators.values():
        for info in infos:
            if not school_wide(info):
                continue
            for year in (2024, 2025):
                if (info["code"], year) == SCHOOL_TOTAL_MISSING:
                    expected.append([info["code"], SCHOOL_CODE, year, "missing"])
                    gaps.append([info["code"], SCHOOL_CODE, year, "Info", "missing"])
                    continue
                rows.append([info["code"], SCHOOL_CODE, year, round(rng.uniform(0.2, 0.9), 2), None, None,
                             "学工系统", f"{year + 1}-06-30"])  # fmt: skip
                expected.append([info["code"], SCHOOL_CODE, year, "not-checkable"])


TARGET_ROWS = (  # (checkpoint, subject or None for all, year, 目标值 as written, 底线值 as written)
    ("企业需求岗位与专业培养岗位的吻合度", "510203", 2025, "92%", "80%"),
    ("企业需求岗位与专业培养岗位的吻合度", None, 2025, "90%", "70%"),
    ("调研企业数量与类型", "460301", 2025, 16, 12),
    ("师资年度建设目标", "530701", 2025, 0.95, 0.85),
)


def _number_of(written: object) -> float:
    return float(written.rstrip("%")) / 100 if isinstance(written, str) else float(written)  # type: ignore[arg-type]


def target_lines(
    indicators: dict[str, list[dict[str, object]]],
) -> dict[tuple[str, str | None, int], tuple[float, float]]:
    """(code, subject or None, year) → (target, bottom line), as numbers."""
    code = {str(i["checkpoint"]): str(i["code"]) for i in indicators["专业"]}
    return {
        (code[checkpoint], subject, year): (_number_of(target), _number_of(bottom))
        for checkpoint, subject, year, target, bottom in TARGET_ROWS
    }


def targets(path: Path, indicators: dict[str, list[dict[str, object]]]) -> None:
    code = {str(i["checkpoint"]): str(i["code"]) for i in indicators["专业"]}
    rows = [
        [code[checkpoint], subject, year, target, bottom]
        for checkpoint, subject, year, target, bottom in TARGET_ROWS
    ]
    wb = Workbook()
    write_sheet(wb.active, ["指标", "对象", "学年", "目标值", "底线值"], rows)
    wb.active.title = "年度目标"
    wb.save(path)


def expected_gap(
    grade: str, value: tuple[object, ...], lines: tuple[float, float] | None
) -> tuple[str, str] | None:
    """(severity, grade) the diagnosis must find for one due item, or None when it passes.

    A yearly target replaces the catalogue lines: below the bottom line is red, below the target
    yellow. Otherwise the intended grade decides: C and unmet are red, B yellow, missing is Info.
    """
    if grade == "missing":
        return ("Info", "missing")
    if lines is not None:
        number = value[0] if value[0] is not None else value[1] / value[2]  # type: ignore[operator]
        number = _number_of(number)
        target, bottom = lines
        if number < bottom - 1e-9:
            return ("Violation", "C")
        if number < target - 1e-9:
            return ("Warning", "B")
        return None
    return {"C": ("Violation", "C"), "unmet": ("Violation", "unmet"), "B": ("Warning", "B")}.get(grade)


# The data sources that name a unit (ownership rule 3); every other source names none.
SOURCES_NAMING_A_UNIT = {
    "教务：教务系统": "教务处",
    "校人事处": "人事处",
    "各二级学院": "the subject's 二级学院",
    "二级学院": "the subject's 二级学院",
}


def expected_audit(indicators: dict[str, list[dict[str, object]]]) -> list[tuple[str, str]]:
    """(check, node) of every structural fault the sample is built with; zhengai audit must find
    exactly these. Nodes are indicator and post codes, duty texts and work-item texts."""
    out: list[tuple[str, str]] = []
    supported = {checkpoint for *_, items in WORK_ITEMS for _, checkpoint in items}
    for level, infos in indicators.items():
        for i in infos:
            code = str(i["code"])
            if i["criterion"] is None:
                out.append(("IndicatorCriterion", code))
            if i["source"] is None:
                out.append(("IndicatorSource", code))
            owned = (
                i["checkpoint"] in supported
                or (level, str(i["checkpoint"])) in RESPONSIBLE
                or i["source"] in SOURCES_NAMING_A_UNIT
            )
            if not owned:
                out.append(("MatrixOnly", code))
    with_work = {item[4] for item in WORK_ITEMS}
    for code, _, _, _, _, _, until in POSTS:
        if code not in with_work:
            out.append(("PostWork", code))
        if code in VACANT:
            out.append(("PostHolder", code))
        elif until is not None:  # every 失效日期 in the sample is in the past
            out.append(("ExpiredPost", code))
    out += [("WorkItem", work) for _, _, work, standard, _, _ in WORK_ITEMS if standard is None]
    unit_type = {name: kind for name, kind, _, _ in UNITS}
    claims: dict[str, set[str]] = {}
    for unit, inside, outside in DUTIES:
        for text in f"{inside}\n{outside or ''}".split("\n"):
            if text.strip():
                claims.setdefault(text.strip(), set()).add(unit_type[unit])
    out += [("DoubleClaim", text) for text, kinds in claims.items() if len(kinds) > 1]
    out += [("OrphanDuty", duty) for _, duty, *_ in WORK_ITEMS if duty not in claims]
    return sorted(set(out))


# -- warning rules (专业预警): one of each kind, planted on the majors' gaps above -----------------

WARNING_RULES = [
    # 编码, 规则名称, 层面, 指标, 至少几项, 连续学年, 末位比例, 计入, 严重程度, 责任部门
    ("专业预警-建设", "专业建设预警（一项黄牌，两项及以上红牌）", "专业",
     "ZY-1.2.1-01、ZY-1.4.1-02、ZY-1.4.1-03、ZY-1.5.1-02", "1", "", "", "红色和黄色", "黄色", "各二级学院"),
    ("专业预警-建设", "专业建设预警（一项黄牌，两项及以上红牌）", "专业",
     "ZY-1.2.1-01、ZY-1.4.1-02、ZY-1.4.1-03、ZY-1.5.1-02", "2", "", "", "红色和黄色", "红色", "各二级学院"),
    ("专业预警-连续", "年度建设目标连续两年红色预警", "专业", "ZY-1.1.1-02", "", "2", "", "红色", "红色", ""),
    ("专业预警-末位", "职业资格对接度末位25%", "专业", "ZY-1.4.1-02", "", "", "25%", "", "黄色", ""),
]  # fmt: skip
# What the rules must find in 2025, worked out by hand from expected_gaps.csv:
# 建设: 510202 (ZY-1.4.1-03 B, ZY-1.5.1-02 B → 2: red), 510203 (ZY-1.2.1-01 B, ZY-1.4.1-02 C,
# ZY-1.4.1-03 C → 3: red), 530701 (ZY-1.5.1-02 B → 1: yellow; ZY-1.4.1-03 is missing data, not
# counted), 460301 none; 连续: 510202 (ZY-1.1.1-02 C in 2024 and 2025); 末位: 510203 (15 %, the
# others 35 %).
EXPECTED_WARNINGS = [
    ("专业预警-建设", "510202", "2025", "Violation"),
    ("专业预警-建设", "510203", "2025", "Violation"),
    ("专业预警-建设", "530701", "2025", "Warning"),
    ("专业预警-连续", "510202", "2025", "Violation"),
    ("专业预警-末位", "510203", "2025", "Warning"),
]


def warning_rules(path: Path, expected: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "编码",
                "规则名称",
                "层面",
                "指标",
                "至少几项",
                "连续学年",
                "末位比例",
                "计入",
                "严重程度",
                "责任部门",
            ]
        )
        writer.writerows(WARNING_RULES)
    with expected.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["规则", "对象", "学年", "严重程度"])
        writer.writerows(EXPECTED_WARNINGS)


# An improvement ledger (改进台账) of 2024, loaded after the 2024 diagnosis and carried into 2025:
# a measure accepted (the 2025 data closes the gap), one rejected (the gap persists, back to its
# owner) and one left without review past its due date (overdue in 2025).
LEDGER = [
    ["2024/ZY-1.2.1-01/510202", "改进措施", "T1005", "2025-01-10 10:00", "走访合作企业，按反馈修订人才培养规格",
     "2025-06-30", "", "http://10.1.1.20/zg/evidence/510202-企业走访.pdf"],
    ["2024/ZY-1.2.1-01/510202", "复核", "T1004", "2025-01-20 15:00", "措施具体，可检查", "", "通过", ""],
    ["2024/ZY-1.2.1-02/510202", "改进措施", "T1004", "2025-01-12 09:30", "组织企业座谈", "2025-05-31", "", ""],
    ["2024/ZY-1.2.1-02/510202", "复核", "S0013", "2025-02-01 11:00", "措施没有量化目标和完成标志", "", "退回", ""],
    ["2024/ZY-1.1.1-02/510202", "改进措施", "T1005", "2025-01-15 14:00", "按季度跟踪年度建设目标完成情况",
     "2025-03-31", "", ""],
]  # fmt: skip


def ledger(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["问题编号", "类型", "工号", "记录时间", "内容", "完成期限", "结论", "佐证材料"])
        writer.writerows(LEDGER)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20251)
    indicators = catalogue(OUT / "监测指标.xlsx")
    org(OUT / "组织.xlsx", indicators)
    students = subjects(OUT / "对象.xlsx", rng)
    observations(
        OUT / "状态数据.xlsx",
        OUT / "expected_observations.csv",
        indicators,
        students,
        rng,
        OUT / "expected_gaps.csv",
    )
    targets(OUT / "年度目标.xlsx", indicators)
    warning_rules(OUT / "预警规则.csv", OUT / "expected_warnings.csv")
    ledger(OUT / "改进台账.csv")
    with (OUT / "expected_audit.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["check", "node"])
        writer.writerows(expected_audit(indicators))
    with (OUT / "expected_counts.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["what", "count"])
        for level, infos in indicators.items():
            writer.writerow([f"indicators:{level}", len(infos)])
        writer.writerow(["units", len(UNITS)])
        writer.writerow(["posts", len(POSTS)])
        writer.writerow(["vacant_posts", len(VACANT)])
        writer.writerow(["persons", len(STAFF)])
        writer.writerow(["majors", len(MAJORS)])
        writer.writerow(["courses", len(COURSES)])
        writer.writerow(["teachers", len(TEACHERS)])
        writer.writerow(["students", len(students)])
        writer.writerow(["classes", len(CLASSES)])
    print(
        f"sample college written to {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}"
    )


if __name__ == "__main__":
    main()
