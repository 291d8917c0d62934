"""System parameters and the typed values they share with config fields."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import values
from core.addons import BUILTIN_ADDONS, AddonCatalog
from core.config_fields import ConfigField, read_values, validate, write_values
from core.errors import ParameterError
from core.params import load_declarations, spec_from_dict


@pytest.mark.parametrize("text, expected", [("1", True), ("0", False), ("true", True),
                                            ("No", False), ("", False)])
def test_booleans_read_1_and_0(text, expected):
    assert values.parse("bool", text) is expected


@given(st.booleans() | st.integers())
def test_stored_text_reads_back_to_the_same_value(value):
    value_type = "bool" if isinstance(value, bool) else "int"
    assert values.parse(value_type, values.to_text(value_type, value)) == value


@pytest.mark.parametrize("value_type, text, message", [
    ("bool", "maybe", "not a boolean; use 1 or 0"),
    ("int", "12a", "not a whole number"),
    ("url", "ftp://x", "not an http"),
    ("url", "//localhost:8080", "not an http"),
])
def test_bad_values_say_what_is_expected(value_type, text, message):
    with pytest.raises(ValueError, match=message):
        values.parse(value_type, text)


def test_urls_lose_their_trailing_slash():
    # The original sync addon broke on a Sync Server URL ending in "/" (pos-addons #924).
    assert values.parse("url", "http://192.168.1.10:8069/") == "http://192.168.1.10:8069"


def test_every_declared_parameter_has_an_owner_a_type_and_a_description():
    specs = load_declarations(addons=AddonCatalog(entry_points=False).addons.values())
    assert "core.secret_key" in specs and "pos_autonomous.page_size" in specs
    for spec in specs.values():
        assert spec.type in values.TYPES
        assert spec.description
        assert spec.key.startswith(spec.addon + ".")


def test_the_root_file_holds_the_kernel_keys_and_each_addon_its_own_beside_its_manifest():
    assert {spec.addon for spec in load_declarations().values()} == {"core"}
    for folder in sorted(BUILTIN_ADDONS.iterdir()):
        own = folder / "system_parameters.yaml"
        if own.exists():
            assert (folder / "__manifest__.py").exists()
            addon = AddonCatalog([BUILTIN_ADDONS], entry_points=False).get(folder.name)
            specs = load_declarations(addons=[addon])
            assert {s.addon for s in specs.values()} == {"core", folder.name}, own


def write_addon(root, name, declarations):
    (root / name).mkdir()
    (root / name / "__manifest__.py").write_text(repr({"name": name, "version": "1.0.0"}))
    (root / name / "__init__.py").write_text("")
    (root / name / "system_parameters.yaml").write_text(declarations)
    return AddonCatalog([root], entry_points=False).get(name)


def test_an_addon_declares_its_parameters_beside_its_manifest(tmp_path):
    addon = write_addon(tmp_path, "params_probe", "- key: params_probe.every\n  type: int\n"
                                                "  default: 60\n  description: How often.\n")
    spec = load_declarations(addons=[addon])["params_probe.every"]
    assert (spec.addon, spec.type, spec.default_text) == ("params_probe", "int", "60")


def test_an_addon_file_declaring_another_addons_key_is_refused(tmp_path):
    addon = write_addon(tmp_path, "params_probe", "- key: core.sneaky\n  addon: core\n")
    with pytest.raises(ParameterError, match="declares its own addon's keys only"):
        load_declarations(addons=[addon])


def test_the_root_file_refuses_an_addons_key(tmp_path):
    root = tmp_path / "system_parameters.yaml"
    root.write_text("- key: point_of_sale.thing\n  addon: point_of_sale\n")
    with pytest.raises(ParameterError, match="declares its own addon's keys only"):
        load_declarations(root)


def test_a_key_outside_its_addon_namespace_is_refused():
    with pytest.raises(ParameterError, match="must start with its addon"):
        spec_from_dict({"key": "other.thing", "addon": "mine"}, "test")


def test_init_seeds_a_random_secret_key(instance):
    with instance.engine.connect() as connection:
        secret = instance.parameters(connection).get("core.secret_key")
    assert len(secret) == 64


def test_typed_reads_and_validated_writes(instance):
    with instance.engine.begin() as connection:
        params = instance.parameters(connection)
        assert params.get("core.max_request_bytes") == 1048576
        assert params.set("core.max_request_bytes", " 2048 ") == "2048"
        assert params.get("core.max_request_bytes") == 2048
        with pytest.raises(ParameterError, match="core.max_request_bytes: 'lots' is not a whole"):
            params.set("core.max_request_bytes", "lots")
        assert params.get("core.max_request_bytes") == 2048


def test_undeclared_keys_are_refused(instance):
    with instance.engine.begin() as connection:
        with pytest.raises(ParameterError, match="unknown system parameter 'core.typo'"):
            instance.parameters(connection).set("core.typo", "1")


def test_config_field_values_default_validate_and_persist(instance):
    fields = [ConfigField("nickname", "Nickname", required=True, addon="base_thing"),
              ConfigField("every", "Every", type="int", default=60, min=0, max=10,
                          addon="base_thing"),
              ConfigField("loud", "Loud", type="bool", default=False, addon="child_thing")]
    with instance.engine.begin() as connection:
        assert read_values(connection, "thing", 1, fields) == {
            "nickname": "", "every": 60, "loud": False}
        cleaned, errors = validate(fields, {"nickname": "", "every": "11"})
        assert errors == {"nickname": "this field is required", "every": "must be at most 10"}
        cleaned, errors = validate(fields, {"nickname": "Bob", "every": "5", "loud": "1"})
        assert errors == {}
        write_values(connection, "thing", 1, fields, cleaned)
        assert read_values(connection, "thing", 1, fields) == {
            "nickname": "Bob", "every": 5, "loud": True}
        assert read_values(connection, "thing", 2, fields)["nickname"] == ""


def test_an_emptied_optional_number_falls_back_to_its_default():
    field = ConfigField("every", "Every", type="int", default=60)
    assert field.clean("") == 60
    with pytest.raises(ValueError, match="required"):
        ConfigField("every", "Every", type="int", required=True).clean(" ")


def test_saving_twice_updates_in_place(instance):
    fields = [ConfigField("nickname", "Nickname", addon="base_thing")]
    with instance.engine.begin() as connection:
        write_values(connection, "thing", 1, fields, {"nickname": "Ann"})
        write_values(connection, "thing", 1, fields, {"nickname": "Bob"})
        assert read_values(connection, "thing", 1, fields) == {"nickname": "Bob"}


@given(st.text(max_size=12))
def test_whole_number_reads_ascii_digits_only_and_never_raises(text):
    number = values.whole_number(text)
    if text.isascii() and text.isdigit() and len(text) <= 9:
        assert number == int(text)
    else:
        assert number is None


@pytest.mark.parametrize("text", ["³", "٣", "１", "12³", "", " 1", "-1", "1234567890", None, 7])
def test_whole_number_refuses_what_int_would_refuse_or_read_differently(text):
    assert values.whole_number(text) is None
