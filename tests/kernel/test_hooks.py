"""Every hook is documented and has a test, as Datasette requires of its own hooks: the kernel's
(core/hookspecs.py) and those the built-in addons offer to others (addons/<name>/hookspecs.py)."""
import importlib
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs
from core.addons import BUILTIN_ADDONS
from core.hookspecs import PROJECT

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent


def specs_of(module):
    return sorted(name for name, obj in vars(module).items()
                  if inspect.isfunction(obj) and hasattr(obj, f"{PROJECT}_spec"))


KERNEL_HOOKS = specs_of(hookspecs)
# {hook: owning addon} for every built-in addon that offers hooks.
ADDON_HOOKS = {hook: path.parent.name
               for path in sorted(BUILTIN_ADDONS.glob("*/hookspecs.py"))
               for hook in specs_of(importlib.import_module(f"addons.{path.parent.name}.hookspecs"))}
HOOKS = KERNEL_HOOKS + sorted(ADDON_HOOKS)


def spec(hook):
    owner = ADDON_HOOKS.get(hook)
    module = importlib.import_module(f"addons.{owner}.hookspecs") if owner else hookspecs
    return getattr(module, hook)


def test_hooks_exist():
    assert len(KERNEL_HOOKS) >= 10
    assert {"check_pos_order", "extend_pos_data", "pos_session_closed",
            "longpolling_cors_paths"} <= set(ADDON_HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_saying_what_to_return(hook):
    assert (spec(hook).__doc__ or "").strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    sources = "".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    assert re.search(rf"def test_hook_{hook}(\b|_)", sources), f"write test_hook_{hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_for_addon_authors(hook):
    owner = ADDON_HOOKS.get(hook)
    places = [REPO / "docs" / "addons.md"] if owner is None else [
        REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
        BUILTIN_ADDONS / owner / "README.md"]
    docs = "".join(p.read_text() for p in places if p.exists())
    assert f"`{hook}" in docs or f"def {hook}(" in docs, f"document {hook} for addon authors"
