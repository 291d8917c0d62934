"""The ledger's parts import neither closing.py nor each other in a circle: closing.py seals
through the ledger, never the other way round (it was a cycle: ledger <-> closing)."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "addons" / "point_of_sale"


def local_imports(module):
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_no_module_of_the_ledger_imports_closing_or_a_cycle():
    modules = [path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"]
    graph = {module: local_imports(module) & set(modules) for module in modules}
    for part in ("ledger", "ledger_form", "ledger_seal", "ledger_check", "ledger_receive"):
        assert "closing" not in graph[part], part

    def reaches(start, target, seen):
        for module in graph[start]:
            if module == target or (module not in seen and
                                    reaches(module, target, seen | {module})):
                return True
        return False
    cycles = sorted(module for module in graph if module.startswith(("ledger", "closing"))
                    and reaches(module, module, {module}))
    assert cycles == []
