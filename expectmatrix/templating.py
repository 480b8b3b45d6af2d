"""The Jinja environment: user template folders first, the built-in templates last.

Templates are untrusted data (a folder shared across a sales team), so they run in the
immutable sandbox with autoescaping, and a misspelt variable is an error naming the
template and line, not a blank. Spec text only ever reaches a template as a value; it is
never compiled as a template. ``builtin/NAME`` always names the built-in template, so a
user's ``matrix.html`` can ``{% extends "builtin/matrix.html" %}`` and override blocks.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Sequence
from pathlib import Path

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .findings import RenderError
from .messages import did_you_mean
from .resources import builtin_templates

TEMPLATE_FILES = ("matrix.html", "matrix.css", "redline.html")
MAX_OUTPUT = 20_000_000  # characters of HTML: a template that produces more is refused


def search_path(template_dirs: Sequence[str | Path] = ()) -> list[Path]:
    dirs = [Path(d) for d in template_dirs]
    for d in dirs:
        if not d.is_dir():
            raise RenderError(f"template folder not found: {d}")
    return [*dirs, builtin_templates()]


def environment(template_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(builtin_templates()))
    user = jinja2.FileSystemLoader([str(d) for d in search_path(template_dirs)[:-1]])
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader({"builtin": builtin}), user, builtin]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def blocks_of(env: jinja2.Environment, name: str) -> dict[str, int]:
    """Block names defined in a template, with their lines."""
    source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source, name, filename)
    return {b.name: b.lineno for b in tree.find_all(nodes.Block)}


def check_blocks(env: jinja2.Environment, name: str) -> None:
    """A template that extends another may only override blocks that exist there; Jinja
    would silently ignore a misspelt one."""
    source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    tree = env.parse(source, name, filename)
    parent = next(tree.find_all(nodes.Extends), None)
    if parent is None or not isinstance(parent.template, nodes.Const):
        return
    known = blocks_of(env, parent.template.value)
    for block in tree.find_all(nodes.Block):
        if block.name not in known:
            raise RenderError(f"{filename}:{block.lineno}: unknown block {block.name!r}"
                              f"{did_you_mean(block.name, sorted(known))}; "
                              f"{parent.template.value} has {', '.join(sorted(known))}")


def _template_line(exc: BaseException) -> str:
    """file:line of the innermost template frame, from Jinja's rewritten traceback."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".css", ".jinja", ".j2")):
            return f"{frame.filename}:{frame.lineno}"
    return ""


def prepare(env: jinja2.Environment, name: str) -> jinja2.Template:
    """Load and check a template once, before any document: syntax, blocks."""
    try:
        check_blocks(env, name)
        return env.get_template(name)
    except jinja2.TemplateSyntaxError as e:
        raise RenderError(f"{e.filename or e.name}:{e.lineno}: template syntax error: "
                          f"{e.message}") from None
    except jinja2.TemplateNotFound as e:
        raise RenderError(f"template not found: {e.name}") from None


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    try:
        text = env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        raise RenderError(f"{e.filename or e.name}:{e.lineno}: template syntax error: "
                          f"{e.message}") from None
    except jinja2.TemplateNotFound as e:
        raise RenderError(f"template not found: {e.name}") from None
    except jinja2.exceptions.SecurityError as e:
        raise RenderError(f"{_template_line(e) or name}: refused by the template sandbox: "
                          f"{e}") from None
    except jinja2.UndefinedError as e:
        raise RenderError(f"{_template_line(e) or name}: {e}") from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError,
            RecursionError) as e:
        raise RenderError(f"{_template_line(e) or name}: template error: {e}") from None
    if len(text) > MAX_OUTPUT:
        raise RenderError(f"template {name} produced more than {MAX_OUTPUT:,} characters")
    return text


def list_templates() -> list[tuple[str, list[str]]]:
    """The built-in template files and the blocks each offers for overriding."""
    env = environment()
    return [(name, list(blocks_of(env, name)) if name.endswith(".html") else [])
            for name in TEMPLATE_FILES]


def copy_templates(target: str | Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates (and fonts) out as a starting point."""
    target = Path(target)
    source = builtin_templates()
    existing = [target / n for n in TEMPLATE_FILES if (target / n).exists()]
    if existing and not force:
        raise RenderError(f"{existing[0]} exists; add --force to overwrite")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATE_FILES:
        shutil.copyfile(source / name, target / name)
        written.append(target / name)
    shutil.copytree(source / "fonts", target / "fonts", dirs_exist_ok=True)
    return written
