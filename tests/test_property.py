"""Arbitrary input never raises: only findings come back."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectmatrix.checks import check_loaded
from expectmatrix.spec.loading import load_bytes

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=20))
keys = st.one_of(st.sampled_from(["deal", "id", "title", "segment", "effective", "parties",
                                  "vendor", "customer", "name", "expectations", "of_vendor",
                                  "of_customer", "area", "text", "readiness", "answer",
                                  "balance", "version", "value", "amount"]),
                 st.text(max_size=8))
trees = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)


def _no_traceback(data: bytes, name: str) -> None:
    loaded = check_loaded(load_bytes(data, name))
    assert loaded.spec is not None or loaded.findings
    for f in loaded.findings:
        assert f.message and f.file == name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_arbitrary_yaml_documents_give_findings(tree):
    import io

    from ruamel.yaml import YAML

    buffer = io.StringIO()
    YAML(typ="safe", pure=True).dump(tree, buffer)
    _no_traceback(buffer.getvalue().encode(), "fuzz.yaml")


@settings(max_examples=100, deadline=None)
@given(trees)
def test_arbitrary_json_documents_give_findings(tree):
    _no_traceback(json.dumps(tree).encode(), "fuzz.json")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_findings(data):
    _no_traceback(data, "fuzz.yaml")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:- \n[]{}&*!'\"#|>%@`,?\t0.~")), max_size=60))
def test_yaml_punctuation_soup_gives_findings(text):
    _no_traceback(text.encode(), "soup.yaml")


def _both_ways(text: str, fmt: str = "yaml"):
    """parse() through libyaml and through the YAML 1.2 parser alone: (tree, positions,
    problems) or the findings of the error, for each."""
    from unittest import mock

    from expectmatrix.errors import SpecError
    from expectmatrix.spec import loading

    def run():
        try:
            tree, positions, problems = loading.parse(text, "t.yaml", fmt)
            return tree, positions.values, positions.keys, problems
        except SpecError as e:
            return e.findings

    fast = run()
    with mock.patch.object(loading, "_compose_libyaml", lambda text: None):
        pure = run()
    return fast, pure


def _libyaml_reads(text: str) -> bool:
    from expectmatrix.spec import loading

    return loading._compose_libyaml(text) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_libyaml_and_the_yaml_parser_read_documents_alike(tree):
    import io

    from ruamel.yaml import YAML

    for style in (False, None, True):  # block, mixed and flow style
        buffer = io.StringIO()
        writer = YAML(typ="safe", pure=True)
        writer.default_flow_style = style
        writer.dump(tree, buffer)
        fast, pure = _both_ways(buffer.getvalue())
        assert fast == pure
    for separators in ((", ", ": "), (",", ":")):
        fast, pure = _both_ways(json.dumps(tree, separators=separators), "json")
        assert fast == pure


def test_the_samples_read_alike_and_fast():
    from conftest import SAMPLES

    for sample in sorted(SAMPLES.glob("*.yaml")):
        text = sample.read_text(encoding="utf-8")
        assert _libyaml_reads(text), sample.name
        fast, pure = _both_ways(text)
        assert fast == pure, sample.name


def test_what_libyaml_refuses_or_could_not_survive_is_read_by_the_yaml_parser():
    # libyaml rejects a plain scalar starting with ":" in a flow list; YAML 1.2 allows it.
    text = "owners: [:sales, legal]\n"
    assert not _libyaml_reads(text)
    fast, pure = _both_ways(text)
    assert fast == pure and fast[0] == {"owners": [":sales", "legal"]}
    # YAML 1.1 line breaks (NEL) would shift every line number after them: not libyaml's.
    text = "a: x\x85y\nb: c\n"
    assert not _libyaml_reads(text)
    fast, pure = _both_ways(text)
    assert fast == pure and fast[1][("b",)] == (2, 4)
    # Nesting that would overflow libyaml's C recursion never reaches it: a located error.
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert not _libyaml_reads(deep)
    fast, pure = _both_ways(deep)
    assert fast == pure and fast[0].code == "too-deep"


def test_yaml_1_1_resolutions_leave_text_as_written():
    text = "a: =\nb: <<\nc: no\nd: 0123\ne: ~\nf: 2026-12-01\ng: 1_000\n"
    fast, pure = _both_ways(text)
    assert fast == pure
    assert fast[0] == {"a": "=", "b": "<<", "c": "no", "d": "0123", "e": None,
                       "f": "2026-12-01", "g": "1_000"}
    assert fast[3] == []  # no tag complaints
