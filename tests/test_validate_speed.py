"""What `validate` of a spec builds: no more than it needs. Without a settings file it
builds no settings schema, for a spec that names no clause none of the library's clause
models, and for a spec with no frame choices no FrameChoice validator; the checks stay
the same (a settings file is still checked, key by key)."""

from __future__ import annotations

import subprocess
import sys

from conftest import SAMPLES

from expectmatrix.checks import has_cjk

CHILD = """
import sys
from expectmatrix.cli import cli
from expectmatrix.spec.models import FrameChoice
try:
    cli(['validate', sys.argv[1]])
except SystemExit:
    pass
built = [m for m in ('expectmatrix.settings.schema', 'expectmatrix.library.models')
         if m in sys.modules]
print('built:' + ','.join(built) + (',FrameChoice' if FrameChoice.__pydantic_complete__ else ''))
"""


def test_validate_builds_only_what_the_spec_needs(tmp_path):
    done = subprocess.run([sys.executable, "-c", CHILD, str(SAMPLES / "large-hospital.yaml")],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("ok: ")
    assert lines[-1] == "built:"


def test_a_settings_file_is_still_checked(run, tmp_path):
    config = tmp_path / "expectmatrix.toml"
    for text, said in (("[docx]\nbase = 3\n", "docx.base: Input should be a valid string"),
                       ("[templatez]\ndirs = []\n", "templatez")):
        config.write_text(text, encoding="utf-8")
        result = run("--config", config, "validate", SAMPLES / "small-bakery.yaml")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert said in result.stderr


def test_cjk_is_found_at_the_edges_of_its_ranges():
    assert not has_cjk("") and not has_cjk("Vendor answers within 2 days: café, Ελλάδα")
    assert not has_cjk("\u10ff")  # the last character before Hangul Jamo
    assert has_cjk("plain \u1100") and has_cjk("导入项目") and has_cjk("\uffe0")
    assert not has_cjk("\u2e7f \ud7b0 \ufff0")  # between and after the ranges


def test_the_calendars_known_without_the_library_are_all_known_to_it():
    import holidays

    from expectmatrix.checks.calendars import KNOWN_CALENDARS

    assert set(holidays.list_supported_countries()) >= KNOWN_CALENDARS
    assert {"DE", "US", "GB", "FR"} <= KNOWN_CALENDARS
