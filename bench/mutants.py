"""Mutation testing: small deliberate bugs, one at a time; a mutant the tests do not catch survives.

    python bench/mutants.py [--python] [--queries] [--only NAME…] [--max N] [--timeout 600]

1. ``--python``: each comparison, boolean operator, negation and boolean constant of the Python core
   of roles (``api/roles.py``, ``api/visibility.py``), criteria (``zhengai/criteria/``), standards
   (``zhengai/standards.py``) and ownership (``zhengai/ownership.py``) is changed in turn (``>=`` to
   ``>``, ``and`` to ``or``, ``not x`` to ``x``, ``True`` to ``False`` …), and that module's tests run.
2. ``--queries``: each branch of each ``UNION`` of each ``queries/*.rq`` is dropped in turn, and the
   tests of what reads that query run.

Prints every survivor (file, line, change) and the totals. Goal: 0 survivors in roles, the ownership
rules and standards. The source is restored after each mutant (and on Ctrl-C).

Written here rather than with mutmut: mutmut 3 runs the tests against a copy of the sources in
``mutants/``, which the editable install (``zhengai.api`` and ``zhengai.loaders`` live in other
folders than ``zhengai/``) would not import.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TARGETS = {
    "api/roles.py": ["tests/test_api.py", "tests/test_sparql_endpoint.py", "tests/test_subject_roles.py"],
    "api/visibility.py": ["tests/test_api.py", "tests/test_lifecycle.py"],
    "zhengai/ownership.py": ["tests/test_ownership.py", "tests/test_assignment.py", "tests/test_api.py"],
    "zhengai/standards.py": [
        "tests/test_diagnosis.py",
        "tests/test_ownership.py",
        "tests/test_other_college.py",
    ],
    "zhengai/criteria/compiler.py": ["tests/test_criteria.py", "tests/test_criteria_corpus.py"],
    "zhengai/criteria/values.py": ["tests/test_criteria.py", "tests/test_criteria_corpus.py"],
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
        yield Mutant(file, getattr(target, "lineno", 0), change, ast.unparse(copy))


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
    """Each branch of each UNION, as (start, end) offsets covering ``{ … }`` and its UNION word."""
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
    spans: list[tuple[int, int]] = []
    for position, depth in unions:
        before = max((end for end, (_, d) in groups.items() if end <= position and d == depth), default=None)
        after = min((s for end, (s, d) in groups.items() if s > position and d == depth), default=None)
        if before is None or after is None:
            continue
        left = groups[before][0]
        right = next(end for end, (s, _) in groups.items() if s == after)
        spans.append((left, position + len("UNION")))  # drop the branch before this UNION
        spans.append((position, right))  # or the one after it
    return sorted(set(spans))


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


def killed(mutant: Mutant, tests: list[str], timeout: float) -> bool | None:
    """True: a test failed (caught); False: every test passed (survived); None: timed out."""
    path = ROOT / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(mutant.text, encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests],
            cwd=ROOT, capture_output=True, timeout=timeout,
        )  # fmt: skip
        return done.returncode != 0
    except subprocess.TimeoutExpired:
        return None
    finally:
        path.write_text(original, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="store_true", help="Mutate the Python core.")
    parser.add_argument("--queries", action="store_true", help="Drop UNION branches of the queries.")
    parser.add_argument(
        "--only", nargs="*", default=[], help="Files (python) or query names (glob) to mutate."
    )
    parser.add_argument("--max", type=int, default=0, help="At most this many mutants (0: all).")
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
    if args.max:
        plan = plan[: args.max]
    survivors, timeouts, caught = [], [], 0
    started = time.monotonic()
    for n, (mutant, tests) in enumerate(plan, 1):
        verdict = killed(mutant, tests, args.timeout)
        label = {True: "caught", False: "SURVIVED", None: "timeout"}[verdict]
        print(f"[{n}/{len(plan)}] {mutant.file}:{mutant.line} {mutant.change}: {label}", flush=True)
        if verdict is True:
            caught += 1
        elif verdict is False:
            survivors.append(mutant)
        else:
            timeouts.append(mutant)
    print(f"\n{len(plan)} mutants in {time.monotonic() - started:.0f} s: {caught} caught, "
          f"{len(survivors)} survived, {len(timeouts)} timed out")  # fmt: skip
    for m in survivors:
        print(f"  survivor: {m.file}:{m.line} {m.change}")


if __name__ == "__main__":
    main()
