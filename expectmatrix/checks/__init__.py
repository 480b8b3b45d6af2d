"""The checking stage: the contract's rules that one field cannot express, run as ordered
phases over a loaded spec (checks/pipeline.py). Every command that reads a spec reports
the same findings because it comes through :func:`check_loaded`."""

from expectmatrix.checks.assets import has_cjk
from expectmatrix.checks.context import ApprovalRules, CheckContext, LibrarySource
from expectmatrix.checks.library import frame_clauses, frame_defaults, library_if_needed
from expectmatrix.checks.pipeline import PHASES, check_loaded
from expectmatrix.checks.rules import check

__all__ = ["PHASES", "ApprovalRules", "CheckContext", "LibrarySource", "check",
           "check_loaded", "frame_clauses", "frame_defaults", "has_cjk", "library_if_needed"]
