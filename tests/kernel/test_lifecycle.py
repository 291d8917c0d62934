"""Installing, uninstalling and upgrading addons, on the database under test."""
import re
import sys
import uuid

import pytest
from sqlalchemy import inspect, select, text

from core.addons import AddonCatalog
from core.errors import CoreError, MigrationError, UnknownAddon
from core.instance import Instance
from core.models import AddonState
from tests.support import assert_migrations_build_exactly_the_models


def tables(instance):
    return set(inspect(instance.engine).get_table_names())


def labels(instance):
    with instance.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(
            "SELECT label FROM base_thing_item ORDER BY id"))]


def test_install_pulls_dependencies_in_first(instance):
    assert instance.install(["child_thing"]) == ["base_thing", "child_thing"]
    assert instance.installed() == {"base_thing": "1.0.0", "child_thing": "1.0.0"}
    assert {"base_thing_item", "child_thing_note"} <= tables(instance)


def test_installing_an_installed_addon_is_a_no_op(instance):
    instance.install(["base_thing"])
    assert instance.install(["base_thing"]) == []
    assert labels(instance) == ["installed marker"]  # post_install ran once


def test_install_runs_the_post_install_hook_and_seeds_parameters(instance):
    instance.install(["base_thing"])
    assert labels(instance) == ["installed marker"]
    with instance.engine.connect() as connection:
        assert instance.parameters(connection).get("base_thing.greeting") == "hello"


def test_install_with_demo_loads_demo_files(instance):
    instance.install(["base_thing"], demo=True)
    assert labels(instance) == ["Espresso", "Croissant", "demo from the hook", "installed marker"]


def test_auto_install_addon_follows_its_last_dependency(instance):
    assert instance.install(["base_thing"]) == ["base_thing"]
    assert instance.install(["other_thing"]) == ["other_thing", "auto_bridge"]


def test_install_of_an_unknown_addon_lists_the_available_ones(instance):
    with pytest.raises(UnknownAddon, match="available addons: auto_bridge, base_thing"):
        instance.install(["nope"])


def test_a_failed_migration_leaves_the_addon_uninstalled_with_nothing_half_written(instance):
    before = tables(instance)
    with pytest.raises(MigrationError, match="install of 'broken_migration' failed and was "
                                             "rolled back.*no_such_table"):
        instance.install(["broken_migration"])
    # its dependency was installed in its own transaction and stays installed
    assert instance.installed() == {"base_thing": "1.0.0"}
    assert "broken_migration_half" not in tables(instance)
    assert tables(instance) == before | {"base_thing_item"}
    with instance.engine.connect() as connection:
        versions = {row[0] for row in
                    connection.execute(text("SELECT version_num FROM alembic_version"))}
    assert "b40c00000001" not in versions


def test_uninstall_cascades_to_dependents_and_drops_their_tables(instance):
    instance.install(["child_thing", "other_thing"])
    assert instance.plan_uninstall(["base_thing"]) == ["child_thing", "auto_bridge", "base_thing"]
    instance.uninstall(["base_thing"])
    assert instance.installed() == {"other_thing": "0.1.0"}
    assert not {"base_thing_item", "child_thing_note"} & tables(instance)
    with instance.engine.connect() as connection:
        states = dict(connection.execute(select(AddonState.name, AddonState.state)).all())
        assert states["base_thing"] == "uninstalled"
        params = instance.parameters(connection)
        assert "base_thing.greeting" not in params.specs  # no longer installed, not declared


def test_uninstall_forgets_parameter_values(instance):
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        instance.parameters(connection).set("base_thing.greeting", "bonjour")
    instance.uninstall(["base_thing"])
    instance.install(["base_thing"])
    with instance.engine.connect() as connection:
        assert instance.parameters(connection).get("base_thing.greeting") == "hello"


def test_uninstalling_what_is_not_installed_is_an_error(instance):
    with pytest.raises(CoreError, match="'base_thing' is not installed"):
        instance.uninstall(["base_thing"])


def test_reinstall_after_uninstall_starts_clean(instance):
    instance.install(["base_thing"], demo=True)
    instance.uninstall(["base_thing"])
    instance.install(["base_thing"])
    assert labels(instance) == ["installed marker"]


def test_only_installed_addons_are_registered(instance):
    instance.install(["base_thing"])
    names = {name for name, _plugin in instance.plugin_manager().list_name_plugin()}
    assert names == {"base_thing"}


def test_migrations_of_the_test_addons_match_their_models(instance):
    instance.install(["child_thing"])
    assert instance.schema_problems("child_thing") == []
    assert_migrations_build_exactly_the_models(instance, "base_thing")


