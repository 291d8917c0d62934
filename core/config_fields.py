"""Config fields: what an addon adds to another addon's admin form, declared rather than coded.

An addon returns `ConfigField`s from its `register_config_fields(form)` hook; the kernel renders
them, validates what is typed in, and stores the values in `core_record_setting`, keyed by
(form, record id, field name) and owned by the declaring addon, so uninstalling the addon
removes its values.

The addon owning a form declares it (`register_config_forms`) with the keys the form uses itself
(`name`, `id`...). A field named like one of those, or like another addon's field on the same
form, would silently replace it: installing the addon that brings it is refused instead.
"""
from dataclasses import dataclass, field, replace

from sqlalchemy import delete, select

from core import values
from core.db import upsert
from core.errors import CoreError
from core.models import RecordSetting
from core.plugins import call_per_addon


@dataclass(frozen=True)
class ConfigField:
    name: str
    label: str
    type: str = "str"  # one of core.values.TYPES
    default: object = ""
    help: str = ""
    required: bool = False
    min: int | None = None
    max: int | None = None
    max_length: int = 255
    addon: str = field(default="", compare=False)  # filled in by the kernel

    def __post_init__(self):
        if self.type not in values.TYPES:
            raise ValueError(f"config field {self.name!r}: unknown type {self.type!r}")

    def clean(self, text):
        """Validate typed-in text; return the value or raise ValueError with a message for people."""
        text = "" if text is None else str(text)
        if len(text) > self.max_length:
            raise ValueError(f"at most {self.max_length} characters")
        if not text.strip() and self.type != "bool":
            if self.required:
                raise ValueError("this field is required")
            if self.type == "int":
                return self.default  # an emptied optional number falls back to its default
        value = values.parse(self.type, text)
        if self.type == "int":
            self._check_bounds(value)
        return value

    def _check_bounds(self, number):
        if self.min is not None and number < self.min:
            raise ValueError(f"must be at least {self.min}")
        if self.max is not None and number > self.max:
            raise ValueError(f"must be at most {self.max}")


# Every admin form posts it (Flask-WTF).
KERNEL_KEYS = ("csrf_token",)


@dataclass(frozen=True)
class ConfigForm:
    """A form other addons may add config fields to, and the keys it uses itself."""
    name: str
    own_keys: tuple = ()
    addon: str = field(default="", compare=False)  # filled in by the kernel


class ConfigFieldCollision(CoreError):
    pass


def declared_forms(manager):
    """The forms the addons of `manager` own, each marked with its addon."""
    return [replace(form, addon=addon)
            for addon, items in call_per_addon(manager, "register_config_forms")
            for form in items]


def collisions(manager):
    """One sentence per config field of `manager`'s addons that takes a name already taken on
    its form: by the form itself, by the kernel, or by another field."""
    problems = []
    for form in declared_forms(manager):
        taken = {key: "the kernel's own key" for key in KERNEL_KEYS}
        taken.update({key: f"a key of the form itself (addon {form.addon!r})"
                      for key in form.own_keys})
        for config_field in declared_fields(manager, form.name):
            owner = taken.get(config_field.name)
            if owner is not None:
                problems.append(f"addon {config_field.addon!r} declares the field "
                                f"{config_field.name!r} on form {form.name!r}, which is "
                                f"already {owner}")
            else:
                taken[config_field.name] = f"a field of addon {config_field.addon!r}"
    return problems


def declared_fields(manager, form):
    """The config fields the addons of `manager` add to `form`, each marked with its addon."""
    return [replace(config_field, addon=addon)
            for addon, items in call_per_addon(manager, "register_config_fields", form=form)
            for config_field in items]


def read_values(connection, form, record_id, fields):
    """{field name: typed value} for one record, declared defaults where nothing is stored."""
    stored = dict(connection.execute(
        select(RecordSetting.field, RecordSetting.value)
        .where(RecordSetting.form == form, RecordSetting.record_id == record_id)
    ).all())
    return {f.name: values.parse(f.type, stored[f.name]) if f.name in stored else f.default
            for f in fields}


def validate(fields, submitted):
    """Clean every field of a submitted form: return (values, errors), both keyed by field name."""
    cleaned, errors = {}, {}
    for config_field in fields:
        raw = submitted.get(config_field.name, "0" if config_field.type == "bool" else "")
        try:
            cleaned[config_field.name] = config_field.clean(raw)
        except ValueError as exc:
            errors[config_field.name] = str(exc)
    return cleaned, errors


def write_values(connection, form, record_id, fields, cleaned):
    """Store already-cleaned values for one record."""
    for config_field in fields:
        upsert(connection, RecordSetting.__table__,
               {"form": form, "record_id": record_id, "field": config_field.name},
               {"addon": config_field.addon,
                "value": values.to_text(config_field.type, cleaned[config_field.name])})


def forget_values(connection, addon):
    connection.execute(delete(RecordSetting).where(RecordSetting.addon == addon))
