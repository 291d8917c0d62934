"""One test per hook: what an addon returns reaches the place the kernel promises."""
from click.testing import CliRunner

from core import ConfigField
from core.cli import cli
from core.plugins import flatten
from core.web import create_app
from tests.support import sign_in


def test_hook_register_models(instance):
    instance.install(["child_thing"])
    tables = [m.__tablename__ for m in flatten(instance.plugin_manager(), "register_models")]
    assert tables == ["base_thing_item", "child_thing_note"]  # dependencies first


def test_hook_register_system_parameters(instance):
    instance.install(["base_thing"])
    with instance.engine.connect() as connection:
        spec = instance.parameters(connection).spec("base_thing.greeting")
    assert (spec.addon, spec.type, spec.default) == ("base_thing", "str", "hello")


def test_hook_load_demo_data(instance):
    instance.install(["base_thing"], demo=True)
    with instance.engine.connect() as connection:
        from sqlalchemy import text
        assert connection.scalar(text(
            "SELECT label FROM base_thing_item WHERE id = 50")) == "demo from the hook"


def test_hook_post_install(instance):
    instance.install(["base_thing"])
    with instance.engine.connect() as connection:
        from sqlalchemy import text
        assert connection.scalar(text(
            "SELECT label FROM base_thing_item WHERE id = 100")) == "installed marker"


def test_hook_pre_uninstall(instance):
    from addons.base_thing import hooks
    hooks.SEEN_BEFORE_UNINSTALL.clear()
    instance.install(["base_thing"], demo=True)
    instance.uninstall(["base_thing"])
    assert hooks.SEEN_BEFORE_UNINSTALL == [4]  # it could still read its table


def test_hook_register_routes(instance):
    client = create_app(instance=instance).test_client()
    assert client.get("/base_thing/items").status_code == 404
    instance.install(["base_thing"], demo=True)
    response = create_app(instance=instance).test_client().get("/base_thing/items")
    assert response.status_code == 200
    assert response.json["items"][0] == {"id": 1, "label": "Espresso"}


def test_hook_configure_app(instance):
    instance.install(["other_thing"])
    response = create_app(instance=instance).test_client().get("/web/login")
    assert response.headers["X-Other-Thing"] == "configured"


def test_hook_register_config_fields(instance):
    from core.plugins import call_per_addon
    instance.install(["child_thing"])
    results = call_per_addon(instance.plugin_manager(), "register_config_fields",
                             form="base_thing.item")
    assert [(addon, [f.name for f in fields]) for addon, fields in results] == [
        ("base_thing", ["nickname", "check_every"]), ("child_thing", ["loud"])]
    assert all(isinstance(f, ConfigField) for _addon, fields in results for f in fields)
    other_form = call_per_addon(instance.plugin_manager(), "register_config_fields", form="x")
    assert [fields for _addon, fields in other_form] == [[], []]


def test_hook_register_assets(instance):
    instance.install(["base_thing", "other_thing"])
    manager = instance.plugin_manager()
    assert flatten(manager, "register_assets", page="pos") == [
        "/base_thing/static/base.js", "/other_thing/static/other.css"]
    assert flatten(manager, "register_assets", page="admin") == []


def test_hook_register_commands(instance):
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", instance.url, "other-hello", "Ann"])
    assert result.exit_code == 1 and "no command 'other-hello'" in result.output
    instance.install(["other_thing"])
    result = runner.invoke(cli, ["--db", instance.url, "other-hello", "Ann"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello Ann from other_thing\n"


def test_hook_register_setup_commands(instance):
    """Offered by available addons on a database where they are not installed."""
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", instance.url, "other-setup"])
    assert result.exit_code == 0, result.output
    assert result.output == "setting up other_thing\n"
    assert "no command 'other-hello'" in runner.invoke(
        cli, ["--db", instance.url, "other-hello", "Ann"]).output
    instance.install(["other_thing"])
    result = runner.invoke(cli, ["--db", instance.url, "other-setup"])
    assert result.output == "other_thing is already set up\n"  # the installed addon's wins


def test_hook_register_menu_links(instance):
    from core.web.users import set_password
    instance.install(["base_thing"])
    with instance.engine.begin() as connection:
        set_password(connection, "admin", "password123")
    client = create_app(instance=instance).test_client()
    with instance.engine.connect() as connection:
        from sqlalchemy import text
        user_id = connection.scalar(text("SELECT id FROM core_user"))
    sign_in(client, instance, user_id)
    page = client.get("/web/apps").get_data(as_text=True)
    assert '<a href="/base_thing/items">Items</a>' in page
