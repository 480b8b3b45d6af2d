"""Organisation settings: ``expectmatrix.toml`` in the current folder or a parent (or
``--config FILE``). Paths in it are relative to the file.

    [library]
    clauses = ["legal/clauses.yaml"]   # clause files that extend the built-in library
    playbooks = ["legal/playbooks"]    # playbook files or folders
    replace = false                    # true: use only these, not the built-in library

    [templates]
    dirs = ["letterhead"]              # searched before the built-in templates

    [docx]
    base = "letterhead.docx"           # Word files are written into this letterhead

    [approvals]                        # what an approved spec needs
    sides = ["vendor", "customer"]     # an approval from each side
    roles = ["General Counsel"]        # and one by each of these roles

    [frame.binding]                    # the organisation's frame clauses and values,
    clause = "binding-intent"          # used unless a spec chooses its own (frame:)
    [frame.law]
    clause = "law-named"
    params = {law = "England and Wales", courts = "London"}

    [audience]                         # what only the internal edition shows
    internal = ["deal.notes", "deal.margin", "deal.nps", "readiness.note", "approvals"]

    [branding]                         # defaults; a spec's own branding: wins per key
    logo = "brand/logo.png"
    primary_color = "#0b5394"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectmatrix.checks import ApprovalRules
from expectmatrix.errors import InputError, SettingsError
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.inputs import read_text
from expectmatrix.spec.models import Branding, FrameChoice
from expectmatrix.spec.terms import INTERNAL_FIELDS

if TYPE_CHECKING:
    from expectmatrix.library.contents import Library

FILENAME = "expectmatrix.toml"
MAX_SETTINGS_BYTES = 1_000_000


@dataclass(frozen=True)
class Settings:
    """Resolved settings: absolute paths, ready to use."""

    source: Path | None = None
    clause_files: tuple[Path, ...] = ()
    playbook_files: tuple[Path, ...] = ()
    replace_library: bool = False
    template_dirs: tuple[Path, ...] = field(default=())
    branding: Branding | None = None
    docx_base: Path | None = None
    csv_columns: tuple[tuple[str, str], ...] = ()
    date_format: str = "iso"
    number_format: str = "plain"
    csv_shared: tuple[str, ...] = ()
    internal_fields: frozenset[str] = frozenset(INTERNAL_FIELDS)
    approval_rules: ApprovalRules = field(default_factory=ApprovalRules)
    # part of the agreement frame -> the organisation's clause and values for it
    frame_defaults: tuple[tuple[str, FrameChoice], ...] = ()


def find_config(start: Path | None = None) -> Path | None:
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / FILENAME).is_file():
            return candidate / FILENAME
    return None


def load_settings(config: str | Path | None = None, start: Path | None = None) -> Settings:
    """The settings of ``config``, else of the nearest expectmatrix.toml, else defaults."""
    path = Path(config) if config else find_config(start)
    if path is None:
        return Settings()
    import tomllib  # only when there is a file: validate of a spec mostly has none

    from pydantic import ValidationError

    from expectmatrix.settings.schema import SettingsFile

    name = str(path)
    try:
        data = tomllib.loads(_bounded(read_text(path, MAX_SETTINGS_BYTES, "settings file"),
                                      name))
    except InputError as e:
        raise SettingsError([Finding("config", str(e).removeprefix(f"{name}: "),
                                 file=name)]) from None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError([Finding("config", f"not valid TOML: {e}", file=name)]) from None
    try:
        parsed = SettingsFile.model_validate(data)
    except ValidationError as e:
        raise SettingsError([Finding("config", _message(err), path=tuple(err["loc"]), file=name)
                         for err in e.errors(include_url=False)]) from None
    base = path.parent
    resolved = Settings(
        source=path,
        clause_files=tuple(base / p for p in parsed.library.clauses),
        playbook_files=tuple(base / p for p in parsed.library.playbooks),
        replace_library=parsed.library.replace,
        template_dirs=tuple(base / p for p in parsed.templates.dirs),
        branding=parsed.branding,
        docx_base=base / parsed.docx.base if parsed.docx.base else None,
        csv_columns=tuple(parsed.csv.columns.items()), date_format=parsed.csv.date_format,
        number_format=parsed.csv.number_format,
        csv_shared=tuple(parsed.csv.shared), internal_fields=frozenset(parsed.audience.internal),
        approval_rules=ApprovalRules(tuple(parsed.approvals.sides),
                                     tuple(parsed.approvals.roles)),
        frame_defaults=tuple((part, FrameChoice(clause=d.clause, params=d.params or None))
                             for part, d in parsed.frame.items()))
    missing = [p for p in (*resolved.clause_files, *resolved.playbook_files,
                           *resolved.template_dirs, resolved.docx_base) if p and not p.exists()]
    if missing:
        raise SettingsError([Finding("config", f"{p} does not exist", file=name) for p in missing])
    return resolved


def _message(err: Any) -> str:
    """pydantic's message, with the value that was written when it is a plain one."""
    value = err.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"{err['msg']}, not {value!r}"
    return str(err["msg"])


