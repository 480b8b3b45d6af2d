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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import TemplateModule
from jinja2.exceptions import SecurityError
from jinja2.runtime import BlockReference, LoopContext, Macro, TemplateReference, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range
from jinja2.utils import Cycler, Joiner, Namespace

from expectmatrix.errors import RenderError
from expectmatrix.render.plain import Data
from expectmatrix.resources import builtin_templates
from expectmatrix.spec.inputs import read_text
from expectmatrix.spec.messages import did_you_mean

TEMPLATE_FILES = ("matrix.html", "matrix.css", "parts.html", "redline.html", "statement.html")
MAX_OUTPUT = 20_000_000  # characters of HTML: a template that produces more is refused
MAX_TEMPLATE_BYTES = 1_000_000


def search_path(template_dirs: Sequence[str | Path] = ()) -> list[Path]:
    dirs = [Path(d) for d in template_dirs]
    for d in dirs:
        if not d.is_dir():
            raise RenderError(f"template folder not found: {d}")
    return [*dirs, builtin_templates()]


# Jinja's own objects a template may read: the loop, a namespace, cycler and joiner.
_LOOP_ATTRS = frozenset({"index", "index0", "revindex", "revindex0", "first", "last",
                         "length", "depth", "depth0", "previtem", "nextitem", "cycle",
                         "changed"})
# Filters that take a size and could make a string or list of any length.
_UNBOUNDED_FILTERS = ("center", "indent", "format", "wordwrap", "batch", "slice", "filesizeformat",
                      "xmlattr", "pprint", "urlize")
MAX_VALUE_LENGTH = 1_000_000  # a string or sequence an operator may make
MAX_INT_BITS = 4096  # an integer an operator may make (a 1,200 digit number)


class _BoundedCodeGenerator(CodeGenerator):
    """``a ~ b`` cannot be intercepted like an operator: wrap it in a length check, so
    doubling a text in a loop stops at the bound instead of filling the memory."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded(")
        super().visit_Concat(node, frame)
        self.write(")")


class PlainSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, narrowed to data: a template reads keys of the values it is
    given (plain.Data), Jinja's loop and namespace, and nothing else; it calls macros and
    the functions we hand it, nothing else; and no operator makes an unbounded value
    (``9**(9**9)`` or ``'x' * 10**9`` would run or grow past any time limit's reach)."""

    intercepted_binops = frozenset({"**", "*", "%", "+", "//"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in _UNBOUNDED_FILTERS:
            self.filters.pop(name, None)
        self.globals.pop("lipsum", None)
        self.callables: set[int] = set()

    def allow_call(self, function: Any) -> Any:
        """Make ``function`` callable from templates (asset(), say) and return it."""
        self.callables.add(id(function))
        return function

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Data):
            return obj[attribute] if attribute in obj else self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and attribute in _LOOP_ATTRS:
            return getattr(obj, attribute)
        if isinstance(obj, Namespace) and not attribute.startswith("_"):
            attrs = object.__getattribute__(obj, "_Namespace__attrs")
            return attrs[attribute] if attribute in attrs else self.undefined(obj=obj,
                                                                              name=attribute)
        if isinstance(obj, TemplateReference):  # self.blockname()
            return obj[attribute]
        if isinstance(obj, TemplateModule):  # {% import "parts.html" as parts %}: its macros
            macro = getattr(obj, attribute, None) if not attribute.startswith("_") else None
            if isinstance(macro, Macro):
                return macro
        if isinstance(obj, BlockReference) and attribute == "super":
            return obj.super
        if isinstance(obj, Cycler | Joiner) and attribute in ("next", "reset", "current"):
            return getattr(obj, attribute)
        if isinstance(obj, Undefined):
            return obj
        return self._refuse(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Data | Namespace) and isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, dict) and type(obj) is dict:  # one the template made with dict()
            return obj[argument] if argument in obj else self.undefined(obj=obj, name=argument)
        if isinstance(obj, str | tuple | list) and isinstance(argument, int | slice):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=str(argument))
        if isinstance(obj, Undefined):
            return obj
        return self._refuse(obj, argument)

    @staticmethod
    def bounded(value: Any) -> Any:
        _check_length(len(value))
        return value

    def _refuse(self, obj: Any, name: object) -> Any:
        return self.undefined(f"{type(obj).__name__} has no {name!r} a template may use; "
                              "templates read only the values of the view", name=str(name),
                              obj=obj, exc=SecurityError)

    def is_safe_callable(self, obj: Any) -> bool:
        if isinstance(obj, Macro | BlockReference) or id(obj) in self.callables:
            return True
        if obj in (safe_range, dict, Namespace, Cycler, Joiner):
            return True
        owner = getattr(obj, "__self__", None)
        return isinstance(owner, LoopContext | Cycler | Joiner)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and right * abs(left).bit_length() > MAX_INT_BITS:
                raise SecurityError(f"{left} ** {right} is too large a number for a template")
        elif operator == "*" and isinstance(right, int) and isinstance(left, str | list | tuple):
            _check_length(len(left) * right)
        elif operator == "*" and isinstance(left, int) and isinstance(right, str | list | tuple):
            _check_length(len(right) * left)
        elif operator == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("too large a number for a template")
        elif operator == "%" and isinstance(left, str):
            raise SecurityError("printf-style formatting (text % values) is not available in "
                                "templates; join the values with ~")
        result = self.binop_table[operator](left, right)
        if isinstance(result, str | list | tuple):
            _check_length(len(result))
        return result


