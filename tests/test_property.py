"""Arbitrary input never raises: only findings come back."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectmatrix.checks import check_loaded
from expectmatrix.loading import load_bytes

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