def library_for(settings: Settings) -> Library:
    """The clause library these settings describe (the built-in one when there are none)."""
    from dataclasses import replace

    from expectmatrix.library.files import builtin, load_library

    if not (settings.clause_files or settings.playbook_files or settings.replace_library):
        library = builtin()
    else:
        library = load_library(settings.clause_files, settings.playbook_files,
                               builtin=not settings.replace_library)
    if settings.frame_defaults:  # a copy: the built-in library is shared by the process
        library = replace(library, frame_defaults=dict(settings.frame_defaults))
    return library


class LibraryLoader:
    """The clause library of these settings, read on first call; says without reading it
    whether it is the built-in one alone (then the small built-in frame file will do)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._library: Library | None = None

    @property
    def frame_defaults(self) -> dict[str, FrameChoice]:
        """The organisation's frame choices, known without reading the library."""
        return dict(self.settings.frame_defaults)

    @property
    def builtin_only(self) -> bool:
        s = self.settings
        return not (s.clause_files or s.playbook_files or s.replace_library)

    def __call__(self) -> Library:
        if self._library is None:
            self._library = library_for(self.settings)
        return self._library


def column_map(name_or_file: str) -> tuple[tuple[str, str], ...]:
    """A CRM column map: a TOML file (its [csv.columns] table, or a table at its top), or
    the name of a built-in map (salesforce, hubspot, pipedrive)."""
    from expectmatrix.resources import builtin_library

    path = Path(name_or_file)
    if not path.exists():  # a pipe or a device is read, and refused, as a file
        problem = unknown_column_map(name_or_file)
        if problem is not None:
            raise SettingsError([Finding("config", problem)])
        path = builtin_library() / "crm" / f"{name_or_file}.toml"
    import tomllib

    try:
        data = tomllib.loads(_bounded(read_text(path, MAX_SETTINGS_BYTES, "column map"),
                                      str(path)))
    except InputError as e:
        raise SettingsError([Finding("config", str(e), file=str(path))]) from None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError([Finding("config", f"not valid TOML: {e}", file=str(path))]) from None
    table = data.get("csv", {}).get("columns", data) if isinstance(data.get("csv"), dict) else data
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise SettingsError([Finding("config", "a column map is a table of \"CRM column\" = "
                                 "\"spec.path\" (an empty path ignores the column)",
                                 file=str(path))])
    return tuple(table.items())


def unknown_column_map(name_or_file: str) -> str | None:
    """What is wrong with a --columns that names neither a file nor a built-in map (a
    usage error, said before anything is read); None when it names one of them."""
    from expectmatrix.resources import builtin_library

    if Path(name_or_file).exists() or (
            Path(name_or_file).name == name_or_file
            and (builtin_library() / "crm" / f"{name_or_file}.toml").is_file()):
        return None
    known = sorted(p.stem for p in (builtin_library() / "crm").glob("*.toml"))
    return (f"{name_or_file!r} is neither a column map file nor a built-in map "
            f"({', '.join(known)})")


def _bounded(text: str, name: str) -> str:
    """The text, if tomllib may read it: it would raise a bare RecursionError or
    ValueError on deep nesting or a number of thousands of digits."""
    from expectmatrix.spec.bounds import line_of, structure_problem

    problem = structure_problem(text, toml=True)
    if problem is not None:
        raise SettingsError([Finding("config", problem[1], file=name,
                                 line=line_of(text, problem[0]))])
    return text
