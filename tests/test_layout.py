"""Layout guards (DESIGN.md 1): our top-level names are not shadowed by installed
packages, and imports flow one way."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = [
    "app",
    "domain",
    "models",
    "schema",
    "resolvers",
    "workers",
    "migrations",
    "tests",
    "bench",
]


def _imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {(str(path.relative_to(ROOT)), a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((str(path.relative_to(ROOT)), node.module.split(".")[0]))
    return found


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
    for name in ["app", "domain", "models", "schema", "resolvers", "workers", "migrations"]:
        module = __import__(name)
        assert Path(module.__file__ or "").resolve().parent == ROOT / name


def test_domain_imports_nothing_from_schema_resolvers_or_workers() -> None:
    offending = {
        (f, m) for f, m in _imports("domain") if m in {"schema", "resolvers", "workers", "app"}
    }
    assert offending == set()


def test_models_import_only_models() -> None:
    ours = {"app", "domain", "schema", "resolvers", "workers"}
    offending = {(f, m) for f, m in _imports("models") if m in ours}
    assert offending == set()


def test_schema_does_not_import_resolvers_or_workers() -> None:
    offending = {(f, m) for f, m in _imports("schema") if m in {"resolvers", "workers"}}
    assert offending == set()
