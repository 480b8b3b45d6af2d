"""Commands for legal's review: diff, verify, extract, sign, absorb."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from expectmatrix.cli.base import (
    _echo_finding,
    _fail_cleanly,
    _library_loader,
    _render_options,
    _writable,
    cli,
    docx_base_option,
    timeout_option,
)
from expectmatrix.errors import (
    EXIT_FAILED,
    EXIT_OK,
)
from expectmatrix.spec.terms import (
    AUDIENCES,
    REDLINE_FORMATS,
    SIDES,
    Audience,
)


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
    from expectmatrix.review.diffing import diff_document
    from expectmatrix.writing import write_atomic

    if fmt in ("pdf", "docx") and output is None:
        raise click.UsageError(f"-f {fmt} needs -o FILE")
    color = fmt == "text" and output is None and sys.stdout.isatty()
    options = _render_options((fmt,), (), None, None, None, timeout, audience)
    result = diff_document(old, new, fmt, options, _library_loader(), author=author, color=color)
    data = result.data
    if output:
        write_atomic(output, data)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)
    sys.exit(EXIT_FAILED if exit_code and result.diff.changed else EXIT_OK)


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


@cli.command(short_help="Turn legal's edited DOCX into the next version of the spec.")
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
    from expectmatrix.review.absorb import absorb as run_absorb
    from expectmatrix.review.absorb_result import format_text
    from expectmatrix.writing import write_atomic

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


@cli.command(short_help="Write out the spec a PDF or DOCX carries.")
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

    from expectmatrix.review.signing import PASSPHRASE_VARIABLE
    from expectmatrix.review.signing import sign as sign_pdf

    secret = os.environ.get(PASSPHRASE_VARIABLE)
    if secret is None and sys.stdin.isatty():
        secret = click.prompt(f"Passphrase of {p12}", hide_input=True, default="",
                              show_default=False, err=True)
    signer = sign_pdf(pdf, out, p12, secret.encode("utf-8") if secret else None, side)
    click.echo(f"wrote {out}, signed by {signer}")
