"""The command line imports a command's module when the command is looked up: the table
that says where each command lives is held to what the modules define, and `validate`
imports no other command's module."""

from __future__ import annotations

import importlib
import subprocess
import sys

from conftest import SAMPLES

from expectmatrix.cli import COMMAND_MODULES, cli


def test_the_table_names_every_command_and_its_module():
    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"expectmatrix.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == f"expectmatrix.cli.{COMMAND_MODULES[name]}", name


def test_validate_imports_no_other_commands_module():
    code = ("import sys\nfrom expectmatrix.cli import cli\n"
            "try:\n    cli(['validate', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('expectmatrix.cli.')))")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "minimal.yaml")],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['expectmatrix.cli.base', 'expectmatrix.cli.documents']"


def test_an_unknown_command_is_a_usage_error_that_names_the_nearest(run):
    result = run("valdate", str(SAMPLES / "minimal.yaml"))
    assert result.exit_code == 2 and "validate" in result.stderr
