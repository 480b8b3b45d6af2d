"""mkdocs hook: pages and pictures that live outside docs/ join the site, links unchanged.

CONTRIBUTING.md, CHANGELOG.md and benchmarks/README.md stay where a reader of the
repository looks for them, and the screenshots stay beside the samples they show. Every
Markdown file links to them by their real paths, so the links also work when the files
are read in the repository; this hook gives each one a place in the site and rewrites
those links to it. A link to anything else outside docs/ is left as written, so the
strict build still fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mkdocs.structure.files import File, Files

# Real path (relative to the repository) -> its place in the site.
PAGES = {
    "CONTRIBUTING.md": "contributing.md",
    "CHANGELOG.md": "changelog.md",
    "benchmarks/README.md": "benchmarks.md",
}
PICTURES = ("samples/pictures", "pictures")

_places: dict[Path, str] = {}
_LINK = re.compile(r"(\]\()([^)\s]+)")


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_files(files: Files, *, config: Any) -> Files:
    root = _root(config)
    _places.clear()
    real_dir, site_dir = PICTURES
    mirrored = {root / real: place for real, place in PAGES.items()}
    mirrored |= {p: f"{site_dir}/{p.name}" for p in sorted((root / real_dir).glob("*.png"))}
    for real, place in mirrored.items():
        _places[real.resolve()] = place
        files.append(File.generated(config, place, abs_src_path=str(real)))
    return files


def _place(real: Path, docs_dir: Path) -> str | None:
    """Where a file of the repository is in the site, or None if it is not there."""
    if real.is_relative_to(docs_dir):
        return real.relative_to(docs_dir).as_posix()
    return _places.get(real)


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Files) -> str:
    docs_dir = Path(config.docs_dir).resolve()
    here = Path(page.file.abs_src_path).resolve().parent
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group(2)
        if urlsplit(target).scheme or target.startswith(("#", "/")):
            return match.group(0)
        path, hash_, anchor = target.partition("#")
        place = _place((here / unquote(path)).resolve(), docs_dir)
        if place is None:
            return match.group(0)
        return match.group(1) + posixpath.relpath(place, page_dir or ".") + hash_ + anchor

    out, fenced = [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        out.append(line if fenced else _LINK.sub(rewrite, line))
    return "".join(out)
