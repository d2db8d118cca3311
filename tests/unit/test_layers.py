"""Layers point one way: read from the source with `ast` (imports at any depth count, executed or not)."""
import ast
from pathlib import Path

from harness.paths import REPO_ROOT

HARNESS = REPO_ROOT / "harness"
ABOVE_STACKS = ("harness.sut", "harness.matrix", "harness.runner", "harness.workloads", "harness.probes", "scenarios",
                "harness.pins", "harness.envs")


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(HARNESS.rglob("*.py"))}


def imported(module: str, path: Path) -> set[str]:
    """Every module `module` imports, anywhere in its file; `from package import name` counts as the submodule
    `package.name` when there is one."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return found


def absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module
    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
    return f"{parent}.{node.module}" if node.module else parent


def graph() -> dict[str, set[str]]:
    """harness module -> the harness (and scenarios) modules it imports."""
    return {module: {name for name in imported(module, path) if name.split(".")[0] in ("harness", "scenarios")}
            for module, path in MODULES.items()}


def reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for name in edges.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def is_under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_the_graph_sees_top_level_function_level_and_relative_imports():
    edges = graph()
    assert "harness.stacks.local" in edges["harness.stacks"]  # imported inside open_stack()
    assert "harness.stacks.base" in edges["harness.stacks.compose"]
    assert len(MODULES) > 30 and "harness.stacks.one_off" in MODULES


def test_stacks_import_nothing_above_them_not_even_through_other_modules():
    edges = graph()
    offenders = {module: sorted(name for name in reachable(edges, module) if is_under(name, ABOVE_STACKS))
                 for module in edges if is_under(module, ("harness.stacks",))}
    assert {module: names for module, names in offenders.items() if names} == {}


def cycle_through(edges: dict[str, set[str]], start: str) -> list[str] | None:
    """One import path from `start` back to itself, if there is one."""
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop()
        for name in sorted(edges.get(path[-1], ())):
            if name == start:
                return [*path, start]
            if name not in seen:
                seen.add(name)
                paths.append([*path, name])
    return None


def test_a_cycle_is_found_with_its_path():
    edges = {"a": {"b"}, "b": {"c", "d"}, "c": {"a"}, "d": set()}
    assert cycle_through(edges, "a") == ["a", "b", "c", "a"] and cycle_through(edges, "d") is None


def test_there_is_no_import_cycle_among_harness_modules():
    edges = graph()
    cycles = [" -> ".join(cycle) for module in sorted(edges) if (cycle := cycle_through(edges, module))]
    assert cycles == []
