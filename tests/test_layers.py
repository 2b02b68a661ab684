"""lib's modules import downward only, and never in a circle.

Every import under lib/ counts, at module level or inside a function (an import moved
into a function to dodge a cycle still is one). Importing ``lib.a.b`` also imports the
package ``lib.a``, whose ``__init__`` Python runs first, unless the importer is inside
``lib.a`` already (then that ``__init__`` is running or done). The root package ``lib``
is left out of those edges: every module is inside it.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib"

# Module prefix -> layer, low to high; a module may import its own layer's or lower ones'.
# The longest matching prefix places a module; "lib" is the package's own __init__ only.
LAYERS = {
    "lib.errors": 0, "lib.files": 0, "lib.hashing": 0, "lib.codecs": 0, "lib.paper": 0, "lib.parallel": 0,
    "lib.data": 1, "lib.models": 1, "lib.params": 1, "lib.paths": 1, "lib.profiles": 1, "lib.result": 1,
    "lib.evaluate": 1, "lib.counting": 1, "lib.timing": 1,
    "lib.train": 2,
    "lib.prune": 3, "lib.distill": 3, "lib.quantize": 3, "lib.lowrank": 3, "lib.method": 3,
    "lib.measure": 4,  # a model's footprint and deployed form know the methods' files and kernels
    "lib.methods": 5, "lib.export": 5,
    "lib.study": 6,
    "lib.report": 7,
    "lib.chapter": 8, "lib.course": 8, "lib.benchmarks": 8, "lib.book_check": 8, "lib.book_launch": 8, "lib.publish": 8, "lib": 8,
}
# The study reaches the methods only through their registry (lib.methods), never their machinery.
METHOD_MACHINERY = ("lib.prune", "lib.distill", "lib.quantize", "lib.lowrank")


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name, a package by its own with
    its ``__init__.py`` (which a namespace package, a folder without one, lacks)."""
    names = {}
    for file in sorted(root.rglob("*.py")):
        parts = [root.name, *file.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = file
        for i in range(1, len(parts)):
            names.setdefault(".".join(parts[:i]), root.joinpath(*parts[1:i], "__init__.py"))
    return names


def parents(name: str) -> list[str]:
    """The packages enclosing ``name``, innermost first, the root excluded."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 1, -1)]


def imported(name: str, file: Path, modules: set[str]) -> set[str]:
    """The modules of the package that ``name`` (at ``file``) imports, anywhere in it:
    ``from P import x`` imports the submodule P.x where there is one, else P itself."""
    root = name.split(".")[0]
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(file.read_text(), str(file))):
        if isinstance(node, ast.Import):
            targets |= {a.name for a in node.names if a.name == root or a.name.startswith(root + ".")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                source = f"{base}.{node.module}" if node.module else base
            elif node.module == root or (node.module or "").startswith(root + "."):
                source = node.module
            else:
                continue
            submodules = {f"{source}.{a.name}" for a in node.names} & modules
            targets |= submodules if len(submodules) == len(node.names) else submodules | {source}
    return targets


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports, packages run on the way included."""
    files = module_names(root)
    graph = {}
    for name, file in files.items():
        if not file.is_file():
            graph[name] = set()
            continue
        inside = {name, *parents(name)}
        edges = set()
        for target in imported(name, file, set(files)):
            edges |= {target} | (set(parents(target)) - inside)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (its modules, the first repeated last) per strongly connected component
    of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(cycle_through(node, component, graph))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_through(start: str, component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from ``start`` back to itself within ``component``."""
    paths, frontier = {start: [start]}, [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(graph[node] & component):
                if succ == start:
                    return paths[node] + [start]
                if succ not in paths:
                    paths[succ] = paths[node] + [succ]
                    following.append(succ)
        frontier = following
    raise AssertionError(f"{start}: no way back within its component")


def layer(name: str) -> int | None:
    matches = [p for p in LAYERS if name == p or (p != "lib" and name.startswith(p + "."))]
    return LAYERS[max(matches, key=len)] if matches else None


def test_every_module_has_a_layer():
    missing = sorted(name for name in module_names(LIB) if layer(name) is None)
    assert not missing, f"modules with no layer in tests/test_layers.py's LAYERS: {missing}"


def test_every_imported_module_exists():
    graph, modules = import_graph(LIB), set(module_names(LIB))
    absent = sorted(f"{name} imports {target}" for name, targets in graph.items() for target in targets - modules)
    assert not absent, "imports of modules lib does not have:\n" + "\n".join(absent)


def test_no_module_imports_a_higher_layer():
    upward = sorted(f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
                    for name, targets in import_graph(LIB).items() for target in targets
                    if layer(name) is not None and layer(target) is not None and layer(target) > layer(name))
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_the_study_reaches_methods_only_through_the_registry():
    reached = sorted(f"{name} imports {target}" for name, targets in import_graph(LIB).items()
                     if name == "lib.study" or name.startswith("lib.study.") for target in targets
                     if any(target == m or target.startswith(m + ".") for m in METHOD_MACHINERY))
    assert not reached, "the study imports a method's machinery (use lib.methods):\n" + "\n".join(reached)


def test_no_import_cycle():
    found = cycles(import_graph(LIB))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def write(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root / "pkg"


def test_the_graph_sees_imports_in_functions_and_the_packages_they_run(tmp_path):
    package = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "from .io import load\n",
        "pkg/low/io.py": "def load():\n    from . import build\n    from .head import Head\n",
        "pkg/low/head.py": "import math\n",
        "pkg/a.py": "def f():\n    import pkg.b\n",
        "pkg/b.py": "from . import a\nfrom .low import head\n",
    })
    graph = import_graph(package)
    assert graph["pkg.low.io"] == {"pkg.low", "pkg.low.head"}  # a name from its own package: that __init__
    assert graph["pkg.b"] == {"pkg.a", "pkg.low", "pkg.low.head"}  # a submodule: its package runs first
    assert sorted(cycles(graph)) == [["pkg.a", "pkg.b", "pkg.a"], ["pkg.low", "pkg.low.io", "pkg.low"]]


def test_the_notebooks_import_leaves_the_int8_and_onnx_machinery_unloaded():
    """Every notebook of a build imports ``lib.chapter``; torchao and onnx (and inductor's
    lowering, which torchao imports) took 2.6 of its 7.8 s, scipy.stats 0.5 of the 4 s
    left, for the results notebook alone. They are imported where a model is quantized,
    compiled, exported or run, or a difference tested."""
    code = ("import sys, lib.chapter; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torchao', 'onnx', 'onnxruntime', 'onnxscript') or m in ('torch._inductor.lowering', 'scipy.stats')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=LIB.parent).stdout.strip()
    assert loaded == "[]"
