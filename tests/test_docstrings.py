"""numpydoc docstrings on the public API (issue 12): read from the source with :mod:`ast`.

* every public module, class, function and method has a docstring;
* every public function or method with three or more arguments (``self`` and
  ``cls`` not counted) has a ``Parameters`` section, and a ``Returns`` section
  unless it returns ``None``.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

_SPEC = importlib.util.find_spec("survival_invest")  # locates the package without importing it
assert _SPEC is not None and _SPEC.submodule_search_locations
SRC = Path(next(iter(_SPEC.submodule_search_locations))).resolve()

Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def _public_definitions(tree: ast.Module) -> list[tuple[str, Def]]:
    out: list[tuple[str, Def]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            out.append((node.name, node))
            if isinstance(node, ast.ClassDef):
                out += [
                    (f"{node.name}.{m.name}", m)
                    for m in node.body
                    if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and not m.name.startswith("_")
                ]
    return out


def _n_args(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    return len([n for n in names if n not in ("self", "cls")]) + (a.vararg is not None) + (a.kwarg is not None)


def _returns_none(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    r = fn.returns  # an unannotated function is taken to return something
    return r is not None and ast.unparse(r) == "None"


def _is_overload_or_protocol_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(ast.unparse(d).endswith("overload") for d in fn.decorator_list)


def _problems() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if ast.get_docstring(tree) is None:
            out.append(f"{rel}: no module docstring")
        for name, node in _public_definitions(tree):
            doc = ast.get_docstring(node)
            if doc is None:
                out.append(f"{rel}:{node.lineno} {name}: no docstring")
                continue
            if isinstance(node, ast.ClassDef) or _is_overload_or_protocol_stub(node) or _n_args(node) < 3:
                continue
            if "Parameters\n----------" not in doc:
                out.append(f"{rel}:{node.lineno} {name}: {_n_args(node)} arguments but no 'Parameters' section")
            if not _returns_none(node) and "Returns\n-------" not in doc and "Yields\n------" not in doc:
                out.append(f"{rel}:{node.lineno} {name}: no 'Returns' section")
    return out


def test_public_api_has_numpydoc_docstrings() -> None:
    problems = _problems()
    assert not problems, f"{len(problems)} docstring problems:\n" + "\n".join(problems)


def test_the_checker_sees_a_missing_section() -> None:
    tree = ast.parse('def f(a, b, c):\n    """Sum."""\n    return a\n\n\ndef g(a, b, c) -> None:\n    """Nothing."""\n')
    (_, fn), (_, gn) = _public_definitions(tree)
    assert isinstance(fn, ast.FunctionDef) and isinstance(gn, ast.FunctionDef)
    assert _n_args(fn) == 3 and not _returns_none(fn) and _returns_none(gn)
    assert "Parameters\n----------" not in (ast.get_docstring(fn) or "")
