"""The Jinja environment: a user template folder first, the built-in templates last.

Templates are untrusted data (a folder shared across a sales team), so they run in the
immutable sandbox with autoescaping, and a misspelt variable is an error, not a blank.
Spec text only ever reaches a template as a value; it is never compiled as a template.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .findings import RenderError
from .resources import builtin_templates


def search_path(template_dirs: Sequence[str | Path] = ()) -> list[Path]:
    dirs = [Path(d) for d in template_dirs]
    for d in dirs:
        if not d.is_dir():
            raise RenderError(f"template folder not found: {d}")
    return [*dirs, builtin_templates()]


def environment(template_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    return ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in search_path(template_dirs)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise RenderError(f"{e.filename or e.name}:{e.lineno}: template syntax error: "
                          f"{e.message}") from None
    except jinja2.TemplateNotFound as e:
        raise RenderError(f"template not found: {e.name}") from None
    except (jinja2.UndefinedError, jinja2.exceptions.SecurityError) as e:
        raise RenderError(f"template {name}: {e}") from None
