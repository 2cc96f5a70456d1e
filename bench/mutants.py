"""Mutation testing: small deliberate bugs, one at a time; a mutant the tests do not catch survives.

    python bench/mutants.py [--python] [--queries] [--only NAME…] [--sample N] [--jobs 2] [--timeout 600]

1. ``--python``: each comparison, boolean operator, negation and boolean constant of the Python core
   of roles (``api/roles.py``, ``api/visibility.py``), criteria (``zhengai/criteria/``), standards
   (``zhengai/standards.py``) and ownership (``zhengai/ownership.py``) is changed in turn (``>=`` to
   ``>``, ``and`` to ``or``, ``not x`` to ``x``, ``True`` to ``False`` …), and that module's tests run.
2. ``--queries``: each branch of each ``UNION`` of each ``queries/*.rq`` is dropped in turn, and the
   tests of what reads that query run.

A first run under coverage records which tests ran each line; a Python mutant runs those tests first
(most mutants fail there within seconds), then, if they all pass, its whole list.

Prints every survivor (file, line, change) and the totals. Goal: 0 survivors in roles, the ownership
rules and standards. The mutants are written into copies of the tree (one per job, in a temporary
folder), never into the tree itself, so work can go on beside a run; each copy is imported in place of
the installed package by a ``sitecustomize`` module put first on ``PYTHONPATH`` (also in the
subprocesses the tests start).

Written here rather than with mutmut: mutmut 3 runs the tests against a copy of the sources in
``mutants/``, which the editable install (``zhengai.api`` and ``zhengai.loaders`` live in other
folders than ``zhengai/``) would not import.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TARGETS = {
    "api/roles.py": [
        "tests/test_roles.py",
        "tests/test_subject_roles.py",
        "tests/test_sparql_endpoint.py",
        "tests/test_api.py",
    ],
    "api/visibility.py": ["tests/test_api.py", "tests/test_lifecycle.py"],
    "zhengai/ownership.py": ["tests/test_ownership.py", "tests/test_assignment.py", "tests/test_api.py"],
    "zhengai/standards.py": [
        "tests/test_diagnosis.py",
        "tests/test_ownership.py",
        "tests/test_other_college.py",
    ],
    # the criteria are read by the catalogue loader (its line columns: the second college) and the
    # observed values by the observation loader: their tests are the criteria's too
    "zhengai/criteria/compiler.py": [
        "tests/test_criteria.py",
        "tests/test_criteria_corpus.py",
        "tests/test_other_college.py",
        "tests/test_diagnosis.py",
    ],
    "zhengai/criteria/values.py": [
        "tests/test_criteria.py",
        "tests/test_other_college.py",
        "tests/test_bad_input.py",
        "tests/test_sample_load.py",
        "tests/test_push.py",
    ],
}
QUERY_TESTS = {
    "owner_rule*": ["tests/test_ownership.py", "tests/test_assignment.py", "tests/test_api.py"],
    "diagnosis_view": ["tests/test_diagnosis.py", "tests/test_equivalence.py", "tests/test_ownership.py"],
    "live_*": ["tests/test_live.py", "tests/test_push.py"],
    "run_*": ["tests/test_diagnosis.py", "tests/test_api.py", "tests/test_live.py"],
    "audit_*": ["tests/test_audit.py"],
    "*": ["tests/test_queries.py", "tests/test_api.py", "tests/test_diagnosis.py", "tests/test_colleges.py",
          "tests/test_region.py"],
}  # fmt: skip
SWAPS: dict[type, type] = {
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    change: str
    text: str  # the file's mutated content
    end: int = 0  # the last line of the changed expression (Python mutants)


def _python_mutants(file: str) -> Iterator[Mutant]:
    source = (ROOT / file).read_text(encoding="utf-8")
    tree = ast.parse(source)
    nodes = [n for n in ast.walk(tree) if _mutable(n)]
    for index in range(len(nodes)):
        copy = ast.parse(source)
        target = [n for n in ast.walk(copy) if _mutable(n)][index]
        change = _mutate(target)
        if change is None:
            continue
        line = getattr(target, "lineno", 0)
        yield Mutant(file, line, change, ast.unparse(copy), getattr(target, "end_lineno", line) or line)


def _mutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return type(node.ops[0]) in SWAPS
    if isinstance(node, ast.BoolOp):
        return True
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not)
    return isinstance(node, ast.Constant) and isinstance(node.value, bool)


def _mutate(node: ast.AST) -> str | None:
    if isinstance(node, ast.Compare):
        old = type(node.ops[0])
        node.ops[0] = SWAPS[old]()
        return f"{old.__name__} → {SWAPS[old].__name__}"
    if isinstance(node, ast.BoolOp):
        old = type(node.op)
        node.op = SWAPS[old]()
        return f"{old.__name__} → {SWAPS[old].__name__}"
    if isinstance(node, ast.UnaryOp):  # not x → x (the node keeps its place: a double negation)
        node.operand = ast.UnaryOp(op=ast.Not(), operand=node.operand)
        return "not x → x"
    if isinstance(node, ast.Constant):
        node.value = not node.value
        return f"{not node.value} → {node.value}"
    return None


# -- queries ---------------------------------------------------------------------------------------------

TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*|\bUNION\b|[{}]', re.I)


def _union_branches(text: str) -> list[tuple[int, int]]:
    """Each branch of each UNION once, as (start, end) offsets covering ``{ … }`` and one UNION word."""
    stack: list[int] = []
    groups: dict[int, tuple[int, int]] = {}  # a group's end → (start, depth)
    unions: list[tuple[int, int]] = []  # (position, depth)
    for m in TOKENS.finditer(text):
        token = m.group()
        if token == "{":
            stack.append(m.start())
        elif token == "}" and stack:
            start = stack.pop()
            groups[m.end()] = (start, len(stack))
        elif token.upper() == "UNION":
            unions.append((m.start(), len(stack)))
    spans: dict[int, tuple[int, int]] = {}  # a branch's start → the text to drop with it
    for position, depth in unions:
        before = max((end for end, (_, d) in groups.items() if end <= position and d == depth), default=None)
        after = min((s for end, (s, d) in groups.items() if s > position and d == depth), default=None)
        if before is None or after is None:
            continue
        left = groups[before][0]
        right = next(end for end, (s, _) in groups.items() if s == after)
        spans.setdefault(left, (left, position + len("UNION")))  # the branch before this UNION
        spans.setdefault(after, (position, right))  # the one after it (with this UNION)
    return sorted(spans.values())


def _query_mutants(pattern: str) -> Iterator[Mutant]:
    for path in sorted((ROOT / "queries").glob("*.rq")):
        if not fnmatch.fnmatch(path.stem, pattern):
            continue
        text = path.read_text(encoding="utf-8")
        for start, end in _union_branches(text):
            line = text.count("\n", 0, start) + 1
            yield Mutant(f"queries/{path.name}", line, "UNION branch dropped", text[:start] + text[end:])


def _tests_for_query(name: str) -> list[str]:
    return next(tests for pattern, tests in QUERY_TESTS.items() if fnmatch.fnmatch(name, pattern))


# -- running --------------------------------------------------------------------------------------------


# The package's folders, as pyproject.toml maps them (zhengai.api lives in api/, and so on).
PACKAGES = {
    "zhengai": "zhengai", "zhengai.api": "api", "zhengai.loaders": "loaders", "zhengai.ontology": "ontology",
    "zhengai.shapes": "shapes", "zhengai.queries": "queries", "zhengai.data": "data",
}  # fmt: skip
FINDER = """import importlib.util, sys
PACKAGES = {packages!r}
class _CopyFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in PACKAGES:
            return None
        init = PACKAGES[name] + "/__init__.py"
        return importlib.util.spec_from_file_location(name, init, submodule_search_locations=[PACKAGES[name]])
