"""One fingerprint per edition: each edition embeds the spec it carries and prints that
spec's SHA-256, so the counterparty's copy gives nothing to test guesses of internal values
against, and both editions verify against the full spec."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, docx_text, pdf_text

from expectmatrix.checks import check_loaded
from expectmatrix.language.labels import labels_for
from expectmatrix.render.pipeline import Renderers, RenderOptions, render_file
from expectmatrix.review.documents import read_bytes
from expectmatrix.review.verify import extract, verify
from expectmatrix.spec.canonical import fingerprint
from expectmatrix.spec.loading import load
from expectmatrix.spec.models import Money, Spec

# A portfolio sample with a margin and an NPS, the values an attacker went after.
WITH_MARGIN = SAMPLES / "portfolio" / "pf-002-harbour.yaml"


def full_spec(path: Path) -> Spec:
    spec = check_loaded(load(path)).spec
    assert spec is not None
    return spec


def rendered(path: Path, out: Path, audience: str,
             formats: tuple[str, ...] = ("pdf", "docx")) -> dict[str, bytes]:
    result = render_file(path, out, RenderOptions(formats, audience=audience))  # type: ignore[arg-type]
    assert result.ok, result.findings
    return {p.suffix[1:]: p.read_bytes() for p in result.outputs}


def printed_fingerprints(data: bytes, kind: str) -> tuple[set[str], bytes]:
    embedded = read_bytes(data, Path(f"doc.{kind}"))
    assert embedded.spec_json is not None
    return set(embedded.printed(str(labels_for("en")["fingerprint"]))), embedded.spec_json


def guess(target: str, known: Spec, margins: list[int]) -> tuple[int, int] | None:
    """What an attacker does: every field but margin and NPS is known; try the rest."""
    for amount in margins:
        for nps in range(-100, 101):
            candidate = known.model_copy(update={"deal": known.deal.model_copy(update={
                "margin": Money(amount=amount, currency=known.deal.margin.currency),  # type: ignore[union-attr]
                "nps": nps})})
            if fingerprint(candidate) == target:
                return amount, nps
    return None


def test_guessing_margin_and_nps_against_the_counterparty_edition_recovers_nothing(render_cache):
    spec = full_spec(WITH_MARGIN)
    assert spec.deal.margin is not None and spec.deal.nps is not None
    true_margin = int(spec.deal.margin.amount)
    margins = [true_margin - 1, true_margin, true_margin + 1]
    # the guesser works: against the full spec's fingerprint it finds both values
    assert guess(fingerprint(spec), spec, margins) == (true_margin, spec.deal.nps)
    for kind, data in render_cache.documents(WITH_MARGIN).items():
        printed, carried = printed_fingerprints(data, kind)
        assert printed == {hashlib.sha256(carried).hexdigest()}, kind
        (target,) = printed
        assert guess(target, spec, margins) is None, kind
        # the attacker who reads the copy finds no internal value in it either
        copy = json.loads(carried)
        assert "margin" not in copy["deal"] and "nps" not in copy["deal"]


def test_the_counterparty_copy_withholds_segment_approvals_and_notes(render_cache):
    spec = full_spec(SAMPLES / "large-hospital.yaml")
    assert spec.approvals and spec.deal.notes
    for kind, data in render_cache.documents(SAMPLES / "large-hospital.yaml").items():
        _, carried = printed_fingerprints(data, kind)
        copy: dict[str, Any] = json.loads(carried)
        assert copy["deal"]["segment"] is None, kind
        assert "approvals" not in copy and "notes" not in copy["deal"], kind
        assert all("note" not in r for r in copy["readiness"]), kind
        assert copy["withheld"] == ["deal.segment", "deal.notes", "deal.margin", "deal.nps",
                                    "readiness.note", "approvals"]
        text = carried.decode()
        for approval in spec.approvals:
            assert approval.role not in text, (kind, approval.role)


def test_an_organisation_that_shows_the_segment_keeps_it_in_the_copy(run, tmp_path,
                                                                    write_spec, spec_data):
    path = write_spec(spec_data)
    (tmp_path / "expectmatrix.toml").write_text('[audience]\ninternal = ["deal.notes"]\n')
    result = run("--config", tmp_path / "expectmatrix.toml", "render", path, "-o",
                 tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    _, carried = printed_fingerprints((tmp_path / "out" / "T-1-v1.pdf").read_bytes(), "pdf")
    copy = json.loads(carried)
    assert copy["deal"]["segment"] == "medium" and copy["withheld"] == ["deal.notes"]


@pytest.mark.parametrize("audience", ["counterparty", "internal"])
def test_both_editions_verify_against_the_full_spec_and_extract_renders_the_same_bytes(
        tmp_path, render_cache, audience):
    source = SAMPLES / "large-hospital.yaml"
    documents = render_cache.files(source, tmp_path / "out", audience=audience)
    suffix = "-internal" if audience == "internal" else ""
    for kind, document in documents.items():
        assert document.name == f"SMH-2027-002-v4{suffix}.{kind}"
        data = document.read_bytes()
        report = verify(document, source)
        assert report.ok, [(c.name, c.detail) for c in report.checks if not c.ok]
        copy = tmp_path / f"extracted-{kind}.json"
        copy.write_bytes(extract(document))
        again = rendered(copy, tmp_path / f"again-{kind}", audience, (kind,))
        assert again[kind] == data, (audience, kind)


def test_verify_holds_the_counterparty_edition_to_what_it_carries(tmp_path, write_spec,
                                                                   render_cache):
    source = SAMPLES / "large-hospital.yaml"
    render_cache.files(source, tmp_path / "out")
    render_cache.files(source, tmp_path / "out", ("docx",), "internal")
    text = source.read_text(encoding="utf-8")
    assert "margin: {amount: " in text
    other_margin = write_spec(text.replace("margin: {amount: ", "margin: {amount: 1"),
                              "other-margin.yaml")
    other_title = write_spec(text.replace("title: ", "title: Revised ", 1), "other-title.yaml")
    sent = tmp_path / "out" / "SMH-2027-002-v4.pdf"
    review = tmp_path / "out" / "SMH-2027-002-v4-internal.docx"
    # the counterparty edition commits to nothing internal, the internal one to all of it
    # (the spec each carries is compared alike in either format: the PDF's is read once,
    # the DOCX is quicker to make again)
    assert verify(sent, other_margin).ok
    assert not verify(review, other_margin).ok
    assert not verify(sent.with_suffix(".docx"), other_title).ok


def test_the_internal_edition_names_the_counterparty_fingerprint(render_cache):
    source = SAMPLES / "large-hospital.yaml"
    theirs = render_cache.documents(source)
    ours = render_cache.documents(source, audience="internal")
    (their_fp,), _ = printed_fingerprints(theirs["pdf"], "pdf")
    (our_fp,), _ = printed_fingerprints(ours["pdf"], "pdf")
    assert our_fp == fingerprint(full_spec(source)) != their_fp
    sentence = f"The counterparty edition of this spec prints the fingerprint {their_fp}."
    assert sentence in " ".join(pdf_text(ours["pdf"])[0].split())
    assert sentence in docx_text(ours["docx"])[0]
    assert their_fp not in " ".join(pdf_text(theirs["pdf"])[0].split()).replace(
        f"(SHA-256): {their_fp}", "")


def test_an_internal_edition_is_not_made_from_a_counterparty_copy(run, tmp_path, render_cache):
    source = SAMPLES / "large-hospital.yaml"
    render_cache.files(source, tmp_path / "out", ("pdf",))
    copy = tmp_path / "copy.json"
    copy.write_bytes(extract(tmp_path / "out" / "SMH-2027-002-v4.pdf"))
    result = run("render", copy, "-o", tmp_path / "internal", "--audience", "internal")
    assert result.exit_code == 1
    assert "counterparty copy" in result.output + result.stderr
    assert not (tmp_path / "internal").exists() or not any((tmp_path / "internal").iterdir())
    # validate takes the copy as it is: its segment and approvals are withheld, not missing
    assert run("validate", copy).exit_code == 0


def test_a_hand_written_spec_still_needs_its_segment(run, write_spec, spec_data):
    spec_data["deal"]["segment"] = None
    result = run("validate", write_spec(spec_data), "--json")
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)
    findings = report["findings"]
    assert any(f["path"] == "deal.segment" for f in findings), findings
    del spec_data["deal"]["segment"]
    assert run("validate", write_spec(spec_data)).exit_code == 1


def test_renderers_reuse_keeps_editions_apart(tmp_path):
    """One process renders both editions in turn (a batch worker, serve): each keeps
    its own fingerprint."""
    renderers = Renderers()
    fps = set()
    for audience in ("counterparty", "internal", "counterparty"):
        result = render_file(WITH_MARGIN, tmp_path / audience, RenderOptions(
            ("pdf",), audience=audience), renderers=renderers)  # type: ignore[arg-type]
        (fp,), _ = printed_fingerprints(result.outputs[0].read_bytes(), "pdf")
        fps.add((audience, fp))
    assert len(fps) == 2
