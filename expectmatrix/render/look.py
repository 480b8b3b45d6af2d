"""A spec's branding resolved for the writers: its logo and font checked (checks/files.py),
the organisation's defaults and the built-in ones filled in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from expectmatrix.checks.files import BUNDLED_FONTS, Font, Image, check_image, font_file, resolve


@dataclass(frozen=True)
class Look:
    """Branding resolved for rendering: checked files, defaults filled in."""

    paper: str = "A4"
    primary: str = "#1f3a5f"
    accent: str = "#c8102e"
    margins: str = "20mm 16mm"
    logo: Image | None = None
    css_font: str = "Matrix Sans"  # the family the stylesheet uses
    font: Font | None = None  # a spec's own font, declared with @font-face
    docx_font: str = "Noto Sans"  # the PDF's, embedded in the DOCX (render/docxfonts.py)


def look_for(branding: object | None, base_dir: Path,
             defaults: object | None = None, defaults_dir: Path | None = None) -> Look:
    """The spec's branding over the organisation's (expectmatrix.toml) over built-in
    defaults. Raises AssetError for a bad logo or font."""
    def pick(name: str) -> tuple[object, Path]:
        for source, folder in ((branding, base_dir), (defaults, defaults_dir or base_dir)):
            value = getattr(source, name, None) if source is not None else None
            if value is not None:
                return value, folder
        return None, base_dir

    look = Look()
    values: dict[str, object] = {}
    for name, attr in (("paper", "paper"), ("primary_color", "primary"),
                       ("accent_color", "accent"), ("margins", "margins")):
        value, _ = pick(name)
        if value is not None:
            values[attr] = value
    logo, folder = pick("logo")
    if logo is not None:
        values["logo"] = check_image(resolve(str(logo), folder))
    font, folder = pick("font")
    if font is not None:
        if str(font) in BUNDLED_FONTS:
            values["docx_font"] = str(font)
        else:
            checked = font_file(str(font), folder)
            values.update(css_font="Spec Font", font=checked, docx_font=checked.family)
    return Look(**{**look.__dict__, **values})
