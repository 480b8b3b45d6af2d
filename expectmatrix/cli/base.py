"""What every command shares: the group and its settings, the shared options, and the
one place where errors become a message and an exit code (through expectmatrix.errors)."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from expectmatrix.errors import (
    EXIT_FAILED,
    ExpectmatrixError,
    InvalidFile,
    exit_code,
    message,
)
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.terms import (
    AUDIENCES,
    PDF_VARIANTS,
    Audience,
)
from expectmatrix.version import __version__

if TYPE_CHECKING:  # imported when first used: `--help` stays free of the library
    from expectmatrix.library.contents import Library
    from expectmatrix.render.pipeline import RenderOptions
    from expectmatrix.settings import LibraryLoader, Settings

_DATE = click.DateTime(["%Y-%m-%d"])


def _echo_finding(f: Finding) -> None:
    color = "red" if f.severity == "error" else "yellow"
    click.secho(str(f), fg=color, err=True)


def _fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Errors become a one-line message on stderr and their exit code (errors.py says
    which), never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader stopped (`| head`): click ends quietly, nothing to report
        except (ExpectmatrixError, OSError, MemoryError, KeyboardInterrupt) as e:
            click.secho(f"error: {message(e)}" if not isinstance(e, KeyboardInterrupt)
                        else message(e), fg="red", err=True)
            sys.exit(exit_code(e))

    return wrapper


def _writable(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An output path the file system can take, else a usage error saying why (instead
    of failing after the work is done)."""
    from expectmatrix.spec.inputs import output_name_problem

    if value is None:
        return None
    folder = isinstance(param.type, click.Path) and not param.type.file_okay
    problem = output_name_problem(value, folder)
    if problem is not None:
        raise click.BadParameter(problem)
    return value


def _error(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(EXIT_FAILED)


def _can_ask() -> bool:
    """Whether a person is there to answer a prompt."""
    return sys.stdin.isatty()


# Which module of this package defines each command. A command's module is imported when
# the command is looked up, so `validate` (whose target is 15 times an empty Python start)
# does not import what the report, signing or tracking need; a test holds this table to
# the commands the modules define.
COMMAND_MODULES: dict[str, str] = {
    "validate": "documents", "render": "documents", "batch": "documents",
    "clauses": "drafting", "init": "drafting", "templates": "drafting", "schema": "drafting",
    "report": "portfolio", "serve": "portfolio",
    "diff": "review", "verify": "review", "absorb": "review", "extract": "review",
    "sign": "review",
    "record": "tracking", "status": "tracking", "calendar": "tracking", "statement": "tracking",
}


class _Commands(click.Group):
    """The group whose commands are imported on first use (see COMMAND_MODULES)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="expectmatrix")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Settings file. Default: expectmatrix.toml here or in a parent folder.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """Turn a deal spec into a balanced expectations matrix (PDF and DOCX).

    Start with `expectmatrix init`, then `expectmatrix validate SPEC` and
    `expectmatrix render SPEC -o out`.
    """
    ctx.obj = {"config": config}


def _settings() -> Settings:
    """The settings for this run, read once (library imports stay out of `--help`)."""
    from expectmatrix.settings import load_settings

    obj = click.get_current_context().find_root().obj
    if "settings" not in obj:
        obj["settings"] = load_settings(obj["config"])
    settings: Settings = obj["settings"]
    return settings


def _library() -> Library:
    """The clause library for this run, read once and only when asked for."""
    return _library_loader()()


def _library_loader() -> LibraryLoader:
    """What reads the library on first use (and knows whether it is the built-in one)."""
    from expectmatrix.settings import LibraryLoader

    obj = click.get_current_context().find_root().obj
    if "library" not in obj:
        obj["library"] = LibraryLoader(_settings())
    loader: LibraryLoader = obj["library"]
    return loader


def _column_map(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --columns that names neither a file nor a built-in map is a usage error."""
    from expectmatrix.settings import unknown_column_map

    problem = unknown_column_map(value) if value else None
    if problem is not None:
        raise click.BadParameter(problem)
    return value


docx_base_option = click.option(
    "--docx-base", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A letterhead .docx: its styles, headers, footers and logo are kept.")


timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=0), default=120, show_default=True,
    help="Seconds one document may take before it is stopped and failed (0: no limit).")


pdf_variant_option = click.option(
    "--pdf-variant", type=click.Choice(PDF_VARIANTS),
    help="Archival PDF/A-3b (with the spec embedded) or accessible, tagged PDF/UA-1.")


audience_option = click.option(
    "--audience", type=click.Choice(AUDIENCES), default="counterparty", show_default=True,
    help="counterparty: the edition to send and sign. internal: the review copy for your own "
         "legal and deal desk (notes, margin, marks, approvals), written as "
         "<deal.id>-v<version>-internal.*, with INTERNAL on every page.")


mark_option = click.option(
    "--mark-nonstandard/--no-mark-nonstandard", "mark", default=None,
    help="Mark expectations that deviate from the clause library. Default: on for draft and "
         "review, off for approved.")


def document_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say how documents are made, one block for render and batch."""
    for option in reversed((
            click.option("--template-dir", "template_dirs", multiple=True,
                         type=click.Path(exists=True, file_okay=False, path_type=Path),
                         help="Folder of templates searched before the built-in ones."),
            audience_option, mark_option, pdf_variant_option, docx_base_option,
            timeout_option)):
        command = option(command)
    return command


def _render_options(formats: tuple[str, ...], template_dirs: tuple[Path, ...],
                    mark: bool | None, pdf_variant: str | None, docx_base: Path | None,
                    timeout: float, audience: Audience = "counterparty") -> RenderOptions:
    from expectmatrix.render.pipeline import RenderOptions

    return RenderOptions.from_settings(
        _settings(), formats=formats, template_dirs=template_dirs, docx_base=docx_base,
        pdf_variant=pdf_variant, mark_nonstandard=mark, audience=audience,
        timeout=timeout or None)


class _QuickExit(SystemExit):
    """The exit of a command that holds nothing to close (validate): the command line
    may skip the interpreter's teardown, about 17 ms of a 150 ms run spent unloading
    pydantic and click. Anywhere else (tests, Python callers) it is a plain SystemExit."""


def _fail_with_findings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every finding of an invalid file (spec, journal, settings), located, then exit 1
    (not only the first, as _fail_cleanly prints)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidFile as e:
            for f in e.findings:
                _echo_finding(f)
            sys.exit(EXIT_FAILED)

    return wrapper


def main() -> None:
    # The command line builds its models without pydantic's plugins: finding them reads
    # the metadata of every installed package on each run (a few ms of validate's 150),
    # and a plugin would run another package's code inside every validation. Setting
    # PYDANTIC_DISABLE_PLUGINS, even empty, chooses otherwise.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        cli(prog_name="expectmatrix")
    except _QuickExit as done:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to add
                stream.flush()
        os._exit(done.code if isinstance(done.code, int) else EXIT_FAILED)
