"""The command line runs no pydantic plugin another installed package registers, unless the
user asks for plugins with PYDANTIC_DISABLE_PLUGINS; the Python API leaves the choice to
its caller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES

PLUGIN = """
from pathlib import Path
import os
Path(os.environ["PLUGIN_MARKER"]).write_text("loaded")


class Spy:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = Spy()
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> dict[str, str]:
    """A package on the path that registers a pydantic plugin, which leaves a file when
    pydantic loads it."""
    site = tmp_path / "site"
    info = site / "spyplugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: spyplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nspy = spyplugin_mod:plugin\n")
    (site / "spyplugin_mod.py").write_text(PLUGIN)
    env = dict(os.environ, PLUGIN_MARKER=str(tmp_path / "marker"),
               PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    return env


def _validate(env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "expectmatrix", "validate",
                           str(SAMPLES / "minimal.yaml")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_command_line_loads_no_pydantic_plugin(installed_plugin, tmp_path):
    _validate(installed_plugin)
    assert not (tmp_path / "marker").exists()


def test_a_user_who_sets_the_variable_gets_the_plugins(installed_plugin, tmp_path):
    _validate(dict(installed_plugin, PYDANTIC_DISABLE_PLUGINS=""))
    assert (tmp_path / "marker").read_text() == "loaded"


def test_the_python_api_leaves_plugins_to_its_caller(installed_plugin, tmp_path):
    code = ("from expectmatrix.spec.loading import load; import os; "
            f"load({str(SAMPLES / 'minimal.yaml')!r}); "
            "print(os.environ.get('PYDANTIC_DISABLE_PLUGINS'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=installed_plugin, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None" and (tmp_path / "marker").exists()
