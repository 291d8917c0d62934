"""Addons use each other only through the public face: the names in the other addon's
`__init__.py` `__all__`. Reaching into another addon's private module fails this test."""
import ast

from core.addons import BUILTIN_ADDONS


def public_names(addon_folder):
    """The `__all__` an addon's `__init__.py` declares (empty when it declares none)."""
    tree = ast.parse((addon_folder / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__"
                for target in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def private_imports(addons_root):
    """(file:line, what) for every import of another addon's private module or name."""
    found = []
    for source in sorted(addons_root.glob("*/**/*.py")):
        own = source.relative_to(addons_root).parts[0]
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported = [(node.module, alias.name) for alias in node.names]
            else:
                continue
            for module, name in imported:
                parts = module.split(".")
                if parts[0] != "addons" or len(parts) < 2 or parts[1] == own:
                    continue
                where = f"{source.relative_to(addons_root)}:{node.lineno}"
                if len(parts) > 2:
                    private = (where, module)
                elif name is not None and name not in public_names(addons_root / parts[1]):
                    private = (where, f"{module}.{name}")
                else:
                    continue
                if private not in found:
                    found.append(private)
    return found


def test_addons_import_each_other_only_through_their_public_face():
    assert private_imports(BUILTIN_ADDONS) == []


def test_the_check_sees_an_import_of_a_private_module(tmp_path):
    for name, init, module in [
            ("base", "from .api import shown\n__all__ = ['shown']\n", "shown = hidden = 1\n"),
            ("user", "", "from addons.base.api import hidden\nfrom addons.base import shown\n"
                         "from addons.base import api\nimport addons.base.api\n")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(init)
        (tmp_path / name / "api.py").write_text(module)
    assert private_imports(tmp_path) == [
        ("user/api.py:1", "addons.base.api"), ("user/api.py:3", "addons.base.api"),
        ("user/api.py:4", "addons.base.api")]


def test_every_addon_declares_its_public_face():
    for folder in sorted(BUILTIN_ADDONS.iterdir()):
        if (folder / "__manifest__.py").exists():
            init = folder / "__init__.py"
            assert ast.get_docstring(ast.parse(init.read_text())), f"{init} has no docstring"
            assert "__all__" in init.read_text(), f"{init} declares no __all__"