def test_a_table_changed_by_hand_is_a_schema_problem_and_core_check_fails(instance):
    from click.testing import CliRunner

    from core.cli import cli
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        connection.execute(text("DROP TABLE base_thing_item"))
    assert any("base_thing_item" in p for p in instance.schema_problems("base_thing"))
    result = CliRunner().invoke(cli, ["--db", instance.url, "check"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("base_thing: migrations and models differ: ")
    assert "base_thing_item" in lines[0]
    assert re.fullmatch(r"Error: [1-9][0-9]* schema problem\(s\) found", lines[-1])


def test_kernel_migrations_match_the_kernel_models(instance):
    from core import schema
    from core.models import KERNEL_MODELS
    with instance.engine.connect() as connection:
        assert schema.model_differences(connection, [m.__table__ for m in KERNEL_MODELS]) == []


def test_init_is_idempotent(instance):
    instance.init()
    instance.init()
    assert instance.installed() == {}


# -- addons written for one test ---------------------------------------------------------------

@pytest.fixture
def scratch_root(tmp_path, monkeypatch):
    """A uniquely named, importable folder of addons; returns (folder, package name)."""
    package = f"scratch_{uuid.uuid4().hex[:8]}"
    root = tmp_path / package
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root, package
    for name in [m for m in sys.modules if m.startswith(package)]:
        del sys.modules[name]


def test_a_misspelt_hookimpl_fails_loudly(db_url, scratch_root):
    root, package = scratch_root
    (root / "typo").mkdir()
    (root / "typo" / "__init__.py").write_text("")
    (root / "typo" / "__manifest__.py").write_text("{}")
    (root / "typo" / "hooks.py").write_text(
        "from core import hookimpl\n\n@hookimpl\ndef register_rutes():\n    return []\n")
    instance = Instance(db_url, AddonCatalog([root], entry_points=False))
    with pytest.raises(CoreError, match="addon 'typo'.*register_rutes"):
        instance.install(["typo"])
    assert instance.installed() == {}


REVISION = """
from alembic import op
import sqlalchemy as sa

revision = {revision!r}
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = None


def upgrade():
    op.create_table({table!r}, sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table({table!r})
"""


def test_upgrade_applies_revisions_added_after_install(db_url, scratch_root):
    root, package = scratch_root
    versions = root / "grower" / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "grower" / "__init__.py").write_text("")
    (root / "grower" / "__manifest__.py").write_text("{}")
    (versions / "first.py").write_text(REVISION.format(
        revision="960e00000001", down=None, labels=("grower",), table="grower_first"))
    instance = Instance(db_url, AddonCatalog([root], entry_points=False))
    instance.install(["grower"])
    assert instance.upgrade() == []
    (versions / "second.py").write_text(REVISION.format(
        revision="960e00000002", down="960e00000001", labels=None, table="grower_second"))
    messages = []
    assert instance.upgrade(progress=messages.append) == ["grower"]
    assert messages == ["upgrading grower (1 revision(s))"]
    assert {"grower_first", "grower_second"} <= tables(instance)
    instance.uninstall(["grower"])
    assert not {"grower_first", "grower_second"} & tables(instance)


def test_upgrade_records_a_new_manifest_version(db_url, scratch_root):
    root, package = scratch_root
    (root / "shelf").mkdir()
    (root / "shelf" / "__init__.py").write_text("")
    (root / "shelf" / "__manifest__.py").write_text("{'version': '1.0.0'}")
    instance = Instance(db_url, AddonCatalog([root], entry_points=False))
    instance.install(["shelf"])
    (root / "shelf" / "__manifest__.py").write_text("{'version': '1.1.0'}")
    instance.catalog = AddonCatalog([root], entry_points=False)
    assert instance.upgrade() == ["shelf"]
    assert instance.installed() == {"shelf": "1.1.0"}


def test_upgrade_refuses_when_an_installed_addon_has_disappeared(db_url, scratch_root):
    root, package = scratch_root
    (root / "gone").mkdir()
    (root / "gone" / "__manifest__.py").write_text("{}")
    instance = Instance(db_url, AddonCatalog([root], entry_points=False))
    instance.install(["gone"])
    instance.catalog = AddonCatalog([], entry_points=False)
    with pytest.raises(CoreError, match="installed addons are no longer available: gone"):
        instance.upgrade()


def test_an_addon_can_declare_hooks_for_the_addons_that_extend_it(instance):
    instance.install(["child_thing"])  # child_thing's hookimpl passes check_pending alone too
    manager = instance.plugin_manager()
    assert manager.hook.describe_item(label="Espresso") == ["Espresso (with notes)"]


def test_rows_added_after_demo_data_get_fresh_ids(instance):
    instance.install(["base_thing"], demo=True)
    with instance.engine.begin() as connection:
        new_id = connection.execute(text(
            "INSERT INTO base_thing_item (label) VALUES ('after demo') RETURNING id")).scalar()
    assert new_id > 100


def test_sqlite_databases_use_write_ahead_logging(instance):
    if instance.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with instance.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
