"""The contract's rules: balance, identity, readiness, approvals, --strict."""

from __future__ import annotations

import copy
import json

from expectmatrix.checks import check, check_loaded
from expectmatrix.spec.findings import errors
from expectmatrix.spec.loading import load
from expectmatrix.spec.models import Spec


def spec_from(data):
    return Spec.model_validate(data)


def codes(findings):
    return [f.code for f in findings]


def test_base_spec_is_clean(spec_data):
    assert check(spec_from(spec_data)) == []


def test_unbalanced_count_names_both_counts_and_the_fix(spec_data):
    spec_data["expectations"]["of_vendor"].append(
        {"id": "V3", "area": "Setup", "text": "More.", "measure": "m"})
    [f] = errors(check(spec_from(spec_data)))
    assert f.message == ("unbalanced: 3 of vendor, 2 of customer (add 1 customer expectation "
                         "or remove 1 vendor expectation)")


def test_unbalanced_by_several(spec_data):
    extra = [{"id": f"C{i}", "area": "Setup", "text": f"T{i}", "measure": "m", "owner": "o"}
             for i in range(3, 5)]
    spec_data["expectations"]["of_customer"] += extra
    [f] = errors(check(spec_from(spec_data)))
    assert "2 of vendor, 4 of customer" in f.message
    assert "add 2 vendor expectations or remove 2 customer expectations" in f.message


def test_balance_by_area(spec_data):
    spec_data["balance"] = "area"
    assert check(spec_from(spec_data)) == []
    spec_data["expectations"]["of_customer"][1]["area"] = "Setup"
    found = errors(check(spec_from(spec_data)))
    messages = sorted(f.message for f in found)
    assert any("'Setup': 1 of vendor, 2 of customer" in m for m in messages)
    assert any("'Support': 1 of vendor, 0 of customer" in m for m in messages)


def test_balance_by_weight(spec_data):
    spec_data["balance"] = "weight"
    spec_data["expectations"]["of_vendor"][0]["weight"] = 3
    [f] = errors(check(spec_from(spec_data)))
    assert "vendor 4, customer 2" in f.message
    spec_data["expectations"]["of_customer"][0]["weight"] = 3
    assert errors(check(spec_from(spec_data))) == []


def test_duplicate_id_across_lists(spec_data):
    spec_data["expectations"]["of_customer"][0]["id"] = "V1"
    [f] = errors(check(spec_from(spec_data)))
    assert f.code == "duplicate-id" and f.path == ("expectations", "of_customer", 0, "id")
    assert "expectations.of_vendor[0]" in f.message


def test_approved_needs_approvals(spec_data):
    spec_data["deal"]["status"] = "approved"
    assert codes(errors(check(spec_from(spec_data)))) == ["approval-missing"]
    spec_data["approvals"] = [{"name": "L", "side": "customer", "role": "GC",
                               "date": "2026-11-01"}]
    assert errors(check(spec_from(spec_data))) == []


def test_readiness_warnings_on_small_deals_only(spec_data):
    spec_data["readiness"] = [{"question": "Admin?", "answer": "unknown"},
                              {"question": "Budget?", "answer": "yes"}]
    del spec_data["expectations"]["of_customer"][0]["owner"]
    assert check(spec_from(spec_data)) == []  # medium: no readiness findings
    spec_data["deal"]["segment"] = "small"
    found = check(spec_from(spec_data))
    assert {f.severity for f in found} == {"warning"}
    assert sorted(codes(found)) == ["no-owner", "readiness"]


def test_missing_measure_warns_on_any_deal(spec_data):
    data = copy.deepcopy(spec_data)
    del data["expectations"]["of_vendor"][1]["measure"]
    [f] = check(spec_from(data))
    assert f.severity == "warning" and "V2" in f.message


def test_empty_list_is_reported_at_its_path(write_spec, spec_data):
    spec_data["expectations"]["of_vendor"] = []
    [f] = load(write_spec(spec_data)).findings
    assert f.field == "expectations.of_vendor" and "empty" in f.message


def test_strict_turns_warnings_into_located_errors(write_spec, spec_data):
    del spec_data["expectations"]["of_vendor"][0]["measure"]
    path = write_spec(spec_data)
    assert errors(check_loaded(load(path)).findings) == []
    findings = check_loaded(load(path), strict=True).findings
    [f] = [f for f in findings if f.severity != "info"]
    assert f.severity == "error" and f.file == str(path) and f.line == 1
    assert {f.severity for f in findings if f.code == "nonstandard"} == {"info"}


def test_legal_lint_reads_promises_due_dates_and_approvals(spec_data, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795651200")  # 2026-11-26
    data = spec_data
    data["expectations"]["of_vendor"][0].update(text="Use best efforts to fix bugs.",
                                                measure="Bug count")
    data["expectations"]["of_vendor"][1]["due"] = "promptly"
    data["expectations"]["of_customer"][0]["due"] = "as soon as possible"
    data["expectations"]["of_customer"][1]["due"] = "within 5 days, promptly"
    data["deal"]["status"] = "approved"
    twice = {"name": "Sam Ortiz", "side": "vendor", "role": "VP", "date": "2031-01-01"}
    data["approvals"] = [twice, dict(twice)]
    found = check(Spec.model_validate(data))
    by_code: dict[str, list] = {}
    for f in found:
        by_code.setdefault(f.code, []).append(f)
    # a measure does not make "best efforts" a promise
    assert "'best efforts'" in by_code["vague"][0].message
    assert [f.path for f in by_code["vague-due"]] == [
        ("expectations", "of_vendor", 1, "due"), ("expectations", "of_customer", 0, "due")]
    assert "within 5 business days" in by_code["vague-due"][0].message
    assert [f.path for f in by_code["duplicate-approval"]] == [("approvals", 1)]
    assert [f.path for f in by_code["approval-date"]] == [("approvals", 0, "date"),
                                                          ("approvals", 1, "date")]
    assert all(f.severity == "warning" for code in ("vague", "vague-due", "duplicate-approval",
                                                     "approval-date") for f in by_code[code])


def test_an_organisation_may_require_approvals_from_both_sides_and_named_roles(run, tmp_path,
                                                                               write_spec,
                                                                               spec_data):
    spec_data["deal"]["status"] = "approved"
    spec_data["approvals"] = [{"name": "Lee", "side": "vendor", "role": "Deal Desk",
                               "date": "2026-11-01"}]
    path = write_spec(spec_data)
    assert run("validate", path).exit_code == 0  # no rule: one approval will do
    config = tmp_path / "expectmatrix.toml"
    config.write_text('[approvals]\nsides = ["vendor", "customer"]\n'
                      'roles = ["General Counsel"]\n')
    result = run("--config", config, "validate", path, "--json")
    codes = [f["code"] for f in json.loads(result.stdout)[0]["findings"]]
    assert result.exit_code == 1 and "approval-side" in codes and "approval-role" in codes
    assert "customer side" in result.stdout and "General Counsel" in result.stdout
    rendered = run("--config", config, "render", path, "-o", tmp_path / "out")
    assert rendered.exit_code == 1 and not (tmp_path / "out").exists()
    spec_data["approvals"].append({"name": "Ann", "side": "customer",
                                   "role": "general  counsel", "date": "2026-11-02"})
    assert run("--config", config, "validate", write_spec(spec_data, "ok.json")).exit_code == 0
