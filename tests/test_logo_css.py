"""An SVG logo's CSS is read as a browser reads it before it is judged: a reference
written with CSS escapes, comments or XML character references is still refused."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import BASE

from expectmatrix.checks.files import check_image, css_plain
from expectmatrix.errors import AssetError

# Documents made in this process (--timeout 0): what is checked is the document, not
# the worker process that makes it with a time limit.
HERE = ("--timeout", "0")

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">{}</svg>'
RECT = '<rect width="40" height="20" {}/>'


def spec_file(folder, logo="logo.svg"):
    data = copy.deepcopy(BASE)
    data["branding"] = {"logo": logo}
    path = folder / "deal.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


HIDDEN = {
    "hex escape": RECT.format(r'style="fill: u\72 l(http://127.0.0.1:9/a)"'),
    "six-digit escape and its space": RECT.format(
        r'style="fill: \000075\000072\00006c (http://127.0.0.1:9/a)"'),
    "escape ending a line": "<style>rect { fill: u\\\nrl(http://127.0.0.1:9/a) }</style>",
    "escaped letter": RECT.format(r'style="fill: \u\r\l(http://127.0.0.1:9/a)"'),
    "comment inside": "<style>rect { fill: u/* x */rl(http://127.0.0.1:9/a) }</style>"
                      + RECT.format(""),
    "escaped @import": r"<style>@\69mport 'http://127.0.0.1:9/a.css';</style>",
    "upper case and escapes in <style>": r"<style>rect{fill:U\52L(http://127.0.0.1:9/a)}</style>",
    "XML character reference": RECT.format('style="fill: &#117;rl(http://127.0.0.1:9/a)"'),
    "CDATA style": "<style><![CDATA[rect{fill:\\75rl(http://127.0.0.1:9/a)}]]></style>",
    "image-set": RECT.format(r'style="fill: \69mage-set(&quot;http://127.0.0.1:9/a&quot; 1x)"'),
    "presentation attribute": RECT.format(r'fill="u\72 l(http://127.0.0.1:9/a)"'),
    "escaped slash hides no comment": "<style>rect{fill:red} \\2f* u\\72l(http://127.0.0.1:9/a)"
                                      " *\\2f</style>",
}


@pytest.mark.parametrize("body", list(HIDDEN.values()), ids=list(HIDDEN))
def test_hidden_references_are_refused(run, tmp_path, body):
    (tmp_path / "logo.svg").write_text(SVG.format(body), encoding="utf-8")
    result = run("render", *HERE, spec_file(tmp_path), "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the SVG logo logo.svg refers to something outside itself" in result.stderr
    assert "branding.logo" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("body", [
    RECT.format('style="fill: url(#g)"'),
    RECT.format("style=\"fill: url('#g')\""),  # a quoted local reference was refused before
    r"<style>rect { fill: \23 c00 } /* url(#g) */</style>" + RECT.format(""),
    RECT.format('style="fill: url(data:image/png;base64,AAAA)"'),
])
def test_local_css_stays_accepted(tmp_path, body):
    (tmp_path / "logo.svg").write_text(SVG.format(body), encoding="utf-8")
    assert check_image(tmp_path / "logo.svg").kind == "svg"


def test_a_broken_svg_is_refused_clearly(tmp_path):
    (tmp_path / "logo.svg").write_text("<svg><rect></svg>", encoding="utf-8")
    with pytest.raises(AssetError, match="is not well-formed XML"):
        check_image(tmp_path / "logo.svg")


def test_css_is_decoded_as_a_browser_decodes_it():
    assert css_plain(r"u\72 l(") == "url("
    assert css_plain("\\000075\\000072\\00006c (") == "url("
    assert css_plain("\\75\r\nrl(") == "url("  # CR LF after an escape is one space
    assert css_plain("u\\\nrl(") == "url("
    assert css_plain(r"\0 x") == "\ufffdx" and css_plain(r"\110000") == "\ufffd"
