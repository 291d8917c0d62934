"""Config fields cannot collide: installing an addon whose field takes a name already taken on
its form (the form's own key, the kernel's csrf_token, another addon's field) is refused, with
a message naming both, and nothing of it is installed."""
import pytest

from core.addons import BUILTIN_ADDONS, AddonCatalog
from core.config_fields import ConfigFieldCollision
from core.instance import Instance

OWNER_HOOKS = '''from core import ConfigForm, hookimpl


@hookimpl
def register_config_forms():
    return [ConfigForm("shelf.form", own_keys=("id", "label"))]
'''
FIELD_HOOKS = '''from core import ConfigField, hookimpl


@hookimpl
def register_config_fields(form):
    if form != {form!r}:
        return []
    return [ConfigField({field!r}, "A field")]
'''


def write_addon(root, name, depends, hooks):
    (root / name).mkdir(parents=True)
    (root / name / "__manifest__.py").write_text(repr({"depends": depends}))
    (root / name / "__init__.py").write_text("")
    (root / name / "hooks.py").write_text(hooks)


@pytest.fixture
def shelf(db_url, tmp_path):
    """`shelf` owns the form "shelf.form" (own keys id, label); `colours` adds the field colour;
    `add(name, field)` writes an addon adding `field` to that form."""
    root = tmp_path / "collision_addons"
    write_addon(root, "shelf", [], OWNER_HOOKS)
    write_addon(root, "colours", ["shelf"], FIELD_HOOKS.format(form="shelf.form", field="colour"))

    def add(name, field, form="shelf.form"):
        write_addon(root, name, ["shelf"], FIELD_HOOKS.format(form=form, field=field))
        return Instance(db_url, AddonCatalog([root], entry_points=False))
    instance = add("unrelated", "size", form="another.form")
    instance.install(["colours"])
    yield add
    instance.engine.dispose()


def test_a_field_taken_by_another_addon_is_refused_naming_both(shelf):
    instance = shelf("paints", "colour")
    with pytest.raises(ConfigFieldCollision,
                       match="cannot install paints: addon 'paints' declares the field 'colour' "
                             "on form 'shelf.form', which is already a field of addon 'colours'"):
        instance.install(["paints"])
    assert set(instance.installed()) == {"shelf", "colours"}


def test_a_field_named_like_a_key_of_the_form_is_refused_naming_its_owner(shelf):
    instance = shelf("relabel", "label")
    with pytest.raises(ConfigFieldCollision, match="'label' on form 'shelf.form', which is "
                                                   "already a key of the form itself .addon 'shelf'"):
        instance.install(["relabel"])
    assert "relabel" not in instance.installed()


def test_a_field_named_csrf_token_is_refused(shelf):
    with pytest.raises(ConfigFieldCollision, match="'csrf_token' .* the kernel's own key"):
        shelf("forger", "csrf_token").install(["forger"])


def test_two_addons_installed_together_with_the_same_field_are_refused_before_either(shelf):
    shelf("left", "width")
    instance = shelf("right", "width")
    with pytest.raises(ConfigFieldCollision, match="addon 'right' .* field of addon 'left'"):
        instance.install(["left", "right"])
    assert set(instance.installed()) == {"shelf", "colours"}


def test_fields_with_names_of_their_own_install(shelf):
    instance = shelf("sizes", "size")  # "size" is taken on another form only
    assert instance.install(["sizes"]) == ["sizes"]


def test_hook_register_config_forms(db_url, tmp_path):
    """point_of_sale declares pos.config with its own keys: no addon field may be `name`."""
    root = tmp_path / "pos_collision_addons"
    write_addon(root, "renamer", ["point_of_sale"],
                FIELD_HOOKS.format(form="pos.config", field="name"))
    instance = Instance(db_url, AddonCatalog([BUILTIN_ADDONS, root], entry_points=False))
    with pytest.raises(ConfigFieldCollision, match="'name' on form 'pos.config', which is "
                                                   "already a key of the form itself .addon "
                                                   "'point_of_sale'"):
        instance.install(["renamer"])
    assert instance.installed() == {}
    instance.engine.dispose()
