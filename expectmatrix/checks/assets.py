"""The files a spec names (logo, font) and the scripts its text needs fonts for."""

from __future__ import annotations

from pathlib import Path

from expectmatrix.spec.findings import Finding
from expectmatrix.spec.models import Spec


def check_branding(spec: Spec, base_dir: Path) -> list[Finding]:
    """The logo and font a spec names exist and are what they claim to be."""
    from expectmatrix.checks.files import BUNDLED_FONTS, check_image, font_file, resolve
    from expectmatrix.errors import AssetError

    found = []
    branding = spec.branding
    assert branding is not None
    if branding.logo is not None:
        try:
            image = check_image(resolve(branding.logo, base_dir))
            if image.kind == "svg":
                found.append(Finding("svg-logo", "an SVG logo appears in the PDF only (Word "
                                     "files need PNG or JPEG)", "warning", ("branding", "logo")))
        except AssetError as e:
            found.append(Finding("logo", str(e), path=("branding", "logo")))
    if branding.font is not None and branding.font not in BUNDLED_FONTS:
        try:
            font_file(branding.font, base_dir)
        except AssetError as e:
            found.append(Finding("font", str(e), path=("branding", "font")))
    return found


# Hangul Jamo, CJK radicals to unified ideographs (with kana), Hangul syllables, CJK
# compatibility ideographs, half- and full-width forms. Tested per distinct character: a
# regex over these ranges costs more to compile than validating a spec.
_CJK_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
               (0xFF00, 0xFFEF))


def has_cjk(text: str) -> bool:
    """Whether the text holds characters only a Chinese, Japanese or Korean font has."""
    if not text or ord(max(text)) < _CJK_RANGES[0][0]:  # most specs: one pass, in C
        return False
    return any(lo <= ord(c) <= hi for c in set(text) for lo, hi in _CJK_RANGES)


def check_scripts(spec: Spec) -> list[Finding]:
    """Chinese, Japanese or Korean text needs a font of the machine's: say so when there
    is none, rather than let the characters turn into boxes."""
    from expectmatrix.spec.canonical import canonical_json

    if not has_cjk(canonical_json(spec).decode("utf-8")):
        return []
    from expectmatrix.checks.files import cjk_font_available  # only now: it asks fontconfig

    if cjk_font_available():
        return []
    return [Finding("cjk-font", "the spec has Chinese, Japanese or Korean text but this "
                    "machine has no font for it, so the PDF would show empty boxes; install "
                    "one (on Debian or Ubuntu: apt-get install fonts-noto-cjk)", "warning")]
