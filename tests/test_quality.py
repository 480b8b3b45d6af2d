"""The code's own checks run with the tests, so CI holds them: strict types, lint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import suppress
from pathlib import Path

from conftest import ROOT

CACHE = ROOT / ".mypy_cache"  # mypy's own default, as a developer's run uses it
# The cache a checkout of this machine last left: a fresh clone starts from it rather than
# from nothing (a check from nothing costs some ten seconds of processor for the libraries'
# types alone). mypy trusts no entry whose source differs by content, so a cache left by
# other code or another environment costs re-checks, never a wrong answer.
SEED = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "expectmatrix" / "mypy"


def _seed_cache() -> None:
    """A copy of the machine's cache, where this checkout has none yet."""
    if CACHE.exists() or "MYPY_CACHE_DIR" in os.environ or not SEED.is_dir():
        return
    copy = CACHE.with_name(f"{CACHE.name}.{os.getpid()}")
    try:
        shutil.copytree(SEED, copy)
        copy.rename(CACHE)
    except OSError:  # being replaced by another run, or unreadable: mypy starts afresh
        shutil.rmtree(copy, ignore_errors=True)


def _keep_cache() -> None:
    """Leave this checkout's cache for the next fresh clone (a whole copy put in place by
    a rename, so another run never reads one half-written)."""
    if "MYPY_CACHE_DIR" in os.environ or not CACHE.is_dir():
        return
    copy, old = (SEED.with_name(f"{SEED.name}.{os.getpid()}.{end}") for end in ("new", "old"))
    try:
        shutil.copytree(CACHE, copy)
        with suppress(FileNotFoundError):
            SEED.rename(old)
        copy.rename(SEED)
    except OSError:  # an unwritable home, or another run got there first: no matter
        pass
    finally:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def test_the_package_type_checks_strictly():
    _seed_cache()
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
    _keep_cache()


def test_the_code_is_lint_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
