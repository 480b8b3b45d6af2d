"""Files a spec points to (logo, font), checked before they reach a renderer.

A logo must be a real PNG, JPEG or SVG of at most 5 MB and sane dimensions; an SVG may
not reference anything outside itself (a reference is a way to read local files or call
out to the network while the PDF is made). A font file must be a TrueType or OpenType
font. Relative paths are relative to the spec's folder.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from expectmatrix.errors import AssetError, InputError
from expectmatrix.spec.inputs import read_bytes

MAX_IMAGE_BYTES = 5_000_000
MAX_FONT_BYTES = 30_000_000  # Noto CJK fonts are about 20 MB
MAX_PIXELS = 10_000  # per side
BUNDLED_FONTS = {"Noto Sans": "Matrix Sans"}  # family a spec may name -> family in the CSS
_SVG_EXTERNAL = re.compile(
    rb"""(?:href|src)\s*=\s*["'](?!\s*(?:\#|data:))|url\((?!\s*["']?\s*(?:\#|data:))"""
    rb"""|<!ENTITY|<!DOCTYPE[^>]*\[|@import|<\s*(?:script|foreignObject)\b""", re.IGNORECASE)
# What fetches in CSS once it is read as a browser reads it (escapes decoded): image-set(),
# image(), cross-fade() and src() take URLs too, and are no use in a logo.
_CSS_EXTERNAL = re.compile(r"""url\((?!\s*["']?\s*(?:\#|data:))|@import"""
                           r"""|(?:image-set|image|cross-fade|src)\s*\(""", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(\r\n|[\n\r\f])|(.))",
                         re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Image:
    path: Path
    kind: str  # png | jpeg | svg
    width: int
    height: int
    # The bytes that were checked: the writers use these, never the file again (it may
    # have been changed or swapped since).
    data: bytes = field(repr=False, compare=False, default=b"")

    @property
    def mime(self) -> str:
        return {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}[self.kind]


def resolve(path_text: str, base_dir: Path) -> Path:
    path = Path(path_text).expanduser()
    return (path if path.is_absolute() else base_dir / path).resolve()


def _stat(path: Path, what: str) -> os.stat_result:
    try:
        return path.stat()
    except OSError:
        raise AssetError(f"the {what} {path} does not exist") from None


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        return read_bytes(path, limit, what)
    except InputError as e:
        raise AssetError(str(e)) from None


def check_image(path: Path) -> Image:
    """Checked once per version of the file: validation and rendering both ask."""
    info = _stat(path, "logo file")
    return _check_image(path, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=8)
def _check_image(path: Path, size: int, mtime_ns: int) -> Image:
    # Failures are exceptions, which lru_cache does not keep: a fixed file is read again.
    data = _read(path, MAX_IMAGE_BYTES, "logo")
    head = data[:4096]
    if head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff"):
        from PIL import Image as PILImage

        try:
            with PILImage.open(io.BytesIO(data)) as img:
                img.verify()
                width, height = img.size
                kind = "png" if img.format == "PNG" else "jpeg"
        except Exception as e:  # Pillow raises many kinds for a damaged file
            raise AssetError(f"the logo {path.name} is a damaged image: {e}") from None
    elif b"<svg" in head.lower():
        bad = _SVG_EXTERNAL.search(data)
        if bad:
            raise AssetError(f"the SVG logo {path.name} refers to something outside itself "
                             f"({bad.group(0).decode('utf-8', 'replace').strip()!r}); embed "
                             "everything in the file or use a PNG")
        _check_svg_css(path, data)
        (width, height), kind = _svg_size(data), "svg"
    else:
        raise AssetError(f"the logo {path.name} is not a PNG, JPEG or SVG image")
    if not (0 <= width <= MAX_PIXELS and 0 <= height <= MAX_PIXELS):
        raise AssetError(f"the logo is {width}x{height} pixels; at most {MAX_PIXELS} a side")
    return Image(path, kind, width, height, data)


def css_plain(text: str) -> str:
    """CSS as a browser reads it: escapes decoded (``u\\72 l(`` is ``url(``), an escaped
    line break gone."""
    def decode(m: re.Match[str]) -> str:
        hexa, _newline, other = m.groups()
        if hexa:
            code = int(hexa, 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return other or ""

    return _CSS_ESCAPE.sub(decode, text)


def _check_svg_css(path: Path, data: bytes) -> None:
    """Look for what fetches in the SVG's CSS (<style> elements, style and presentation
    attributes) after XML character references and CSS escapes are decoded, with and
    without comments: ``u\\72 l(``, ``\\000075rl(``, ``u/**/rl(`` and ``&#117;rl(`` are
    all caught."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        raise AssetError(f"the SVG logo {path.name} is not well-formed XML ({e})") from None
    for element in root.iter():
        texts = list(element.attrib.values())
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1].lower() == "style":
            texts.append("".join(element.itertext()))
        for text in texts:
            for plain in (css_plain(text), css_plain(_CSS_COMMENT.sub("", text))):
                bad = _CSS_EXTERNAL.search(plain)
                if bad:
                    found = plain[bad.start():bad.start() + 60]
                    raise AssetError(f"the SVG logo {path.name} refers to something outside "
                                     f"itself in its CSS ({found!r}, once its escapes are read); "
                                     "embed everything in the file or use a PNG")


def _svg_size(data: bytes) -> tuple[int, int]:
    def number(name: bytes) -> int:
        m = re.search(rb"<svg[^>]*\s" + name + rb"""\s*=\s*["']\s*([\d.]+)""", data, re.I)
        return int(float(m.group(1))) if m else 0

    return number(b"width"), number(b"height")


@dataclass(frozen=True)
class Font:
    path: Path
    family: str
    data: bytes = field(repr=False, compare=False, default=b"")


def check_font(path: Path) -> Font:
    """The font, read once; raises AssetError for anything but a TTF/OTF font."""
    info = _stat(path, "font file")
    return _check_font(path, info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=8)
def _check_font(path: Path, size: int, mtime_ns: int) -> Font:
    data = _read(path, MAX_FONT_BYTES, "font file")
    if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise AssetError(f"{path.name} is not a TrueType or OpenType font")
    from fontTools.ttLib import TTFont

    try:
        family = TTFont(io.BytesIO(data), lazy=True)["name"].getBestFamilyName()
    except Exception as e:  # fontTools raises many kinds for a damaged file
        raise AssetError(f"the font {path.name} cannot be read: {e}") from None
    return Font(path, str(family or path.stem), data)


def font_file(font: str, base_dir: Path) -> Font:
    """A font named by path, checked; AssetError if it is not one."""
    path = resolve(font, base_dir)
    if path.suffix.lower() not in (".ttf", ".otf"):
        raise AssetError(f"font {font!r} is neither a bundled family "
                         f"({', '.join(BUNDLED_FONTS)}) nor a .ttf/.otf file")
    return check_font(path)


@lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    """Whether fontconfig knows a font for Chinese, Japanese or Korean (none is bundled:
    such fonts are tens of megabytes)."""
    import shutil
    import subprocess

    if not shutil.which("fc-list"):
        return False
    for lang in ("zh", "ja", "ko"):
        try:
            out = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True,
                                 text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        if out.strip():
            return True
    return False
