"""Line heights as the PDF sets them, for documents in a script whose font has a tall line.

Word and LibreOffice space a line by a multiple of the tallest font on it, and Noto Sans
Arabic's own line is 2.11 em against Noto Sans's 1.36 em: every line with Arabic on it
came out half as tall again as the PDF's (CSS line-height 1.35 of the font size, whatever
the font), and the DOCX ran a page or two longer. Each paragraph gets the PDF's line
height as an exact height instead, from the largest text on it.
"""

from __future__ import annotations

from typing import Any

from docx.oxml.ns import qn

LINE_HEIGHT = 1.35  # matrix.css: html { line-height: 1.35 }
_DEFAULT_SIZE = 10.0  # points, where no style says


def _size(rpr: Any) -> float | None:
    """The run properties' font size in points (half-points in the file), if they give one."""
    if rpr is None:
        return None
    sizes = rpr.findall(qn("w:sz"))
    return int(sizes[0].get(qn("w:val"))) / 2 if sizes else None


def style_sizes(styles: Any) -> tuple[dict[str, float], dict[str, float]]:
    """Font size of each paragraph style and each character style that sets one, a
    paragraph style inheriting its base's: ({style id: points}, {style id: points})."""
    own: dict[str, float | None] = {}
    based: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for style in styles.findall(qn("w:style")):
        sid = style.get(qn("w:styleId"))
        kinds[sid] = style.get(qn("w:type"))
        own[sid] = _size(style.find(qn("w:rPr")))
        base = style.find(qn("w:basedOn"))
        if base is not None:
            based[sid] = base.get(qn("w:val"))
    defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fallback = _size(defaults) or _DEFAULT_SIZE

    def resolved(sid: str, depth: int = 0) -> float:
        if own.get(sid) is not None:
            return float(own[sid])  # type: ignore[arg-type]
        if sid in based and depth < 10:
            return resolved(based[sid], depth + 1)
        return fallback

    paragraph = {sid: resolved(sid) for sid, kind in kinds.items() if kind == "paragraph"}
    character = {sid: float(size) for sid, size in own.items()
                 if kinds[sid] == "character" and size is not None}
    return paragraph, character


def exact_lines(parts: list[Any], styles: Any) -> None:
    """Give every paragraph of ``parts`` (body, headers, footers) an exact line height of
    1.35 times the largest font size on it, the paragraph mark's included, as Word counts
    it. Paragraphs holding an inline picture keep theirs, or the picture would be cut, and
    so do spacers of an exact height."""
    paragraph, character = style_sizes(styles)
    normal = paragraph.get("Normal", _DEFAULT_SIZE)
    for part in parts:
        for p in part.iter(qn("w:p")):
            ppr = p.find(qn("w:pPr"))
            own = ppr.find(qn("w:spacing")) if ppr is not None else None
            if (p.find(f".//{qn('w:drawing')}") is not None
                    or (own is not None and own.get(qn("w:lineRule")) == "exact")):
                continue  # a picture, or a spacer that is exactly as high as it must be
            style = ppr.find(qn("w:pStyle")) if ppr is not None else None
            base = paragraph.get(style.get(qn("w:val")), normal) if style is not None else normal
            mark = _size(ppr.find(qn("w:rPr"))) if ppr is not None else None
            sizes = [mark or base]
            for r in p.iter(qn("w:r")):
                rpr = r.find(qn("w:rPr"))
                named = rpr.find(qn("w:rStyle")) if rpr is not None else None
                sizes.append(_size(rpr) or (character.get(named.get(qn("w:val")), base)
                                            if named is not None else base))
            spacing = p.get_or_add_pPr().get_or_add_spacing()
            spacing.set(qn("w:line"), str(round(max(sizes) * LINE_HEIGHT * 20)))
            spacing.set(qn("w:lineRule"), "exact")
