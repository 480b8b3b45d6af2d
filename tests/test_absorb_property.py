"""absorb's round trips, for every sample: generated edits to a rendered DOCX (a word
changed in a text or measure, tracked or typed over; rows deleted; a row added) give the
expected spec field by field; an unedited document gives the same spec; a redline of
A -> B (`diff -f docx`) with every change accepted gives B's expectations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wordedit import Edited, expectations, row_ids

SAMPLE_NAMES = sorted(p.stem for p in SAMPLES.glob("*.yaml"))
WORDS = ["quarterly", "signed", "twelve", "named", "écrit", "weekly"]
PROPERTY = settings(max_examples=20, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _resolved(spec: Path) -> dict[str, Any]:
    """Each expectation as the document prints it (clauses filled in), by id."""
    from expectmatrix.checks import check_loaded
    from expectmatrix.settings import LibraryLoader, Settings
    from expectmatrix.spec.loading import load

    checked = check_loaded(load(spec), library=LibraryLoader(Settings()))
    assert checked.spec is not None
    return {e.id: e for e in [*checked.spec.expectations.of_vendor,
                              *checked.spec.expectations.of_customer]}


class Rendered(dict[tuple[str, str], bytes]):
    def __repr__(self) -> str:  # hypothesis prints its arguments: not the documents' bytes
        return f"<{len(self)} rendered documents>"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file

    root = tmp_path_factory.mktemp("property")
    renderers = Renderers()
    out = Rendered()
    for name in SAMPLE_NAMES:
        for audience in ("counterparty", "internal"):
            result = render_file(SAMPLES / f"{name}.yaml", root / f"{name}-{audience}",
                                 RenderOptions(("docx",), audience=audience), renderers=renderers)
            assert result.ok, result.findings
            out[name, audience] = result.outputs[0].read_bytes()
    return out


def _absorb(run: Any, document: Path, spec: Path, out: Path) -> dict[str, Any]:
    # --timeout 0: in this process, no worker started for each document
    result = run("absorb", document, spec, "-o", out, "--json", "--partial", "--timeout", "0")
    assert "Traceback" not in result.output
    assert out.exists(), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_an_unedited_document_gives_the_same_spec_for_every_sample(run, rendered, tmp_path):
    for (name, audience), data in rendered.items():
        document = tmp_path / f"{name}-{audience}.docx"
        document.write_bytes(data)
        out = tmp_path / f"{name}-{audience}.yaml"
        result = _absorb(run, document, SAMPLES / f"{name}.yaml", out)
        assert (result["changes"], result["not_absorbed"]) == ([], []), (name, audience)
        assert expectations(out) == expectations(SAMPLES / f"{name}.yaml"), (name, audience)
        want = (SAMPLES / f"{name}.yaml").read_text(encoding="utf-8")
        got = out.read_text(encoding="utf-8")
        # the same text but for the version and status absorb sets
        assert _without_version(got) == _without_version(want), (name, audience)


def _without_version(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if not line.strip().startswith(("version:", "status:"))]


edits = st.lists(st.one_of(
    st.tuples(st.just("text"), st.integers(0, 40), st.sampled_from(WORDS), st.booleans()),
    st.tuples(st.just("measure"), st.integers(0, 40), st.sampled_from(WORDS), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 40), st.just(""), st.booleans()),
), max_size=4)


@PROPERTY
@given(sample=st.sampled_from(SAMPLE_NAMES), audience=st.sampled_from(["counterparty",
                                                                       "internal"]),
       changes=edits, add=st.one_of(st.none(), st.integers(0, 40)))
def test_generated_edits_give_the_expected_spec(run, rendered, tmp_path, sample, audience,
                                                changes, add):
    spec = SAMPLES / f"{sample}.yaml"
    printed = _resolved(spec)
    want = expectations(spec)
    doc = Edited(rendered[sample, audience])
    for kind, pick, word, tracked in changes:
        live = doc.ids()
        eid = live[pick % len(live)]
        if kind == "delete":
            gone = row_ids(doc, eid)
            if len(gone) == len(live):
                continue  # the matrix needs a row left
            doc.delete_row(eid, tracked=tracked)
            for g in gone:
                del want[g]
        elif kind == "text" or printed[eid].measure:
            now = want[eid].get(kind) or getattr(printed[eid], kind)
            new = f"{now.rsplit(' ', 1)[0]} {word}."
            (doc.tracked_replace if tracked else doc.typed_over)(
                eid, new, paragraph=0 if kind == "text" else 1)
            want[eid][kind] = new
    if add is not None:
        anchor = doc.ids()[add % len(doc.ids())]
        doc.insert_row_after(anchor, "Added by legal for the vendor.",
                             "Added by legal for the customer.", detail=("Measure", "Seen"))
        for side, text in (("V", "vendor"), ("C", "customer")):
            new_id = f"{side}{max(int(k[1:]) for k in printed if k[0] == side) + 1}"
            want[new_id] = {"id": new_id, "area": printed[anchor].area, "weight": 1,
                            "text": f"Added by legal for the {text}.", "measure": "Seen"}
    out = tmp_path / "new.yaml"
    data = _absorb(run, doc.save(tmp_path / "edited.docx"), spec, out)
    assert data["not_absorbed"] == [], data["not_absorbed"]
    assert expectations(out) == want


def _edited_spec(text: str, word: str, drop: int, tmp_path: Path) -> Path:
    """Spec B: one vendor text reworded, one customer expectation removed, one added."""
    from expectmatrix.spec import roundtrip
    from expectmatrix.spec.shape import path_of

    doc = roundtrip.load(text, "yaml")
    vendor = doc.get(("expectations", "of_vendor"))
    customer = doc.get(("expectations", "of_customer"))
    doc.set(path_of("vendor", 0, "text"), f"Deliver the {word} report.")
    gone = drop % len(customer)
    area = customer[gone].get("area") or vendor[0].get("area")
    doc.remove(path_of("customer", gone))
    doc.insert(("expectations", "of_customer"),
               {"id": "C99", "area": area or "Extra", "text": f"Customer reads the {word} report.",
                "measure": "Read"})
    path = tmp_path / "b.yaml"
    path.write_text(doc.dump(), encoding="utf-8")
    return path


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.sampled_from(WORDS), drop=st.integers(0, 20))
def test_an_accepted_redline_gives_the_new_expectations(run, tmp_path, word, drop):
    for name in SAMPLE_NAMES:
        a = SAMPLES / f"{name}.yaml"
        b = _edited_spec(a.read_text(encoding="utf-8"), word, drop, tmp_path)
        redline = tmp_path / "redline.docx"
        made = run("diff", a, b, "-f", "docx", "-o", redline, "--author", "Rep",
                   "--timeout", "0")
        assert made.exit_code == 0, made.output
        doc = Edited(redline.read_bytes())
        doc.accept_all()
        out = tmp_path / "absorbed.yaml"
        _absorb(run, doc.save(tmp_path / "accepted.docx"), a, out)
        got, want = expectations(out), expectations(b)
        assert got == want, name
