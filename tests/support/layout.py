"""Reading the import graph of the repository for the layout guards (tests/test_layout.py).

Two views of the same imports:
- between top-level folders, every import counts (module level, inside a function, or
  under `if TYPE_CHECKING:`): a folder that names another depends on it;
- between files, only imports that run when the module loads count towards a circle:
  `if TYPE_CHECKING:` imports exist for type checkers only (strawberry's `lazy` types need
  them for the graph's back-references, Account.contracts -> Contract.account).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    file: str  # path relative to the root, e.g. "schema/types/account.py"
    module: str  # the module it names, e.g. "schema.loaders.accounts"
    where: str  # "module" (runs when the file loads), "function" or "type-checking"

    @property
    def at_load(self) -> bool:
        return self.where == "module"

    @property
    def folder(self) -> str:
        return self.file.split("/", 1)[0]

    @property
    def target_folder(self) -> str:
        return self.module.split(".", 1)[0]


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[str, str]] = []
        self.where = ["module"]

    def _deferred(self, node: ast.AST) -> None:
        self.where.append("function")
        self.generic_visit(node)
        self.where.pop()

    visit_FunctionDef = _deferred
    visit_AsyncFunctionDef = _deferred
    visit_Lambda = _deferred

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.where.append("type-checking")
            for child in node.body:
                self.visit(child)
            self.where.pop()
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found += [(alias.name, self.where[-1]) for alias in node.names]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".") if self.package else []
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        # `from package import module` names the module when it is one.
        self.found += [(f"{target}.{alias.name}", self.where[-1]) for alias in node.names]
        self.found.append((target, self.where[-1]))


def imports(root: Path, folders: Iterable[str]) -> list[Import]:
    """Every import of a project module made by the files of `folders`."""
    ours = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {_module_of(path, root) for folder in ours for path in (root / folder).rglob("*.py")}
    found: list[Import] = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            collector = _Collector(_module_of(path, root), path.name == "__init__.py")
            collector.visit(ast.parse(path.read_text(encoding="utf-8")))
            relative = path.relative_to(root).as_posix()
            for name, where in collector.found:
                # `from a.b import c` names a.b.c when that is a module, else a.b.
                if name in modules and name.split(".", 1)[0] in ours:
                    found.append(Import(relative, name, where))
    return found


def upward_imports(found: Iterable[Import], allowed: Mapping[str, set[str]]) -> list[str]:
    """Imports from one folder into another that `allowed` does not list."""
    return sorted(
        {
            f"{i.file} imports {i.module}"
            for i in found
            if i.folder != i.target_folder and i.target_folder not in allowed.get(i.folder, set())
        }
    )


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """The circles of a directed graph (its strongly connected components of more than one
    node, or a node that names itself), each sorted, the list sorted (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def folder_graph(found: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for i in found:
        if i.folder != i.target_folder:
            graph.setdefault(i.folder, set()).add(i.target_folder)
    return graph


def file_graph(found: Iterable[Import]) -> dict[str, set[str]]:
    """Module -> modules it imports when it loads (a package's own modules count as part of
    the package only when imported by name)."""
    graph: dict[str, set[str]] = {}
    for i in found:
        if i.at_load:
            source = i.file.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            if i.module != source:
                graph.setdefault(source, set()).add(i.module)
    return graph
