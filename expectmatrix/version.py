"""The version of expectmatrix: read by every stage that stamps it on what it writes,
and by the build (pyproject.toml)."""

__version__ = "0.1.0"
