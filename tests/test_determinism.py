"""The same spec gives the same PDF bytes whatever the machine's libraries and clock.

Without the HarfBuzz subsetting library WeasyPrint subsets fonts with fontTools, which
stamps each font with the current time; the renderer pins that stamp to the document's
own date while it writes, and to nothing else."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import textwrap
import time

from conftest import ROOT, SAMPLES

# Run in a child process: WeasyPrint's choice of subsetter is made at import, and the
# clock is replaced for the whole process.
CHILD = textwrap.dedent("""
    import json, sys, time
    import weasyprint.pdf.fonts as fonts

    fonts.harfbuzz_subset = None  # as on a machine without libharfbuzz-subset
    subsets = []
    original = fonts.Font._fonttools_subset

    def counted(self, *args, **kwargs):
        subsets.append(self.family)
        return original(self, *args, **kwargs)

    fonts.Font._fonttools_subset = counted
    clock = float(sys.argv[1])
    time.time = lambda: clock  # the machine's clock, at two different moments

    from expectmatrix.checks import check_loaded
    from expectmatrix.render.pdf import PdfRenderer
    from expectmatrix.render.view import build_view
    from expectmatrix.spec.loading import load

    loaded = check_loaded(load(sys.argv[2]))
    view = build_view(loaded.spec, frame=loaded.frame)
    with open(sys.argv[3], "wb") as f:
        f.write(PdfRenderer().render(view))
    print(json.dumps({"subsets": len(subsets), "created": view.created.isoformat()}))
""")


def _render(tmp_path, clock: float, name: str) -> tuple[bytes, dict[str, object]]:
    out = tmp_path / f"{name}.pdf"
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ["PYTHONPATH"]])
    done = subprocess.run([sys.executable, "-c", CHILD, str(clock),
                           str(SAMPLES / "minimal.yaml"), str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return out.read_bytes(), json.loads(done.stdout.strip().splitlines()[-1])


def _font_dates(pdf: bytes) -> list[int]:
    """head.modified of every font file embedded in the PDF."""
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    dates = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()
            if "/DescendantFonts" in descriptor:
                descriptor = descriptor["/DescendantFonts"][0].get_object()
            data = descriptor["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            dates.append(TTFont(io.BytesIO(data))["head"].modified)
    return dates


def test_without_harfbuzz_subset_the_clock_does_not_reach_the_pdf(tmp_path):
    from fontTools.misc.timeTools import timestampSinceEpoch

    first, info = _render(tmp_path, 1_000_000_000, "first")
    second, again = _render(tmp_path, 1_900_000_000, "second")
    assert info["subsets"] and again["subsets"]  # fontTools did subset the fonts
    assert first == second
    # Each font carries the document's own date, not the clock's.
    created = dt.datetime.fromisoformat(str(info["created"]))
    dates = _font_dates(first)
    assert dates and set(dates) == {timestampSinceEpoch(created.timestamp())}


def test_the_pinned_date_stays_inside_the_write(tmp_path, monkeypatch):
    """After a render, fontTools answers with the clock again, in this thread and in the
    environment other code and child processes see."""
    from fontTools.ttLib.tables import _h_e_a_d as head

    from expectmatrix.checks import check_loaded
    from expectmatrix.render.pdf import PdfRenderer
    from expectmatrix.render.view import build_view
    from expectmatrix.spec.loading import load

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    loaded = check_loaded(load(SAMPLES / "minimal.yaml"))
    PdfRenderer().render(build_view(loaded.spec, frame=loaded.frame))
    monkeypatch.setattr(time, "time", lambda: 1_234_567_890.0)
    assert head.timestampNow() == 1_234_567_890 + 2_082_844_800
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_a_missing_harfbuzz_subset_library_is_said_once(run, tmp_path, monkeypatch):
    from expectmatrix.render import pipeline as rendering

    monkeypatch.setattr(rendering, "harfbuzz_subset_available", lambda: False)
    spec = SAMPLES / "minimal.yaml"
    result = run("render", spec, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0
    assert result.stderr.count("no HarfBuzz subsetting library") == 1
    assert any(line.startswith("warning: this machine has no HarfBuzz")
               for line in result.stderr.splitlines())  # about the machine: no file named
    data = json.loads(run("render", spec, "-o", tmp_path / "out", "-f", "pdf", "--json").stdout)
    assert "harfbuzz-subset" in [f["code"] for f in data["findings"]]
    # DOCX output does not depend on it: nothing said.
    docx = run("render", spec, "-o", tmp_path / "out", "-f", "docx")
    assert "HarfBuzz" not in docx.stderr
    batch = run("batch", spec, "-o", tmp_path / "batch", "-f", "pdf")
    assert batch.stderr.count("no HarfBuzz subsetting library") == 1
