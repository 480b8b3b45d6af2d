"""The command line: parse options, call one library function, print.

Each module adds its commands to the one group (cli/base.py), which imports a command's
module when the command is first looked up; errors become messages and exit codes in
expectmatrix/errors.py: 0 success (warnings allowed unless --strict), 1 invalid input or
failed work, 2 usage.
"""

from expectmatrix.cli.base import COMMAND_MODULES, cli, main

__all__ = ["COMMAND_MODULES", "cli", "main"]
