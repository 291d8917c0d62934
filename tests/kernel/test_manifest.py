import pytest

from core.errors import ManifestError
from core.manifest import read_manifest


def write(tmp_path, name, text):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__manifest__.py").write_text(text)
    return folder


def test_manifest_is_merged_over_defaults(tmp_path):
    manifest = read_manifest("shop", write(tmp_path, "shop", "{'depends': ['base']}"))
    assert manifest.name == "shop"
    assert manifest.version == "0.1.0"
    assert manifest.depends == ("base",)
    assert not manifest.auto_install
    assert manifest.demo == ()


def test_auto_install_true_means_all_dependencies(tmp_path):
    manifest = read_manifest("bridge", write(
        tmp_path, "bridge", "{'depends': ['a', 'b'], 'auto_install': True}"))
    assert manifest.auto_install_triggers == {"a", "b"}


def test_auto_install_list_must_be_a_subset_of_depends(tmp_path):
    folder = write(tmp_path, "bridge", "{'depends': ['a'], 'auto_install': ['a', 'z']}")
    with pytest.raises(ManifestError, match=r"bridge.*\['z'\].*not in 'depends'"):
        read_manifest("bridge", folder)


@pytest.mark.parametrize("text, message", [
    ("{'depends': 'base'}", "'depends' has the wrong type"),
    ("['not', 'a', 'dict']", "must be a dict"),
    ("{'name': open('x')}", "not a literal dict"),
    ("{'colour': 'red'}", "unknown manifest keys"),
    ("{'depends': ['shop']}", "depends on itself"),
    ("{'depends': [1]}", "must list addon names"),
])
def test_malformed_manifest_is_a_clear_error_naming_the_addon(tmp_path, text, message):
    with pytest.raises(ManifestError, match=message) as caught:
        read_manifest("shop", write(tmp_path, "shop", text))
    assert "'shop'" in str(caught.value)


def test_missing_manifest_is_an_error(tmp_path):
    (tmp_path / "shop").mkdir()
    with pytest.raises(ManifestError, match="no __manifest__.py"):
        read_manifest("shop", tmp_path / "shop")


def test_addon_names_are_lowercase_identifiers(tmp_path):
    with pytest.raises(ManifestError, match="lowercase"):
        read_manifest("Shop-2", write(tmp_path, "Shop-2", "{}"))
