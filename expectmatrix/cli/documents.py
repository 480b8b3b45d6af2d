"""Commands that check and render specs: validate, render, batch."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from expectmatrix.cli.base import (
    _column_map,
    _echo_finding,
    _fail_cleanly,
    _library,
    _library_loader,
    _QuickExit,
    _render_options,
    _settings,
    _writable,
    cli,
    document_options,
)
from expectmatrix.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
)
from expectmatrix.spec.findings import errors, findings_json
from expectmatrix.spec.terms import (
    DATE_FORMATS,
    FORMATS,
    NUMBER_FORMATS,
    Audience,
)


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


@cli.command(short_help="Render a spec to PDF and DOCX.")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "formats", multiple=True, type=click.Choice(FORMATS),
              help="Output format; repeat for several. Default: pdf and docx.")
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path),
              callback=_writable,
              default=Path("."), show_default=True, help="Output folder.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (nothing is written).")
@document_options
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
@document_options
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
                           on_interrupt=progress.interrupted, follow_symlinks=follow_symlinks,
                           executor=executor)
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
