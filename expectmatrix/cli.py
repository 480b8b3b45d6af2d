"""The command line: parse options, call one library function, print.

This is the one place where findings and exceptions become text, JSON and exit codes:
0 success (warnings allowed unless --strict), 1 invalid spec or failed render, 2 usage.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any

import click

from expectmatrix.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ExpectmatrixError,
    InvalidFile,
    exit_code,
    message,
)
from expectmatrix.spec.findings import Finding, errors, findings_json
from expectmatrix.spec.terms import (
    AUDIENCES,
    DATE_FORMATS,
    DEFAULT_FORMATS,
    FORMATS,
    NUMBER_FORMATS,
    PDF_VARIANTS,
    REDLINE_FORMATS,
    SEGMENTS,
    SIDES,
    TRACK_EVENTS,
    Audience,
)
from expectmatrix.version import __version__

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _settings() -> Any:
    """The settings for this run, read once (library imports stay out of `--help`)."""
    from expectmatrix.settings import load_settings

    obj = click.get_current_context().find_root().obj
    if "settings" not in obj:
        obj["settings"] = load_settings(obj["config"])
    return obj["settings"]


def _library() -> Any:
    """The clause library for this run, read once and only when asked for."""
    return _library_loader()()


def _library_loader() -> Any:
    """What reads the library on first use (and knows whether it is the built-in one)."""
    from expectmatrix.settings import LibraryLoader

    obj = click.get_current_context().find_root().obj
    if "library" not in obj:
        obj["library"] = LibraryLoader(_settings())
    return obj["library"]


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


@cli.command(short_help="Check deal specs without rendering anything.")
@click.argument("specs", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON on stdout.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also list each non-standard expectation (findings of severity info).")
@_fail_cleanly
def validate(specs: tuple[Path, ...], strict: bool, as_json: bool, verbose: bool) -> None:
    """Check deal specs without rendering anything.

    Prints every problem as FILE:LINE:COLUMN FIELD: MESSAGE. Exit 1 if any spec has an
    error (or, with --strict, a warning).
    """
    from expectmatrix.checks import check_loaded
    from expectmatrix.spec.loading import load

    library = _library_loader()  # read only if a spec names a clause
    failed = False
    report = []
    for path in specs:
        loaded = check_loaded(load(path), strict=strict, library=library,
                              template_dirs=lambda: _settings().template_dirs,
                              approvals=_settings().approval_rules)
        failed |= bool(errors(loaded.findings))
        if as_json:
            report.append(findings_json(str(path), loaded.findings))
            continue
        for f in loaded.findings:
            if f.severity != "info" or verbose:
                _echo_finding(f)
        if not errors(loaded.findings):
            warnings = sum(f.severity == "warning" for f in loaded.findings)
            nonstandard = len(loaded.nonstandard)
            notes = [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
            if nonstandard:
                notes.append(f"{nonstandard} non-standard expectation"
                             f"{'s' * (nonstandard != 1)}" + ("" if verbose else ", -v lists them"))
            click.echo(f"ok: {path}" + (f" ({'; '.join(notes)})" if notes else ""))
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    raise _QuickExit(EXIT_FAILED if failed else EXIT_OK)


def _render_options(formats: tuple[str, ...], template_dirs: tuple[Path, ...],
                    mark: bool | None, pdf_variant: str | None, docx_base: Path | None,
                    timeout: float, audience: Audience = "counterparty") -> Any:
    from expectmatrix.render.pipeline import RenderOptions

    settings = _settings()
    return RenderOptions(tuple(dict.fromkeys(formats or DEFAULT_FORMATS)),
                         (*template_dirs, *settings.template_dirs), pdf_variant, settings,
                         docx_base, mark, audience, timeout or None)


@cli.command(short_help="Render a spec to PDF and DOCX.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output format; repeat for several. Default: pdf and docx.")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              callback=_writable,
              default=Path("."), show_default=True, help="Output folder.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (nothing is written).")
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates searched before the built-in ones.")
@audience_option
@mark_option
@pdf_variant_option
@docx_base_option
@timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@_fail_cleanly
def render(spec: Path, formats: tuple[str, ...], outdir: Path, strict: bool,
           template_dirs: tuple[Path, ...], audience: Audience, mark: bool | None,
           pdf_variant: str | None, docx_base: Path | None, timeout: float,
           as_json: bool) -> None:
    """Render a spec to <deal.id>-v<version>.pdf and .docx in the output folder.

    An invalid or unbalanced spec writes nothing.
    """
    from expectmatrix.render.pipeline import render_file

    options = _render_options(formats, template_dirs, mark, pdf_variant, docx_base, timeout,
                              audience)
    result = render_file(spec, outdir, options, strict=strict, library=_library_loader())
    if as_json:
        data = findings_json(str(spec), result.findings)
        data.update(outputs=[str(p) for p in result.outputs], fingerprint=result.fingerprint)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for f in result.findings:
            if f.severity != "info":
                _echo_finding(f)
        for p in result.outputs:
            click.echo(f"wrote {p}")
        if not result.ok:
            click.secho(f"nothing written: {spec} has errors", fg="red", err=True)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@cli.command(short_help="Render many specs: folders and CSV exports.")
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              callback=_writable,
              required=True, help="Output folder (gets manifest.json too).")
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output format; repeat for several. Default: pdf and docx.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes. Default: the number of CPUs.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run the jobs on the workers of this dask.distributed scheduler "
                   "(tcp://host:port) rather than on this machine; needs "
                   "pip install 'expectmatrix[dask]'.")
@click.option("--resume", is_flag=True,
              help="Skip items whose outputs exist and carry the current spec's fingerprint.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed item.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--follow-symlinks", is_flag=True,
              help="Read symbolic links that lead out of a folder given (by default they "
                   "are skipped with a warning).")
@click.option("--base", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Spec supplying everything a CSV row leaves out.")
@click.option("--columns", "columns", callback=_column_map,
              help="CRM column map: a TOML file, or a built-in map (salesforce, hubspot, "
                   "pipedrive). Adds to [csv.columns] of expectmatrix.toml.")
@click.option("--date-format", type=click.Choice(DATE_FORMATS), default=None,
              help="How the CSV writes dates: iso (YYYY-MM-DD, the default), day-first "
                   "(31/01/2027) or month-first (01/31/2027). Never guessed.")
@click.option("--number-format", type=click.Choice(NUMBER_FORMATS), default=None,
              help="How the CSV writes amounts and other numbers: plain (48000.50, the "
                   "default) or with thousands grouped, as 1,234.56, 1.234,56, 1 234,56 or "
                   "1'234.56 write them. Never guessed.")
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates searched before the built-in ones.")
@audience_option
@mark_option
@pdf_variant_option
@docx_base_option
@timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@_fail_cleanly
def batch(inputs: tuple[Path, ...], outdir: Path, formats: tuple[str, ...], jobs: int | None,
          scheduler: str | None, resume: bool, fail_fast: bool, strict: bool, follow_symlinks: bool,
          base: Path | None, columns: str | None,
          date_format: str | None,
          number_format: str | None, template_dirs: tuple[Path, ...], audience: Audience,
          mark: bool | None, pdf_variant: str | None, docx_base: Path | None, timeout: float,
          as_json: bool) -> None:
    """Render many specs: files, folders (searched for .yaml, .yml, .json) and CSV exports.

    Writes every document and a manifest.json into the output folder. A bad spec fails
    alone; exit 1 if any item failed or conflicted.
    """
    from expectmatrix.batch.csvrows import CsvOptions
    from expectmatrix.batch.executors import cluster
    from expectmatrix.batch.progress import BatchProgress
    from expectmatrix.batch.runner import run_batch
    from expectmatrix.settings import column_map

    options = _render_options(formats, template_dirs, mark, pdf_variant, docx_base, timeout,
                              audience)
    settings = _settings()
    csv = CsvOptions(settings.csv_columns + (column_map(columns) if columns else ()),
                     date_format or settings.date_format, shared=settings.csv_shared,
                     number_format=number_format or settings.number_format)
    _library()  # a broken library is reported once, here, not once per item
    if scheduler and jobs:
        raise click.UsageError("--jobs and --scheduler do not go together: a cluster's "
                               "workers are its own")
    workers = cluster(scheduler) if scheduler else contextlib.nullcontext()
    with workers as executor, BatchProgress(quiet=as_json) as progress:
        result = run_batch(inputs, outdir, options=options, jobs=jobs, resume=resume,
                           fail_fast=fail_fast, strict=strict, base=base, csv=csv,
                           on_item=progress.item, on_total=progress.total,
                           follow_symlinks=follow_symlinks, executor=executor)
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        for record in result.records:
            if record.status in ("failed", "conflict"):
                problems = errors(record.findings) or []
                for f in problems:
                    _echo_finding(f)
                if not problems:
                    click.secho(f"{record.source}: {record.status}: {record.error}", fg="red",
                                err=True)
            elif record.status == "skipped" and record.error:  # not read at all: say why
                for f in record.findings:
                    _echo_finding(f)
        for f in result.notices:
            _echo_finding(f)
        if resume and summary["ok"] == 0 and summary["skipped"] and not summary["failed"]:
            click.echo("nothing to render: every output is up to date", err=True)
        click.echo(progress.summary_line(summary), err=True)
    if result.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@cli.command(short_help="Compare two versions of a spec, or make a redline.")
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(REDLINE_FORMATS),
              default="text", show_default=True, help="Redline format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable,
              help="Write the redline to this file (needed for pdf and docx).")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the specs differ.")
@click.option("--author", default=None,
              help="Who the tracked changes of -f docx are by (default: "
                   "$EXPECTMATRIX_AUTHOR, else your user name).")
@click.option("--audience", type=click.Choice(AUDIENCES), default="counterparty",
              show_default=True,
              help="Which edition the pdf and docx redlines show: counterparty, the one you "
                   "send and sign; internal, your own review copy (notes, margin, marks, "
                   "approvals) with INTERNAL on every page.")
@timeout_option
@_fail_cleanly
def diff(old: Path, new: Path, fmt: str, output: Path | None, exit_code: bool,
         author: str | None, audience: Audience, timeout: float) -> None:
    """Compare two versions of a spec (or of documents made by expectmatrix).

    Expectations are matched by id; a renumbered one with the same text is a move. Text,
    measure, due and owner are compared word by word; parties, dates, status, version
    and balance too. html and pdf strike deletions and underline insertions; docx uses
    Word tracked changes that can be accepted or rejected.
    """
    from expectmatrix.render.view import document_time
    from expectmatrix.review.compare import compare, format_text
    from expectmatrix.writing import write_atomic

    if fmt in ("pdf", "docx") and output is None:
        raise click.UsageError(f"-f {fmt} needs -o FILE")
    from expectmatrix.review.compare import read_for_compare

    old_spec, new_spec = read_for_compare(old, _library_loader()), read_for_compare(new, _library_loader())
    result = compare(old_spec, new_spec, old.name, new.name)
    if fmt in ("text", "md"):
        color = fmt == "text" and output is None and sys.stdout.isatty()
        data = format_text(result, fmt, color).encode("utf-8")  # type: ignore[arg-type]
    elif fmt in ("docx", "pdf"):
        from expectmatrix.render.workers import nothing, run_one
        from expectmatrix.review.redline import (
            agreement_redline,
            agreement_redline_pdf,
            default_author,
            frame_for,
            redline_time,
        )

        # The whole agreement, in a worker that is stopped when the time is up.
        loader = _library_loader()
        options = _render_options((fmt,), (), None, None, None, timeout, audience)
        frames = (frame_for(old_spec, loader), frame_for(new_spec, loader))
        if fmt == "docx":
            data = run_one(nothing, (), agreement_redline, old_spec, new_spec, frames,
                           options, default_author(author), redline_time(), timeout=timeout or None)
        else:
            folder = str(new.parent) if new.suffix.lower() not in (".pdf", ".docx") else None
            data = run_one(nothing, (), agreement_redline_pdf, old_spec, new_spec, frames,
                           options, folder, timeout=timeout or None)
    else:
        from expectmatrix.render.workers import nothing, run_one
        from expectmatrix.review.redline import redline

        # A redline runs the (user's) redline template: as a document does, in a worker
        # that is stopped when the time is up.
        data = run_one(nothing, (), redline, result, fmt, document_time(new_spec),
                       tuple(_settings().template_dirs), timeout=timeout or None)
    if output:
        write_atomic(output, data)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)
    sys.exit(EXIT_FAILED if exit_code and result.changed else EXIT_OK)


@cli.command(short_help="Check a PDF or DOCX against the spec it carries.")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("spec", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The template folder the document was rendered with, if any.")
@click.option("--docx-base", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The letterhead .docx a DOCX was rendered on, if any: its headers and "
                   "footers are part of the text checked.")
@timeout_option
@click.option("--trust", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A root certificate (PEM or DER): also check the PDF's signature against "
                   "it (valid, and nothing changed since signing).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@_fail_cleanly
def verify(document: Path, spec: Path | None, template_dirs: tuple[Path, ...],
           docx_base: Path | None, timeout: float, trust: Path | None, as_json: bool) -> None:
    """Check that a PDF or DOCX matches the spec it carries (and SPEC, if given).

    Exit 1 on any mismatch, saying what differs. Tamper evidence, not a signature.
    """
    from expectmatrix.review.verify import verify as run_verify

    options = _render_options((), template_dirs, None, None, docx_base, timeout)
    report = run_verify(document, spec, options, _library_loader(), trust)
    if as_json:
        click.echo(json.dumps({"document": report.document, "ok": report.ok,
                               "fingerprint": report.fingerprint,
                               "checks": [c.__dict__ for c in report.checks],
                               "failed": report.failed, "notes": report.notes,
                               "signer": report.signer}, indent=2))
    else:
        for c in report.checks:
            click.secho(f"{'ok  ' if c.ok else 'FAIL'} {c.name}", fg="green" if c.ok else "red",
                        err=not c.ok)
            if not c.ok and c.detail:
                click.echo("     " + c.detail.replace("\n", "\n     "), err=True)
        for note in report.notes:
            click.echo(f"note: {note}")
        spec_ok = "spec" not in report.failed
        signature = " and ".join(kind for kind in report.failed if kind != "spec")
        tail = f", {'but' if spec_ok else 'and'} the {signature} check failed" if signature else ""
        click.echo(f"{document} {'matches' if spec_ok else 'does NOT match'} spec "
                   f"{report.fingerprint}{tail}")
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


@cli.command(short_help="Write out the spec a PDF or DOCX carries.")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("spec", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable, help="Write the new version of the spec here.")
@click.option("--partial", is_flag=True,
              help="Exit 0 even when some changes (frame wording, signature page, "
                   "fingerprint) could not be placed in the spec.")
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The template folder the document was rendered with, if any.")
@docx_base_option
@timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@_fail_cleanly
def absorb(document: Path, spec: Path | None, output: Path, partial: bool,
           template_dirs: tuple[Path, ...], docx_base: Path | None, timeout: float,
           as_json: bool) -> None:
    """Bring legal's edits back: the spec of what an edited DOCX now says.

    Reads a DOCX that expectmatrix wrote and someone edited in Word (tracked changes or
    not) and writes the next version of the spec (status review) to -o, starting from
    SPEC (its comments kept) or else from the spec the document carries. Every change is
    listed with who made it and when; exit 1 when a change could not be placed in the
    spec (unless --partial) or the new spec has errors.
    """
    from expectmatrix.writing import write_atomic
    from expectmatrix.review.absorb import absorb as run_absorb
    from expectmatrix.review.absorb_result import format_text

    options = _render_options(("docx",), template_dirs, None, None, docx_base, timeout)
    result = run_absorb(document, spec, _library_loader(), options, output)
    write_atomic(output, result.text.encode("utf-8"))
    if as_json:
        click.echo(json.dumps({"document": str(document), "output": str(output),
                               **result.as_json()}, indent=2, ensure_ascii=False))
    else:
        click.echo(format_text(result), nl=False)
        for f in result.findings:
            _echo_finding(f)
        click.echo(f"wrote {output} (version {result.version})", err=True)
    sys.exit(result.exit_code(partial))


@cli.command()
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable,
              help="Write the spec here instead of stdout.")
@_fail_cleanly
def extract(document: Path, output: Path | None) -> None:
    """Write out the spec embedded in a PDF or DOCX (JSON); rendering it gives the same
    document."""
    from expectmatrix.review.verify import extract as run_extract
    from expectmatrix.writing import write_atomic

    data = run_extract(document)
    if output:
        write_atomic(output, data + b"\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(data.decode("utf-8"))


@cli.command(short_help="List the clause library.")
@click.option("--segment", type=click.Choice(SEGMENTS),
              help="Only clauses suited to this segment.")
@click.option("--area", help="Only clauses of this area (case does not matter).")
@click.option("--side", type=click.Choice(SIDES), help="Only this side.")
@click.option("--json", "as_json", is_flag=True, help="Print the clauses as JSON.")
@_fail_cleanly
def clauses(segment: str | None, area: str | None, side: str | None, as_json: bool) -> None:
    """List the clause library (built-in, extended by expectmatrix.toml)."""
    from expectmatrix.library.clauses import fill, select

    library = _library()
    chosen = select(library, segment, area, side)
    if as_json:
        click.echo(json.dumps([{**c.model_dump(mode="json"), "source": library.sources[c.id]}
                               for c in chosen], indent=2, ensure_ascii=False))
        return
    for area_name in dict.fromkeys(c.area for c in chosen):
        click.secho(area_name, bold=True)
        for c in (c for c in chosen if c.area == area_name):
            defaults = {k: p.default for k, p in c.params.items()}
            params = ", ".join(f"{k}={v}" for k, v in defaults.items())
            click.echo(f"  {c.id:28} {c.side:8} {fill(c.text, defaults)}")
            if params:
                click.echo(f"  {'':28} {'':8} params: {params}")
    click.echo(f"{len(chosen)} clause(s)", err=True)


@cli.command(short_help="Write a first draft spec from a segment playbook.")
@click.option("--segment", type=click.Choice(SEGMENTS),
              help="Customer segment; picks the playbook of that name.")
@click.option("--vendor", help="Vendor's legal name.")
@click.option("--customer", help="Customer's legal name.")
@click.option("--id", "deal_id", default="DEAL-1", show_default=True, help="Deal id.")
@click.option("--title", help="Title of the agreement.")
@click.option("--playbook", "playbook", help="Playbook name or file (default: the segment's).")
@click.option("--language", default="en", show_default=True,
              help="Document language (en, de, fr, es, ar, he): the title, clauses and "
                   "readiness questions are drafted in it.")
@click.option("--vendor-signatory", metavar="'NAME, TITLE'", help="Who signs for the vendor.")
@click.option("--customer-signatory", metavar="'NAME, TITLE'",
              help="Who signs for the customer.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable,
              default=Path("deal.yaml"), show_default=True, help="Spec file to write.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@_fail_cleanly
def init(segment: str | None, vendor: str | None, customer: str | None, deal_id: str,
         title: str | None, playbook: str | None, language: str,
         vendor_signatory: str | None, customer_signatory: str | None, output: Path,
         force: bool) -> None:
    """Write a first draft spec from a segment playbook: commented, valid and balanced.

    On a terminal it asks for what is missing, the signatories too (Enter leaves one
    for later: validate then reports it)."""
    import re

    from expectmatrix.library.playbooks import Draft, draft_spec, pick_playbook, signatory
    from expectmatrix.writing import write_atomic

    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; choose another -o or add --force")
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        raise click.UsageError(f"--language {language!r}: write a language code such as en, "
                               "de or fr")
    library, playbook, segment = pick_playbook(_library(), playbook, segment)
    asked = {"segment": segment, "vendor": vendor, "customer": customer}
    for name, value in asked.items():
        if value:
            continue
        if not _can_ask():
            raise click.UsageError(f"missing --{name} (no terminal to ask on)")
        choice = click.Choice(SEGMENTS) if name == "segment" else None
        asked[name] = click.prompt(name.capitalize(), type=choice)
    signs = {"vendor": vendor_signatory, "customer": customer_signatory}
    for side, given in signs.items():
        if not given and _can_ask():
            signs[side] = click.prompt(f"Who signs for {asked[side]} (name, title; Enter: "
                                       "later)", default="", show_default=False) or None
    draft = Draft(str(asked["segment"]), str(asked["vendor"]), str(asked["customer"]), deal_id,
                  title, None, playbook, language,
                  *(signatory(text) if text and text.strip(", ") else None
                    for text in signs.values()))
    text = draft_spec(library, draft)
    write_atomic(output, text.encode("utf-8"))
    click.echo(f"wrote {output}: edit it, then run expectmatrix validate {output}")


@cli.group(invoke_without_command=True,
           short_help="List the built-in templates and their blocks.")
@click.pass_context
def templates(ctx: click.Context) -> None:
    """List the built-in templates and the blocks a template folder can override.

    A template folder (--template-dir, or [templates] dirs in expectmatrix.toml) replaces
    any built-in file of the same name; `{% extends "builtin/matrix.html" %}` keeps the
    built-in one and overrides blocks. `expectmatrix templates copy DIR` starts a folder.
    """
    if ctx.invoked_subcommand is not None:
        return
    from expectmatrix.render.templating import list_templates

    for name, blocks in list_templates():
        click.echo(f"{name:14} " + (f"blocks: {', '.join(blocks)}" if blocks else "stylesheet"))


@templates.command("copy")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path), callback=_writable)
@click.option("--force", is_flag=True, help="Overwrite templates already there.")
@_fail_cleanly
def templates_copy(target: Path, force: bool) -> None:
    """Copy the built-in templates (and fonts) into TARGET as a starting point."""
    from expectmatrix.render.templating import copy_templates

    for path in copy_templates(target, force):
        click.echo(f"wrote {path}")


@cli.command(short_help="Print the JSON Schema of the spec format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable,
              help="Write the schema to this file instead of stdout.")
@click.option("--markdown", is_flag=True, help="Print the field reference (Markdown) instead.")
@_fail_cleanly
def schema(output: Path | None, markdown: bool) -> None:
    """Print the JSON Schema of the spec format (for YAML editors)."""
    from expectmatrix.writing import write_atomic

    if markdown:
        from expectmatrix.spec.docs import reference

        text = reference()
    else:
        from expectmatrix.spec.models import json_schema

        text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output:
        write_atomic(output, text.encode("utf-8"))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


class _QuickExit(SystemExit):
    """The exit of a command that holds nothing to close (validate): the command line
    may skip the interpreter's teardown, about 17 ms of a 150 ms run spent unloading
    pydantic and click. Anywhere else (tests, Python callers) it is a plain SystemExit."""



@cli.command(short_help="Sign a rendered PDF (PAdES) with a PKCS#12 certificate.")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable, help="The signed PDF to write.")
@click.option("--p12", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The organisation's PKCS#12 certificate (.p12 or .pfx). Its passphrase "
                   "comes from EXPECTMATRIX_P12_PASSPHRASE, or is asked for on a terminal.")
@click.option("--side", type=click.Choice(SIDES), default="vendor", show_default=True,
              help="Whose signature block the visible signature goes above.")
@_fail_cleanly
def sign(pdf: Path, out: Path, p12: Path, side: str) -> None:
    """Sign a rendered PDF (PAdES) with a PKCS#12 certificate.

    The signer's name appears above the signature line of the chosen party's block. Check
    it with `expectmatrix verify OUT.pdf --trust ROOT.pem`.
    """
    import os

    from expectmatrix.review.signing import PASSPHRASE_VARIABLE
    from expectmatrix.review.signing import sign as sign_pdf

    secret = os.environ.get(PASSPHRASE_VARIABLE)
    if secret is None and sys.stdin.isatty():
        secret = click.prompt(f"Passphrase of {p12}", hide_input=True, default="",
                              show_default=False, err=True)
    signer = sign_pdf(pdf, out, p12, secret.encode("utf-8") if secret else None, side)
    click.echo(f"wrote {out}, signed by {signer}")



def _split(ctx: click.Context, param: click.Parameter, value: str | None) -> Decimal | None:
    from expectmatrix.portfolio.accounts import parse_split

    if value is None:
        return None
    try:
        return parse_split(value, str(param.name).removesuffix("_split"))
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@cli.command(short_help="The portfolio by revenue, margin and segment.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              callback=_writable,
              help="The report: .html (self-contained), .pdf, .csv or .json.")
@click.option("--revenue-split", callback=_split, default=None, metavar="AMOUNT",
              help="Revenue at which an account counts as high, from 0 to 10^18 "
                   "(default: the accounts' median).")
@click.option("--margin-split", callback=_split, default=None, metavar="PERCENT",
              help="Margin, as a percent of revenue, at which an account counts as high, "
                   "from -1000 to 1000 (default: the accounts' median).")
@click.option("--rates", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Exchange rates (TOML or JSON: base = \"EUR\", [rates] USD = 0.92) when "
                   "amounts come in more than one currency.")
@click.option("--base", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Spec supplying everything a CSV row leaves out.")
@click.option("--columns", "columns", callback=_column_map,
              help="CRM column map, as for batch.")
@click.option("--date-format", type=click.Choice(DATE_FORMATS), default=None,
              help="How a CSV writes dates, as for batch.")
@click.option("--today", type=_DATE,
              help="Judge the fulfilment of tracked deals as on this day, YYYY-MM-DD "
                   "(default: today).")
@click.option("--number-format", type=click.Choice(NUMBER_FORMATS), default=None,
              help="How a CSV writes amounts, as for batch.")
@_fail_cleanly
def report(inputs: tuple[Path, ...], output: Path, revenue_split: Decimal | None,
           margin_split: Decimal | None, rates: Path | None, base: Path | None,
           columns: str | None, date_format: str | None, today: Any,
           number_format: str | None) -> None:
    """The portfolio: accounts by revenue and margin, and segments, from specs, folders,
    CSV exports or a batch's manifest.json.

    Accounts in quadrants split at the medians (or the splits given), each with a
    strategy: protect, grow, expand, or serve at lower cost. Deals with a journal beside
    their spec add their fulfilment: per segment and side, and the customer's misses by
    readiness answers. Exit 1 if any input could not be read (the report lists it and
    leaves it out).
    """
    from expectmatrix.batch.csvrows import CsvOptions
    from expectmatrix.portfolio.accounts import Rates, read_portfolio
    from expectmatrix.portfolio.report import FORMATS, write_report
    from expectmatrix.settings import column_map

    if output.suffix.lower() not in FORMATS:
        raise click.UsageError(f"-o {output}: the report is written as "
                               f"{', '.join(FORMATS)}, by the file's suffix")
    settings = _settings()
    csv = CsvOptions(settings.csv_columns + (column_map(columns) if columns else ()),
                     date_format or settings.date_format, shared=settings.csv_shared,
                     number_format=number_format or settings.number_format)
    result = read_portfolio(
        inputs, _library_loader(), base=base, csv=csv,
        rates=Rates.read(rates) if rates else None,
        revenue_split=revenue_split, margin_split=margin_split,
        approvals=settings.approval_rules, today=today.date() if today else None)
    write_report(result, output, settings.template_dirs)
    for f in result.failed:
        _echo_finding(f)
    click.echo(f"wrote {output}: {len(result.accounts)} accounts"
               + (f", {len(result.failed)} input(s) left out" if result.failed else ""),
               err=True)
    sys.exit(EXIT_FAILED if result.failed else EXIT_OK)



@cli.command(short_help="Serve a folder of specs in the browser.")
@click.argument("folder", required=False, default=Path("."),
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True,
              help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Listen on this address. Any other than this machine's needs the access "
                   "token printed at start.")
@click.option("--timeout", type=click.FloatRange(min=1), default=120, show_default=True,
              help="Seconds one document (a download, a preview, a redline) may take before "
                   "it is stopped and refused; the app itself keeps answering.")
def serve(folder: Path, port: int, host: str, timeout: float) -> None:
    """Serve the specs of FOLDER in the browser: deals, editor, validation as you type,
    downloads, and POST /api/validate and /api/render for CRMs and scripts."""
    import secrets

    from expectmatrix.serve.app import create_app, server

    local = host in ("127.0.0.1", "localhost", "::1")
    token = None if local else secrets.token_urlsafe(24)
    names = {"127.0.0.1", "localhost"} if local else {host}
    hosts = frozenset(f"{name}:{port}" for name in names)
    app = create_app(folder, hosts, token, click.get_current_context().find_root().obj[
        "config"], timeout)
    shown = "127.0.0.1" if local else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    click.echo(f"serving {folder.resolve()} at {address}", err=True)
    running = server(app, host, port)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stopped as asked
        running.run()
    if not running.started:  # the port is taken, say: uvicorn said why
        sys.exit(EXIT_FAILED)


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


@cli.command(short_help="Record what happened to an expectation after signing.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("expectation_id", metavar="ID", required=False)
@click.argument("event", required=False, type=click.Choice(TRACK_EVENTS))
@click.option("--on", type=_DATE, help="The day it happened, YYYY-MM-DD (default: today).")
@click.option("--by", help="Who did it or reports it.")
@click.option("--evidence", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file in the spec's folder (or below) that shows it: the journal keeps "
                   "its name and SHA-256.")
@click.option("--note", help="Free text.")
@click.option("--new-version", is_flag=True,
              help="SPEC is a new signed version: carry the journal over to it, keeping the "
                   "events of the expectations it did not change.")
@_fail_cleanly
@_fail_with_findings
def record(spec: Path, expectation_id: str | None, event: str | None, on: Any, by: str | None,
           evidence: Path | None, note: str | None, new_version: bool) -> None:
    """Record what happened to expectation ID after signing: EVENT is met, missed, waived
    or reopened.

    Appends to the journal beside the spec (deal.yaml -> deal.track.yaml), which is bound
    to the spec's fingerprint; nothing is appended when anything is wrong.
    """
    from expectmatrix.track.tracked import carry_over
    from expectmatrix.track.tracked import record as record_event

    settings = _settings()
    if new_version:
        if expectation_id or event or on or by or evidence or note:
            raise click.UsageError("--new-version takes only SPEC; record events after it")
        moved = carry_over(spec, _library_loader(), settings.approval_rules)
        for f in moved.warnings:
            _echo_finding(f)
        click.echo(f"{moved.journal} now tracks {spec}: {len(moved.kept)} expectation(s) keep "
                   "their events" + (f"; restarted (changed): {', '.join(moved.restarted)}"
                                     if moved.restarted else "; none restarted")
                   + (f"; new: {', '.join(moved.added)}" if moved.added else "")
                   + (f"; no longer in the spec: {', '.join(moved.removed)}"
                      if moved.removed else ""))
        return
    if not expectation_id or not event:
        raise click.UsageError("give ID and EVENT (met, missed, waived or reopened), or "
                               "--new-version")
    done = record_event(spec, expectation_id, event,  # type: ignore[arg-type]
                        on=on.date() if on else None, by=by, evidence=evidence, note=note,
                        library=_library_loader(), approvals=settings.approval_rules)
    for f in done.warnings:
        _echo_finding(f)
    e = done.event
    click.echo(f"recorded {e.id} {e.event} on {e.date.isoformat()}"
               + (f" by {e.by}" if e.by else "")
               + (f" with evidence {e.evidence.file} (sha256 {e.evidence.sha256[:12]}...)"
                  if e.evidence else "")
               + f" in {done.journal}" + (" (started)" if done.created else ""))


_STATUS_COLOURS = {"overdue": "red", "escalated": "red", "missed": "red", "due-soon": "yellow",
                   "met": "green", "waived": "cyan"}


@cli.command(short_help="Where every expectation stands after signing.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--today", type=_DATE, help="Judge as on this day, YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the statuses as JSON.")
@_fail_cleanly
def status(inputs: tuple[Path, ...], today: Any, as_json: bool) -> None:
    """Where every expectation of both sides stands: upcoming, due-soon, overdue, met,
    missed, escalated, waived, ongoing or no-date, with its due date, owner and last
    recorded event, and a summary per side.

    INPUTS are specs or folders (searched for specs). Exit 1 if any could not be read.
    """
    from expectmatrix.spec.clock import today as clock_today
    from expectmatrix.track.status import each_status

    day = today.date() if today else clock_today()
    problems: list[Finding] = []
    if as_json:  # written deal by deal: the same JSON as one json.dumps(..., indent=2)
        click.echo(f'{{\n  "today": "{day.isoformat()}",\n  "deals": [', nl=False)
    shown = 0
    for item in each_status(inputs, day, _library_loader(), _settings().approval_rules):
        if isinstance(item, InvalidFile):
            for f in item.findings:
                _echo_finding(f)
            problems += item.findings
        elif as_json:
            text = json.dumps(item.to_dict(), indent=2, ensure_ascii=False)
            click.echo(("," if shown else "") + "\n    " + text.replace("\n", "\n    "),
                       nl=False)
            shown += 1
        else:
            click.echo(_status_text(item))
    if as_json:
        findings = json.dumps([f.to_dict() for f in problems], indent=2, ensure_ascii=False)
        click.echo(("\n  ]" if shown else "]") + ',\n  "findings": '
                   + findings.replace("\n", "\n  ") + "\n}")
    # Nothing to close: skip the interpreter's teardown, as validate does.
    raise _QuickExit(EXIT_FAILED if errors(problems) else EXIT_OK)


def _status_text(deal: Any) -> str:
    """One deal's table, notes and summary, as one block (one write per deal)."""
    window = (f", escalation after {deal.escalation_days} business days"
              if deal.escalation_days is not None else "")
    out = [click.style(f"{deal.deal}  {deal.title}", bold=True),
           f"  {deal.file}, today {deal.today.isoformat()}{window}"]
    rows = [("ID", "SIDE", "STATUS", "DUE", "OWNER", "LAST EVENT")]
    notes = []
    for e in deal.expectations:
        last = e.last_event
        event = (f"{last.event} {last.date.isoformat()}" + (f" by {last.by}" if last.by else "")
                 if last else "")
        rows.append((e.id, e.side, e.status, e.due.isoformat() if e.due else "",
                     e.owner.role if e.owner else "", event))
        if e.escalates_after is not None:
            what = "escalated: unresolved" if e.status == "escalated" else "escalates if unresolved"
            notes.append(f"{e.id} {what} after {e.escalates_after.isoformat()}")
        elif e.status == "no-date" and e.dates.problem:
            notes.append(f"{e.id} has no date: {e.dates.problem}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        line = "  " + "  ".join(cells).rstrip()
        colour = _STATUS_COLOURS.get(row[2]) if n else None
        out.append(click.style(line, fg=colour, bold=n == 0))
    out += [f"  {note}" for note in notes]
    out += [f"  {deal.summary_line()}", ""]
    return "\n".join(out)


@cli.command(short_help="Write dated expectations as iCalendar to-dos.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The iCalendar file to write (.ics).")
@click.option("--remind", type=click.IntRange(0, 365), default=7, show_default=True,
              help="Days before each due date that a reminder goes off.")
@_fail_cleanly
def calendar(inputs: tuple[Path, ...], output: Path, remind: int) -> None:
    """Write the dated expectations of specs (or folders of specs) as to-dos of an
    iCalendar file: one per expectation, with its due date, owner, status and a reminder;
    recurring ones repeat.

    Import it again after `record` or a new version: each to-do keeps its UID, so the
    calendar updates it. Nothing is written if any input could not be read.
    """
    from expectmatrix.spec.clock import today as clock_today
    from expectmatrix.track.calendar import calendar_for, dated, latest_versions
    from expectmatrix.track.journal import now
    from expectmatrix.track.status import statuses
    from expectmatrix.writing import write_atomic

    found, problems = statuses(inputs, clock_today(), _library_loader(),
                               _settings().approval_rules)
    for f in problems:
        _echo_finding(f)
    if errors(problems) or not found:
        click.secho(f"nothing written: {output}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    write_atomic(output, calendar_for(found, remind, now()))
    shown = latest_versions(found)
    count = sum(dated(e) for d in shown for e in d.expectations)
    total = sum(len(d.expectations) for d in shown)
    click.echo(f"wrote {output}: {count} to-do(s)"
               + (f"; {total - count} expectation(s) have no date" if total > count else ""))


@cli.command(short_help="Write the fulfilment statement of a signed deal.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The statement to write: .pdf or .docx.")
@click.option("--today", type=_DATE, help="Judge as on this day, YYYY-MM-DD (default: today).")
@audience_option
@click.option("--template-dir", "template_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of templates (statement.html, labels) searched before the "
                   "built-in ones.")
@docx_base_option
@timeout_option
@_fail_cleanly
@_fail_with_findings
def statement(spec: Path, output: Path, today: Any, audience: Audience,
              template_dirs: tuple[Path, ...], docx_base: Path | None, timeout: float) -> None:
    """Write the fulfilment statement of SPEC and its journal: the matrix with each
    expectation's status, dates and evidence, the summary per side, the escalations, and
    the fingerprints of the spec and of the journal, in the document's language.

    The counterparty edition (the default) is for the customer and shows nothing internal;
    the internal edition is for your own steering meeting. Nothing is written on error.
    """
    from expectmatrix.spec.clock import today as clock_today
    from expectmatrix.track.statement import FORMATS as STATEMENT_FORMATS
    from expectmatrix.track.statement import write_statement

    if output.suffix.lower() not in STATEMENT_FORMATS:
        raise click.UsageError(f"-o {output}: the statement is written as "
                               f"{' or '.join(STATEMENT_FORMATS)}, by the file's suffix")
    day = today.date() if today else clock_today()
    options = _render_options((), template_dirs, None, None, docx_base, timeout, audience)
    written = write_statement(spec, output, day, options, _library_loader(),
                              _settings().approval_rules)
    click.echo(f"wrote {written}: the {audience} statement as of {day.isoformat()}")


def main() -> None:
    try:
        cli(prog_name="expectmatrix")
    except _QuickExit as done:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to add
                stream.flush()
        os._exit(done.code if isinstance(done.code, int) else EXIT_FAILED)
