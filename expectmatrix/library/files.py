"""The clause library and the segment playbooks: reviewed wording, as data.

A spec's expectation may say ``clause: ID`` (and ``params:``); its text, area, measure,
due and owner then come from the library. Wording of its own, or no clause at all, makes
the expectation non-standard, which legal sees marked in the documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from expectmatrix.errors import InputError, InvalidFile, LibraryError
from expectmatrix.library.contents import Library
from expectmatrix.library.params import clause_values
from expectmatrix.resources import builtin_library
from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.inputs import read_bytes
from expectmatrix.spec.loading import decode, parse, validate_model
from expectmatrix.spec.messages import did_you_mean
from expectmatrix.spec.models import Expectation, Model
from expectmatrix.spec.shape import list_name, path_of, sides

if TYPE_CHECKING:
    from expectmatrix.library.frame_models import FrameClause
    from expectmatrix.library.models import ClauseFile, ClauseText, PlaybookClause

M = TypeVar("M", bound=Model)
MAX_LIBRARY_BYTES = 20_000_000  # a company's clauses in many languages


def _load_model(path: Path, model: type[M], trusted: bool = False) -> M:
    """A library file as its model; errors located by line. ``trusted``: a file of the
    built-in library, read without keeping positions (it is tested, and read by every
    process that renders)."""
    name = str(path)
    try:
        data = read_bytes(path, MAX_LIBRARY_BYTES, "library file")
    except InputError as e:
        raise LibraryError([Finding("library", str(e).removeprefix(f"{name}: "),
                                 file=name)]) from None
    if trusted:
        import yaml

        return model.model_validate(yaml.load(data, Loader=getattr(yaml, "CSafeLoader",
                                                                   yaml.SafeLoader)))
    tree, positions, problems = parse(decode(data, name), name,
                                      "json" if name.lower().endswith(".json") else "yaml")
    value, findings = validate_model(model, tree, positions, name)
    if problems or findings or not isinstance(value, model):
        raise LibraryError(problems + findings)
    return value


def load_library(clause_files: Sequence[str | Path] = (), playbook_files: Sequence[str | Path] = (),
                 builtin: bool = True) -> Library:
    """The built-in library (unless ``builtin`` is False) extended by the given files; a
    later clause or playbook with the same id replaces the earlier one."""
    from expectmatrix.library.models import ClauseFile

    root = builtin_library()
    clause_paths = ([root / "clauses.yaml", root / "frame.yaml"] if builtin else []) + [
        Path(p) for p in clause_files]
    library = Library()
    if builtin:
        library.translation_dirs.append(root / "translations")
    problems: list[Finding] = []
    for path in clause_paths:
        try:
            loaded = _load_model(path, ClauseFile, trusted=builtin and path.parent == root)
        except InvalidFile as e:
            problems += e.findings
            continue
        add_clauses(library, loaded, str(path))
    if problems:
        raise LibraryError(problems)
    builtin_books = sorted((root / "playbooks").glob("*.yaml")) if builtin else []
    return add_playbooks(library, [*builtin_books, *playbook_files])[0]


def add_clauses(library: Library, loaded: ClauseFile, source: str) -> None:
    """A library file's clauses, frame clauses and translations, over what was there."""
    for clause in loaded.clauses:
        library.clauses[clause.id] = clause
        library.sources[clause.id] = source
    for frame in loaded.frame:
        library.frame[frame.id] = frame
    for language, texts in loaded.translations.items():
        library.translations.setdefault(language, {}).update(texts)


