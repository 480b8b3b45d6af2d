"""The documentation says what the code does: the references are generated from it and
equal to it, every link leads somewhere, the site builds strictly, and the packages the
code imports are the ones the project declares."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path
from types import ModuleType

import click
import pytest
from conftest import ROOT

from expectmatrix.cli import cli

DOCS = ROOT / "docs"
GUIDES = [DOCS / "sales-reps.md", DOCS / "legal.md", DOCS / "sales-ops.md"]
SET_UP = [
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && "
    "expectmatrix render samples/small-bakery.yaml -o out",
    "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && pytest",
]
MARKDOWN = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md",
            ROOT / "benchmarks" / "README.md", *sorted(DOCS.rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(group: click.Group, path: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_the_spec_reference_is_generated_from_the_models(run):
    from expectmatrix.spec.docs import reference
    from expectmatrix.spec.models import Expectation

    page = (DOCS / "reference" / "spec.md").read_text(encoding="utf-8")
    assert page == reference(), "stale: run python docs/generate.py"
    section = page.split("## Expectation\n")[1].split("\n## ")[0]
    assert [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")] == list(
        Expectation.model_fields)
    assert "| `deal` | [Deal](#deal) | **required** |" in page  # a model's type links its section
    assert run("schema", "--markdown").stdout == page


def test_the_command_reference_is_each_commands_help():
    generate = _generate()
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    assert page == generate.cli_reference(), "stale: run python docs/generate.py"
    commands = [(), *(path for path, _ in _commands(cli))]
    # Each `--help` as a terminal shows it (not CliRunner, which fixes its own width); on a
    # terminal of any width click goes no further than 78 columns.
    code = ("import sys\nfrom expectmatrix.cli import cli\n"
            f"for path in {commands!r}:\n"
            "    try:\n        cli([*path, '--help'], prog_name='expectmatrix')\n"
            "    except SystemExit:\n        print('\\0', end='')\n")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**os.environ, "COLUMNS": "200"}, check=True).stdout.split("\0")
    assert len(shown) == len(commands) + 1
    for path, help_text in zip(commands, shown, strict=False):
        heading = " ".join(("expectmatrix", *path))
        block = page.split(f"\n## {heading}\n\n```text\n")[1].split("\n```\n")[0]
        assert block + "\n" == help_text, heading
    assert page.count("\n## expectmatrix") == len(commands)
    assert "| 130 | stopped by Ctrl-C" in page


def test_generate_check_names_a_stale_reference(tmp_path, monkeypatch):
    generate = _generate()
    monkeypatch.setattr(generate, "REFERENCE", tmp_path)
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    assert generate.main(["--check"]) == 1 and not list(tmp_path.iterdir())
    assert generate.main([]) == 0
    assert (tmp_path / "cli.md").read_text(encoding="utf-8") == generate.cli_reference()
    assert generate.main(["--check"]) == 0


def test_every_option_is_explained_and_every_command_has_a_guide():
    guides = "\n".join(p.read_text(encoding="utf-8") for p in GUIDES)
    for path, command in _commands(cli):
        assert f"expectmatrix {' '.join(path)}" in guides, path
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{' '.join(path)} {param.opts}: no help text"


def test_the_readme_is_short_and_keeps_the_set_up_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    blocks = re.findall(r"```sh\n(.+?)\n```", readme)
    for command in SET_UP:
        assert command in blocks, command
    assert SET_UP[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs it


def _slug(heading: str) -> str:
    # GitHub's and mkdocs' rule for the headings used here: lower case, punctuation out.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_every_relative_link_leads_to_a_file_and_heading():
    broken = []
    for page in MARKDOWN:
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.is_file():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def _build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=root, capture_output=True, text=True, timeout=300)


def test_the_site_builds_strictly_and_a_broken_link_fails_it(tmp_path):
    pytest.importorskip("mkdocs")
    built = _build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    site = tmp_path / "site"
    assert "Architecture" in (site / "contributing" / "index.html").read_text(encoding="utf-8")
    assert (site / "pictures" / "serve-deals.png").read_bytes() == (
        ROOT / "samples" / "pictures" / "serve-deals.png").read_bytes()
    reps = (site / "sales-reps" / "index.html").read_text(encoding="utf-8")
    assert 'src="../pictures/serve-deals.png"' in reps  # the link to samples/ was rewritten
    assert 'href="../reference/cli/#expectmatrix-render"' in reps

    # The same pages with one link to a page that does not exist: the build must fail.
    copy = tmp_path / "copy"
    for part in ("docs", "samples/pictures", "benchmarks"):
        shutil.copytree(ROOT / part, copy / part)
    for name in ("mkdocs.yml", "CONTRIBUTING.md", "CHANGELOG.md"):
        shutil.copy(ROOT / name, copy / name)
    legal = copy / "docs" / "legal.md"
    legal.write_text(legal.read_text(encoding="utf-8") + "\nSee [the rules](rules.md).\n",
                     encoding="utf-8")
    failed = _build(copy, tmp_path / "site2")
    assert failed.returncode != 0 and "rules.md" in failed.stderr


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # an optional feature's extra declares what it imports (dask for batch --scheduler)
    extras = [d for name, deps in project["optional-dependencies"].items() if name != "test"
              for d in deps]
    names = (re.match(r"[A-Za-z0-9._-]+", d) for d in project["dependencies"] + extras)
    return {re.sub(r"[-_.]+", "-", m.group(0)).lower() for m in names if m}


def test_every_imported_package_is_declared():
    imported = set()
    for path in (ROOT / "expectmatrix").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = sorted(m for m in imported - {"expectmatrix"} if m not in sys.stdlib_module_names)
    distributions = packages_distributions()
    declared = _declared()
    undeclared = [m for m in third_party
                  if not {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(m, [])} & declared]
    assert "docx" in third_party and "PIL" in third_party  # the scan sees the real imports
    assert undeclared == []
