"""Loading: every kind of bad input gives a located finding, never a traceback."""

from __future__ import annotations

import pytest

from expectmatrix.checks import check_loaded
from expectmatrix.spec.loading import load


def findings_of(path):
    return check_loaded(load(path)).findings


def only(findings, code):
    matching = [f for f in findings if f.code == code]
    assert matching, [str(f) for f in findings]
    return matching[0]


VALID_YAML = """\
deal:
  id: Y-1
  title: Yaml deal
  segment: small
  effective: 2026-12-01
parties:
  vendor: {name: V}
  customer: {name: C}
expectations:
  of_vendor:
    - id: V1
      area: A
      text: Do a thing.
      measure: Done
  of_customer:
    - id: C1
      area: A
      text: Do another thing.
      measure: Done
      owner: no
readiness:
  - question: Ready?
    answer: no
"""


def test_valid_yaml_loads_and_keeps_words_as_written(write_spec):
    loaded = load(write_spec(VALID_YAML))
    assert loaded.ok, loaded.findings
    assert loaded.spec.readiness[0].answer == "no"
    assert loaded.spec.expectations.of_customer[0].owner == "no"


def test_leading_zero_stays_text(write_spec):
    text = VALID_YAML.replace("id: V1", "id: 0123").replace("version", "x")
    loaded = load(write_spec(text))
    assert loaded.ok, loaded.findings
    assert loaded.spec.expectations.of_vendor[0].id == "0123"


def test_number_field_accepts_quoted_number(write_spec):
    loaded = load(write_spec(VALID_YAML.replace("  effective:", '  version: "3"\n  effective:')))
    assert loaded.ok and loaded.spec.deal.version == 3


def test_missing_required_field_is_located(write_spec):
    path = write_spec(VALID_YAML.replace("      text: Do another thing.\n", ""))
    f = only(findings_of(path), "missing")
    assert f.field == "expectations.of_customer[0].text"
    assert (f.line, f.column) == (16, 7)
    assert str(f).startswith(f"{path}:16:7 expectations.of_customer[0].text: required field missing")
    f = only(load(write_spec(VALID_YAML.replace("  title: Yaml deal\n", ""))).findings, "missing")
    assert str(f).endswith(":2:3 deal.title: required field missing")


def test_unknown_key_suggests_the_right_one(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("  title:", "  titel:"))).findings,
             "unknown-field")
    assert f.field == "deal.titel" and f.line == 3
    assert "did you mean 'title'" in f.message


def test_duplicate_key_is_an_error_with_both_lines(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("  title: Yaml deal\n",
                                                "  title: Yaml deal\n  title: Again\n"))).findings,
             "duplicate-key")
    assert f.line == 4 and "line 3" in f.message


def test_duplicate_key_in_json(write_spec, spec_data):
    import json

    text = json.dumps(spec_data).replace('"title": "Test deal"',
                                         '"title": "Test deal", "title": "Other"')
    f = only(load(write_spec(text.encode(), "dup.json")).findings, "duplicate-key")
    assert f.field == "deal.title" and f.line == 1


def test_malformed_yaml(write_spec):
    f = only(load(write_spec("deal:\n  id: [unclosed\n  title: x\n")).findings, "yaml-syntax")
    assert f.line is not None and f.message.startswith("YAML syntax error")


def test_json_syntax_error(write_spec):
    f = only(load(write_spec(b'{"deal": {"id": "x",}\n}', "bad.json")).findings, "json-syntax")
    assert f.line == 1 and f.column is not None


def test_wrong_type(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("  vendor: {name: V}", "  vendor: [V]"))).findings,
             "type")
    assert f.field == "parties.vendor" and "mapping" in f.message


def test_impossible_date(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("2026-12-01", "2026-02-30"))).findings, "value")
    assert f.field == "deal.effective" and "not a date: 2026-02-30" in f.message
    assert f.line == 5


@pytest.mark.parametrize("bad_id", ["a/b", "..", ".hidden", "a b", "CON"])
def test_unsafe_deal_id(write_spec, bad_id):
    findings = load(write_spec(VALID_YAML.replace("id: Y-1", f'id: "{bad_id}"'))).findings
    assert any(f.field == "deal.id" for f in findings), findings


def test_not_utf8(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("Yaml deal", "Caf\xe9").encode("latin-1"))).findings,
             "not-utf8")
    assert f.line == 3


def test_utf8_bom_is_accepted(write_spec):
    assert load(write_spec(b"\xef\xbb\xbf" + VALID_YAML.encode())).ok


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(write_spec, text):
    assert only(load(write_spec(text)).findings, "empty").line == 1


def test_top_level_list(write_spec):
    assert only(load(write_spec("- deal: x\n")).findings, "not-a-mapping")


def test_control_character_in_text(write_spec):
    f = only(load(write_spec(VALID_YAML.replace("text: Do a thing.", 'text: "Do\\x01 a thing."'))).findings,
             "value")
    assert f.field == "expectations.of_vendor[0].text" and "U+0001" in f.message
    assert f.line == 13


def test_raw_control_character_in_yaml(write_spec):
    f = load(write_spec(VALID_YAML.replace("Do a thing.", "Do\x07 a thing."))).findings[0]
    assert f.line == 13 and "control character" in f.message


@pytest.mark.parametrize("value", [".nan", ".inf", "nan", "-Infinity"])
def test_nan_or_infinity_in_yaml_number(write_spec, value):
    text = VALID_YAML.replace("  effective:", f"  value: {{amount: {value}, currency: USD}}\n"
                                              "  effective:")
    findings = load(write_spec(text)).findings
    assert [f.field for f in findings] == ["deal.value.amount"], findings


def test_nan_in_json(write_spec):
    text = ('{"deal": {"id": "x", "title": "t", "segment": "small", "effective": "2026-01-01",'
            '\n"value": {"amount": NaN, "currency": "USD"}}}')
    f = only(load(write_spec(text.encode(), "nan.json")).findings, "not-a-number")
    assert f.line == 2 and f.field == "deal.value.amount"


def test_billion_laughs_fails_fast(write_spec):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("deal: *a9")
    f = only(load(write_spec("\n".join(lines) + "\n")).findings, "too-large")
    assert "aliases" in f.message


def test_python_tag_is_refused_not_constructed(write_spec):
    text = VALID_YAML.replace("title: Yaml deal", "title: !!python/object/apply:os.system [echo]")
    f = only(load(write_spec(text)).findings, "yaml-tag")
    assert f.line == 3


def test_two_documents(write_spec):
    f = load(write_spec(VALID_YAML + "---\nother: 1\n")).findings[0]
    assert "more than one YAML document" in f.message


def test_wrong_format_version(write_spec):
    f = only(load(write_spec("format: expectmatrix/2\n" + VALID_YAML)).findings, "format")
    assert "expectmatrix/1" in f.message and f.line == 1


def test_unquoted_comma_in_flow_mapping_gets_a_hint(write_spec):
    text = VALID_YAML.replace("  vendor: {name: V}", "  vendor: {name: Acme, the best}")
    f = only(load(write_spec(text)).findings, "unknown-field")
    assert "quotes" in f.message


def test_unreadable_file(tmp_path):
    f = load(tmp_path / "missing.yaml").findings[0]
    assert f.code == "unreadable"


def test_findings_sorted_by_line(write_spec):
    text = VALID_YAML.replace("segment: small", "segment: tiny").replace("title:", "titel:")
    lines = [f.line for f in findings_of(write_spec(text))]
    assert lines == sorted(lines)