def translations(library: Library, language: str) -> dict[str, ClauseText]:
    """The clauses' wording in ``language`` (de-AT falls back to de): the built-in
    translation file of that language, under what the library's own files give. Read once
    per language."""
    from expectmatrix.library.models import ClauseFile

    tags = list(dict.fromkeys((language, language.split("-")[0])))
    if language not in library.loaded_languages:
        for tag in tags:
            for folder in library.translation_dirs:
                path = folder / f"{tag}.yaml"
                if path.is_file():
                    loaded = _load_model(path, ClauseFile,
                                         trusted=folder == builtin_library() / "translations")
                    for lang, texts in loaded.translations.items():
                        own = library.translations.setdefault(lang, {})
                        library.translations[lang] = {**texts, **own}
        library.loaded_languages.add(language)
    merged: dict[str, ClauseText] = {}
    for tag in reversed(tags):
        merged.update(library.translations.get(tag, {}))
    return merged


@cache
def builtin_frame() -> dict[str, FrameClause]:
    """The built-in frame clauses alone: every document has a frame, most specs name no
    clause, and this costs a fraction of reading the whole library (and builds the
    frame clause's models alone)."""
    import yaml

    from expectmatrix.library.frame_models import FrameClause, Param

    data = read_bytes(builtin_library() / "frame.yaml", MAX_LIBRARY_BYTES, "library file")
    entries = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["frame"]
    # Constructed without validation: building the validators would cost more than the
    # rest of checking a spec. A test validates this file against FrameClause.
    return {e["id"]: FrameClause.model_construct(
        **{**e, "needs": e.get("needs"), "params": {
            name: Param.model_construct(**p) for name, p in e.get("params", {}).items()}})
        for e in entries}


def add_playbooks(library: Library, files: Sequence[str | Path]) -> tuple[Library, list[str]]:
    """A copy of ``library`` with the playbooks of ``files`` (files or folders) added, each
    checked against the library's clauses; also the names of the playbooks added."""
    from expectmatrix.library.models import Playbook

    paths: list[Path] = []
    for p in map(Path, files):
        paths += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    result = Library(dict(library.clauses), dict(library.sources), dict(library.playbooks),
                     dict(library.playbook_sources), dict(library.frame),
                     dict(library.translations), list(library.translation_dirs),
                     set(library.loaded_languages), dict(library.frame_defaults))
    names, problems = [], []
    for path in paths:
        try:
            book = _load_model(path, Playbook)
        except InvalidFile as e:
            problems += e.findings
            continue
        result.playbooks[book.playbook] = book
        result.playbook_sources[book.playbook] = str(path)
        names.append(book.playbook)
    problems += _check_playbooks(result, names)
    if problems:
        raise LibraryError(problems)
    return result, names


def _check_playbooks(library: Library, names: Sequence[str]) -> list[Finding]:
    """Each named playbook names known clauses on the right side, with usable params."""
    problems = []
    for name in names:
        book = library.playbooks[name]
        source = library.playbook_sources[name]
        for side in sides():
            side_key = list_name(side)
            for i, raw in enumerate(getattr(book.expectations, side_key)):
                entry = clause_entry(raw)
                path: FieldPath = path_of(side, i)
                clause = library.clauses.get(entry.clause)
                if clause is None:
                    hint = did_you_mean(entry.clause, sorted(library.clauses))
                    problems.append(Finding("unknown-clause", f"playbook {name!r} names the "
                                            f"unknown clause {entry.clause!r}{hint}",
                                            path=path, file=source))
                elif clause.side != side:
                    problems.append(Finding("clause-side", f"clause {clause.id!r} is a "
                                            f"{clause.side} expectation, listed under "
                                            f"{side_key}", path=path, file=source))
                else:
                    probe = Expectation(id="X", clause=clause.id, params=entry.params or None)
                    problems += [Finding(f.code, f.message, path=path, file=source)
                                 for f in clause_values(clause, probe, path)[1]]
    return problems


def clause_entry(entry: str | PlaybookClause) -> PlaybookClause:
    from expectmatrix.library.models import PlaybookClause

    return entry if isinstance(entry, PlaybookClause) else PlaybookClause(clause=entry)


@cache
def builtin() -> Library:
    """The built-in library, read once per process."""
    return load_library()
