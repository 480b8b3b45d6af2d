"""A clause's parameters: the values a spec gives them, converted to each parameter's
type, with defaults for the rest (expectations' clauses and the frame's alike)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from expectmatrix.spec.findings import Finding
from expectmatrix.spec.findings import Path as FieldPath
from expectmatrix.spec.messages import did_you_mean

if TYPE_CHECKING:
    from expectmatrix.library.frame_models import Param
    from expectmatrix.library.models import Clause
    from expectmatrix.spec.models import Expectation


def _convert(value: object, kind: str) -> object:
    if kind == "integer":
        if isinstance(value, bool) or not re.fullmatch(r"-?\d+", str(value).strip()):
            raise ValueError("a whole number")
        return int(str(value).strip())
    if kind == "number":
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError("a number") from None
        if not number.is_finite():
            raise ValueError("a finite number")
        return number.normalize() if number == number.to_integral() else number
    return str(value)


def clause_values(clause: Clause, e: Expectation, where: FieldPath) -> tuple[dict[str, object],
                                                                       list[Finding]]:
    return param_values(clause.id, clause.params, dict(e.params or {}), where)


def param_values(clause_id: str, params: Mapping[str, Param], given: Mapping[str, object],
                 where: FieldPath) -> tuple[dict[str, object], list[Finding]]:
    """The values of a clause's parameters: given ones converted to their type, defaults
    for the rest; a finding for each unknown, mistyped or missing one."""
    values: dict[str, object] = {}
    findings = []
    for name in given:
        if name not in params:
            hint = did_you_mean(name, sorted(params)) or (
                f"; this clause takes {', '.join(sorted(params)) or 'no parameters'}")
            findings.append(Finding("unknown-param", f"clause {clause_id!r} has no parameter "
                                    f"{name!r}{hint}", path=(*where, "params", name)))
    for name, param in params.items():
        if name in given:
            try:
                values[name] = _convert(given[name], param.type)
            except ValueError as err:
                findings.append(Finding("param-type", f"parameter {name!r} of clause "
                                        f"{clause_id!r} must be {err}, not {given[name]!r}",
                                        path=(*where, "params", name)))
        elif param.default is not None:
            values[name] = _convert(param.default, param.type)
        else:
            findings.append(Finding("missing-param", f"clause {clause_id!r} needs the parameter "
                                    f"{name!r}: add params: {{{name}: ...}}",
                                    path=(*where, "params")))
    return values, findings
