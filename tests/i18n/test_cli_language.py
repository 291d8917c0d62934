"""The `core` command speaks the language its environment names (LC_ALL, else LC_MESSAGES,
else LANG), else English."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.i18n import environment_language

CORE = str(Path(sys.executable).with_name("core"))


def core(tmp_path, *args, **language):
    env = {name: value for name, value in os.environ.items()
           if name not in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")}
    env.update(language, CORE_DB=f"sqlite:///{tmp_path}/shop.db", CORE_ADMIN_PASSWORD="s3cret-pass")
    return subprocess.run([CORE, *args], env=env, capture_output=True, text=True, timeout=120)


def test_a_manager_reads_the_core_command_in_the_language_of_their_environment(tmp_path):
    french = core(tmp_path, "user", "add", "marie", "--role", "manager", LANG="fr_FR.UTF-8")
    assert french.returncode == 0, french.stderr
    assert french.stdout.strip() == "marie créé (manager)."
    english = core(tmp_path, "user", "add", "marie")
    assert english.returncode == 0, english.stderr
    assert english.stdout.strip() == "Updated marie."
    short = core(tmp_path, "user", "add", "paul", "--password", "abc", LANG="fr_FR.UTF-8")
    assert short.returncode == 1
    assert "un mot de passe doit faire au moins" in short.stderr, short.stderr
    # LC_ALL wins over LANG; C speaks English.
    assert core(tmp_path, "user", "add", "marie", LANG="fr_FR.UTF-8",
                LC_ALL="C").stdout.strip() == "Updated marie."
    assert core(tmp_path, "user", "add", "marie", LANG="en_US.UTF-8",
                LC_MESSAGES="fr_FR.UTF-8").stdout.strip() == "marie mis à jour."


@pytest.mark.parametrize("environ, language", [
    ({}, None), ({"LANG": "C.UTF-8"}, None), ({"LANG": "POSIX"}, None),
    ({"LANG": "fr_FR.UTF-8"}, "fr_FR"), ({"LANG": "fr_BE.UTF-8@euro"}, "fr_BE"),
    ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en_GB"),
    ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "", "LC_ALL": "de_DE"}, "de_DE"),
])
def test_the_language_of_an_environment(environ, language):
    assert environment_language(environ) == language
