"""The treatments app's shape: pure rules, no import cycle, no import hidden inside a function."""

import ast
from pathlib import Path

import treatments

APP = Path(treatments.__file__).parent


def _modules() -> dict[str, ast.Module]:
    return {
        ".".join(path.relative_to(APP.parent).with_suffix("").parts): ast.parse(path.read_text())
        for path in APP.rglob("*.py")
        if "migrations" not in path.parts
    }


def _top_level_imports(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_import_is_hidden_inside_a_function():
    hidden = [
        f"{name}:{node.lineno}"
        for name, tree in _modules().items()
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert hidden == []


def test_treatments_modules_import_each_other_without_a_cycle():
    modules = _modules()
    graph = {name: {m for m in _top_level_imports(tree) if m in modules and m != name} for name, tree in modules.items()}
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in graph[name]:
            assert state.get(target) != "open", " → ".join([*path, name, target])
            if target not in state:
                visit(target, [*path, name])
        state[name] = "done"

    for name in graph:
        if name not in state:
            visit(name, [])


def test_rules_and_suggestion_use_no_orm():
    for name in ("treatments.rules", "treatments.row_checks", "treatments.suggestion", "treatments.hard_rules"):
        imports = _top_level_imports(_modules()[name])
        assert not {m for m in imports if m.startswith("django") or m.startswith("treatments.models")}, name
        assert "objects" not in (APP / f"{name.split('.')[-1]}.py").read_text(), name
