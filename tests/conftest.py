"""The shared fixtures of every test folder live in tests/plugin.py (see its docstring for how a
new addon's tests use them); tests/support.py and tests/browser.py hold the helpers."""
pytest_plugins = ["tests.plugin"]
