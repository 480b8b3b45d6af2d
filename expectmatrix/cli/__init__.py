"""The command line: parse options, call one library function, print.

Each module adds its commands to the one group (cli/base.py); errors become messages and
exit codes in expectmatrix/errors.py: 0 success (warnings allowed unless --strict),
1 invalid input or failed work, 2 usage.
"""

from expectmatrix.cli import documents, drafting, portfolio, review, tracking
from expectmatrix.cli.base import cli, main

__all__ = ["cli", "documents", "drafting", "main", "portfolio", "review", "tracking"]
