"""The layout rules of docs/architecture.md, checked on the source tree (issue 12).

Each rule reads the source with :mod:`ast`; a failure names the file, line and
what to change.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.find_spec("survival_invest")  # locates the package without importing it
assert _SPEC is not None and _SPEC.submodule_search_locations
SRC = Path(next(iter(_SPEC.submodule_search_locations))).resolve()
TESTS = Path(__file__).resolve().parent

#: The flow: a module may import from its own stage and from stages with a lower rank.
RANK = {
    "errors": 0,
    "choices": 0,
    "_version": 0,
    "_atomic": 0,
    "_arrays": 0,
    "_moved": 0,
    "config": 1,
    "io": 1,
    "estimate": 1,
    "cohort": 2,
    "stats": 3,
    "engines": 4,
    "economics": 5,
    "adjust": 6,
    "report": 7,
    "pipeline": 8,
    "synthetic": 9,
    "cli": 10,
}
#: Old top-level paths kept as forwarding shims, and the package root: they may import anything.
EXEMPT = {"__init__", "tables", "status", "matching", "uncertainty", "balance", "portfolio", "runner", "validate"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _stage(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> list[tuple[int, str, list[str]]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
    return out


def test_every_stage_has_a_rank() -> None:
    stages = {_stage(p) for p in _modules()} - EXEMPT
    assert stages <= set(RANK), f"add {sorted(stages - set(RANK))} to RANK and to docs/architecture.md"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_short_enough_to_read(path: Path) -> None:
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(SRC)} has {n} lines (at most {MAX_MODULE_LINES}): split it"


def _code_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring does not count
    if not body:
        return 0
    return (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def test_functions_are_short_or_say_why_not() -> None:
    long = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _code_lines(node) > MAX_FUNCTION_LINES:
                head = "\n".join(lines[node.lineno - 1 : node.lineno + 40])
                if "one piece" not in head:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({_code_lines(node)} lines)")
    assert not long, "functions over 60 lines of code without a comment saying why they are one piece:\n" + "\n".join(
        long
    )


def test_imports_point_down_the_flow_and_nothing_imports_the_cli() -> None:
    bad = []
    for path in _modules():
        stage = _stage(path)
        if stage in EXEMPT:
            continue
        for line, module, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            parts = module.split(".")
            if parts[0] != "survival_invest" or len(parts) < 2:
                continue
            target = parts[1]
            if target == "cli" and stage != "cli":
                bad.append(f"{path.relative_to(SRC)}:{line} imports the CLI")
            elif target in RANK and RANK[target] > RANK[stage]:
                bad.append(f"{path.relative_to(SRC)}:{line} ({stage}) imports {module} (a later stage)")
            elif target in EXEMPT and target != "__init__":
                bad.append(f"{path.relative_to(SRC)}:{line} imports the old path {module}: import the new module")
    assert not bad, "\n".join(bad)


def _private_imports(paths: list[Path], root: Path) -> list[str]:
    bad = []
    for path in paths:
        for line, module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if not module.startswith("survival_invest"):
                continue
            for name in names:
                if name.startswith("_") and name != "__version__":
                    bad.append(f"{path.relative_to(root)}:{line} imports {name} from {module}")
    return bad


def test_no_private_name_is_imported_from_another_module() -> None:
    bad = _private_imports(_modules(), SRC) + _private_imports(sorted(TESTS.rglob("*.py")), TESTS)
    assert not bad, "give these names a public name where they are defined:\n" + "\n".join(bad)


def test_no_function_local_import_repeats_a_top_level_import() -> None:
    bad = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {m for node in tree.body for _, m, _ in _imports(node) if isinstance(node, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for line, module, _ in _imports(node):
                    if module in top:
                        bad.append(f"{path.relative_to(SRC)}:{line} imports {module} again inside {node.name}")
    assert not bad, "\n".join(bad)


def test_no_assert_in_the_package() -> None:
    bad = [
        f"{p.relative_to(SRC)}:{node.lineno}"
        for p in _modules()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert not bad, "raise the package's own error instead of assert (python -O drops asserts):\n" + "\n".join(bad)


def test_tests_mirror_the_packages() -> None:
    packages = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    missing = [pkg for pkg in packages if not (TESTS / pkg).is_dir() and pkg != "data"]
    assert not missing, f"tests/ has no folder for the packages {missing}"
