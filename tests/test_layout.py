"""Layout guards (docs/ARCHITECTURE.md): our top-level names are not shadowed by installed
packages, imports flow one way between folders, and no circle of imports runs inside one.
The guards themselves are tested on small synthetic trees."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from tests.support.layout import (
    cycles,
    file_graph,
    folder_graph,
    imports,
    upward_imports,
)

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = ["app", "infra", "domain", "models", "schema", "resolvers", "workers", "migrations"]
TOP_LEVEL = [*APPLICATION, "tests", "bench"]

# Who may import whom. `app` is the top (entry points and wiring) and nothing imports it;
# `infra` is what the API and the workers share (settings, database, network helpers).
ALLOWED: dict[str, set[str]] = {
    "app": {"infra", "resolvers", "schema", "workers", "domain", "models", "migrations"},
    "resolvers": {"schema", "domain", "models"},
    "schema": {"domain", "models"},
    "workers": {"infra", "domain", "models"},
    "domain": {"models"},
    "infra": {"models"},
    "models": set(),
    "migrations": {"models"},
}


def test_no_installed_distribution_provides_our_top_level_names() -> None:
    # Given every installed distribution's top-level import names
    provided: dict[str, list[str]] = {}
    for dist in importlib.metadata.distributions():
        names = set()
        top_level = dist.read_text("top_level.txt")
        if top_level:
            names |= {line.strip() for line in top_level.splitlines() if line.strip()}
        for file in dist.files or []:
            parts = Path(str(file)).parts
            if len(parts) > 1 and not parts[0].endswith((".dist-info", ".data")):
                names.add(parts[0])
            elif len(parts) == 1 and parts[0].endswith(".py"):
                names.add(parts[0][:-3])
        for name in names:
            provided.setdefault(name, []).append(dist.metadata["Name"])
    # Then none of them is one of ours
    clashes = {name: provided[name] for name in TOP_LEVEL if name in provided}
    assert clashes == {}


def test_every_top_level_name_is_a_package_of_this_repository() -> None:
    for name in APPLICATION:
        module = __import__(name)
        assert Path(module.__file__ or "").resolve().parent == ROOT / name


def test_the_allowed_directions_form_no_circle() -> None:
    assert cycles(ALLOWED) == []


def test_no_folder_imports_upwards() -> None:
    # Given every import of the application folders (including function-local ones and
    # those made for type checkers only)
    found = imports(ROOT, APPLICATION)
    # Then each goes where ALLOWED says
    assert upward_imports(found, ALLOWED) == []
    assert cycles(folder_graph(found)) == []


def test_nothing_imports_the_app_folder() -> None:
    found = imports(ROOT, [f for f in APPLICATION if f != "app"])
    assert sorted({i.file for i in found if i.target_folder == "app"}) == []


def test_no_circle_of_imports_between_files() -> None:
    # Given the imports that run when each module loads
    graph = file_graph(imports(ROOT, APPLICATION))
    # Then no module needs itself through others
    assert cycles(graph) == []


def test_no_project_import_inside_functions_below_app() -> None:
    # A function-local import of our own code hides a dependency (often a circle); below
    # the entry points every dependency is stated at the top of its module.
    found = imports(ROOT, [f for f in APPLICATION if f not in ("app", "migrations")])
    hidden = sorted({f"{i.file} imports {i.module}" for i in found if i.where == "function"})
    assert hidden == []


# The guards on synthetic trees ---------------------------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {name.split("/", 1)[0] for name in files}:
        (root / folder / "__init__.py").touch()
    return root


def test_the_guard_reports_an_upward_import(tmp_path: Path) -> None:
    # Given a domain module that imports the schema (upwards)
    root = _tree(
        tmp_path,
        {
            "domain/rules.py": "from schema.types import Thing\n",
            "schema/types.py": "from domain.rules import decide\n",
        },
    )
    # When the guard reads it
    found = imports(root, ["domain", "schema"])
    # Then it names the file and the module, and sees the circle between the folders
    assert upward_imports(found, {"schema": {"domain"}, "domain": set()}) == [
        "domain/rules.py imports schema.types"
    ]
    assert cycles(folder_graph(found)) == [["domain", "schema"]]


def test_the_guard_counts_type_checking_and_function_imports_between_folders(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "domain/a.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from schema.b import B\n"
                "def f():\n    from resolvers.c import C\n"
            ),
            "schema/b.py": "",
            "resolvers/c.py": "",
        },
    )
    found = imports(root, ["domain"])
    assert upward_imports(found, {"domain": set()}) == [
        "domain/a.py imports resolvers.c",
        "domain/a.py imports schema.b",
    ]
    assert sorted((i.module, i.where) for i in found) == [
        ("resolvers.c", "function"),
        ("schema.b", "type-checking"),
    ]


def test_the_guard_finds_a_circle_between_files_but_not_through_type_checking(
    tmp_path: Path,
) -> None:
    # Given a <-> b at load time, and c -> d with d -> c only for type checkers
    root = _tree(
        tmp_path,
        {
            "schema/a.py": "from schema.b import B\n",
            "schema/b.py": "from schema import a\n",
            "schema/c.py": "from schema.d import D\n",
            "schema/d.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from schema.c import C\n"
            ),
        },
    )
    # Then only the first pair is a circle
    assert cycles(file_graph(imports(root, ["schema"]))) == [["schema.a", "schema.b"]]
