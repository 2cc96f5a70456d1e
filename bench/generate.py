"""Write a synthetic college in the sample's workbook layouts, so it goes through the real loaders.

    python bench/generate.py --students 20000 --teachers 1000 --majors 70 --courses 3000 --years 5 \\
        --out bench/out/large

Deterministic by ``--seed``. The catalogue is the sample's (every indicator row of the seed);
around it: secondary colleges with teaching sections, posts (a few vacant) with holders and work
items naming the indicators they support, majors, courses, teachers, students in classes of 40,
one observation workbook per year and yearly targets from the second year on. Values are drawn
per (indicator, subject) with a grade that drifts year to year; some sit exactly on a grade line
and a few are missing, so the diagnosis sees every case.

Subjects per level: the school; every major; every course; every teacher; every class.

Planted for the tests (on by default; ``--no-plants`` leaves them out):

* the first course's 课程负责人 is named only on its course row: a teacher who holds no post, and
  the first checkable course indicator names 课程负责人 as its 责任岗位 and fails for that course
  in the last year;
* an indicator monitored every few years (监测时间及频率: 5年) is reported only in the years it is
  due, from the first year on;
* ``--silent-level 教师`` (or another level): that level reports nothing in the last year.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import make_sample

from zhengai.frequency import every_years

LEAD = ("T90001", "孔明亮")  # a teacher with no post: the first course's 课程负责人, on its row only

COLLEGE_NAMES = [
    "智能制造",
    "信息工程",
    "商贸",
    "建筑工程",
    "艺术设计",
    "医药卫生",
    "交通运输",
    "财经",
    "旅游",
    "农林",
]
ADMIN = [  # name, type, head post code, head post name
    ("党委办公室", "党群部门", "DB-01", "党委办公室主任"),
    ("教务处", "职能部门", "JW-01", "教务处处长"),
    ("学生处", "职能部门", "XS-01", "学生处处长"),
    ("人事处", "职能部门", "RS-01", "人事处处长"),
    ("质量管理处", "职能部门", "ZL-01", "质量管理处处长"),
    ("科研处", "职能部门", "KY-01", "科研处处长"),
]
SCHOOL = "10001"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[object]]) -> None:
    ws = wb.create_sheet(title)
    ws.append(headers)
    for row in rows:
        ws.append(row)


def _set_cell(path: Path, sheet: str, code: str, header: str, value: object) -> None:
    """Set one cell of the catalogue: the row of indicator ``code``, the column ``header``."""
    wb = load_workbook(path)
    rows = list(wb[sheet].iter_rows())
    head = next(i for i, r in enumerate(rows) if any(c.value == "编码" for c in r))
    column = next(c.column for c in rows[head] if c.value == header)
    row = next(r for r in rows[head + 1 :] if r[0].value == code)
    wb[sheet].cell(row=row[0].row, column=column, value=value)
    wb.save(path)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


class College:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        n_colleges = max(3, min(len(COLLEGE_NAMES) * 3, args.majors // 7 or 1))
        self.colleges = [
            COLLEGE_NAMES[i % len(COLLEGE_NAMES)]
            + ("" if i < len(COLLEGE_NAMES) else str(i // len(COLLEGE_NAMES) + 1))
            + "学院"
            for i in range(n_colleges)
        ]
        self.majors = [
            (f"{460000 + 101 * i}", f"专业{i + 1:03d}", self.colleges[i % n_colleges])
            for i in range(args.majors)
        ]
        self.courses = [
            (f"C{i + 1:05d}", f"课程{i + 1:05d}", self.majors[i % len(self.majors)][0])
            for i in range(args.courses)
        ]
        self.teachers = [
            (f"T{i + 1:05d}", _name(rng), self.colleges[i % n_colleges]) for i in range(args.teachers)
        ]
        self.classes: list[tuple[str, str]] = []  # (class, major)
        self.students: list[tuple[str, str, str]] = []
        per_class = 40
        for i in range(args.students):
            major = self.majors[(i // per_class) % len(self.majors)][0]
            klass = f"{major}-{i // (per_class * len(self.majors)) + 1:02d}班"
            if not self.classes or self.classes[-1][0] != klass:
                self.classes.append((klass, major))
            self.students.append((f"S{i + 1:06d}", major, klass))
        self.classes = list(dict.fromkeys(self.classes))
        self.indicators: dict[str, list[dict[str, object]]] = {}
        self.plants = getattr(args, "plants", True)
        self.silent_level: str | None = getattr(args, "silent_level", None)
        if self.plants:
            college = next(m[2] for m in self.majors if m[0] == self.courses[0][2])
            self.teachers.append((*LEAD, college))
        self.lead_indicator: str | None = None

    # -- workbooks --------------------------------------------------------------------------------

    def write(self, out: Path) -> list[Path]:
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "matrix.csv"]
        shutil.copyfile(
            Path(__file__).resolve().parent.parent / "data" / "matrix.csv", written[0]
        )  # the default 五纵五横
        written.append(out / "监测指标.xlsx")
        self.indicators = make_sample.catalogue(written[1])
        if self.plants:
            self.lead_indicator = next(
                str(i["code"])
                for i in self.indicators["课程"]
                if make_sample._kind(i["criterion"])  # type: ignore[arg-type]
            )
            _set_cell(written[1], "课程", self.lead_indicator, "责任岗位", "课程负责人")
        written.append(self.org(out / "组织.xlsx"))
        written.append(self.subjects(out / "对象.xlsx"))
        first = 2025 - self.args.years + 1
        for year in range(first, 2026):
            written.append(self.observations(out / f"状态数据-{year}.xlsx", year, first))
        if self.args.years > 1:  # targets are set from the second year on
            written.append(self.targets(out / "年度目标.xlsx", first))
        return written

    def org(self, path: Path) -> Path:
        rng = self.rng
        wb = Workbook(write_only=True)
        units = [["党委", "党委", None, "DW-01"], ["校部", "校部", "党委", "XB-01"]]
        posts = [
            ["党委书记", "党委", "DW-01", None, None],
            ["校长", "校部", "XB-01", "DW-01", f"学校:{SCHOOL}"],
        ]
        for name, kind, code, title in ADMIN:
            units.append([name, kind, "党委" if kind == "党群部门" else "校部", code])
            posts.append([title, name, code, "XB-01", None])
        sections = {}
        for n, college in enumerate(self.colleges, start=1):
            head = f"EY{n:02d}-01"
            units.append([college, "二级学院", "校部", head])
            posts.append([f"{college}院长", college, head, "XB-01", None])
        for n, (code, name, college) in enumerate(self.majors, start=1):
            section = f"{name}教研室"
            sections[code] = section
            college_head = f"EY{self.colleges.index(college) + 1:02d}-01"
            units.append([section, "教研室", college, f"JY{n:03d}-01"])
            posts.append([f"{section}主任", section, f"JY{n:03d}-01", college_head, None])
            posts.append([f"{name}专业带头人", college, f"ZY{n:03d}-01", college_head, f"专业:{code}"])
        vacant = {p[2] for p in posts if rng.random() < 0.03 and p[2] not in ("DW-01", "XB-01")}
        _sheet(wb, "部门", ["部门名称", "部门类型", "上级部门", "负责岗位"], units)
        _sheet(
            wb,
            "岗位",
            [
                "岗位名称",
                "所属部门",
                "本岗位编制数",
                "岗位级别",
                "生效日期",
                "失效日期",
                "岗位识别编码",
                "工作标准",
                "汇报岗位",
                "负责对象",
            ],
            [
                [name, unit, 1, "中层正职", "2023-09-01", "2027-08-31", code, f"{name}工作标准", boss, bound]
                for name, unit, code, boss, bound in posts
            ],
        )
        major_codes = [str(i["code"]) for i in self.indicators["专业"]]
        course_codes = [str(i["code"]) for i in self.indicators["课程"]]
        work = []
        for name, unit, code, _, _bound in posts:
            if code.startswith("ZY"):
                for supported in rng.sample(major_codes, 3):
                    work.append(
                        [unit, "专业建设", f"{name}负责指标 {supported}", "按学校标准", code, unit, supported]
                    )
            elif code.startswith("JY"):
                work.append(
                    [
                        unit,
                        "课程建设",
                        f"{name}组织课程建设",
                        "按课程标准",
                        code,
                        unit,
                        rng.choice(course_codes),
                    ]
                )
            else:
                work.append([unit, f"{unit}职责", f"{name}日常工作", "按制度执行", code, unit, None])
        _sheet(
            wb,
            "岗位工作",
            [
                "部门名称",
                "部门职责",
                "具体化的工作",
                "工作标准",
                "工作归属岗位",
                "岗位所在处室部",
                "支撑指标",
            ],
            work,
        )
        people, holders = [], [p[2] for p in posts if p[2] not in vacant]
        for i, (no, name, _) in enumerate(self.teachers):
            people.append([no, name, holders[i] if i < len(holders) and no != LEAD[0] else None])
        _sheet(wb, "人员", ["工号", "姓名", "岗位识别编码"], people)
        self.sections = sections
        wb.save(path)
        return path

    def subjects(self, path: Path) -> Path:
        wb = Workbook(write_only=True)
        _sheet(wb, "学校", ["学校代码", "学校名称"], [[SCHOOL, "合成职业技术学院"]])
        _sheet(wb, "专业", ["专业代码", "专业名称", "所属二级学院"], [list(m) for m in self.majors])
        _sheet(
            wb,
            "课程",
            ["课程代码", "课程名称", "所属专业", "教研室", "课程负责人"],
            [
                [c, n, m, self.sections[m], LEAD[0] if self.plants and c == self.courses[0][0] else None]
                for c, n, m in self.courses
            ],
        )
        _sheet(wb, "教师", ["工号", "姓名", "所属部门"], [list(t) for t in self.teachers])
        _sheet(
            wb, "学生", ["学号", "专业代码", "班级", "年级"], [[s, m, k, "2023"] for s, m, k in self.students]
        )
        wb.save(path)
        return path

    def _subjects_of(self, level: str) -> list[str]:
        return {
            "学校": [SCHOOL],
            "专业": [m[0] for m in self.majors],
            "课程": [c[0] for c in self.courses],
            "教师": [t[0] for t in self.teachers],
            "学生": [k for k, _ in self.classes],
        }[level]

    def observations(self, path: Path, year: int, first: int) -> Path:
        rng = random.Random(f"{self.args.seed}-{year}")
        state = random.Random(self.args.seed)  # the same starting grades every year, then drift
        rows: list[list[object]] = []
        for level, infos in self.indicators.items():
            if level == self.silent_level and year == 2025:
                continue
            for info in infos:
                every = every_years(info.get("frequency"))  # type: ignore[arg-type]
                if self.plants and every > 1 and (year - first) % every:
                    continue  # reported only in the years it is due
                criterion = info["criterion"]
                kind = make_sample._kind(criterion)  # type: ignore[arg-type]
                graded = kind in ("grade", "ratio")
                for subject in self._subjects_of(level):
                    roll = state.random()
                    grade = (
                        ("A" if roll < 0.6 else "B" if roll < 0.85 else "C")
                        if graded
                        else ("met" if roll < 0.85 else "unmet")
                    )
                    for _ in range(year - first):
                        grade = make_sample._next_grade(grade, graded, rng)
                    planted = (info["code"], subject, year) == (self.lead_indicator, self.courses[0][0], 2025)
                    if planted:
                        grade = "C" if graded else "unmet"
                    if rng.random() < 0.04 and not planted:
                        continue
                    if kind is None:
                        value: tuple[object, ...] = (round(rng.uniform(0.2, 0.95), 2), None, None)
                    else:
                        value = make_sample._value(kind, criterion, grade, rng, len(rows))  # type: ignore[arg-type]
                        if (
                            graded
                            and rng.random() < 0.05
                            and value[0] is not None
                            and "个" not in str(criterion)
                        ):
                            value = (
                                rng.choice(["90%", "70%", "30%", "20%"]),
                                None,
                                None,
                            )  # exactly on a line
                    rows.append([info["code"], subject, year, *value])
        wb = Workbook(write_only=True)
        _sheet(wb, "状态数据", ["指标", "对象", "学年", "值", "分子", "分母"], rows)
        wb.save(path)
        return path

    def targets(self, path: Path, first: int) -> Path:
        rng = random.Random(f"{self.args.seed}-targets")
        graded = [
            i for i in self.indicators["专业"] if make_sample._kind(i["criterion"]) in ("grade", "ratio")
        ]  # type: ignore[arg-type]
        rows: list[list[object]] = []
        for year in range(first + 1, 2026):
            for info in graded:
                if "个" in str(info["criterion"]):
                    continue
                rows.append([info["code"], None, year, "85%", "65%"])
                for major, _, _ in rng.sample(self.majors, min(5, len(self.majors))):
                    rows.append([info["code"], major, year, "95%", "80%"])
        wb = Workbook(write_only=True)
        _sheet(wb, "年度目标", ["指标", "对象", "学年", "目标值", "底线值"], rows)
        wb.save(path)
        return path


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--teachers", type=int, default=1000)
    parser.add_argument("--majors", type=int, default=70)
    parser.add_argument("--courses", type=int, default=3000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-plants", dest="plants", action="store_false", help="Plant nothing for the tests."
    )
    parser.add_argument("--silent-level", help="A level (e.g. 教师) that reports nothing in the last year.")
    parser.add_argument("--out", type=Path, default=Path("bench/out/large"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = College(args).write(args.out)
    print(f"{len(paths)} workbooks → {args.out} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return paths


if __name__ == "__main__":
    main()
