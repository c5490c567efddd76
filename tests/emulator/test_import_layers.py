"""The emulator's modules import one another in one direction only: no import cycles.

Every import statement counts, wherever it stands: at the top, inside a function (a late
import only hides a cycle) and under `if TYPE_CHECKING:` (a type named both ways is a design
loop all the same). The graph is read from the source with `ast`, nothing is imported.
"""

import ast
from pathlib import Path

import pytest

EMULATOR = Path(__file__).parents[2] / "emulator"

type Graph = dict[str, set[str]]


def _module_name(path: Path, root: Path) -> str:
    """The dotted name of a file in the `root` package, packages by their folder."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ancestors(name: str) -> list[str]:
    """The packages above a dotted name, outermost first."""
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names one import statement asks for (a `from` import also its names)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        # A relative import counts from the module's package; each further dot goes up one.
        package = module.split(".") if is_package else module.split(".")[:-1]
        parts = package[: len(package) - node.level + 1]
        base = ".".join([*parts, node.module] if node.module else parts)
    else:
        base = node.module or ""
    # `from package import name` may name a submodule as well as an attribute.
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path = EMULATOR) -> Graph:
    """Each emulator module and the emulator modules it imports."""
    files = {_module_name(path, root): path for path in root.rglob("*.py")}
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        own_packages = set(_ancestors(name)) | ({name} if is_package else set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported(node, name, is_package):
                # Importing a.b.c runs a/__init__ and a/b/__init__ first; the importer's own
                # packages are already running, so they add no dependency.
                for needed in [*_ancestors(target), target]:
                    if needed in files and needed not in own_packages:
                        graph[name].add(needed)
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None (depth-first search)."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            cycle = visit(target, [*path, node])
            if cycle is not None:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle is not None:
            return cycle
    return None


def test_no_import_cycle_among_emulator_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        # `from . import web_page`
        ("emulator.platform.http_api", "emulator.platform.web_page"),
        # `from .served import ...` and a name under TYPE_CHECKING
        ("emulator.platform.web_page", "emulator.platform.served"),
        ("emulator.platform.web_page", "emulator.platform.store"),
        # an import inside a function, and the same module under TYPE_CHECKING
        ("emulator.module.emulator", "emulator.module.control"),
        # an absolute import of another package runs that package's __init__
        ("emulator.module.edp_link", "emulator.edp"),
        ("emulator.pair", "emulator.platform"),
        # a package's __init__ importing its own modules
        ("emulator.module", "emulator.module.emulator"),
    ],
)
def test_the_graph_sees_every_kind_of_import(importer: str, imported: str) -> None:
    """The check above is only as good as the graph: each form of import shows in it."""
    assert imported in import_graph()[importer]


def test_a_package_does_not_depend_on_itself_through_its_modules() -> None:
    """`from .cloud import X` in emulator.module.engine is not a loop through the package."""
    assert "emulator.module" not in import_graph()["emulator.module.engine"]


def test_a_cycle_is_found_and_shown(tmp_path: Path) -> None:
    package = tmp_path / "emulator"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "inner" / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n"
    )
    (package / "inner" / "b.py").write_text("def f():\n    from emulator.inner import a\n")
    graph = import_graph(package)
    assert find_cycle(graph) == ["emulator.inner.a", "emulator.inner.b", "emulator.inner.a"]
