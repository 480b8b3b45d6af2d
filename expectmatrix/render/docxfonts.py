"""The bundled fonts, embedded in a DOCX as Word embeds fonts (ECMA-376 Part 1, §17.8.1),
so Word and LibreOffice set the DOCX in the PDF's font and both paginate alike, on a
machine that has never seen Noto Sans.

An embedded font is a part of its own, obfuscated: its first 32 bytes are XORed with a
key, the bytes of a GUID in reverse order, which the font table names beside the part's
relationship. Noto is under the SIL Open Font License, which allows embedding (its
OS/2 fsType is 0, "installable"); a font that forbids it is not embedded.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from collections.abc import Iterable
from functools import cache
from typing import Any

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from expectmatrix.resources import fonts_dir

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# family -> (font table element, file) for the styles bundled; Word synthesises the rest
BUNDLED = {
    "Noto Sans": (("embedRegular", "NotoSans-Regular.ttf"), ("embedBold", "NotoSans-Bold.ttf"),
                  ("embedItalic", "NotoSans-Italic.ttf")),
    "Noto Sans Arabic": (("embedRegular", "NotoSansArabic-Regular.ttf"),
                         ("embedBold", "NotoSansArabic-Bold.ttf")),
    "Noto Sans Hebrew": (("embedRegular", "NotoSansHebrew-Regular.ttf"),
                         ("embedBold", "NotoSansHebrew-Bold.ttf")),
}
# The family a language's complex-script text is set in, where the main one lacks it.
SCRIPT_FAMILY = {"ar": "Noto Sans Arabic", "he": "Noto Sans Hebrew"}


def script_family(language: str) -> str | None:
    return SCRIPT_FAMILY.get(language.split("-")[0].lower())


def obfuscate(data: bytes, key: str) -> bytes:
    """The font part's bytes: the first 32 bytes of the font XORed with the GUID ``key``
    ("{XXXXXXXX-...}") read as 16 bytes from its last hex pair to its first. The same
    operation reverses it."""
    digits = key.strip("{}").replace("-", "")
    mask = bytes.fromhex(digits)[::-1]
    head = bytes(b ^ mask[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def _embeddable(data: bytes) -> bool:
    """The font's own licence bits (OS/2 fsType): restricted-licence embedding (bit 1)
    forbids it; the other values allow embedding for viewing and editing."""
    from struct import unpack_from

    count = unpack_from(">H", data, 4)[0]
    for i in range(count):
        tag, _checksum, offset, _length = unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"OS/2":
            return not unpack_from(">H", data, offset + 8)[0] & 0x0002
    return False


# (raw deflate stream, CRC-32, size) of a part's bytes, as a zip member holds them
Deflated = tuple[bytes, int, int]


@cache
def _font_part(filename: str) -> tuple[Deflated, str] | None:
    """A bundled font's part, obfuscated and deflated once per process, and its key; the
    key comes from the font's bytes, so the same font gives the same package bytes."""
    data = (fonts_dir() / filename).read_bytes()
    if not _embeddable(data):
        return None
    key = "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"
    part = obfuscate(data, key)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    return (deflate.compress(part) + deflate.flush(), zlib.crc32(part), len(part)), key


def embed_fonts(doc: Any, families: Iterable[str]) -> dict[str, Deflated]:
    """Embed the bundled ``families`` in ``doc``'s font table (python-docx Document),
    replacing any entry of the same name, and ask Word to keep them when it saves.

    The font parts are left empty in ``doc``: the returned members (zip name -> deflated
    part) go into the saved package with :func:`ooxml.with_members`."""
    from docx.opc.part import Part

    package = doc.part.package
    table = next((rel.target_part for rel in doc.part.rels.values()
                  if rel.reltype == RT.FONT_TABLE), None)
    members: dict[str, Deflated] = {}
    if table is None:
        return members
    fonts = parse_xml(table.blob)
    for family in dict.fromkeys(families):
        embeds = []
        for element, filename in BUNDLED.get(family, ()):
            made = _font_part(filename)
            if made is None:
                continue
            deflated, key = made
            part = Part(package.next_partname("/word/fonts/font%d.odttf"), OBFUSCATED_FONT,
                        b"", package)
            members[part.partname.lstrip("/")] = deflated
            embeds.append(f'<w:{element} r:id="{table.relate_to(part, RT.FONT)}" '
                          f'w:fontKey="{key}"/>')
        if not embeds:
            continue
        for old in fonts.findall(qn("w:font")):
            if old.get(qn("w:name")) == family:
                fonts.remove(old)
        fonts.append(parse_xml(
            f'<w:font {nsdecls("w", "r")} w:name="{family}"><w:charset w:val="00"/><w:family w:val="swiss"/>'
            f'<w:pitch w:val="variable"/>{"".join(embeds)}</w:font>'))
    from lxml import etree

    table._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8",
                                 standalone=True)
    settings = doc.settings.element
    if settings.find(qn("w:embedTrueTypeFonts")) is None:
        flag = parse_xml(f'<w:embedTrueTypeFonts {nsdecls("w")}/>')
        # CT_Settings is a sequence: the flag comes after the view settings
        before = [qn(f"w:{n}") for n in ("writeProtection", "view", "zoom",
                                         "removePersonalInformation", "removeDateAndTime",
                                         "doNotDisplayPageBoundaries", "displayBackgroundShape",
                                         "printPostScriptOverText",
                                         "printFractionalCharacterWidth", "printFormsData")]
        at = sum(1 for child in settings if child.tag in before)
        settings.insert(at, flag)
    return members