sys.meta_path.insert(0, _CopyFinder)
"""


class Copy:
    """A copy of the tree that imports as ``zhengai`` in its tests and their subprocesses."""

    def __init__(self, base: Path) -> None:
        self.root = base / "tree"
        files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        for name in filter(None, files.decode().split("\0")):
            source = ROOT / name
            if source.is_file():
                (self.root / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.root / name)
        hook = base / "hook"
        hook.mkdir()
        packages = {name: str(self.root / folder) for name, folder in PACKAGES.items()}
        (hook / "sitecustomize.py").write_text(FINDER.format(packages=packages), encoding="utf-8")
        self.env = {**os.environ, "PYTHONPATH": str(hook)}

    def pytest(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *args]
        return subprocess.run(command, cwd=self.root, env=self.env, capture_output=True, timeout=timeout)

    def killed(self, mutant: Mutant, tests: list[str], timeout: float, first: list[str]) -> bool | None:
        """True: a test failed (caught); False: every test passed (survived); None: timed out.

        ``first``: the tests that ran the changed lines; they run alone first, and only when they all
        pass does the whole list run (a test may reach the line in a subprocess, which coverage misses).
        """
        path = self.root / mutant.file
        original = path.read_text(encoding="utf-8")
        path.write_text(mutant.text, encoding="utf-8")
        try:
            if first and self.pytest("-x", *first, timeout=timeout).returncode != 0:
                return True
            return self.pytest("-x", *tests, timeout=timeout).returncode != 0
        except subprocess.TimeoutExpired:
            return None
        finally:
            path.write_text(original, encoding="utf-8")

    def coverage(self, tests: list[str]) -> dict[str, dict[int, set[str]]]:
        """Which tests (node ids) ran each line of each file, from one run of ``tests`` under coverage."""
        import coverage  # the bench extra

        folders = sorted({str(self.root / folder) for folder in PACKAGES.values()})
        self.pytest(*(f"--cov={folder}" for folder in folders), "--cov-context=test", "--cov-report=", *tests)
        data_file = self.root / ".coverage"  # pytest-cov writes it in the working folder
        data = coverage.CoverageData(str(data_file))
        data.read()
        lines: dict[str, dict[int, set[str]]] = {}
        for measured in data.measured_files():
            relative = Path(measured).resolve().relative_to(self.root.resolve()).as_posix()
            lines[relative] = {
                line: {c.split("|")[0] for c in contexts if c}
                for line, contexts in data.contexts_by_lineno(measured).items()
            }
        return lines


def _check_copy(copy: Copy) -> None:
    """The copy must be what the tests import, or every mutant would "survive"."""
    probe = "import zhengai.api, zhengai.ownership; print(zhengai.api.__file__, zhengai.ownership.__file__)"
    out = subprocess.run([sys.executable, "-c", probe], env=copy.env, capture_output=True, text=True).stdout
    if not all(part.startswith(str(copy.root)) for part in out.split()):
        sys.exit(f"the copy is not imported in place of the package: {out.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="store_true", help="Mutate the Python core.")
    parser.add_argument("--queries", action="store_true", help="Drop UNION branches of the queries.")
    parser.add_argument(
        "--only", nargs="*", default=[], help="Files (python) or query names (glob) to mutate."
    )
    parser.add_argument("--max", type=int, default=0, help="At most this many mutants (0: all).")
    parser.add_argument(
        "--sample", type=int, default=0, help="At most this many mutants of each file, drawn at random."
    )
    parser.add_argument("--seed", type=int, default=2026, help="The sample's seed.")
    parser.add_argument(
        "--lines", default="", help="Only mutants on these lines, e.g. 415-450 (to re-check survivors)."
    )
    parser.add_argument(
        "--no-coverage", action="store_true", help="Run every mutant's whole test list at once."
    )
    parser.add_argument("--jobs", type=int, default=2, help="Mutants tested at once, each in its own copy.")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if not (args.python or args.queries):
        args.python = args.queries = True
    plan: list[tuple[Mutant, list[str]]] = []
    if args.python:
        for file, tests in PYTHON_TARGETS.items():
            if not args.only or any(fnmatch.fnmatch(file, p) for p in args.only):
                plan += [(m, tests) for m in _python_mutants(file)]
    if args.queries:
        for pattern in args.only or ["*"]:
            plan += [(m, _tests_for_query(Path(m.file).stem)) for m in _query_mutants(pattern)]
    if args.lines:
        low, _, high = args.lines.partition("-")
        plan = [item for item in plan if int(low) <= item[0].line <= int(high or low)]
    if args.sample:  # at most that many of each file, drawn at random
        chosen: list[tuple[Mutant, list[str]]] = []
        for file in dict.fromkeys(m.file for m, _ in plan):
            mine = [item for item in plan if item[0].file == file]
            chosen += sorted(random.Random(args.seed).sample(mine, min(args.sample, len(mine))),
                             key=lambda item: item[0].line)  # fmt: skip
        plan = chosen
    if args.max:
        plan = plan[: args.max]
    survivors, timeouts, caught = [], [], 0
    started = time.monotonic()
    todo: queue.Queue[tuple[int, Mutant, list[str]]] = queue.Queue()
    for n, (mutant, tests) in enumerate(plan, 1):
        todo.put((n, mutant, tests))
    lock = threading.Lock()

    def work(copy: Copy) -> None:
        nonlocal caught
        while True:
            try:
                n, mutant, tests = todo.get_nowait()
            except queue.Empty:
                return
            ran = covered.get(mutant.file, {})
            first = sorted(
                set().union(*(ran.get(line, set()) for line in range(mutant.line, mutant.end + 1)))
            )
            verdict = copy.killed(mutant, tests, args.timeout, first)
            label = {True: "caught", False: "SURVIVED", None: "timeout"}[verdict]
            with lock:
                print(f"[{n}/{len(plan)}] {mutant.file}:{mutant.line} {mutant.change}: {label}", flush=True)
                if verdict is True:
                    caught += 1
                elif verdict is False:
                    survivors.append(mutant)
                else:
                    timeouts.append(mutant)

    with tempfile.TemporaryDirectory(prefix="zhengai-mutants-") as base:
        copies = []
        for job in range(max(1, args.jobs)):
            (Path(base) / str(job)).mkdir()
            copies.append(Copy(Path(base) / str(job)))
        _check_copy(copies[0])
        covered: dict[str, dict[int, set[str]]] = {}
        if args.python and not args.no_coverage:
            wanted = sorted({test for mutant, tests in plan if mutant.end for test in tests})
            print(f"coverage of {len(wanted)} test files …", flush=True)
            covered = copies[0].coverage(wanted)
        workers = [threading.Thread(target=work, args=(copy,), daemon=True) for copy in copies]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    print(f"\n{len(plan)} mutants in {time.monotonic() - started:.0f} s: {caught} caught, "
          f"{len(survivors)} survived, {len(timeouts)} timed out")  # fmt: skip
    for m in sorted(survivors, key=lambda m: (m.file, m.line)):
        print(f"  survivor: {m.file}:{m.line} {m.change}")


if __name__ == "__main__":
    main()
