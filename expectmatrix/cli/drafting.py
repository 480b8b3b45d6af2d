"""Commands that start a spec or show what it may hold: init, clauses, templates, schema."""

from __future__ import annotations

import json
from pathlib import Path

import click

from expectmatrix.cli.base import (
    _can_ask,
    _fail_cleanly,
    _library,
    _writable,
    cli,
)
from expectmatrix.spec.terms import (
    SEGMENTS,
    SIDES,
)


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
