"""Commands over many deals and in the browser: report, serve."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import click

from expectmatrix.cli.base import (
    _DATE,
    _column_map,
    _echo_finding,
    _fail_cleanly,
    _library_loader,
    _settings,
    _writable,
    cli,
)
from expectmatrix.errors import (
    EXIT_FAILED,
    EXIT_OK,
)
from expectmatrix.spec.terms import (
    DATE_FORMATS,
    NUMBER_FORMATS,
)


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
           columns: str | None, date_format: str | None, today: dt.datetime | None,
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
