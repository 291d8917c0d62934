"""Every addon imports as `addons.<name>`, wherever it lives: the built-in folder, a folder of
`CORE_ADDONS_PATH`, or a package's entry point. Run in fresh processes, as `core` runs."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from core.addons import BUILTIN_ADDONS

CORE = str(Path(sys.executable).with_name("core"))

# A package shipping the addon `stamps` through the `comptoir.addons` entry-point group.
STAMPS_INIT = '''"""stamps' public face: `stamp_name(text)`."""
__all__ = ["stamp_name"]


def stamp_name(text):
    return f"[stamped] {text}"
'''
STAMPS_HOOKS = '''from sqlalchemy import insert

from addons.point_of_sale import Product
from core import hookimpl

from . import stamp_name


@hookimpl
def post_install(connection):
    connection.execute(insert(Product).values(id=900, name=stamp_name("coffee"), price=2))
'''
# An addon in a folder outside the repository, using point_of_sale's and stamps' public faces.
LOYALTY_HOOKS = '''from sqlalchemy import insert

from addons.point_of_sale import Partner
from addons.stamps import stamp_name
from core import hookimpl


@hookimpl
def post_install(connection):
    connection.execute(insert(Partner).values(id=900, name=stamp_name("loyal customer")))
'''
REPORT = '''import importlib
import sys

from sqlalchemy import text

from core.addons import catalog_from_environment
from core.instance import Instance

instance = Instance(sys.argv[1], catalog_from_environment())  # maps addons.<name> to folders
instance.plugin_manager()  # imports every installed addon's hooks
importlib.import_module("addons.point_of_sale.models")
with instance.engine.connect() as connection:
    print(connection.scalar(text("SELECT name FROM point_of_sale_product WHERE id = 900")))
    print(connection.scalar(text("SELECT name FROM point_of_sale_partner WHERE id = 900")))
for name in ("point_of_sale", "pos_check_session_state", "loyalty", "stamps"):
    print(name, sys.modules["addons." + name].__file__)
print(sorted(m for m in sys.modules if m.endswith("point_of_sale.models")))
'''


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_addons_from_a_folder_and_an_entry_point_import_as_addons_name(tmp_path):
    copied = tmp_path / "copied_addons"  # the built-in addons, copied into an addons path
    shutil.copytree(BUILTIN_ADDONS, copied, ignore=shutil.ignore_patterns("__pycache__"))
    (copied / "__init__.py").unlink()
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "loyalty" / "__manifest__.py", "{'depends': ['point_of_sale', 'stamps']}")
    write(elsewhere / "loyalty" / "__init__.py", '"""loyalty: no public names."""\n')
    write(elsewhere / "loyalty" / "hooks.py", LOYALTY_HOOKS)
    site = tmp_path / "site"
    write(site / "comptoir_stamps" / "__manifest__.py", "{'depends': ['point_of_sale']}")
    write(site / "comptoir_stamps" / "__init__.py", STAMPS_INIT)
    write(site / "comptoir_stamps" / "hooks.py", STAMPS_HOOKS)
    write(site / "comptoir_stamps-1.0.dist-info" / "METADATA",
          "Metadata-Version: 2.1\nName: comptoir-stamps\nVersion: 1.0\n")
    write(site / "comptoir_stamps-1.0.dist-info" / "entry_points.txt",
          "[comptoir.addons]\nstamps = comptoir_stamps\n")
    write(tmp_path / "report.py", REPORT)
    env = {**os.environ, "CORE_ADDONS_PATH": os.pathsep.join([str(copied), str(elsewhere)]),
           "CORE_LOAD_ENTRY_POINTS": "1", "PYTHONPATH": str(site),
           "CORE_DB": f"sqlite:///{tmp_path / 'third.db'}"}

    def run(*args):
        done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(CORE, "init")
    run(CORE, "install", "--all")
    assert "stamps" in run(CORE, "list") and "loyalty" in run(CORE, "list")
    lines = run(sys.executable, "report.py", env["CORE_DB"]).splitlines()
    assert lines[:2] == ["[stamped] coffee", "[stamped] loyal customer"]
    where = dict(line.split(" ", 1) for line in lines[2:6])
    assert where == {
        "point_of_sale": str(copied / "point_of_sale" / "__init__.py"),
        "pos_check_session_state": str(copied / "pos_check_session_state" / "__init__.py"),
        "loyalty": str(elsewhere / "loyalty" / "__init__.py"),
        "stamps": str(site / "comptoir_stamps" / "__init__.py")}
    assert lines[6] == "['addons.point_of_sale.models']"  # its models were imported once
