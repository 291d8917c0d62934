"""Every hook is documented and has a test, as Datasette requires of its own hooks."""
import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

HOOKS = sorted(name for name, obj in vars(hookspecs).items()
               if inspect.isfunction(obj) and hasattr(obj, "comptoir_spec"))
TESTS = Path(__file__).resolve().parent.parent


def test_hooks_exist():
    assert len(HOOKS) >= 10


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_saying_what_to_return(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip()


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    sources = "".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    assert re.search(rf"def test_hook_{hook}\b", sources), f"write test_hook_{hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_for_addon_authors(hook):
    docs = (TESTS.parent / "docs" / "addons.md").read_text()
    assert f"`{hook}" in docs
