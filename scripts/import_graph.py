#!/usr/bin/env python3
"""The house plan of k8s_migrate, read from its imports with ast (nothing is imported or run).

Rooms are modules, floors are packages, arrows are "module A imports module B" (one arrow per pair,
whether A imports B at the top or inside a function). It flags the arrows the design forbids: from
the readers and the charts (formats/, xml/, charts/) into the migration modules (pipeline*,
migrate/), and every cycle (strongly connected component), counted once over all imports and once
over top-level imports only (the ones Python runs at import time).

    python scripts/import_graph.py            # the numbers and the flagged arrows
    python scripts/import_graph.py --arrows   # every arrow, file:line
    python scripts/import_graph.py --check    # exit 1 when an arrow is flagged or a cycle exists
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "k8s_migrate"
READERS = ("k8s_migrate.formats", "k8s_migrate.xml", "k8s_migrate.charts")
MIGRATION = ("k8s_migrate.pipeline", "k8s_migrate.pipeline_values", "k8s_migrate.migrate")


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    where: str  # path:line of the first import statement that draws it
    top_level: bool


def modules(package_dir: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def floor(module: str, rooms: dict[str, Path]) -> str:
    """The package a module lives in (a package's __init__ lives on its own floor)."""
    return module if rooms[module].name == "__init__.py" else module.rpartition(".")[0]


def _resolve(node: ast.ImportFrom, importer: str, rooms: dict[str, Path]) -> list[str]:
    if node.level:
        base = floor(importer, rooms).split(".")
        base = base[: len(base) - node.level + 1]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    targets = []
    for alias in node.names:
        sub = f"{stem}.{alias.name}"
        targets.append(sub if sub in rooms else stem)
    return targets


def _top_level_nodes(tree: ast.Module) -> set[int]:
    """Import statements Python runs at import time: module level, also inside if/try (not in functions)."""
    ids: set[int] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            ids.add(id(node))
        stack.extend(ast.iter_child_nodes(node))
    return ids


def _type_checking_only(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for child in node.body for n in ast.walk(child))
    return ids


def arrows(rooms: dict[str, Path]) -> list[Arrow]:
    drawn: dict[tuple[str, str], Arrow] = {}
    base = rooms[PACKAGE].parent.parent
    for module, path in rooms.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top, typing_only = _top_level_nodes(tree), _type_checking_only(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                targets = _resolve(node, module, rooms)
            else:
                continue
            for target in targets:
                while target and target not in rooms and "." in target:
                    target = target.rpartition(".")[0]
                if target not in rooms or target == module:
                    continue
                at_top = id(node) in top and id(node) not in typing_only
                key = (module, target)
                if key not in drawn or (at_top and not drawn[key].top_level):
                    where = f"{path.relative_to(base)}:{node.lineno}"
                    drawn[key] = Arrow(module, target, where, at_top)
    return sorted(drawn.values(), key=lambda a: (a.source, a.target))


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return sorted(found)


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden(drawn: list[Arrow]) -> list[Arrow]:
    return [a for a in drawn if _under(a.source, READERS) and _under(a.target, MIGRATION)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default=str(ROOT / PACKAGE), help="the package folder (default: k8s_migrate)")
    parser.add_argument("--arrows", action="store_true", help="list every arrow")
    parser.add_argument("--check", action="store_true", help="exit 1 on a flagged arrow or a cycle")
    args = parser.parse_args(argv)

    rooms = modules(Path(args.package))
    floors = sorted({floor(m, rooms) for m in rooms})
    drawn = arrows(rooms)
    top = [a for a in drawn if a.top_level]
    across = [a for a in drawn if floor(a.source, rooms) != floor(a.target, rooms)]
    flagged = forbidden(drawn)
    all_cycles = cycles([(a.source, a.target) for a in drawn])
    top_cycles = cycles([(a.source, a.target) for a in top])

    print(f"rooms (modules): {len(rooms)}")
    print(f"floors (packages): {len(floors)}: {', '.join(f.removeprefix(PACKAGE + '.') for f in floors)}")
    deferred = len(drawn) - len(top)
    print(f"arrows (module imports module): {len(drawn)}: {len(top)} at import time, "
          f"{deferred} deferred (inside functions or under TYPE_CHECKING)")
    print(f"arrows between floors: {len(across)}")
    print(f"arrows from readers/charts into migration modules: {len(flagged)}")
    for a in flagged:
        print(f"  {a.source} -> {a.target}  ({a.where}{'' if a.top_level else ', deferred'})")
    for label, found in (("cycles over all imports", all_cycles), ("cycles over import-time imports", top_cycles)):
        print(f"{label}: {len(found)}")
        for component in found:
            print(f"  {len(component)} modules: {', '.join(component)}")
    if args.arrows:
        for a in drawn:
            print(f"{a.source} -> {a.target}  {a.where}{'' if a.top_level else ' (deferred)'}")
    return 1 if args.check and (flagged or all_cycles) else 0


if __name__ == "__main__":
    sys.exit(main())
