"""The POS page's JavaScript unit tests (tests/point_of_sale/js/*.test.js: the order model and
money) under node's built-in test runner. The page's modules are plain ES modules for the
browser; they are copied beside the tests with a package.json saying so, as node wants."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MODULES = HERE.parents[1] / "addons" / "point_of_sale" / "static" / "src"
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed (CI has it)")
def test_the_order_model_and_money_pass_their_node_tests(tmp_path):
    shutil.copytree(MODULES, tmp_path / "src", ignore=shutil.ignore_patterns("*.css"))
    shutil.copytree(HERE / "js", tmp_path / "tests")
    (tmp_path / "package.json").write_text(json.dumps({"type": "module"}))
    tests = sorted(str(path) for path in (tmp_path / "tests").glob("*.test.js"))
    assert len(tests) >= 2
    run = subprocess.run([NODE, "--test", *tests], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "# fail 0" in run.stdout, run.stdout