def _check_length(n: int) -> None:
    if n > MAX_VALUE_LENGTH:
        raise SecurityError(f"a value of {n:,} characters or items is too large for a template")


def environment(template_dirs: Sequence[str | Path] = ()) -> PlainSandbox:
    builtin = _BoundedLoader([builtin_templates()])
    user = _BoundedLoader(search_path(template_dirs)[:-1])
    env = PlainSandbox(
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader({"builtin": builtin}), user, builtin]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


class _BoundedLoader(jinja2.BaseLoader):
    """Templates from folders, read as any untrusted file is: regular files only, of a
    bounded size, and never from outside the folder (no ``..``, no symlink out)."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [Path(r).resolve() for r in roots]

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        path = find_in(self.roots, template)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        text = read_text(path, MAX_TEMPLATE_BYTES, "template")
        mtime = path.stat().st_mtime_ns
        return text, str(path), lambda p=path, m=mtime: _unchanged(p, m)

    def list_templates(self) -> list[str]:
        return sorted({p.name for r in self.roots for p in r.glob("*.html")})


def find_in(roots: Sequence[Path], name: str) -> Path | None:
    """The file ``name`` (a relative path) in the first of ``roots`` that has it, resolved;
    None if none has it. A name that climbs out (``..``, an absolute path, a symlink that
    leads elsewhere) is a RenderError: templates and their files stay in their folders."""
    parts = [p for p in str(name).replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or ":" in parts[0]:
        raise RenderError(f"{name!r} is not a file name inside a template folder")
    for root in roots:
        path = Path(root).joinpath(*parts)
        if path.exists():
            if not path.resolve().is_relative_to(Path(root).resolve()):
                raise RenderError(f"{path}: leads outside its template folder")
            return path.resolve()
    return None


def _unchanged(path: Path, mtime: int) -> bool:
    try:
        return path.stat().st_mtime_ns == mtime
    except OSError:
        return False


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
        parts: list[str] = []
        size = 0
        # Streamed and counted, so a template that loops out text stops at the bound
        # rather than when memory runs out.
        for chunk in env.get_template(name).generate(**context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderError(f"template {name} produced more than {MAX_OUTPUT:,} "
                                  "characters")
            parts.append(chunk)
        text = "".join(parts)
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


def template_file(name: str, roots: Sequence[Path]) -> Path:
    """A file a template names, found in the template folders (first match), never
    outside them."""
    try:
        path = find_in(roots, name)
    except RenderError as e:
        raise RenderError(f"asset({name!r}): {e}; name a file in the template folder (such "
                          "as fonts/NotoSans-Regular.ttf), \"@logo\" or \"@font\"") from None
    if path is None:
        raise RenderError(f"asset({name!r}): no such file in the template folders")
    return path
