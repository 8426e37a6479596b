"""The import rule of src/tickerpulse, checked by reading the source (no import runs).

Each top-level unit (a package such as ``web`` or a module such as ``config``)
sits on a layer; a unit may import its own layer or the ones below, never a
higher one. Across units no cycle is allowed, and neither between two modules,
lazy (function-level) imports included. ``platform`` holds no HTTP: it imports
neither fastapi nor starlette.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT_PACKAGE = "tickerpulse"

LAYERS: dict[str, int] = {
    # 4: entry points and the HTTP / streaming edge.
    "__main__": 4,
    "cli": 4,
    "runtime": 4,
    "scheduler": 4,
    "streaming": 4,
    "training": 4,
    "web": 4,
    # 3: the business and the batch pipeline.
    "analytics": 3,
    "jobs": 3,
    "platform": 3,
    "tag_answers": 3,
    "text_answers": 3,
    # 2: storage, enrichment and data sources.
    "db": 2,
    "enrich": 2,
    "explore": 2,
    "lake": 2,
    "sources": 2,
    # 1: vocabulary and settings.
    "__init__": 1,
    "config": 1,
    "domain": 1,
    "extras": 1,
    "logging": 1,
    "markets": 1,
    "textio": 1,
    "universe": 1,
}

NO_HTTP = {"platform": ("fastapi", "starlette")}


@dataclass(frozen=True)
class Import:
    """One import statement: the file it stands in, its line and the module it names."""

    path: Path
    line: int
    source: str
    target: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(root, p): p for p in sorted(root.rglob("*.py"))}


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest known module that ``name`` names or lies in."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports(root: Path) -> Iterator[Import]:
    """Every import in the package at ``root``, lazy ones included, with targets resolved.

    Targets inside the package are resolved to the module imported (``from a
    import b`` names ``a.b`` when that is a module); others are kept as written.
    """
    modules = _modules(root)
    for source, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(
                        path, node.lineno, source, _resolve(alias.name, modules) or alias.name
                    )
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = source.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    target = _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules)
                    yield Import(path, node.lineno, source, target or base)


def unit(module: str) -> str | None:
    """The top-level unit of a module of the package (``web`` for ``tickerpulse.web.app``)."""
    parts = module.split(".")
    if parts[0] != ROOT_PACKAGE:
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def layer_violations(root: Path, layers: Mapping[str, int] = LAYERS) -> list[str]:
    """Imports that go up a layer, units on no layer, and HTTP imported where none may be."""
    problems = []
    for imp in imports(root):
        source, target = unit(imp.source), unit(imp.target)
        assert source is not None
        if source not in layers:
            problems.append(f"{imp.path}: unit {source!r} is on no layer (add it to LAYERS)")
            continue
        if target is None:
            top = imp.target.split(".")[0]
            if top in NO_HTTP.get(source, ()):
                problems.append(f"{imp}: {source}/ holds no HTTP")
            continue
        if target == source:
            continue
        if target not in layers:
            problems.append(f"{imp}: unit {target!r} is on no layer (add it to LAYERS)")
        elif layers[target] > layers[source]:
            problems.append(
                f"{imp}: {source} (layer {layers[source]}) may not import "
                f"{target} (layer {layers[target]})"
            )
    return sorted(set(problems))


def _cycles(edges: Mapping[str, Mapping[str, Import]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, {}):
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
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _describe(component: list[str], edges: Mapping[str, Mapping[str, Import]]) -> str:
    members = set(component)
    links = [str(imp) for a in component for b, imp in sorted(edges[a].items()) if b in members]
    return f"import cycle between {', '.join(component)}:\n    " + "\n    ".join(links)


def cycle_violations(root: Path) -> list[str]:
    """Cycles between top-level units and between modules, each with the imports that close it."""
    by_unit: dict[str, dict[str, Import]] = defaultdict(dict)
    by_module: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in imports(root):
        source, target = unit(imp.source), unit(imp.target)
        if target is None:
            continue
        if source != target:
            by_unit[str(source)].setdefault(target, imp)
        if imp.source != imp.target and not imp.source.startswith(imp.target + "."):
            by_module[imp.source].setdefault(imp.target, imp)
    return [_describe(c, by_unit) for c in _cycles(by_unit)] + [
        _describe(c, by_module) for c in _cycles(by_module)
    ]
