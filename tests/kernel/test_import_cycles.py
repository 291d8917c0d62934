"""No addon imports itself in a circle: the modules of each addon (imports inside functions
included, the usual way round a cycle) form a graph without cycles. A module that two others
need sits apart (point_of_sale's fields.py and web.py, pos_autonomous's wire.py and web.py)."""
import ast
from graphlib import CycleError, TopologicalSorter

from core.addons import BUILTIN_ADDONS


def module_name(addon_folder, path):
    parts = list(path.relative_to(addon_folder).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(addon_folder, path, modules):
    """The modules of the same addon that `path` imports (relative or `addons.<name>.…`)."""
    own = module_name(addon_folder, path)
    package = own.split(".") if path.name == "__init__.py" else own.split(".")[:-1]
    package = [part for part in package if part]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - (node.level - 1)] + (
                node.module.split(".") if node.module else [])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                f"addons.{addon_folder.name}"):
            base = node.module.split(".")[2:]
        else:
            continue
        for alias in node.names:
            candidate = ".".join(base + [alias.name])
            found.add(candidate if candidate in modules else ".".join(base))
    return (found & modules) - {own}


def cycle_of(addon_folder):
    paths = [p for p in addon_folder.rglob("*.py") if "migrations" not in p.parts]
    modules = {module_name(addon_folder, p) for p in paths}
    graph = {module_name(addon_folder, p): imported_modules(addon_folder, p, modules)
             for p in paths}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return exc.args[1]
    return None


def test_no_addon_imports_itself_in_a_circle():
    cycles = {folder.name: cycle_of(folder) for folder in sorted(BUILTIN_ADDONS.iterdir())
              if (folder / "__manifest__.py").exists()}
    assert {name: cycle for name, cycle in cycles.items() if cycle} == {}


def test_the_check_sees_a_cycle_through_an_import_inside_a_function(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "a.py").write_text("from .b import thing\n")
    (tmp_path / "b.py").write_text("def thing():\n    from . import a\n")
    (tmp_path / "c.py").write_text("from .a import thing\n")
    assert sorted(set(cycle_of(tmp_path))) == ["a", "b"]
