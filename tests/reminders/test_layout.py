"""The reminder package's imports go one way (README, Reminders): booking sees only the row
upkeep, nothing imports the Celery tasks, and no import hides inside a function to dodge a cycle."""

import ast
from pathlib import Path

import pytest

SCHEDULING = Path(__file__).resolve().parents[2] / "scheduling"
PACKAGE = SCHEDULING / "reminders"


def scheduling_imports(path: Path) -> dict[str, list[str]]:
    """The ``scheduling.*`` modules a file imports: ``{"top": [...], "in functions": [...]}``."""
    found: dict[str, list[str]] = {"top": [], "in functions": []}
    tree = ast.parse(path.read_text())
    in_functions = {
        id(node) for function in ast.walk(tree) if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("scheduling"):
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("scheduling")]
        else:
            continue
        found["in functions" if id(node) in in_functions else "top"] += names
    return found


def reminder_modules(names: list[str]) -> set[str]:
    """``scheduling.reminders.x`` (also when imported as ``from scheduling.reminders import x``)."""
    return {".".join(name.split(".")[:3]) for name in names if name.startswith("scheduling.reminders.")}


# The pages (and their context processor) and tasks that use the rest of the package; every other scheduling module (booking
# and the modules it grows into) sees only the upkeep of reminder rows.
USERS_OF_THE_PACKAGE = {"views.py", "link_views.py", "health_check_views.py", "self_booking_views.py", "tasks.py",
                        "context_processors.py",
                        # Online intake's link (its LinkError reasons), e-mail (the clinic's address) and page.
                        "intake_tokens.py", "intake_mail.py", "intake_views.py"}


@pytest.mark.parametrize(
    "path", sorted(p for p in SCHEDULING.glob("*.py") if p.name not in USERS_OF_THE_PACKAGE), ids=lambda path: path.name
)
def test_booking_and_the_rest_of_scheduling_import_only_the_upkeep_of_reminders(path):
    assert reminder_modules(scheduling_imports(path)["top"]) <= {"scheduling.reminders.upkeep"}


def test_booking_keeps_reminder_rows_through_upkeep():
    assert reminder_modules(scheduling_imports(SCHEDULING / "booking.py")["top"]) == {"scheduling.reminders.upkeep"}


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda path: path.name)
def test_no_reminder_module_imports_the_tasks_or_hides_an_import(path):
    imports = scheduling_imports(path)
    assert imports["in functions"] == []
    assert not any(name.startswith("scheduling.tasks") for name in imports["top"])


def test_the_reminder_modules_import_each_other_without_a_cycle():
    graph = {
        f"scheduling.reminders.{path.stem}": reminder_modules(scheduling_imports(path)["top"])
        for path in PACKAGE.glob("*.py")
        if path.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
    # Only what the links do (actions, and choosing a time, which builds on them) reaches booking,
    # which imports upkeep: no way back round.
    link_modules = {"scheduling.reminders.actions", "scheduling.reminders.self_booking"}
    assert not link_modules & set().union(*(deps for module, deps in graph.items() if module not in link_modules))
    assert "scheduling.reminders.self_booking" not in graph["scheduling.reminders.actions"]
