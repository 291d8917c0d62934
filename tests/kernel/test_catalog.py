"""Discovery and the dependency graph."""
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.addons import AddonCatalog, catalog_from_environment
from core.errors import DependencyError, ManifestError, UnknownAddon


def make_root(tmp_path, manifests):
    """Write one addon folder per {name: manifest text}; return a catalog over them."""
    root = tmp_path / "addons_root"
    root.mkdir(exist_ok=True)
    for name, text in manifests.items():
        (root / name).mkdir()
        (root / name / "__manifest__.py").write_text(text)
    return AddonCatalog([root], entry_points=False)


def test_addons_are_discovered_from_folders_with_a_manifest(tmp_path):
    catalog = make_root(tmp_path, {"a": "{}", "b": "{'depends': ['a']}"})
    (tmp_path / "addons_root" / "not_an_addon").mkdir()
    assert catalog.names() == ["a", "b"]
    assert catalog.get("b").package == "addons.b"


def test_dependencies_come_first_and_levels_are_alphabetical(tmp_path):
    catalog = make_root(tmp_path, {
        "base": "{}", "sale": "{'depends': ['base']}", "crm": "{'depends': ['base']}",
        "sale_crm": "{'depends': ['sale', 'crm']}"})
    assert catalog.ordered(["sale_crm"]) == ["base", "crm", "sale", "sale_crm"]


def test_a_cycle_is_an_error_naming_the_addons(tmp_path):
    catalog = make_root(tmp_path, {"a": "{'depends': ['b']}", "b": "{'depends': ['a']}"})
    with pytest.raises(DependencyError, match="cycle.*a.*b"):
        catalog.ordered(["a"])


def test_a_missing_dependency_is_an_error_naming_both(tmp_path):
    catalog = make_root(tmp_path, {"a": "{'depends': ['ghost']}"})
    with pytest.raises(DependencyError, match="'a' depends on 'ghost', which is not available"):
        catalog.ordered(["a"])


def test_an_unknown_addon_lists_the_available_ones(tmp_path):
    catalog = make_root(tmp_path, {"a": "{}", "b": "{}"})
    with pytest.raises(UnknownAddon, match="no addon named 'nope'; available addons: a, b"):
        catalog.get("nope")


def test_dependents_are_transitive(tmp_path):
    catalog = make_root(tmp_path, {
        "a": "{}", "b": "{'depends': ['a']}", "c": "{'depends': ['b']}", "d": "{}"})
    assert catalog.dependents(["a"]) == {"b", "c"}


def test_the_same_addon_twice_is_an_error(tmp_path):
    for root in ("one", "two"):
        (tmp_path / root / "dup").mkdir(parents=True)
        (tmp_path / root / "dup" / "__manifest__.py").write_text("{}")
    with pytest.raises(ManifestError, match="'dup' is available twice"):
        AddonCatalog([tmp_path / "one", tmp_path / "two"],
                     entry_points=False)


def test_core_addons_path_replaces_the_builtin_folder(tmp_path, monkeypatch):
    make_root(tmp_path, {"solo": "{}"})
    monkeypatch.setenv("CORE_ADDONS_PATH", str(tmp_path / "addons_root"))
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert catalog_from_environment().names() == ["solo"]


def test_addons_are_discovered_from_the_entry_point_group(tmp_path, monkeypatch):
    package = tmp_path / "site" / "thirdparty_loyalty"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__manifest__.py").write_text("{'summary': 'shipped by a package'}")
    dist = tmp_path / "site" / "thirdparty_loyalty-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-loyalty\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[comptoir.addons]\nloyalty = thirdparty_loyalty\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    catalog = AddonCatalog(roots=[], entry_points=True)
    assert catalog.get("loyalty").manifest.summary == "shipped by a package"
    assert catalog.get("loyalty").package == "addons.loyalty"


@st.composite
def acyclic_graphs(draw):
    """Random DAGs: addon i may only depend on addons with a smaller index."""
    size = draw(st.integers(min_value=1, max_value=12))
    names = [f"addon_{i}" for i in range(size)]
    return {name: sorted(draw(st.sets(st.sampled_from(names[:i]), max_size=3))) if i else []
            for i, name in enumerate(names)}


@settings(max_examples=60, deadline=None)
@given(graph=acyclic_graphs(), data=st.data())
def test_ordering_always_puts_every_dependency_before_its_dependent(tmp_path_factory, graph, data):
    tmp = tmp_path_factory.mktemp("graph")
    catalog = make_root(tmp, {name: repr({"depends": deps}) for name, deps in graph.items()})
    wanted = data.draw(st.lists(st.sampled_from(sorted(graph)), min_size=1, max_size=4))
    order = catalog.ordered(wanted)
    assert set(wanted) <= set(order)
    assert len(order) == len(set(order))
    for name in order:
        for dependency in graph[name]:
            assert order.index(dependency) < order.index(name)
    # nothing is pulled in that is not needed
    assert set(order) == catalog.with_dependencies(wanted)
